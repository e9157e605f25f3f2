/* task_action — what a routing.act request must contain for each action (DOMAIN.md §4), as
 * plain functions. No I/O: the command (act.c) checks the request here, then asks authority.h
 * who may, then writes.
 *
 *   return             reason; expected_days 1..365 (the applicant is told how long)
 *   suspend            kind one of the special procedures; reason; expected_days 1..365
 *   resume             —
 *   request_extension  extra_working_days ≥ 1 (the art. 42 ceiling is checked against the
 *                      case's granted days later, extension.h); reason (the applicant is told)
 *   grant_extension    —
 *   deny_extension     reason
 *   transfer           to_post_code (a post code); reason
 *   claim, release     —
 * Every action: task_id a UUID; reason UTF-8 of at most ROUTING_REASON_MAX bytes;
 * expected_unit "", working_days or natural_days. */
#ifndef ROUTING_TASK_ACTION_H
#define ROUTING_TASK_ACTION_H

#include <stdbool.h>
#include "authority.h"
#include "ow_status.h"

#define ROUTING_EXPECTED_DAYS_MAX 365

/* The request's fields (borrowed). */
typedef struct {
    const char *task_id;
    const char *action;
    const char *reason;
    const char *kind;
    int expected_days;
    const char *expected_unit;
    int extra_working_days;
    const char *to_post_code;
} routing_task_action_request_t;

/* What the action does, once checked. */
typedef struct {
    routing_action_t act; /* for authority.h: deny_extension is GRANT_EXTENSION */
    bool deny;            /* deny_extension */
    const char *kind;     /* the suspension kind ("correction" for return) */
    const char *unit;     /* working_days or natural_days */
} routing_task_action_t;

/* True for a special procedure's name (hearing … expert_review). */
bool routing_special_procedure_valid(const char *kind);

/* Checks req and adds one violation per problem to err (fields as in TaskAction). Fills
 * *out when the action is known. Returns the number of violations added. */
int routing_task_action_check(const routing_task_action_request_t *req, routing_task_action_t *out,
                              ow_error_t *err);

#endif
