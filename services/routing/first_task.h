/* first_task — a case accepted by intake gets its first task: stage 审查决定 for the default
 * approver of the item's department, with a task.created event. Runs inside the inbox's
 * transaction (ow_inbox.h), which records intake's seq with the task, so each case gets its
 * task exactly once; UNIQUE (case_no, stage, department_code) guards the same even if the inbox
 * were reset. An item with a workflow gets its first stage's parallel tasks instead
 * (workflow_store.h). */
#ifndef ROUTING_FIRST_TASK_H
#define ROUTING_FIRST_TASK_H

#include "ow_envelope.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_EVENT_MAX_BYTES (64 * 1024)

/* Registers the statements the consumer needs on db. Returns 0, or -1 with err. */
int routing_first_task_prepare(ow_db_t *db, ow_error_t *err);

/* An ow_inbox_apply_fn for case.accepted (arg unused). Returns 0 when the task was created or
 * already existed. Returns -1 with INVALID_ARGUMENT for an event that can never apply (bad
 * payload, unknown department, no approver): the inbox parks it as poison for an operator.
 * Database failures keep their (transient) code and are retried. */
int routing_apply_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
