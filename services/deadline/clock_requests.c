/* clock_requests — see clock_requests.h. */
#include "clock_requests.h"

#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "deadline_context.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_clock.h"

void clock_requests_get_clock(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_db_t *db = ctx->db;
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *out = NULL;
    size_t len = 0;
    /* Static: deadlined is single-threaded, and a clock is ~1 KiB (no large stack frames). */
    static deadline_clock_t stages[CLOCK_STAGES_MAX];
    static Onewindow__V1__Clock stage_msgs[CLOCK_STAGES_MAX];
    static Onewindow__V1__Clock *stage_ptrs[CLOCK_STAGES_MAX];
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__GetClock *req = onewindow__v1__get_clock__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "deadline.get_clock: payload is not a GetClock");
        goto cleanup;
    }
    if (!*req->case_no)
        ow_error_add_violation(&err, "case_no", "is empty: name the case whose clock to read");
    else if (strlen(req->case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(&err, "case_no", "is longer than %d bytes", OW_CASE_NO_MAX);
    if (strlen(req->stage) > CLOCK_STAGE_MAX)
        ow_error_add_violation(&err, "stage", "is longer than %d bytes", CLOCK_STAGE_MAX);
    if (ow_error_finish_violations(&err) != 0)
        goto cleanup;

    deadline_clock_t clock;
    if (clocks_get(db, req->case_no, req->stage, &clock, &err) != 0)
        goto cleanup;
    int64_t now = ow_clock_now_us();
    Onewindow__V1__Clock msg = ONEWINDOW__V1__CLOCK__INIT;
    clocks_fill_message(ctx->cal, &clock, now, &msg);
    Onewindow__V1__CaseClockReply reply = ONEWINDOW__V1__CASE_CLOCK_REPLY__INIT;
    reply.clock = &msg;
    /* The case clock comes with its stages' (the staff's work list shows both). */
    int n = 0;
    if (!*req->stage &&
        (n = clocks_list_stages(db, req->case_no, stages, CLOCK_STAGES_MAX, &err)) < 0)
        goto cleanup;
    for (int i = 0; i < n; i++) {
        onewindow__v1__clock__init(&stage_msgs[i]);
        clocks_fill_message(ctx->cal, &stages[i], now, &stage_msgs[i]);
        stage_ptrs[i] = &stage_msgs[i];
    }
    reply.n_stages = (size_t)n;
    reply.stages = stage_ptrs;
    len = onewindow__v1__case_clock_reply__get_packed_size(&reply);
    out = malloc(len ? len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the clock of %s", req->case_no);
        goto cleanup;
    }
    onewindow__v1__case_clock_reply__pack(&reply, out);
cleanup:
    if (err.code == OW_OK)
        ow_rpc_reply(call, out, len);
    else
        ow_rpc_reply_error(call, &err);
    free(out);
    if (req)
        onewindow__v1__get_clock__free_unpacked(req, NULL);
}
