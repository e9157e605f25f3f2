/* task_store — the tasks table and its audit trail (migrations/0002_tasks.sql): creating a
 * case's task, reading tasks as the Task message every reply and event carries, closing a
 * task with its decision, and the lists the API serves. Writes happen inside the caller's
 * open transaction. */
#ifndef ROUTING_TASK_STORE_H
#define ROUTING_TASK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "authority.h"
#include "ow_status.h"
#include "work_order.h"
#include "onewindow/v1/routing.pb-c.h"

typedef struct ow_db ow_db_t;
typedef struct routing_tasks routing_tasks_t;

#define ROUTING_LIST_DEFAULT 50
#define ROUTING_LIST_MAX     500

/* A task about to be created; strings are borrowed and already validated. */
typedef struct {
    const char *case_no;
    const char *centre_id;
    const char *item_code;
    const char *department_code;
    const char *assignee;
    const char *stage;
    int64_t created_at_us;
    const char *post_code;    /* NULL/"" when not assigned through a post */
    const char *on_behalf_of; /* the absent A holder the assignee stands in for; NULL/"" */
    bool final_decision;      /* the stage takes the department's final decision (authority.h) */
    routing_lane_t lane;      /* the case's lane (work_order.h): the work lists' first key */
    int64_t due_us;           /* the case's promised completion; 0 = unknown (listed last) */
} routing_new_task_t;

/* Registers the statements of this module on db. Returns 0, or -1 with err. */
int routing_task_store_prepare(ow_db_t *db, ow_error_t *err);

/* Inside an open transaction: creates the task unless the case already has one at that
 * stage for that department (UNIQUE (case_no, stage, department_code)). Returns 1 and the new task
 * in *out (caller frees with routing_tasks_destroy), 0 when it already existed (*out NULL), or -1
 * with err. */
int routing_task_insert(ow_db_t *db, const routing_new_task_t *t, routing_tasks_t **out,
                        ow_error_t *err);

/* One task by id, locked until the transaction ends when for_update. Returns it (caller
 * frees), or NULL with err: NOT_FOUND for an unknown id, else the database error. */
routing_tasks_t *routing_task_load(ow_db_t *db, const char *task_id, bool for_update,
                                   ow_error_t *err);

/* Inside an open transaction: closes an open task with its decision. Returns the task as
 * closed (caller frees), or NULL with err (FAILED_PRECONDITION when it was not open). */
routing_tasks_t *routing_task_close(ow_db_t *db, const char *task_id, const char *decision,
                                    const char *comment, const char *decided_by,
                                    int64_t decided_at_us, ow_error_t *err);

/* The batch path (decide.c): the tasks whose ids are in the array literal task_ids
 * (ow_pgarray.h), locked until the transaction ends, in id order; unknown ids are simply
 * missing; at most max rows are kept. Returns the list (caller frees) or NULL with err. */
routing_tasks_t *routing_task_load_many(ow_db_t *db, const char *task_ids, size_t max,
                                        ow_error_t *err);

/* Inside an open transaction: routing_task_close for every task of the parallel array literals
 * task_ids, decisions, comments, decided_by, all at decided_at_us, in ONE statement. Only open
 * tasks are closed; the rows come back in no particular order. Returns the closed tasks (caller
 * frees), or NULL with err. */
routing_tasks_t *routing_task_close_many(ow_db_t *db, const char *task_ids, const char *decisions,
                                         const char *comments, const char *decided_by,
                                         int64_t decided_at_us, size_t max, ow_error_t *err);

/* Inside an open transaction: writes t's state, assignee ("" = in the post's queue),
 * on_behalf_of, post_code ("" = none) and department_code to its row (t is the task as it
 * should be). Returns the task as stored (caller frees), or NULL with err. */
routing_tasks_t *routing_task_update(ow_db_t *db, const Onewindow__V1__Task *t, ow_error_t *err);

/* Inside an open transaction: appends one entry to the audit trail — who, on whose behalf,
 * when, what, why (detail), and the task's state before and after the action ("" when
 * none). The trail is append-only (migrations 0002, 0004). Returns 0 or -1 with err. */
