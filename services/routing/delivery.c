#include "delivery.h"

#include <inttypes.h>
#include <stdio.h>
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
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD "routing.deliver"
#define S_DELIVERY_COLUMNS                                                                         \
    "case_no, coalesce(method, ''), coalesce(tracking_no, ''), state, ts_to_us(approved_at),"      \
    " coalesce(ts_to_us(delivered_at), 0), coalesce(delivered_by, ''),"                            \
    " coalesce(ts_to_us(overdue_at), 0), centre_id, task_id"

int routing_delivery_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_delivery_open",
         "INSERT INTO deliveries (case_no, centre_id, task_id, approved_at, timer_key)"
         " VALUES ($1, $2, $3, us_to_ts($4), $5) ON CONFLICT DO NOTHING"},
        {"routing_delivery_get_locked",
         "SELECT " S_DELIVERY_COLUMNS " FROM deliveries WHERE case_no = $1 FOR UPDATE"},
        {"routing_delivery_done",
         "UPDATE deliveries SET state = 'delivered', method = $2, tracking_no = nullif($3, ''),"
         "  delivered_at = us_to_ts($4), delivered_by = $5"
         " WHERE case_no = $1 AND state <> 'delivered' RETURNING " S_DELIVERY_COLUMNS},
        {"routing_delivery_overdue",
         "UPDATE deliveries SET state = 'overdue', overdue_at = us_to_ts($2)"
         " WHERE timer_key = $1 AND state = 'awaiting' RETURNING " S_DELIVERY_COLUMNS},
        {"routing_delivery_unscheduled",
         "SELECT case_no, centre_id, timer_key, ts_to_us(approved_at) FROM deliveries"
         " WHERE NOT timer_scheduled ORDER BY approved_at, case_no LIMIT $1"},
        {"routing_delivery_scheduled",
         "UPDATE deliveries SET timer_scheduled = true WHERE case_no = $1"},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    return routing_task_store_prepare(db, err);
}

static void s_timer_key(const char *case_no, char *out, size_t size)
{
    snprintf(out, size, "routing.%s.%s", ROUTING_DELIVERY_TIMER_KIND, case_no);
}

