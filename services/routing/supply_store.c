#include "supply_store.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decision.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "outcome_events.h"
#include "task_store.h"
#include "workflow_store.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_EVENT_MAX_BYTES (64 * 1024)
#define S_ACTOR           "routingd"

int routing_supply_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_supply_open", "INSERT INTO case_supply (case_no, centre_id, opened_at)"
                                " VALUES ($1, $2, us_to_ts($3)) ON CONFLICT DO NOTHING"},
        /* Taken before the task's own lock (supply_store.h: the order of locks). */
        {"routing_supply_lock_task",
         "SELECT supplied_at IS NOT NULL, terminated_at IS NOT NULL FROM case_supply"
         " WHERE case_no = (SELECT case_no FROM tasks WHERE task_id = $1::uuid) FOR UPDATE"},
        {"routing_supply_lock",
         "SELECT outcome, coalesce(task_id::text, ''), coalesce(approved_by, ''), comment,"
         "  centre_id, supplied_at IS NOT NULL, terminated_at IS NOT NULL"
         " FROM case_supply WHERE case_no = $1 FOR UPDATE"},
        {"routing_supply_await",
         "UPDATE case_supply SET outcome = 'awaiting_materials', approved_at = us_to_ts($2),"
         "  task_id = $3::uuid, approved_by = $4, comment = $5 WHERE case_no = $1"},
        {"routing_supply_decided",
         "UPDATE case_supply SET outcome = $2, decided_at = us_to_ts($3),"
         "  approved_at = CASE WHEN $2 = 'refused' THEN approved_at"
         "                     ELSE coalesce(approved_at, us_to_ts($3)) END,"
         "  task_id = coalesce(task_id, $4::uuid), approved_by = coalesce(approved_by, $5)"
         " WHERE case_no = $1"},
        {"routing_supply_supplied",
         "UPDATE case_supply SET supplied_at = us_to_ts($2), outcome = $3,"
         "  decided_at = CASE WHEN $4::boolean THEN us_to_ts($2) ELSE decided_at END"
         " WHERE case_no = $1"},
        {"routing_supply_terminated",
         "UPDATE case_supply SET terminated_at = us_to_ts($2), outcome = $3 WHERE case_no = $1"},
        /* intake closed the case before (terminated or withdrawn): its audit entry exists,
         * for every case that had a task, 容缺 or not. */
        {"routing_supply_closed_before",
         "SELECT 1 FROM audit_trail WHERE case_no = $1"
         " AND action IN ('case.terminated', 'case.withdrawn') LIMIT 1"},
        /* The audit trail names a task: the case's first, for entries about the case. */
        {"routing_supply_first_task", "SELECT task_id FROM tasks WHERE case_no = $1"
                                      " ORDER BY created_at, task_id LIMIT 1"},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    return routing_task_store_prepare(db, err) < 0 ? -1 : routing_workflow_store_prepare(db, err);
}

