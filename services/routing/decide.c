#include "decide.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "decision.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pgarray.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "authority.h"
#include "delivery.h"
#include "outcome_events.h"
#include "supply_store.h"
#include "workflow_store.h"
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD "routing.decide"
/* The largest batch the savepoint-free path tracks (routing_api.c batches at most 256). */
#define S_BATCH_FLAGS_MAX 256

int routing_decide_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        /* The set-based batch path (s_run_set): one statement each for the whole batch. */
        {"routing_decide_actors",
         "SELECT staff_id, department_code, role, active, chief_delegate FROM staff"
         " WHERE staff_id = ANY($1::text[])"},
        /* Cases under a workflow or accepted under 容缺 take the per-decision path. */
        {"routing_decide_workflow_cases",
         "SELECT case_no FROM case_workflows WHERE case_no = ANY($1::text[])"
         " UNION ALL SELECT case_no FROM case_supply WHERE case_no = ANY($1::text[])"},
        {"routing_decide_audit_many",
         "INSERT INTO audit_trail (at, actor, on_behalf_of, action, task_id, case_no, detail,"
         "  before, after)"
         " SELECT us_to_ts($1), a.actor, a.on_behalf_of, 'task.decided', a.task_id, a.case_no,"
         "        a.detail, a.before, a.after"
         "   FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],"
         "               $8::text[]) WITH ORDINALITY"
         "        AS a (actor, on_behalf_of, task_id, case_no, detail, before, after, n)"
         "  ORDER BY a.n"},
        {"routing_decide_delivery_many",
         "INSERT INTO deliveries (case_no, centre_id, task_id, approved_at, timer_key)"
         " SELECT d.case_no, d.centre_id, d.task_id, us_to_ts($1), d.timer_key"
         "   FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[])"
         "        AS d (case_no, centre_id, task_id, timer_key)"
         " ON CONFLICT DO NOTHING"},
    };
    if (routing_task_store_prepare(db, err) < 0 || routing_workflow_store_prepare(db, err) < 0 ||
        routing_delivery_prepare(db, err) < 0 || routing_supply_prepare(db, err) < 0)
        return -1;
    return OW_DB_PREPARE_ALL(db, statements, err);
}

/* Inside the caller's open transaction: one decision. Returns 0 with *reply (the first answer
 * when the key was seen), or -1 with err; *wrote says whether a write had succeeded before the
 * failure (then the caller must roll back what this decision wrote). */
