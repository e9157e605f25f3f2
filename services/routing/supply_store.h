/* supply_store — routing's copy of a 容缺 case's supply (DOMAIN.md §3: "the decision is issued
 * only after all materials are in", outcome 12 办结（容缺通过）), in case_supply
 * (migrations/0008_rongque_supply.sql), from intake's events:
 *   case.accepted with rongque      → the row is opened (routing_supply_open)
 *   case.materials_supplied         → the supply is complete; an approval that waited for it
 *                                     is decided now: case.decided 12, delivery from now
 *   case.terminated                 → the supply deadline lapsed and intake closed the case
 *                                     (13): its open tasks are cancelled, a waiting approval
 *                                     is dropped, and routing never decides the case again
 *   case.withdrawn                  → the applicant withdrew (撤回, 14): the same closing,
 *                                     for every case (a row or not)
 * and from decisions (decide.c): every stage approved while the supply is out → the approval
 * waits (awaiting_materials, case.awaiting_materials); approved after the supply → 12 at once.
 *
 * Locks: the case's supply row is locked before its tasks and its workflow row, by decisions
 * (routing_supply_lock_for_task) and by intake's events alike, so the two never cross. All
 * writes happen in the caller's open transaction (a decision's, or the inbox's: once). */
#ifndef ROUTING_SUPPLY_STORE_H
#define ROUTING_SUPPLY_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "case_outcome.h"
#include "ow_envelope.h"
#include "ow_status.h"
#include "onewindow/v1/routing.pb-c.h"

typedef struct ow_db ow_db_t;

/* What routing knows of a case's 容缺 supply. */
typedef struct {
    bool rongque;    /* accepted under 容缺 (a row exists) */
    bool supplied;   /* every outstanding material has arrived */
    bool terminated; /* intake closed the case: supply deadline lapsed, or withdrawn */
} routing_supply_t;

/* Registers this module's statements on db. Returns 0, or -1 with err. */
int routing_supply_prepare(ow_db_t *db, ow_error_t *err);

/* case.accepted of a case accepted under 容缺: opens its row (once; a repeat does nothing).
 * Returns 0 or -1 with err. */
int routing_supply_open(ow_db_t *db, const char *case_no, const char *centre_id, int64_t at_us,
                        ow_error_t *err);

/* Before a decision locks its task: locks the supply row of task_id's case (a UUID) and fills
 * *out (all false for a case not under 容缺, or an unknown task). Returns 0 or -1 with err. */
int routing_supply_lock_for_task(ow_db_t *db, const char *task_id, routing_supply_t *out,
                                 ow_error_t *err);

/* After a decision of task (closed) on a 容缺 case left it at outcome: awaiting_materials
 * records the waiting approval (task, actor, comment, now) with the audit entry
 * case.awaiting_materials; a final outcome is recorded as decided. Others: nothing. The
 * events are outcome_events.h's. Returns 0 or -1 with err. */
int routing_supply_after_decision(ow_db_t *db, const Onewindow__V1__Task *task, const char *actor,
                                  routing_case_outcome_t outcome, int64_t now_us, ow_error_t *err);

/* ow_inbox_apply_fn for intake's case.materials_supplied (CaseChanged). Returns 0, or -1 with
 * err (INVALID_ARGUMENT for a payload that is not a CaseChanged with a case number: poison). */
int routing_apply_materials_supplied(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for intake's case.terminated (CaseChanged). As above. */
int routing_apply_case_terminated(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for intake's case.withdrawn (CaseChanged): the same closing as
 * case.terminated — open tasks cancelled (closed_reason case_withdrawn, task.updated, audit
 * task.cancelled naming the withdrawal), a waiting approval dropped, the workflow's outcome
 * withdrawn, audit case.withdrawn — for any case, 容缺 or not. As above. */
int routing_apply_case_withdrawn(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
