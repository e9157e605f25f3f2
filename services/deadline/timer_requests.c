/* timer_requests — see timer_requests.h. */
#include "timer_requests.h"

#include <stdlib.h>
#include <string.h>

#include "deadline_context.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "timers.h"
#include "working_days.h"

/* Answers the call with a packed TimerReply for t, or with err. */
static void s_reply_timer(ow_rpc_call_t *call, Onewindow__V1__Timer *t, ow_error_t *err)
{
    if (err->code != OW_OK) {
        ow_rpc_reply_error(call, err);
        return;
    }
    Onewindow__V1__TimerReply reply = ONEWINDOW__V1__TIMER_REPLY__INIT;
    reply.timer = t;
    size_t len = onewindow__v1__timer_reply__get_packed_size(&reply);
    uint8_t *out = malloc(len ? len : 1);
    if (!out) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the timer");
        ow_rpc_reply_error(call, err);
        return;
    }
    onewindow__v1__timer_reply__pack(&reply, out);
    ow_rpc_reply(call, out, len);
    free(out);
}

void timer_requests_schedule(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__Timer *timer = NULL;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__ScheduleTimer *req = onewindow__v1__schedule_timer__unpack(NULL, len, payload);
    int64_t due_us = 0;
    bool missing = false;
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "deadline.schedule_timer: payload is not a ScheduleTimer");
        goto cleanup;
    }
    if (timers_validate(req, ctx->cal, &due_us, &missing, &err) != 0)
        goto cleanup;
    if (ow_db_begin(ctx->db, &err) != 0)
        goto cleanup;
    if (timers_schedule(ctx->db, req, due_us, missing, &timer, &err) != 0 ||
        ow_db_commit(ctx->db, &err) != 0) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
cleanup:
    s_reply_timer(call, timer, &err);
    timers_free(&timer);
    if (req)
        onewindow__v1__schedule_timer__free_unpacked(req, NULL);
}

void timer_requests_cancel(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__Timer *timer = NULL;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__CancelTimer *req = onewindow__v1__cancel_timer__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "deadline.cancel_timer: payload is not a CancelTimer");
        goto cleanup;
    }
    if (!*req->timer_key)
        ow_error_add_violation(&err, "timer_key", "is empty");
    else if (strlen(req->timer_key) > TIMER_KEY_MAX)
        ow_error_add_violation(&err, "timer_key", "is longer than %d bytes", TIMER_KEY_MAX);
    if (ow_error_finish_violations(&err) != 0)
        goto cleanup;
    if (ow_db_begin(ctx->db, &err) != 0)
        goto cleanup;
    if (timers_cancel(ctx->db, req->timer_key, &timer, &err) != 0 ||
        ow_db_commit(ctx->db, &err) != 0) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
cleanup:
    s_reply_timer(call, timer, &err);
    timers_free(&timer);
    if (req)
        onewindow__v1__cancel_timer__free_unpacked(req, NULL);
}

void timer_requests_compute_due(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *out = NULL;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__ComputeDue *req = onewindow__v1__compute_due__unpack(NULL, len, payload);
    deadline_unit_t unit = DEADLINE_UNIT_WORKING_DAYS;
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "deadline.compute_due: payload is not a ComputeDue");
        goto cleanup;
    }
    if (req->start_at_us <= 0)
        ow_error_add_violation(&err, "start_at_us", "is not set");
    if (req->amount < 0 || req->amount > DEADLINE_LIMIT_MAX)
        ow_error_add_violation(&err, "amount", "%d is outside 0..%d", (int)req->amount,
                               DEADLINE_LIMIT_MAX);
    if (deadline_unit_parse(req->unit, &unit) != 0)
        ow_error_add_violation(&err, "unit",
                               "is not working_days, natural_days, working_hours or natural_hours");
    if (strlen(req->centre_id) > CALENDAR_CENTRE_MAX)
        ow_error_add_violation(&err, "centre_id", "is longer than %d bytes", CALENDAR_CENTRE_MAX);
    if (ow_error_finish_violations(&err) != 0)
        goto cleanup;
    deadline_frame_t frame = {.cal = ctx->cal, .centre_id = req->centre_id};
    Onewindow__V1__ComputeDueReply reply = ONEWINDOW__V1__COMPUTE_DUE_REPLY__INIT;
    deadline_due_at(&frame, req->start_at_us, req->amount, unit, &reply.due_at_us);
    reply.calendar_missing = frame.calendar_missing;
    len = onewindow__v1__compute_due_reply__get_packed_size(&reply);
    out = malloc(len ? len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the due time");
        goto cleanup;
    }
    onewindow__v1__compute_due_reply__pack(&reply, out);
cleanup:
    if (err.code == OW_OK)
        ow_rpc_reply(call, out, len);
    else
        ow_rpc_reply_error(call, &err);
    free(out);
    if (req)
        onewindow__v1__compute_due__free_unpacked(req, NULL);
}