static int s_decide_apply(ow_db_t *db, const char *key, const char *actor,
                          const Onewindow__V1__DecideTask *req, routing_decision_t decision,
                          const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                          bool *wrote, ow_error_t *err)
{
    *wrote = false;
    int rc = -1;
    routing_tasks_t *task = NULL;
    routing_tasks_t *closed = NULL;
    uint8_t *task_bytes = NULL, *reply_bytes = NULL, *packed = NULL;
    size_t packed_len = 0;

    /* A repeat returns the first answer, not "already decided". */
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1) {
        rc = 0;
        goto done;
    }

    /* A 容缺 case's supply row before the task (supply_store.h: the order of locks). */
    routing_supply_t supply;
    if (routing_supply_lock_for_task(db, req->task_id, &supply, err) < 0)
        goto done;
    /* The row lock serialises two deciders of the same task. */
    task = routing_task_load(db, req->task_id, true, err);
    if (!task)
        goto done;
    const Onewindow__V1__Task *t = routing_tasks_get(task, 0);
    /* DOMAIN §4 / authority.h: the holder or the department's chief representative; checked
     * before the state, so a stranger learns nothing about the task. */
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0)
        goto done;
    routing_task_view_t view = {.holder = t->assignee,
                                .substitute = "",
                                .department_code = t->department_code,
                                .post_a = "",
                                .post_b = "",
                                .state = t->state,
                                /* A stage taking the department's final decision: only its
                                 * chief representative or the named delegate. */
                                .final_stage = routing_tasks_final(task, 0)};
    if (routing_authorise(&who.actor, ROUTING_ACT_DECIDE, &view, err) < 0)
        goto done;
    char before[ROUTING_TASK_DESCRIBE_SIZE], after[ROUTING_TASK_DESCRIBE_SIZE];
    routing_task_describe(t, before, sizeof before);

    int64_t now_us = ow_clock_now_us();
    closed = routing_task_close(db, t->task_id, routing_decision_name(decision), req->comment,
                                actor, now_us, err);
    if (!closed)
        goto done;
    *wrote = true;
    const Onewindow__V1__Task *done_task = routing_tasks_get(closed, 0);
    routing_task_describe(done_task, after, sizeof after);
    if (routing_audit_append(db, now_us, actor, done_task->on_behalf_of, "task.decided",
                             done_task->task_id, done_task->case_no, done_task->comment, before,
                             after, err) < 0)
        goto done;

    size_t task_len = 0, reply_payload_len = 0;
    if (ow_pack(&done_task->base, &task_bytes, &task_len, err) < 0)
        goto done;
    /* The centre travels in the envelope so that centre-scoped consumers can filter. */
    const char *centre_id = routing_tasks_centre(closed, 0);
    if (ow_outbox_add(db, "task.decided", done_task->case_no, centre_id, now_us, task_bytes,
                      task_len, err) < 0)
        goto done;

    /* A case under a workflow moves on by its stages' results (workflow.h); without one, the
     * skeleton's single stage's decision is the case's. Either way a 容缺 case's approval waits
     * for its materials (DOMAIN §3, case_outcome.h). */
    routing_workflow_result_t wf;
    int handled = routing_workflow_after_decision(db, done_task, centre_id, actor, now_us,
                                                  supply.rongque, supply.supplied, &wf, err);
    if (handled < 0)
        goto done;
    routing_case_outcome_t outcome = wf.outcome;
    if (handled == 0) {
        routing_result_t stage =
            decision == ROUTING_DECISION_APPROVE ? ROUTING_RESULT_APPROVED : ROUTING_RESULT_REFUSED;
        outcome = routing_case_outcome(&stage, 1, supply.rongque, supply.supplied);
    }
    /* case.decided (and the delivery of an approval, art. 44) or case.awaiting_materials. */
    if (routing_emit_outcome(db, outcome, done_task->case_no, centre_id, now_us, actor,
                             done_task->task_id, done_task->comment, err) < 0)
        goto done;
    if (supply.rongque &&
        routing_supply_after_decision(db, done_task, actor, outcome, now_us, err) < 0)
        goto done;

    Onewindow__V1__TaskReply tr = ONEWINDOW__V1__TASK_REPLY__INIT;
    tr.task = (Onewindow__V1__Task *)done_task;
    if (ow_pack(&tr.base, &reply_bytes, &reply_payload_len, err) < 0)
        goto done;
    if (ow_rpc_pack_reply(NULL, reply_bytes, reply_payload_len, &packed, &packed_len) < 0) {
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
        goto done;
    }
    if (ow_idem_save(db, key, S_METHOD, request, len, packed, packed_len, err) < 0)
        goto done;
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    free(packed);
    free(reply_bytes);
    free(task_bytes);
    routing_tasks_destroy(&closed);
    routing_tasks_destroy(&task);
    return rc;
}

/* Checks an item's key and body without touching the database. Returns the unpacked request
 * (caller frees) with *decision, or NULL with item->err. */
