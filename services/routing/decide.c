#include "decide.h"

#include <ctype.h>
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
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD "routing.decide"

int routing_decide_prepare(ow_db_t *db, ow_error_t *err)
{
    return routing_task_store_prepare(db, err);
}

/* One attempt of the transaction. Returns 0 with *reply, or -1 with err (rolled back). */
static int s_decide_once(ow_db_t *db, const char *key, const char *actor,
                         const Onewindow__V1__DecideTask *req, routing_decision_t decision,
                         const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                         ow_error_t *err)
{
    int rc = -1;
    routing_tasks_t *task = NULL;
    routing_tasks_t *closed = NULL;
    uint8_t *task_bytes = NULL, *case_bytes = NULL, *reply_bytes = NULL, *packed = NULL;
    size_t packed_len = 0;

    if (ow_db_begin(db, err) < 0)
        return -1;
    /* A repeat returns the first answer, not "already decided". */
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1) {
        ow_db_rollback(db);
        return 0;
    }

    /* The row lock serialises two deciders of the same task. */
    task = routing_task_load(db, req->task_id, true, err);
    if (!task)
        goto done;
    const Onewindow__V1__Task *t = routing_tasks_get(task, 0);
    if (routing_decision_authorise(actor, t->assignee, t->state, err) < 0)
        goto done;

    int64_t now_us = ow_clock_now_us();
    closed = routing_task_close(db, t->task_id, routing_decision_name(decision), req->comment,
                                actor, now_us, err);
    if (!closed)
        goto done;
    const Onewindow__V1__Task *done_task = routing_tasks_get(closed, 0);
    if (routing_audit_append(db, now_us, actor, "", "task.decided", done_task->task_id,
                             done_task->case_no, done_task->comment, err) < 0)
        goto done;

    size_t task_len = 0, case_len = 0, reply_payload_len = 0;
    if (ow_pack(&done_task->base, &task_bytes, &task_len, err) < 0)
        goto done;
    /* The centre travels in the envelope so that centre-scoped consumers can filter. */
    const char *centre_id = routing_tasks_centre(closed, 0);
    if (ow_outbox_add(db, "task.decided", done_task->case_no, centre_id, now_us, task_bytes,
                      task_len, err) < 0)
        goto done;

    /* The skeleton's workflow has one stage, so its decision is the case's (DOMAIN §4: the
     * chief representative's decision is the department's). */
    routing_outcome_t outcome = routing_decision_outcome(decision);
    Onewindow__V1__CaseDecided cd = ONEWINDOW__V1__CASE_DECIDED__INIT;
    cd.case_no = done_task->case_no;
    cd.outcome = (char *)outcome.outcome;
    cd.state = outcome.case_state;
    cd.decided_at_us = now_us;
    cd.decided_by = (char *)actor;
    cd.task_id = done_task->task_id;
    cd.comment = done_task->comment;
    if (ow_pack(&cd.base, &case_bytes, &case_len, err) < 0)
        goto done;
    if (ow_outbox_add(db, "case.decided", done_task->case_no, centre_id, now_us, case_bytes,
                      case_len, err) < 0)
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
    if (ow_db_commit(db, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "task decided", "case_no", done_task->case_no, "task_id",
              done_task->task_id, "decision", done_task->decision, "by", actor, NULL);
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
    free(packed);
    free(reply_bytes);
    free(case_bytes);
    free(task_bytes);
    routing_tasks_destroy(&closed);
    routing_tasks_destroy(&task);
    return rc;
}

int routing_decide(ow_db_t *db, const char *idempotency_key, const char *actor,
                   const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__DecideTask *req = NULL;
    *reply = NULL;
    *reply_len = 0;

    if (!ow_text_graphic(idempotency_key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "routing.decide needs an idempotency key (1-%d printable characters)",
                     ROUTING_IDEM_KEY_MAX);
        goto done;
    }
    if (len > ROUTING_DECIDE_MAX_BYTES ||
        !(req = onewindow__v1__decide_task__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.DecideTask (at most %d bytes)",
                     ROUTING_DECIDE_MAX_BYTES);
        goto done;
    }
    routing_decision_t decision = ROUTING_DECISION_APPROVE;
    if (routing_decision_check_request(req->task_id, req->decision, req->comment, &decision, err) >
        0) {
        ow_error_finish_violations(err);
        goto done;
    }
    /* Two instances may run the same key at once: the loser's idempotency insert conflicts;
     * its second attempt finds the winner's answer. */
    for (int attempt = 0; attempt < 2; attempt++) {
        ow_error_clear(err);
        rc = s_decide_once(db, idempotency_key, actor ? actor : "", req, decision, request, len,
                           reply, reply_len, err);
        if (rc == 0 || err->code != OW_ALREADY_EXISTS)
            break;
    }
    if (rc < 0 && err->code == OW_ALREADY_EXISTS)
        err->code = OW_INTERNAL;
done:
    if (req)
        onewindow__v1__decide_task__free_unpacked(req, NULL);
    return rc;
}
