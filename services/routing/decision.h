/* decision — the rules of deciding an approval task (DOMAIN.md §4), as plain functions:
 * what a decision request must contain, who may decide, and what a decision means for the
 * case. No I/O. */
#ifndef ROUTING_DECISION_H
#define ROUTING_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

#define ROUTING_COMMENT_MAX 2000 /* bytes of UTF-8 */
#define ROUTING_ID_MAX      64   /* staff ids, department and item codes */

/* The skeleton's one stage: review and decision (审查决定). */
#define ROUTING_STAGE_REVIEW_DECISION "审查决定"

typedef enum {
    ROUTING_DECISION_APPROVE,
    ROUTING_DECISION_REFUSE,
} routing_decision_t;

/* What a decision means for the case: the CaseDecided outcome and national state code. */
typedef struct {
    const char *outcome; /* "approved" or "refused" */
    int case_state;      /* 11 办结（通过） or 13 办结（不通过） */
} routing_outcome_t;

/* "approve" or "refuse". */
const char *routing_decision_name(routing_decision_t decision);

/* approve → approved / 11; refuse → refused / 13. */
routing_outcome_t routing_decision_outcome(routing_decision_t decision);

/* Checks a decision request and adds one violation per problem to err: task_id must be a
 * UUID; decision "approve" or "refuse"; comment UTF-8 of at most ROUTING_COMMENT_MAX bytes,
 * and not empty for a refusal (行政许可法 art. 38: a refusal gives its reasons). Sets
 * *decision when the decision is valid. Returns the number of violations added. */
int routing_decision_check_request(const char *task_id, const char *decision, const char *comment,
                                   routing_decision_t *out, ow_error_t *err);

/* May actor decide a task held by assignee that is in task_state ("open"/"done")? Only the
 * assignee may (else PERMISSION_DENIED, also for an empty actor), and only while the task is
 * open (else FAILED_PRECONDITION). Permission is checked first, so a stranger learns nothing
 * about the task's state. Returns 0, or -1 with err. */
int routing_decision_authorise(const char *actor, const char *assignee, const char *task_state,
                               ow_error_t *err);

/* True for a UUID in text form (8-4-4-4-12 hex digits). */
bool routing_uuid_valid(const char *s);

/* True for 1..ROUTING_ID_MAX characters of [A-Za-z0-9._-] (ids and codes). */
bool routing_id_valid(const char *s);

#endif