static Onewindow__V1__DecideTask *s_check(routing_decide_item_t *item, routing_decision_t *decision)
{
    ow_error_t *err = &item->err;
    Onewindow__V1__DecideTask *req = NULL;
    if (!ow_text_graphic(item->idempotency_key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "routing.decide needs an idempotency key (1-%d printable characters)",
                     ROUTING_IDEM_KEY_MAX);
        return NULL;
    }
    if (item->len > ROUTING_DECIDE_MAX_BYTES ||
        !(req = onewindow__v1__decide_task__unpack(NULL, item->len, item->request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.DecideTask (at most %d bytes)",
                     ROUTING_DECIDE_MAX_BYTES);
        return NULL;
    }
    *decision = ROUTING_DECISION_APPROVE;
    if (routing_decision_check_request(req->task_id, req->decision, req->comment, decision, err) >
        0) {
        ow_error_finish_violations(err);
        onewindow__v1__decide_task__free_unpacked(req, NULL);
        return NULL;
    }
    return req;
}

/* True when the connection's transaction can go on (not aborted by a failed statement). */
static bool s_txn_usable(ow_db_t *db)
{
    PGconn *conn = ow_db_conn(db);
    return conn && PQtransactionStatus(conn) == PQTRANS_INTRANS;
}

/* One transaction over the items still at rc == 1 (checked, not yet run). With savepoints
 * false (the fast path): refusals (unknown task, stranger, decided, key reused) are all found
 * before this decision writes anything and leave the transaction usable, so no savepoint is
 * needed; returns 1 — everything rolled back and every item at rc == 1 again — when a
 * decision failed after writing or broke the transaction, so that the caller reruns the batch
 * with a savepoint each. Returns 0 otherwise. */
static int s_run_batch(ow_db_t *db, routing_decide_item_t *items, Onewindow__V1__DecideTask **reqs,
                       const routing_decision_t *decisions, size_t n, bool savepoints)
{
    ow_error_t err;
    ow_error_clear(&err);
    bool started[S_BATCH_FLAGS_MAX];
    if (ow_db_begin(db, &err) < 0) {
        for (size_t i = 0; i < n; i++)
            if (items[i].rc == 1) {
                items[i].rc = -1;
                items[i].err = err;
            }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        routing_decide_item_t *it = &items[i];
        started[i < S_BATCH_FLAGS_MAX ? i : 0] = it->rc == 1;
        if (it->rc != 1)
            continue;
        ow_error_clear(&it->err);
        if (savepoints && ow_db_run(db, "SAVEPOINT routing_decide", &it->err) < 0) {
            it->rc = -1;
            continue;
        }
        bool wrote = false;
        it->rc = s_decide_apply(db, it->idempotency_key, it->actor ? it->actor : "", reqs[i],
                                decisions[i], it->request, it->len, &it->reply, &it->reply_len,
                                &wrote, &it->err);
        if (!savepoints) {
            if (it->rc < 0 && (wrote || !s_txn_usable(db))) {
                /* Fall back: nothing of this transaction is kept; the batch reruns with a
                 * savepoint per decision. */
                ow_db_rollback(db);
                for (size_t j = 0; j < n; j++)
                    if (j < S_BATCH_FLAGS_MAX && started[j] && j <= i) {
                        free(items[j].reply);
                        items[j].reply = NULL;
                        items[j].reply_len = 0;
                        items[j].rc = 1;
                        ow_error_clear(&items[j].err);
                    }
                return 1;
            }
            continue;
        }
        ow_error_t sp;
        ow_error_clear(&sp);
        if (it->rc < 0 && ow_db_run(db, "ROLLBACK TO SAVEPOINT routing_decide", &sp) < 0)
            break; /* the connection is gone: the commit below fails for everyone */
        if (it->rc == 0 && ow_db_run(db, "RELEASE SAVEPOINT routing_decide", &it->err) < 0) {
            it->rc = -1;
            break;
        }
    }
    if (ow_db_commit(db, &err) < 0) {
        for (size_t i = 0; i < n; i++)
            if (items[i].rc >= 0) {
                free(items[i].reply);
                items[i].reply = NULL;
                items[i].reply_len = 0;
                items[i].rc = -1;
                items[i].err = err;
            }
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == 1) {
            /* Left out after a savepoint failed: not run, nothing of it written. */
            items[i].rc = -1;
            ow_error_set(&items[i].err, OW_UNAVAILABLE, "the decision was not run: retry");
        }
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == 0)
            ow_log_kv(OW_LOG_INFO, "task decided", "task_id", reqs[i]->task_id, "decision",
                      reqs[i]->decision, "by", items[i].actor ? items[i].actor : "", NULL);
    return 0;
}

