/* workflow_store — workflows per item and item version in the database
 * (migrations/0006_workflows.sql), and a case moving through its workflow: the first stage's
 * parallel tasks when the case is accepted, and after every decision the stage's result, the
 * withdrawal of tasks no longer needed, the next stage or the case's outcome (workflow.h),
 * with task.created / task.updated, stage.started / stage.completed. Writes happen inside the
 * caller's open transaction unless a function says it runs its own. */
#ifndef ROUTING_WORKFLOW_STORE_H
#define ROUTING_WORKFLOW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "case_outcome.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

typedef struct ow_db ow_db_t;

#define ROUTING_WORKFLOW_MAX_BYTES (64 * 1024)

/* Registers this module's statements on db. Returns 0, or -1 with err. */
int routing_workflow_store_prepare(ow_db_t *db, ow_error_t *err);

/* The co-signing departments' default limit in working days (config
 * routing.cosign_working_days, DOMAIN §4: 7). Set once at start-up; 1..60. */
void routing_workflow_set_cosign_days(int days);

/* routing.put_workflow: defines (replaces) the workflow in the packed Workflow request[0..len)
 * in its own transaction. A repeat of idempotency_key returns the first answer. Returns 0 with
 * *reply (a packed OK Reply with the Workflow as stored; caller frees), or -1 with err and
 * nothing written: PERMISSION_DENIED (not an active administrator — checked first),
 * INVALID_ARGUMENT (every problem at once: workflow.h, then unknown departments and posts not
 * of their department), FAILED_PRECONDITION (key reused with another body), UNAVAILABLE /
 * INTERNAL. Emits workflow.defined (Workflow). */
int routing_workflow_put(ow_db_t *db, const char *idempotency_key, const char *actor,
                         const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                         ow_error_t *err);

/* routing.get_workflow: the packed Workflow a case of the GetWorkflow request's item version
 * would follow (its own, else version 0). Returns it (caller frees, length in *out_len) or
 * NULL with err: INVALID_ARGUMENT, NOT_FOUND (none defined), database errors. */
uint8_t *routing_workflow_get(ow_db_t *db, const uint8_t *request, size_t len, size_t *out_len,
                              ow_error_t *err);

/* Inside the inbox's transaction for case.accepted: when the case's item (version) has a
 * workflow, copies it to the case and starts its first stage — one task per department,
 * each with its audit entry and task.created, and stage.started when the stage has a clock.
 * Returns 1 when the case follows a workflow (started now or before), 0 when its item has
 * none (the caller keeps the single-task rule), or -1 with err (INVALID_ARGUMENT when a
 * department of the stage has nobody to take the task: poison for an operator). */
int routing_workflow_start_case(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t now_us,
                                ow_error_t *err);

/* What a decision meant for its case. */
typedef struct {
    bool decided; /* the outcome is final: emit case.decided */
    routing_case_outcome_t outcome;
} routing_workflow_result_t;

/* Inside an open transaction: records outcome (and, when final, at_us as the decision's time)
 * for case_no's workflow unless it is decided already; nothing for a case without one.
 * Returns 0 or -1 with err. */
int routing_workflow_set_outcome(ow_db_t *db, const char *case_no, routing_case_outcome_t outcome,
                                 int64_t at_us, ow_error_t *err);

/* Inside the decision's transaction, after task was closed: locks the case's workflow row,
 * takes the stage's result from its departments' decisions; when known, records it,
 * withdraws the stage's other tasks (cancelled, audit task.cancelled, task.updated), emits
 * stage.completed, and starts the next stage or records the case's outcome (awaiting_materials
 * when every stage approved a 容缺 case — rongque — whose materials are not complete). Returns 1
 * with *out, 0 when the case follows no workflow (the decision is the case's, as before), or -1
 * with err. */
int routing_workflow_after_decision(ow_db_t *db, const Onewindow__V1__Task *task,
                                    const char *centre_id, const char *actor, int64_t now_us,
                                    bool rongque, bool materials_complete,
                                    routing_workflow_result_t *out, ow_error_t *err);

#endif