int routing_audit_append(ow_db_t *db, int64_t at_us, const char *actor, const char *on_behalf_of,
                         const char *action, const char *task_id, const char *case_no,
                         const char *detail, const char *before, const char *after,
                         ow_error_t *err);

#define ROUTING_TASK_DESCRIBE_SIZE 256

/* The task's state as the audit trail records it before and after an action:
 * "open; holder TL0101; on behalf of TL0102; post P1" (parts that are empty are left out).
 * Writes at most size bytes into buf (truncated, always terminated). */
void routing_task_describe(const Onewindow__V1__Task *task, char *buf, size_t size);

/* The acting member of staff as authority.h sees them; the strings live in the struct. */
typedef struct {
    char staff_id[65];
    char department_code[65];
    char role[32];
    routing_actor_t actor; /* points into this struct: do not copy it */
} routing_actor_row_t;

/* Loads staff_id into *out. Someone who is not staff (or an empty id) loads as inactive, so
 * routing_authorise refuses them. Returns 0, or -1 with err (database). */
int routing_actor_load(ow_db_t *db, const char *staff_id, routing_actor_row_t *out,
                       ow_error_t *err);

/* Tasks of assignee ("" = everyone's) in state ("open"/"done") ordered by created time then
 * id, after the task after_task_id (NULL = from the start), at most limit of them (1..
 * ROUTING_LIST_MAX). *more is set when further tasks follow. Returns the list (caller frees)
 * or NULL with err (INVALID_ARGUMENT when after_task_id names no task). */
routing_tasks_t *routing_task_list(ow_db_t *db, const char *assignee, const char *state,
                                   const char *after_task_id, unsigned limit, bool *more,
                                   ow_error_t *err);

/* Open tasks of scope for key in work order (work_order.h: green channel, love channel,
 * earliest due, created time, id), at most limit (1..ROUTING_LIST_MAX; else the default):
 * "mine" (key = staff id: every task the staff member holds, including those held on an
 * absent colleague's behalf), "post" (post code), "department" (department code), "overdue"
 * (due before now_us; key = department code or "" for all). Returns the list (caller frees)
 * or NULL with err (INVALID_ARGUMENT for an unknown scope). */
routing_tasks_t *routing_work_list(ow_db_t *db, const char *scope, const char *key, unsigned limit,
                                   int64_t now_us, ow_error_t *err);

/* Every task of a case, ordered by created time then id (empty for an unknown case). */
routing_tasks_t *routing_task_list_case(ow_db_t *db, const char *case_no, ow_error_t *err);

void routing_tasks_destroy(routing_tasks_t **self_p);

size_t routing_tasks_count(const routing_tasks_t *self);

/* The i-th task; owned by the list, valid until routing_tasks_destroy. */
const Onewindow__V1__Task *routing_tasks_get(const routing_tasks_t *self, size_t i);

/* The receiving centre of the i-th task's case ("" when unknown); owned by the list. The
 * Task message has no such field, but event envelopes carry it. */
const char *routing_tasks_centre(const routing_tasks_t *self, size_t i);

/* Whether the i-th task's stage takes the department's final decision (only the chief
 * representative or the named delegate may decide it). */
bool routing_tasks_final(const routing_tasks_t *self, size_t i);

/* Inside an open transaction: cancels the tasks of case_no's stage still in progress (open,
 * suspended, awaiting an extension) — the stage's result is known (workflow.h); closed_reason
 * stage_decided. Returns them
 * as cancelled (caller frees; possibly empty), or NULL with err. */
routing_tasks_t *routing_task_cancel_stage(ow_db_t *db, const char *case_no, const char *stage,
                                           ow_error_t *err);

/* Inside an open transaction: cancels every task of case_no still in progress (intake closed
 * the case), recording reason as each task's closed_reason (case_withdrawn, case_terminated).
 * Returns them as cancelled (caller frees; possibly empty), or NULL with err. */
routing_tasks_t *routing_task_cancel_case(ow_db_t *db, const char *case_no, const char *reason,
                                          ow_error_t *err);

/* The tasks as a TaskList array (pointers owned by the list). */
Onewindow__V1__Task **routing_tasks_array(const routing_tasks_t *self);

#endif