/* Appends one text element to each of the first n arrays; returns -1 when out of memory. */
static int s_add(ow_pgarray_t **arrays, size_t n, const char *const *values)
{
    for (size_t i = 0; i < n; i++)
        if (ow_pgarray_add_text(arrays[i], values[i]) < 0)
            return -1;
    return 0;
}

/* The index of the row of tasks whose id is task_id (UUIDs compare without case), or -1. */
static int s_task_index(const routing_tasks_t *tasks, const char *task_id)
{
    for (size_t r = 0; tasks && r < routing_tasks_count(tasks); r++)
        if (strcasecmp(routing_tasks_get(tasks, r)->task_id, task_id) == 0)
            return (int)r;
    return -1;
}

/* Fills *who for staff_id from the rows of routing_decide_actors; not staff = inactive, as
 * routing_actor_load does. */
static void s_actor_from(const PGresult *res, const char *staff_id, routing_actor_row_t *who)
{
    memset(who, 0, sizeof *who);
    snprintf(who->staff_id, sizeof who->staff_id, "%s", staff_id);
    who->actor.staff_id = who->staff_id;
    who->actor.department_code = who->department_code;
    who->actor.role = who->role;
    for (int r = 0; *staff_id && r < PQntuples(res); r++)
        if (strcmp(PQgetvalue(res, r, 0), staff_id) == 0) {
            snprintf(who->department_code, sizeof who->department_code, "%s",
                     PQgetvalue(res, r, 1));
            snprintf(who->role, sizeof who->role, "%s", PQgetvalue(res, r, 2));
            who->actor.active = PQgetvalue(res, r, 3)[0] == 't';
            who->actor.chief_delegate = PQgetvalue(res, r, 4)[0] == 't';
            return;
        }
}

enum {
    S_A_TASK,
    S_A_DECISION,
    S_A_COMMENT,
    S_A_ACTOR,
    S_A_BEHALF,
    S_A_CASE,
    S_A_BEFORE,
    S_A_AFTER,
    S_A_DCASE,
    S_A_DCENTRE,
    S_A_DTASK,
    S_A_DKEY,
    S_A_IDS,
    S_A_ACTORS,
    S_A_CASES,
    S_A_COUNT
};

/* The set-based batch (ARCHITECTURE "Inside a daemon"; docs/routing.md, performance): in ONE
 * transaction, the idempotency keys, tasks (locked), actors and workflow cases of the items
 * at rc == 1 are read with one statement each (= ANY), each decision is judged in C by the
 * same rules as s_decide_apply (authority.h, decision.h), and the task updates, audit
 * entries, outbox events, deliveries and idempotency rows are written with one multi-row
 * statement each. Returns 0 when every such item has its answer (as s_run_batch gives it), or
 * 1 with nothing written and every such item back at rc == 1 when the batch needs the
 * per-decision path: a key or task twice in the batch, two decisions of one case, a case
 * under a workflow (workflow.h moves it stage by stage), or any statement failing. */
