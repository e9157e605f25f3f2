/* assignment — who receives a new task. A case's first task goes to the department's
 * default post: its A holder, or while A is away B on A's behalf, then the chief
 * representative, then a supervisor (substitution.h, DOMAIN.md §4). A department without
 * posts keeps the skeleton's rule: its default approver (department_approvers). */
#ifndef ROUTING_ASSIGNMENT_H
#define ROUTING_ASSIGNMENT_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* Registers this module's statement on db. Returns 0, or -1 with err. */
int routing_assignment_prepare(ow_db_t *db, ow_error_t *err);

/* Who takes a new task, and for whom. */
typedef struct {
    char assignee[65];
    char on_behalf_of[65]; /* the absent A holder; "" */
    char post_code[65];    /* "" when assigned through department_approvers */
} routing_assignment_t;

/* Fills *out with who takes the first task of department_code's items at at_us. Returns 0,
 * or -1 with err: INVALID_ARGUMENT when the department is unknown, has neither a default post
 * nor an approver, its approver is inactive, or everyone of its post's chain is away (the
 * message names the department, for the operator who must fix the data); otherwise the
 * database error. */
int routing_assign_first(ow_db_t *db, const char *department_code, int64_t at_us,
                         routing_assignment_t *out, ow_error_t *err);

#endif
