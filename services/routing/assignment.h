/* assignment — who receives a new task. The skeleton's rule: a case's first task goes to the
 * default approver of the department that owns the item (department_approvers). The A/B post
 * issue replaces the lookup with posts, absences and the chief representative's fallback
 * (DOMAIN.md §4: a post is never left without someone). */
#ifndef ROUTING_ASSIGNMENT_H
#define ROUTING_ASSIGNMENT_H

#include <stddef.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* Registers this module's statement on db. Returns 0, or -1 with err. */
int routing_assignment_prepare(ow_db_t *db, ow_error_t *err);

/* Writes the staff id who takes the first task of department_code's items into assignee
 * (size ≥ 65). Returns 0, or -1 with err: INVALID_ARGUMENT when the department is unknown,
 * has no approver, or its approver is inactive (the message names the department, for the
 * operator who must fix the data); otherwise the database error. */
int routing_assign_first(ow_db_t *db, const char *department_code, char *assignee, size_t size,
                         ow_error_t *err);

#endif