static int s_run_set(ow_db_t *db, routing_decide_item_t *items, Onewindow__V1__DecideTask **reqs,
                     const routing_decision_t *decisions, size_t n)
{
    int rc = 1;
    ow_error_t err;
    ow_error_clear(&err);
    size_t m = 0, n_go = 0, n_events = 0;
    size_t *live = calloc(n ? n : 1, sizeof *live);
    int *row = calloc(n ? n : 1, sizeof *row);           /* per live item: its loaded task, -1 */
    int *done_row = calloc(n ? n : 1, sizeof *done_row); /* per live item: its closed task */
    ow_idem_entry_t *idem = calloc(n ? n : 1, sizeof *idem);
    ow_outbox_event_t *events = calloc(2 * (n ? n : 1), sizeof *events);
    uint8_t **packed = calloc(2 * (n ? n : 1), sizeof *packed);
    routing_actor_row_t *who = calloc(n ? n : 1, sizeof *who);
    ow_pgarray_t *a[S_A_COUNT] = {0};
    routing_tasks_t *tasks = NULL, *closed = NULL;
    PGresult *res = NULL;
    bool began = false;
    if (!live || !row || !done_row || !idem || !events || !packed || !who)
        goto out;
    for (size_t k = 0; k < S_A_COUNT; k++)
        if (!(a[k] = ow_pgarray_new()))
            goto out;
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == 1) {
            for (size_t k = 0; k < m; k++)
                if (strcmp(items[live[k]].idempotency_key, items[i].idempotency_key) == 0 ||
                    strcasecmp(reqs[live[k]]->task_id, reqs[i]->task_id) == 0)
                    goto out; /* twice in one batch: the per-decision path orders them */
            live[m++] = i;
        }
    if (m == 0) {
        rc = 0;
        goto out;
    }
    if (ow_db_begin(db, &err) < 0)
        goto out;
    began = true;
    for (size_t k = 0; k < m; k++) {
        idem[k].key = items[live[k]].idempotency_key;
        idem[k].request = items[live[k]].request;
        idem[k].request_len = items[live[k]].len;
    }
    if (ow_idem_find_many(db, S_METHOD, idem, m, &err) < 0)
        goto out;
    for (size_t k = 0; k < m; k++) {
        routing_decide_item_t *it = &items[live[k]];
        row[k] = -1;
        if (idem[k].found == 1) {
            /* A repeat returns the first answer. */
            it->rc = 0;
            it->reply = idem[k].reply;
            it->reply_len = idem[k].reply_len;
            idem[k].reply = NULL;
        } else if (idem[k].found < 0) {
            it->rc = -1;
            it->err = idem[k].err;
        } else {
            const char *v[2] = {reqs[live[k]]->task_id, it->actor ? it->actor : ""};
            if (ow_pgarray_add_text(a[S_A_IDS], v[0]) < 0 ||
                ow_pgarray_add_text(a[S_A_ACTORS], v[1]) < 0)
                goto out;
        }
    }
    if (ow_pgarray_count(a[S_A_IDS]) > 0) {
        if (!ow_pgarray_text(a[S_A_IDS]) || !ow_pgarray_text(a[S_A_ACTORS]))
            goto out;
        if (!(tasks = routing_task_load_many(db, ow_pgarray_text(a[S_A_IDS]), m, &err)))
            goto out;
        const char *pa[1] = {ow_pgarray_text(a[S_A_ACTORS])};
        if (!(res = ow_db_exec(db, "routing_decide_actors", 1, pa, &err)))
            goto out;
    }
    /* Judged as s_decide_apply judges: unknown task, then authority (before the state). */
    for (size_t k = 0; k < m; k++) {
        routing_decide_item_t *it = &items[live[k]];
        if (it->rc != 1)
            continue;
        int r = s_task_index(tasks, reqs[live[k]]->task_id);
        if (r < 0) {
            it->rc = -1;
            ow_error_set(&it->err, OW_NOT_FOUND, "no task with id %s", reqs[live[k]]->task_id);
            continue;
        }
        const Onewindow__V1__Task *t = routing_tasks_get(tasks, (size_t)r);
        s_actor_from(res, it->actor ? it->actor : "", &who[k]);
        routing_task_view_t view = {.holder = t->assignee,
                                    .substitute = "",
                                    .department_code = t->department_code,
                                    .post_a = "",
                                    .post_b = "",
                                    .state = t->state,
                                    .final_stage = routing_tasks_final(tasks, (size_t)r)};
        if (routing_authorise(&who[k].actor, ROUTING_ACT_DECIDE, &view, &it->err) < 0) {
            it->rc = -1;
            continue;
        }
        for (size_t j = 0; j < k; j++)
            if (row[j] >= 0 &&
                strcmp(routing_tasks_get(tasks, (size_t)row[j])->case_no, t->case_no) == 0)
                goto out; /* two decisions of one case: the per-decision path */
        row[k] = r;
        n_go++;
        const char *v[4] = {t->task_id, routing_decision_name(decisions[live[k]]),
                            reqs[live[k]]->comment ? reqs[live[k]]->comment : "",
                            it->actor ? it->actor : ""};
        if (s_add(&a[S_A_TASK], 4, v) < 0 || ow_pgarray_add_text(a[S_A_CASES], t->case_no) < 0)
            goto out;
    }
    PQclear(res);
    res = NULL;
    if (n_go > 0) {
        for (size_t k = 0; k < S_A_COUNT; k++)
            if (!ow_pgarray_text(a[k]))
                goto out;
        const char *pc[1] = {ow_pgarray_text(a[S_A_CASES])};
        if (!(res = ow_db_exec(db, "routing_decide_workflow_cases", 1, pc, &err)))
            goto out;
        if (PQntuples(res) > 0)
            goto out; /* a case under a workflow: workflow.h moves it, one decision at a time */
        int64_t now_us = ow_clock_now_us();
        closed = routing_task_close_many(
            db, ow_pgarray_text(a[S_A_TASK]), ow_pgarray_text(a[S_A_DECISION]),
            ow_pgarray_text(a[S_A_COMMENT]), ow_pgarray_text(a[S_A_ACTOR]), now_us, n_go, &err);
        if (!closed || routing_tasks_count(closed) != n_go)
            goto out;
        size_t n_idem = 0;
        for (size_t k = 0; k < m; k++) {
            if (row[k] < 0)
                continue;
            routing_decide_item_t *it = &items[live[k]];
            const Onewindow__V1__Task *t = routing_tasks_get(tasks, (size_t)row[k]);
            int d = s_task_index(closed, t->task_id);
            if (d < 0)
                goto out;
            done_row[k] = d;
            const Onewindow__V1__Task *done_task = routing_tasks_get(closed, (size_t)d);
            const char *centre_id = routing_tasks_centre(closed, (size_t)d);
            char before[ROUTING_TASK_DESCRIBE_SIZE], after[ROUTING_TASK_DESCRIBE_SIZE];
            routing_task_describe(t, before, sizeof before);
            routing_task_describe(done_task, after, sizeof after);
            const char *v[4] = {done_task->on_behalf_of, done_task->case_no, before, after};
            if (s_add(&a[S_A_BEHALF], 4, v) < 0)
                goto out;
            size_t task_len = 0, case_len = 0, reply_payload_len = 0;
            uint8_t *task_bytes = NULL, *case_bytes = NULL, *reply_bytes = NULL;
            if (ow_pack(&done_task->base, &task_bytes, &task_len, &err) < 0)
                goto out;
            packed[n_events] = task_bytes;
            events[n_events++] = (ow_outbox_event_t){.type = "task.decided",
                                                     .case_no = done_task->case_no,
                                                     .centre_id = centre_id,
                                                     .time_us = now_us,
                                                     .payload = task_bytes,
                                                     .len = task_len};
            /* Without a workflow the single stage's decision is the case's (as in
             * s_decide_apply). */
            routing_decision_t decision = decisions[live[k]];
            routing_outcome_t outcome = routing_decision_outcome(decision);
            Onewindow__V1__CaseDecided cd = ONEWINDOW__V1__CASE_DECIDED__INIT;
            cd.case_no = done_task->case_no;
            cd.outcome = (char *)outcome.outcome;
            cd.state = outcome.case_state;
            cd.decided_at_us = now_us;
            cd.decided_by = (char *)(it->actor ? it->actor : "");
            cd.task_id = done_task->task_id;
            cd.comment = done_task->comment;
            if (ow_pack(&cd.base, &case_bytes, &case_len, &err) < 0)
                goto out;
            packed[n_events] = case_bytes;
            events[n_events++] = (ow_outbox_event_t){.type = "case.decided",
                                                     .case_no = done_task->case_no,
                                                     .centre_id = centre_id,
                                                     .time_us = now_us,
                                                     .payload = case_bytes,
                                                     .len = case_len};
            /* Art. 44: an approved result is issued and delivered within 10 days. */
            if (decision == ROUTING_DECISION_APPROVE) {
                char key[96];
                snprintf(key, sizeof key, "routing.%s.%s", ROUTING_DELIVERY_TIMER_KIND,
                         done_task->case_no);
                const char *dv[4] = {done_task->case_no, centre_id, done_task->task_id, key};
                if (s_add(&a[S_A_DCASE], 4, dv) < 0)
                    goto out;
            }
            Onewindow__V1__TaskReply tr = ONEWINDOW__V1__TASK_REPLY__INIT;
            tr.task = (Onewindow__V1__Task *)done_task;
            if (ow_pack(&tr.base, &reply_bytes, &reply_payload_len, &err) < 0)
                goto out;
            int p =
                ow_rpc_pack_reply(NULL, reply_bytes, reply_payload_len, &it->reply, &it->reply_len);
            free(reply_bytes);
            if (p < 0)
                goto out;
            it->rc = 0;
            idem[n_idem].key = it->idempotency_key;
            idem[n_idem].request = it->request;
            idem[n_idem].request_len = it->len;
            n_idem++;
        }
        char at[32];
        snprintf(at, sizeof at, "%" PRId64, now_us);
        for (size_t k = 0; k < S_A_COUNT; k++)
            if (!ow_pgarray_text(a[k]))
                goto out;
        const char *pa[8] = {at,
                             ow_pgarray_text(a[S_A_ACTOR]),
                             ow_pgarray_text(a[S_A_BEHALF]),
                             ow_pgarray_text(a[S_A_TASK]),
                             ow_pgarray_text(a[S_A_CASE]),
                             ow_pgarray_text(a[S_A_COMMENT]),
                             ow_pgarray_text(a[S_A_BEFORE]),
                             ow_pgarray_text(a[S_A_AFTER])};
        PQclear(res);
        if (!(res = ow_db_exec(db, "routing_decide_audit_many", 8, pa, &err)))
            goto out;
        if (ow_outbox_add_many(db, events, n_events, &err) < 0)
            goto out;
        if (ow_pgarray_count(a[S_A_DCASE]) > 0) {
            const char *pd[5] = {at, ow_pgarray_text(a[S_A_DCASE]), ow_pgarray_text(a[S_A_DCENTRE]),
                                 ow_pgarray_text(a[S_A_DTASK]), ow_pgarray_text(a[S_A_DKEY])};
            PQclear(res);
            if (!(res = ow_db_exec(db, "routing_decide_delivery_many", 5, pd, &err)))
                goto out;
        }
        /* The replies stay the items'; the entries borrow them for the one statement. */
        for (size_t k = 0, j = 0; k < m; k++)
            if (row[k] >= 0) {
                idem[j].reply = items[live[k]].reply;
                idem[j++].reply_len = items[live[k]].reply_len;
            }
        int saved = ow_idem_save_many(db, S_METHOD, idem, n_idem, &err);
        for (size_t k = 0; k < n_idem; k++)
            idem[k].reply = NULL; /* borrowed from the items */
        if (saved < 0)
            goto out;
    }
    began = false;
    rc = 0;
    if (ow_db_commit(db, &err) < 0) {
        for (size_t k = 0; k < m; k++) {
            routing_decide_item_t *it = &items[live[k]];
            if (it->rc >= 0) {
                free(it->reply);
                it->reply = NULL;
                it->reply_len = 0;
                it->rc = -1;
                it->err = err;
            }
        }
        goto out;
    }
    for (size_t k = 0; k < m; k++)
        if (row[k] >= 0)
            ow_log_kv(OW_LOG_INFO, "task decided", "task_id", reqs[live[k]]->task_id, "decision",
                      reqs[live[k]]->decision, "by",
                      items[live[k]].actor ? items[live[k]].actor : "", NULL);
