/* post_store — posts and absences in the database (migrations/0003_posts_absences.sql):
 * reading the substitution view of a post at a moment (substitution.h), recording an
 * absence under the rules that a post is never left empty, and moving a post's open work
 * when its holders come and go. Writes happen inside the caller's open transaction. */
#ifndef ROUTING_POST_STORE_H
#define ROUTING_POST_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_status.h"
#include "substitution.h"

typedef struct ow_db ow_db_t;

/* Registers this module's statements on db. Returns 0, or -1 with err. */
int routing_post_store_prepare(ow_db_t *db, ow_error_t *err);

/* Who holds the default post of department_code at at_us. Returns 1 with *out and the
 * post's code in post_code (size ≥ 65), 0 when the department has no default post, or -1
 * with err (FAILED_PRECONDITION when nobody is there — substitution.h; else the database
 * error). Inactive staff count as away. */
int routing_post_default_holder(ow_db_t *db, const char *department_code, int64_t at_us,
                                routing_holder_t *out, char *post_code, ow_error_t *err);

/* As routing_post_default_holder for the post post_code. Returns 0 or -1 with err
 * (NOT_FOUND for an unknown post). */
int routing_post_holder_at(ow_db_t *db, const char *post_code, int64_t at_us, routing_holder_t *out,
                           ow_error_t *err);

/* A post's substitution view at a moment, with the strings it points to. */
typedef struct {
    char post_code[ROUTING_STAFF_ID_SIZE];
    char a_holder[ROUTING_STAFF_ID_SIZE], b_holder[ROUTING_STAFF_ID_SIZE];
    char chief[ROUTING_STAFF_ID_SIZE], supervisor[ROUTING_STAFF_ID_SIZE];
    routing_post_view_t view; /* points into this struct: do not copy it */
} routing_post_view_row_t;

/* Reads post_code's view at at_us into *out (who holds and who is away; the chief and
 * supervisor named only when present). Returns 1, 0 for an unknown post, or -1 with err. */
int routing_post_view_load(ow_db_t *db, const char *post_code, int64_t at_us,
                           routing_post_view_row_t *out, ow_error_t *err);

#endif
