#include "act.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "extension.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "post_store.h"
#include "task_action.h"
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD "routing.act"

int routing_act_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_act_post", "SELECT a_holder, coalesce(b_holder, ''), department_code"
                             " FROM posts WHERE post_code = $1"},
        {"routing_act_suspend",
         "INSERT INTO suspensions (task_id, case_no, kind, expected_days, expected_unit, reason,"
         "  started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6, us_to_ts($7), $8)"},
        {"routing_act_resume", "UPDATE suspensions SET ended_at = us_to_ts($2), ended_by = $3"
                               " WHERE task_id = $1 AND ended_at IS NULL RETURNING kind"},
        /* art. 42: the extra days already granted to the case count against the ceiling. */
        {"routing_act_granted", "SELECT coalesce(sum(extra_working_days), 0) FROM extensions"
                                " WHERE case_no = $1 AND state = 'granted'"},
        {"routing_act_request_extension",
         "INSERT INTO extensions (task_id, case_no, extra_working_days, joint_handling, reason,"
         "  requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, us_to_ts($7))"},
        {"routing_act_pending_extension",
         "SELECT extension_id, extra_working_days, joint_handling, reason FROM extensions"
         " WHERE task_id = $1 AND state = 'requested' FOR UPDATE"},
        {"routing_act_decide_extension",
         "UPDATE extensions SET state = $2, decided_by = $3, decided_at = us_to_ts($4)"
         " WHERE extension_id = $1"},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    return routing_task_store_prepare(db, err) < 0 ? -1 : routing_post_store_prepare(db, err);
}