out:
    if (began)
        ow_db_rollback(db);
    if (rc == 1)
        for (size_t k = 0; live && k < m; k++) {
            routing_decide_item_t *it = &items[live[k]];
            free(it->reply);
            it->reply = NULL;
            it->reply_len = 0;
            it->rc = 1;
            ow_error_clear(&it->err);
        }
    for (size_t k = 0; idem && k < m; k++)
        free(idem[k].reply);
    for (size_t k = 0; packed && k < n_events; k++)
        free(packed[k]);
    for (size_t k = 0; k < S_A_COUNT; k++)
        ow_pgarray_destroy(&a[k]);
    PQclear(res);
    routing_tasks_destroy(&closed);
    routing_tasks_destroy(&tasks);
    free(who);
    free(packed);
    free(events);
    free(idem);
    free(done_row);
    free(row);
    free(live);
    return rc;
}

void routing_decide_batch(ow_db_t *db, routing_decide_item_t *items, size_t n)
{
    Onewindow__V1__DecideTask **reqs = calloc(n ? n : 1, sizeof *reqs);
    routing_decision_t *decisions = calloc(n ? n : 1, sizeof *decisions);
    for (size_t i = 0; i < n; i++) {
        items[i].reply = NULL;
        items[i].reply_len = 0;
        ow_error_clear(&items[i].err);
        if (!reqs || !decisions) {
            items[i].rc = -1;
            ow_error_set(&items[i].err, OW_INTERNAL, "out of memory batching decisions");
            continue;
        }
        reqs[i] = s_check(&items[i], &decisions[i]);
        items[i].rc = reqs[i] ? 1 : -1;
    }
    if (reqs && decisions) {
        /* Set-based first (one statement per step for the whole batch); then per decision,
         * savepoint-free; with a savepoint per decision only after a failed write. */
        if (n > S_BATCH_FLAGS_MAX || (s_run_set(db, items, reqs, decisions, n) == 1 &&
                                      s_run_batch(db, items, reqs, decisions, n, false) == 1))
            s_run_batch(db, items, reqs, decisions, n, true);
        /* Two instances may run the same key at once: the loser's idempotency insert
         * conflicts; a second attempt on its own finds the winner's answer. */
        bool again = false;
        for (size_t i = 0; i < n; i++)
            if (items[i].rc < 0 && items[i].err.code == OW_ALREADY_EXISTS && reqs[i]) {
                items[i].rc = 1;
                again = true;
            }
        if (again)
            s_run_batch(db, items, reqs, decisions, n, true);
        for (size_t i = 0; i < n; i++)
            if (items[i].rc < 0 && items[i].err.code == OW_ALREADY_EXISTS)
                items[i].err.code = OW_INTERNAL;
    }
    for (size_t i = 0; reqs && i < n; i++)
        if (reqs[i])
            onewindow__v1__decide_task__free_unpacked(reqs[i], NULL);
    free(reqs);
    free(decisions);
}

int routing_decide(ow_db_t *db, const char *idempotency_key, const char *actor,
                   const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err)
{
    routing_decide_item_t item = {
        .idempotency_key = idempotency_key, .actor = actor, .request = request, .len = len};
    routing_decide_batch(db, &item, 1);
    *reply = item.reply;
    *reply_len = item.reply_len;
    if (item.rc < 0 && err)
        *err = item.err;
    return item.rc < 0 ? -1 : 0;
}
