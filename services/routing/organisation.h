/* organisation — what a centre, department, member of staff, post or absence must be
 * (DOMAIN.md §4, ARCHITECTURE "1+7+N"), and who may manage them, as plain functions. No I/O:
 * org_store.c writes what these accept.
 *
 * Every check adds one violation per problem to err, its field named by row and field
 * ("staff[3].role"), so a bulk import reports every bad row at once; each returns the number
 * of violations it added. Strings are borrowed. */
#ifndef ROUTING_ORGANISATION_H
#define ROUTING_ORGANISATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "authority.h"
#include "ow_status.h"

#define ROUTING_NAME_MAX 200 /* bytes of UTF-8: centre, department, staff, post names */
#define ROUTING_AREA_CODE_LEN                                                                      \
    12 /* 统计用区划代码: province 2, city 2, county 2, town 3, village 3 */
#define ROUTING_ORG_ROWS_MAX 5000 /* rows of one routing.put_org, all kinds together */

typedef struct {
    const char *centre_id; /* the 12-digit area code */
    const char *name;
    const char *level; /* county, sub_centre, township, village */
    const char *parent_id;
} routing_centre_t;

typedef struct {
    const char *code, *name, *centre_id;
} routing_department_t;

typedef struct {
    const char *staff_id, *name, *department_code, *role;
} routing_staff_t;

typedef struct {
    const char *post_code, *department_code, *name, *a_holder, *b_holder;
} routing_post_t;

/* A centre: area code of 12 digits; name; a known level; the county without a parent, any
 * other level with one; and the area code nested in the parent's (a township's code starts
 * with its county's six digits, a village's with its township's nine). parent_level is the
 * parent's level when known (from the same import or the database), NULL when not — then
 * only the shape is checked and the database's foreign key does the rest. */
int routing_centre_check(const routing_centre_t *c, const char *parent_level, size_t row,
                         ow_error_t *err);

/* A department: code 1-64 of [A-Za-z0-9._-]; name; centre_id "" or 12 digits. */
int routing_department_check(const routing_department_t *d, size_t row, ow_error_t *err);

/* A member of staff: id; name; department code; one of the six roles. */
int routing_staff_check(const routing_staff_t *s, size_t row, ow_error_t *err);

/* A post: code, department, name, A holder, and a B holder ("" or someone other than A).
 * That both are of the post's department is the database's composite key. */
int routing_post_check(const routing_post_t *p, size_t row, ow_error_t *err);

/* An absence's own fields: staff id, kind leave/training/trip, end after start, reason
 * UTF-8 of at most ROUTING_REASON_MAX bytes; start_us 0 means "now" and is resolved by the
 * caller before the check. The post rules are substitution.h's routing_absence_allowed. */
int routing_absence_check(const char *staff_id, const char *kind, int64_t start_us, int64_t end_us,
                          const char *reason, ow_error_t *err);

/* True for one of window_clerk, approver, chief_representative, department_head,
 * supervisor, administrator. */
bool routing_role_valid(const char *role);

/* May actor change the organisation (routing.put_org)? An active administrator only. Returns
 * 0, or -1 with err PERMISSION_DENIED. */
int routing_may_manage_org(const routing_actor_t *actor, ow_error_t *err);

/* May actor record or end an absence of a member of staff of staff_department? The person
 * themselves, their department's chief representative or head, a supervisor or an
 * administrator — all active. override (a post left without A and B) is a supervisor's alone
 * (DOMAIN §4: "unless a supervisor overrides"). Returns 0, or -1 with err PERMISSION_DENIED. */
int routing_may_record_absence(const routing_actor_t *actor, const char *staff_id,
                               const char *staff_department, bool override, ow_error_t *err);

#endif