/* Runs a statement that returns nothing of interest. Returns 0 or -1 with err. */
static int s_exec(ow_db_t *db, const char *stmt, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, stmt, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* Packs msg and adds it to the outbox as type. Returns 0 or -1 with err. */
static int s_emit(ow_db_t *db, const char *type, const ProtobufCMessage *msg, const char *case_no,
                  const char *centre_id, int64_t now_us, ow_error_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (ow_pack(msg, &bytes, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, case_no, centre_id, now_us, bytes, len, err);
    free(bytes);
    return rc;
}

/* The granted extra days of a case so far. Returns ≥ 0 or -1 with err. */
static int s_granted_days(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *params[1] = {case_no};
    PGresult *res = ow_db_exec(db, "routing_act_granted", 1, params, err);
    if (!res)
        return -1;
    int days = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return days;
}

/* What an action reads and points *next at, owned by the caller's frame. */
typedef struct {
    char reason[ROUTING_REASON_MAX + 1]; /* the extension request's reason */
    char department[ROUTING_STAFF_ID_SIZE];
    routing_holder_t holder; /* who takes a transferred task */
} s_scratch_t;

/* The effect of one action on the task (*next, a copy of the loaded task) and the rows and
 * events beside it. Strings put into *next and *detail live in req, actor or scratch.
 * Returns 0 or -1 with err. */
static int s_apply_action(ow_db_t *db, const routing_task_action_t *a,
                          const Onewindow__V1__TaskAction *req, const char *actor,
                          const Onewindow__V1__Task *t, const char *centre_id, int64_t now_us,
                          Onewindow__V1__Task *next, s_scratch_t *scratch, const char **detail,
                          ow_error_t *err)
{
    char at[32], days[16], extra[16];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    *detail = req->reason;
    switch (a->act) {
    case ROUTING_ACT_RETURN:
    case ROUTING_ACT_SUSPEND: {
        snprintf(days, sizeof days, "%d", req->expected_days);
        const char *p[8] = {t->task_id, t->case_no, a->kind, days, a->unit, req->reason, at, actor};
        if (s_exec(db, "routing_act_suspend", 8, p, err) < 0)
            return -1;
        next->state = "suspended";
        /* art. 45: the time of a special procedure (or a correction) does not count. */
        Onewindow__V1__CaseSuspended ev = ONEWINDOW__V1__CASE_SUSPENDED__INIT;
        ev.case_no = t->case_no;
        ev.task_id = t->task_id;
        ev.kind = (char *)a->kind;
        ev.expected_days = req->expected_days;
        ev.expected_unit = (char *)a->unit;
        ev.started_at_us = now_us;
        ev.reason = req->reason;
        ev.stage = t->stage;
        return s_emit(db, "case.suspended", &ev.base, t->case_no, centre_id, now_us, err);
    }
    case ROUTING_ACT_RESUME: {
        const char *p[3] = {t->task_id, at, actor};
        PGresult *res = ow_db_exec(db, "routing_act_resume", 3, p, err);
        if (!res)
            return -1;
        int n = PQntuples(res);
        PQclear(res);
        if (n != 1) {
            ow_error_set(err, OW_FAILED_PRECONDITION, "the task has no open suspension");
            return -1;
        }
        next->state = "open";
        Onewindow__V1__CaseResumed ev = ONEWINDOW__V1__CASE_RESUMED__INIT;
        ev.case_no = t->case_no;
        ev.task_id = t->task_id;
        ev.resumed_at_us = now_us;
        ev.stage = t->stage;
        return s_emit(db, "case.resumed", &ev.base, t->case_no, centre_id, now_us, err);
    }
    case ROUTING_ACT_REQUEST_EXTENSION: {
        int granted = s_granted_days(db, t->case_no, err);
        if (granted < 0)
            return -1;
        if (routing_extension_check(req->joint_handling, granted, req->extra_working_days,
                                    req->reason, err) > 0) {
            ow_error_finish_violations(err);
            return -1;
        }
        snprintf(extra, sizeof extra, "%d", req->extra_working_days);
        const char *p[7] = {t->task_id,  t->case_no, extra, req->joint_handling ? "true" : "false",
                            req->reason, actor,      at};
        if (s_exec(db, "routing_act_request_extension", 7, p, err) < 0)
            return -1;
        next->state = "extension_requested";
        return 0;
    }
    case ROUTING_ACT_GRANT_EXTENSION: {
        const char *p[1] = {t->task_id};
        PGresult *res = ow_db_exec(db, "routing_act_pending_extension", 1, p, err);
        if (!res)
            return -1;
        if (PQntuples(res) != 1) {
            PQclear(res);
            ow_error_set(err, OW_FAILED_PRECONDITION, "the task has no pending extension");
            return -1;
        }
        char id[64], reason[ROUTING_REASON_MAX + 1];
        snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
        int want = atoi(PQgetvalue(res, 0, 1));
        bool joint = PQgetvalue(res, 0, 2)[0] == 't';
        snprintf(reason, sizeof reason, "%s", PQgetvalue(res, 0, 3));
        PQclear(res);
        next->state = "open";
        if (!a->deny) {
            /* Another task of the case may have been granted days since the request. */
            int granted = s_granted_days(db, t->case_no, err);
            if (granted < 0)
                return -1;
            if (routing_extension_check(joint, granted, want, reason, err) > 0) {
                ow_error_finish_violations(err);
                return -1;
            }
        }
        const char *u[4] = {id, a->deny ? "denied" : "granted", actor, at};
        if (s_exec(db, "routing_act_decide_extension", 4, u, err) < 0)
            return -1;
        if (a->deny)
            return 0;
        snprintf(scratch->reason, sizeof scratch->reason, "%s", reason);
        *detail = req->reason[0] ? req->reason : scratch->reason;
        Onewindow__V1__CaseExtended ev = ONEWINDOW__V1__CASE_EXTENDED__INIT;
        ev.case_no = t->case_no;
        ev.task_id = t->task_id;
        ev.extra_working_days = want;
        ev.approved_by = (char *)actor;
        ev.reason = scratch->reason; /* the applicant is told the reason given with the request */
        ev.approved_at_us = now_us;
        ev.joint_handling = joint;
        return s_emit(db, "case.extended", &ev.base, t->case_no, centre_id, now_us, err);
    }
    case ROUTING_ACT_TRANSFER: {
        const char *p[1] = {req->to_post_code};
        PGresult *res = ow_db_exec(db, "routing_act_post", 1, p, err);
        if (!res)
            return -1;
        if (PQntuples(res) != 1) {
            PQclear(res);
            ow_error_set(err, OW_NOT_FOUND, "no post %s to transfer to", req->to_post_code);
            return -1;
        }
        snprintf(scratch->department, sizeof scratch->department, "%s", PQgetvalue(res, 0, 2));
        PQclear(res);
        /* The post's holder now: A, or its substitute on A's behalf (substitution.h). */
        if (routing_post_holder_at(db, req->to_post_code, now_us, &scratch->holder, err) < 0)
            return -1;
        next->assignee = scratch->holder.holder;
        next->on_behalf_of = scratch->holder.on_behalf_of;
        next->post_code = req->to_post_code;
        next->department_code = scratch->department;
        return 0;
    }
    case ROUTING_ACT_CLAIM:
        next->assignee = (char *)actor;
        next->on_behalf_of = "";
        return 0;
    case ROUTING_ACT_RELEASE:
        if (!t->post_code[0]) {
            ow_error_set(err, OW_FAILED_PRECONDITION,
                         "the task belongs to no post: there is no queue to release it to");
            return -1;
        }
        next->assignee = "";
        next->on_behalf_of = "";
        return 0;
    case ROUTING_ACT_DECIDE:
    default:
        ow_error_set(err, OW_INTERNAL, "routing.act cannot %s", routing_action_name(a->act));
        return -1;
    }
}

/* One transaction. Returns 0 with *reply, or -1 with err (rolled back). */
static int s_act_once(ow_db_t *db, const char *key, const char *actor,
                      const Onewindow__V1__TaskAction *req, const routing_task_action_t *a,
                      const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                      ow_error_t *err)
{
    int rc = -1;
    routing_tasks_t *task = NULL, *stored = NULL;
    uint8_t *task_bytes = NULL, *reply_bytes = NULL, *packed = NULL;
    size_t packed_len = 0, task_len = 0, reply_payload_len = 0;
    char post_a[ROUTING_STAFF_ID_SIZE] = "", post_b[ROUTING_STAFF_ID_SIZE] = "";
    s_scratch_t scratch;

    if (ow_db_begin(db, err) < 0)
        return -1;
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1) {
        ow_db_rollback(db);
        return 0;
    }
    /* The row lock serialises two actors on the same task. */
    task = routing_task_load(db, req->task_id, true, err);
    if (!task)
        goto done;
    const Onewindow__V1__Task *t = routing_tasks_get(task, 0);
    if (t->post_code[0]) {
        const char *p[1] = {t->post_code};
        PGresult *res = ow_db_exec(db, "routing_act_post", 1, p, err);
        if (!res)
            goto done;
        if (PQntuples(res) == 1) {
            snprintf(post_a, sizeof post_a, "%s", PQgetvalue(res, 0, 0));
            snprintf(post_b, sizeof post_b, "%s", PQgetvalue(res, 0, 1));
        }
        PQclear(res);
    }
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0)
        goto done;
    routing_task_view_t view = {.holder = t->assignee,
                                .substitute = "",
                                .department_code = t->department_code,
                                .post_a = post_a,
                                .post_b = post_b,
                                .state = t->state,
                                .final_stage = false};
    /* authority.h: PERMISSION_DENIED before any state check, and before anything is written. */
    if (routing_authorise(&who.actor, a->act, &view, err) < 0)
        goto done;

    int64_t now_us = ow_clock_now_us();
    const char *centre_id = routing_tasks_centre(task, 0);
    Onewindow__V1__Task next = *t;
    const char *detail = "";
    if (s_apply_action(db, a, req, actor, t, centre_id, now_us, &next, &scratch, &detail, err) < 0)
        goto done;
    stored = routing_task_update(db, &next, err);
    if (!stored)
        goto done;
    const Onewindow__V1__Task *after_task = routing_tasks_get(stored, 0);
    char before[ROUTING_TASK_DESCRIBE_SIZE], after[ROUTING_TASK_DESCRIBE_SIZE], action[48];
    routing_task_describe(t, before, sizeof before);
    routing_task_describe(after_task, after, sizeof after);
    snprintf(action, sizeof action, "task.%s", req->action);
    /* DOMAIN §4: who, on whose behalf, when, what, why — and the state before and after. */
    if (routing_audit_append(db, now_us, actor, t->on_behalf_of, action, t->task_id, t->case_no,
                             detail, before, after, err) < 0)
        goto done;
    if (ow_pack(&after_task->base, &task_bytes, &task_len, err) < 0 ||
        ow_outbox_add(db, "task.updated", t->case_no, centre_id, now_us, task_bytes, task_len,
                      err) < 0)
        goto done;
    Onewindow__V1__TaskReply tr = ONEWINDOW__V1__TASK_REPLY__INIT;
    tr.task = (Onewindow__V1__Task *)after_task;
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
    ow_log_kv(OW_LOG_INFO, "task action", "case_no", t->case_no, "task_id", t->task_id, "action",
              req->action, "by", actor, NULL);
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
    free(packed);
    free(reply_bytes);
    free(task_bytes);
    routing_tasks_destroy(&stored);
    routing_tasks_destroy(&task);
    return rc;
}

