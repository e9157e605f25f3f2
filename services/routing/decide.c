#include "decide.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "decision.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "authority.h"
#include "delivery.h"
#include "workflow_store.h"
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD "routing.decide"
/* The largest batch the savepoint-free path tracks (routing_api.c batches at most 256). */
#define S_BATCH_FLAGS_MAX 256

int routing_decide_prepare(ow_db_t *db, ow_error_t *err)
{
    if (routing_task_store_prepare(db, err) < 0 || routing_workflow_store_prepare(db, err) < 0)
        return -1;
    return routing_delivery_prepare(db, err);
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
    uint8_t *task_bytes = NULL, *case_bytes = NULL, *reply_bytes = NULL, *packed = NULL;
    size_t packed_len = 0;

    /* A repeat returns the first answer, not "already decided". */
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1) {
        rc = 0;
        goto done;
    }

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

    size_t task_len = 0, case_len = 0, reply_payload_len = 0;
    if (ow_pack(&done_task->base, &task_bytes, &task_len, err) < 0)
        goto done;
    /* The centre travels in the envelope so that centre-scoped consumers can filter. */
    const char *centre_id = routing_tasks_centre(closed, 0);
    if (ow_outbox_add(db, "task.decided", done_task->case_no, centre_id, now_us, task_bytes,
                      task_len, err) < 0)
        goto done;

    /* A case under a workflow moves on by its stages' results (workflow.h); without one, the
     * skeleton's single stage's decision is the case's. */
    routing_workflow_result_t wf;
    int handled =
        routing_workflow_after_decision(db, done_task, centre_id, actor, now_us, &wf, err);
    if (handled < 0)
        goto done;
    routing_outcome_t outcome = routing_decision_outcome(decision);
    bool case_decided = true;
    bool approved = decision == ROUTING_DECISION_APPROVE;
    if (handled == 1) {
        case_decided = wf.decided;
        outcome.outcome = routing_case_outcome_name(wf.outcome);
        outcome.case_state = routing_case_outcome_state(wf.outcome);
        approved =
            wf.outcome == ROUTING_CASE_APPROVED || wf.outcome == ROUTING_CASE_APPROVED_AFTER_SUPPLY;
    }
    Onewindow__V1__CaseDecided cd = ONEWINDOW__V1__CASE_DECIDED__INIT;
    cd.case_no = done_task->case_no;
    cd.outcome = (char *)outcome.outcome;
    cd.state = outcome.case_state;
    cd.decided_at_us = now_us;
    cd.decided_by = (char *)actor;
    cd.task_id = done_task->task_id;
    cd.comment = done_task->comment;
    if (case_decided && (ow_pack(&cd.base, &case_bytes, &case_len, err) < 0 ||
                         ow_outbox_add(db, "case.decided", done_task->case_no, centre_id, now_us,
                                       case_bytes, case_len, err) < 0))
        goto done;
    /* Art. 44: an approved result is issued and delivered within 10 days (delivery.h). */
    if (case_decided && approved &&
        routing_delivery_open(db, done_task->case_no, centre_id, done_task->task_id, now_us, err) <
            0)
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
    free(case_bytes);
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
        /* Savepoint-free first; with a savepoint per decision only after a failed write. */
        if (n > S_BATCH_FLAGS_MAX || s_run_batch(db, items, reqs, decisions, n, false) == 1)
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