int routing_delivery_open(ow_db_t *db, const char *case_no, const char *centre_id,
                          const char *task_id, int64_t at_us, ow_error_t *err)
{
    char at[32], key[96];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    s_timer_key(case_no, key, sizeof key);
    const char *p[5] = {case_no, centre_id ? centre_id : "", task_id, at, key};
    PGresult *res = ow_db_exec(db, "routing_delivery_open", 5, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* A Delivery message pointing into row r of res. */
static void s_row(PGresult *res, int r, Onewindow__V1__Delivery *d)
{
    onewindow__v1__delivery__init(d);
    d->case_no = PQgetvalue(res, r, 0);
    d->method = PQgetvalue(res, r, 1);
    d->tracking_no = PQgetvalue(res, r, 2);
    d->state = PQgetvalue(res, r, 3);
    d->approved_at_us = strtoll(PQgetvalue(res, r, 4), NULL, 10);
    d->delivered_at_us = strtoll(PQgetvalue(res, r, 5), NULL, 10);
    d->delivered_by = PQgetvalue(res, r, 6);
    d->overdue_at_us = strtoll(PQgetvalue(res, r, 7), NULL, 10);
}

/* Emits type (Delivery) for row 0 of res with its audit entry (on the deciding task). */
static int s_emit(ow_db_t *db, PGresult *res, const char *type, const char *actor,
                  const char *detail, const char *before, int64_t at_us, uint8_t **bytes,
                  size_t *len, ow_error_t *err)
{
    Onewindow__V1__Delivery d;
    s_row(res, 0, &d);
    char after[160];
    snprintf(after, sizeof after, "%s%s%s%s%s", d.state, d.method[0] ? "; " : "", d.method,
             d.tracking_no[0] ? " " : "", d.tracking_no);
    if (routing_audit_append(db, at_us, actor, "", type, PQgetvalue(res, 0, 9), d.case_no, detail,
                             before, after, err) < 0)
        return -1;
    if (ow_pack(&d.base, bytes, len, err) < 0)
        return -1;
    return ow_outbox_add(db, type, d.case_no, PQgetvalue(res, 0, 8), at_us, *bytes, *len, err);
}

int routing_deliver(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                    size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__Delivery *req = NULL;
    PGresult *cur = NULL, *res = NULL;
    uint8_t *bytes = NULL, *packed = NULL;
    size_t bytes_len = 0, packed_len = 0;
    *reply = NULL;
    *reply_len = 0;
    if (!ow_text_graphic(key, 200)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     S_METHOD " needs an idempotency key (1-200 printable characters)");
        return -1;
    }
    if (len > 4096 || !(req = onewindow__v1__delivery__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.Delivery");
        return -1;
    }
    if (ow_db_begin(db, err) < 0)
        goto out;
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    /* Any active member of staff hands the result over (the output window). */
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0)
        goto done;
    if (!who.actor.active) {
        ow_error_set(err, OW_PERMISSION_DENIED, "only active staff may record a delivery");
        goto done;
    }
    if (!ow_text_graphic(req->case_no, OW_CASE_NO_MAX))
        ow_error_add_violation(err, "case_no", "must be a case number");
    bool post = strcmp(req->method, "post") == 0;
    if (!post && strcmp(req->method, "pickup") != 0)
        ow_error_add_violation(err, "method", "must be pickup (output window) or post");
    if (post && !req->tracking_no[0])
        ow_error_add_violation(err, "tracking_no", "is required for delivery by post");
    if (req->tracking_no[0] && !ow_text_graphic(req->tracking_no, ROUTING_TRACKING_MAX))
        ow_error_add_violation(err, "tracking_no", "must be 1-%d printable characters",
                               ROUTING_TRACKING_MAX);
    if (ow_error_finish_violations(err) < 0)
        goto done;
    const char *pc[1] = {req->case_no};
    if (!(cur = ow_db_exec(db, "routing_delivery_get_locked", 1, pc, err)))
        goto done;
    if (PQntuples(cur) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "case %s has no approved result to deliver", req->case_no);
        goto done;
    }
    if (strcmp(PQgetvalue(cur, 0, 3), "delivered") == 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "the result of case %s was already delivered",
                     req->case_no);
        goto done;
    }
    int64_t now_us = ow_clock_now_us();
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *pd[5] = {req->case_no, req->method, req->tracking_no, at, actor};
    if (!(res = ow_db_exec(db, "routing_delivery_done", 5, pd, err)))
        goto done;
    if (s_emit(db, res, "case.delivered", actor,
               post ? "delivered by post" : "picked up at the output window", PQgetvalue(cur, 0, 3),
               now_us, &bytes, &bytes_len, err) < 0)
        goto done;
    if (ow_rpc_pack_reply(NULL, bytes, bytes_len, &packed, &packed_len) < 0) {
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
        goto done;
    }
    if (ow_idem_save(db, key, S_METHOD, request, len, packed, packed_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto done;
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    free(packed);
    free(bytes);
    PQclear(res);
    PQclear(cur);
    if (req)
        onewindow__v1__delivery__free_unpacked(req, NULL);
    return rc;
}

int routing_apply_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    PGresult *res = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    Onewindow__V1__Timer *t = NULL;
    if (ev->payload_len > 8192 ||
        !(t = onewindow__v1__timer__unpack(NULL, ev->payload_len, ev->payload))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired payload is not a Timer");
        return -1;
    }
    /* Other owners' timers pass by (deadline's events all reach this inbox). */
    if (strcmp(t->owner, "routing") != 0 || strcmp(t->kind, ROUTING_DELIVERY_TIMER_KIND) != 0) {
        rc = 0;
        goto done;
    }
    int64_t now_us = ow_clock_now_us();
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, t->fired_at_us ? t->fired_at_us : now_us);
    const char *p[2] = {t->timer_key, at};
    if (!(res = ow_db_exec(db, "routing_delivery_overdue", 2, p, err)))
        goto done;
    if (PQntuples(res) == 1) {
        /* Art. 44: the result was not delivered within 10 days of the decision. */
        if (s_emit(db, res, "delivery.overdue", "routingd",
                   "art. 44: not delivered within 10 days of the decision", "awaiting", now_us,
                   &bytes, &len, err) < 0)
            goto done;
        ow_log_kv(OW_LOG_WARN, "delivery overdue", "case_no", PQgetvalue(res, 0, 0), NULL);
    }
    rc = 0;
done:
    free(bytes);
    PQclear(res);
    onewindow__v1__timer__free_unpacked(t, NULL);
    return rc;
}

int routing_delivery_unscheduled(ow_db_t *db, routing_delivery_timer_t *out, size_t max,
                                 ow_error_t *err)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%zu", max);
    const char *p[1] = {lim};
    PGresult *res = ow_db_exec(db, "routing_delivery_unscheduled", 1, p, err);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n && (size_t)i < max; i++) {
        snprintf(out[i].case_no, sizeof out[i].case_no, "%s", PQgetvalue(res, i, 0));
        snprintf(out[i].centre_id, sizeof out[i].centre_id, "%s", PQgetvalue(res, i, 1));
        snprintf(out[i].timer_key, sizeof out[i].timer_key, "%s", PQgetvalue(res, i, 2));
        out[i].approved_at_us = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    }
    PQclear(res);
    return n;
}

int routing_delivery_timer_request(const routing_delivery_timer_t *t, uint8_t **out, size_t *len,
                                   ow_error_t *err)
{
    Onewindow__V1__ScheduleTimer st = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    st.timer_key = (char *)t->timer_key;
    st.owner = (char *)"routing";
    st.kind = (char *)ROUTING_DELIVERY_TIMER_KIND;
    st.case_no = (char *)t->case_no;
    st.centre_id = (char *)t->centre_id;
    /* Art. 44 with art. 82: 10 working days from the decision, on the centre's calendar. */
    st.start_at_us = t->approved_at_us;
    st.amount = ROUTING_DELIVERY_DAYS;
    st.unit = (char *)"working_days";
    return ow_pack(&st.base, out, len, err);
}

int routing_delivery_mark_scheduled(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *p[1] = {case_no};
    PGresult *res = ow_db_exec(db, "routing_delivery_scheduled", 1, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