int routing_act(ow_db_t *db, const char *idempotency_key, const char *actor, const uint8_t *request,
                size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__TaskAction *req = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!ow_text_graphic(idempotency_key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "routing.act needs an idempotency key (1-%d printable characters)",
                     ROUTING_IDEM_KEY_MAX);
        goto done;
    }
    if (len > ROUTING_ACT_MAX_BYTES ||
        !(req = onewindow__v1__task_action__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.TaskAction (at most %d bytes)",
                     ROUTING_ACT_MAX_BYTES);
        goto done;
    }
    routing_task_action_request_t r = {.task_id = req->task_id,
                                       .action = req->action,
                                       .reason = req->reason,
                                       .kind = req->kind,
                                       .expected_days = req->expected_days,
                                       .expected_unit = req->expected_unit,
                                       .extra_working_days = req->extra_working_days,
                                       .to_post_code = req->to_post_code};
    routing_task_action_t a;
    if (routing_task_action_check(&r, &a, err) > 0) {
        ow_error_finish_violations(err);
        goto done;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        ow_error_clear(err);
        rc = s_act_once(db, idempotency_key, actor ? actor : "", req, &a, request, len, reply,
                        reply_len, err);
        if (rc == 0 || err->code != OW_ALREADY_EXISTS)
            break;
    }
    if (rc < 0 && err->code == OW_ALREADY_EXISTS)
        err->code = OW_INTERNAL;
done:
    if (req)
        onewindow__v1__task_action__free_unpacked(req, NULL);
    return rc;
}