/* Runs a statement whose rows are not needed. Returns 0 or -1 with err. */
static int s_exec(ow_db_t *db, const char *stmt, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, stmt, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int routing_supply_open(ow_db_t *db, const char *case_no, const char *centre_id, int64_t at_us,
                        ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *p[3] = {case_no, centre_id ? centre_id : "", at};
    return s_exec(db, "routing_supply_open", 3, p, err);
}

int routing_supply_lock_for_task(ow_db_t *db, const char *task_id, routing_supply_t *out,
                                 ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *p[1] = {task_id};
    PGresult *res = ow_db_exec(db, "routing_supply_lock_task", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        out->rongque = true;
        out->supplied = PQgetvalue(res, 0, 0)[0] == 't';
        out->terminated = PQgetvalue(res, 0, 1)[0] == 't';
    }
    PQclear(res);
    return 0;
}

int routing_supply_after_decision(ow_db_t *db, const Onewindow__V1__Task *task, const char *actor,
                                  routing_case_outcome_t outcome, int64_t now_us, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    if (outcome == ROUTING_CASE_AWAITING_MATERIALS) {
        const char *p[5] = {task->case_no, at, task->task_id, actor, task->comment};
        if (s_exec(db, "routing_supply_await", 5, p, err) < 0)
            return -1;
        return routing_audit_append(db, now_us, actor, task->on_behalf_of,
                                    "case.awaiting_materials", task->task_id, task->case_no,
                                    "every stage approved; the decision (12 办结（容缺通过）) is "
                                    "issued when the 容缺 materials are all in (DOMAIN §3)",
                                    "pending", "awaiting_materials", err);
    }
    if (!routing_case_outcome_final(outcome))
        return 0;
    const char *p[5] = {task->case_no, routing_case_outcome_name(outcome), at, task->task_id,
                        actor};
    return s_exec(db, "routing_supply_decided", 5, p, err);
}

static bool s_digits(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* intake's CaseChanged for ev, checked (caller frees), or NULL with INVALID_ARGUMENT. */
static Onewindow__V1__CaseChanged *s_unpack(const ow_event_t *ev, ow_error_t *err)
{
    Onewindow__V1__CaseChanged *cc = NULL;
    if (ev->payload_len > S_EVENT_MAX_BYTES ||
        !(cc = onewindow__v1__case_changed__unpack(NULL, ev->payload_len, ev->payload)) ||
        !cc->case_ || !s_digits(cc->case_->case_no, OW_CASE_NO_MAX) ||
        !s_digits(cc->case_->centre_id[0] ? cc->case_->centre_id : "0", OW_CENTRE_ID_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "%s payload is not a CaseChanged naming a case and its centre", ev->type);
        if (cc)
            onewindow__v1__case_changed__free_unpacked(cc, NULL);
        return NULL;
    }
    return cc;
}

/* The case's row, locked: 1 with res (caller clears), 0 when there is none, -1 with err. */
static int s_lock(ow_db_t *db, const char *case_no, PGresult **res, ow_error_t *err)
{
    const char *p[1] = {case_no};
    *res = ow_db_exec(db, "routing_supply_lock", 1, p, err);
    if (!*res)
        return -1;
    if (PQntuples(*res) == 1)
        return 1;
    PQclear(*res);
    *res = NULL;
    return 0;
}

static routing_case_outcome_t s_outcome(const char *name)
{
    static const routing_case_outcome_t all[] = {ROUTING_CASE_PENDING,
                                                 ROUTING_CASE_APPROVED,
                                                 ROUTING_CASE_APPROVED_AFTER_SUPPLY,
                                                 ROUTING_CASE_AWAITING_MATERIALS,
                                                 ROUTING_CASE_REFUSED,
                                                 ROUTING_CASE_TERMINATED,
                                                 ROUTING_CASE_WITHDRAWN};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(routing_case_outcome_name(all[i]), name) == 0)
            return all[i];
    return ROUTING_CASE_PENDING;
}

/* An audit entry about the case as a whole, under task_id or else the case's first task (the
 * trail names a task); none when the case has no task at all. */
static int s_audit_case(ow_db_t *db, const char *case_no, const char *task_id, int64_t at_us,
                        const char *action, const char *detail, const char *before,
                        const char *after, ow_error_t *err)
{
    char first[64] = "";
    if (!task_id || !task_id[0]) {
        const char *p[1] = {case_no};
        PGresult *res = ow_db_exec(db, "routing_supply_first_task", 1, p, err);
        if (!res)
            return -1;
        if (PQntuples(res) == 1)
            snprintf(first, sizeof first, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        if (!first[0])
            return 0;
        task_id = first;
    }
    return routing_audit_append(db, at_us, S_ACTOR, "", action, task_id, case_no, detail, before,
                                after, err);
}

int routing_apply_materials_supplied(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    PGresult *row = NULL;
    Onewindow__V1__CaseChanged *cc = s_unpack(ev, err);
    if (!cc)
        return -1;
    const Onewindow__V1__CaseSummary *c = cc->case_;
    int64_t now_us = ow_clock_now_us();
    /* intake's case.accepted (rongque) came first and opened the row; open it if not. */
    if (routing_supply_open(db, c->case_no, c->centre_id, now_us, err) < 0 ||
        s_lock(db, c->case_no, &row, err) < 0)
        goto done;
    if (!row || PQgetvalue(row, 0, 5)[0] == 't' || PQgetvalue(row, 0, 6)[0] == 't') {
        rc = 0; /* supplied before, or closed by the supply deadline: nothing more */
        goto done;
    }
    routing_case_outcome_t before = s_outcome(PQgetvalue(row, 0, 0));
    routing_case_outcome_t after = routing_case_outcome_on_supply(before);
    bool decide = after != before;
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *p[4] = {c->case_no, at, routing_case_outcome_name(after),
                        decide ? "true" : "false"};
    if (s_exec(db, "routing_supply_supplied", 4, p, err) < 0)
        goto done;
    const char *task_id = PQgetvalue(row, 0, 1);
    if (s_audit_case(db, c->case_no, task_id, now_us, "case.materials_supplied",
                     "intake: every 容缺 material is in", routing_case_outcome_name(before),
                     routing_case_outcome_name(after), err) < 0)
        goto done;
    if (decide) {
        /* The approval that waited is issued now: 12 办结（容缺通过）, delivery from now. */
        const char *centre = PQgetvalue(row, 0, 4);
        if (routing_emit_outcome(db, after, c->case_no, centre[0] ? centre : c->centre_id, now_us,
                                 PQgetvalue(row, 0, 2), task_id, PQgetvalue(row, 0, 3), err) < 0 ||
            routing_workflow_set_outcome(db, c->case_no, after, now_us, err) < 0 ||
            s_audit_case(db, c->case_no, task_id, now_us, "case.decided",
                         "12 办结（容缺通过）: approved, and the 容缺 materials are in",
                         "awaiting_materials", "approved_after_supply", err) < 0)
            goto done;
        ow_log_kv(OW_LOG_INFO, "case decided after the 容缺 supply", "case_no", c->case_no, NULL);
    }
    rc = 0;
done:
    PQclear(row);
    onewindow__v1__case_changed__free_unpacked(cc, NULL);
    return rc;
}

/* How intake closed a case before routing decided it: the outcome it leaves, the task's
 * closed_reason, and the audit trail's wording. */
typedef struct {
    routing_case_outcome_t (*outcome)(routing_case_outcome_t before);
    const char *task_reason; /* tasks.closed_reason */
    const char *action;      /* the case's audit entry: the event's name */
    const char *task_detail; /* each cancelled task's audit entry */
    const char *case_detail;
    const char *log;
} s_closing_t;

static const s_closing_t s_terminated = {
    .outcome = routing_case_outcome_on_termination,
    .task_reason = "case_terminated",
    .action = "case.terminated",
    .task_detail = "intake terminated the case: the 容缺 supply deadline was missed",
    .case_detail = "intake terminated the case (13): the 容缺 supply deadline was missed",
    .log = "case terminated by intake: its work stops",
};

static const s_closing_t s_withdrawn = {
    .outcome = routing_case_outcome_on_withdrawal,
    .task_reason = "case_withdrawn",
    .action = "case.withdrawn",
    .task_detail = "the applicant withdrew the case (撤回): its work stops",
    .case_detail = "the applicant withdrew the case (撤回, 14) before a decision",
    .log = "case withdrawn by the applicant: its work stops",
};

/* intake closed the case (how): its open tasks are cancelled (task.updated, audit
 * task.cancelled), a waiting 容缺 approval is dropped, the workflow keeps the closing outcome,
 * and routing never decides the case again. A repeat changes nothing. */
static int s_apply_closed(ow_db_t *db, const ow_event_t *ev, const s_closing_t *how,
                          ow_error_t *err)
{
    int rc = -1;
    PGresult *row = NULL;
    routing_tasks_t *cancelled = NULL;
    uint8_t *bytes = NULL;
    Onewindow__V1__CaseChanged *cc = s_unpack(ev, err);
    if (!cc)
        return -1;
    const Onewindow__V1__CaseSummary *c = cc->case_;
    int64_t now_us = ow_clock_now_us();
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    /* The supply row first (supply_store.h: the order of locks), then the tasks. */
    int found = s_lock(db, c->case_no, &row, err);
    if (found < 0)
        goto done;
    const char *pc[1] = {c->case_no};
    PGresult *closed = ow_db_exec(db, "routing_supply_closed_before", 1, pc, err);
    if (!closed)
        goto done;
    bool closed_before = PQntuples(closed) > 0;
    PQclear(closed);
    if (closed_before) {
        rc = 0; /* a repeat (or a second closing): the first one stopped the work */
        goto done;
    }
    routing_case_outcome_t before = ROUTING_CASE_PENDING;
    if (found) {
        if (PQgetvalue(row, 0, 6)[0] == 't') {
            rc = 0; /* closed before */
            goto done;
        }
        before = s_outcome(PQgetvalue(row, 0, 0));
        const char *p[3] = {c->case_no, at, routing_case_outcome_name(how->outcome(before))};
        if (s_exec(db, "routing_supply_terminated", 3, p, err) < 0)
            goto done;
    }
    routing_case_outcome_t after = how->outcome(before);
    if (routing_workflow_set_outcome(db, c->case_no, after, now_us, err) < 0)
        goto done;
    /* intake closed the case: nobody works on it any more. */
    if (!(cancelled = routing_task_cancel_case(db, c->case_no, how->task_reason, err)))
        goto done;
    for (size_t i = 0; i < routing_tasks_count(cancelled); i++) {
        const Onewindow__V1__Task *t = routing_tasks_get(cancelled, i);
        char after_text[ROUTING_TASK_DESCRIBE_SIZE];
        routing_task_describe(t, after_text, sizeof after_text);
        size_t len = 0;
        if (routing_audit_append(db, now_us, S_ACTOR, t->on_behalf_of, "task.cancelled", t->task_id,
                                 t->case_no, how->task_detail, "open", after_text, err) < 0 ||
            ow_pack(&t->base, &bytes, &len, err) < 0 ||
            ow_outbox_add(db, "task.updated", t->case_no, routing_tasks_centre(cancelled, i),
                          now_us, bytes, len, err) < 0)
            goto done;
        free(bytes);
        bytes = NULL;
    }
    if (s_audit_case(db, c->case_no, found ? PQgetvalue(row, 0, 1) : "", now_us, how->action,
                     how->case_detail, routing_case_outcome_name(before),
                     routing_case_outcome_name(after), err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, how->log, "case_no", c->case_no, NULL);
    rc = 0;
done:
    free(bytes);
    routing_tasks_destroy(&cancelled);
    PQclear(row);
    onewindow__v1__case_changed__free_unpacked(cc, NULL);
    return rc;
}

int routing_apply_case_terminated(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    return s_apply_closed(db, ev, &s_terminated, err);
}

int routing_apply_case_withdrawn(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    return s_apply_closed(db, ev, &s_withdrawn, err);
}
