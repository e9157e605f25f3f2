/* case_events — see case_events.h. Network bytes: every payload is decoded with protobuf-c
 * (bounded by the envelope's OW_FRAME_MAX) and every string is checked against its bound
 * before it reaches the database. */
#include "case_events.h"

#include <string.h>

#include "ow_case_events.h"
#include "clocks.h"
#include "deadline_context.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_clock.h"

#define S_CODE_MAX 64 /* item and department codes */

/* What a clock stores of the case, within its columns' bounds (migrations). */
static const ow_case_rule_t s_accepted_rules[] = {
    {.field = "case.centre_id", .max = OW_CENTRE_ID_MAX},
    {.field = "case.item_code", .max = S_CODE_MAX},
    {.field = "case.department_code", .max = S_CODE_MAX},
    {.field = "case.limit_unit", .max = CLOCK_UNIT_MAX},
    {0},
};

static const ow_case_rule_t s_decided_rules[] = {
    {.field = "outcome", .max = 32, .required = true},
    {0},
};

int deadline_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const deadline_context_t *ctx = arg;
    int rc = -1;
    Onewindow__V1__CaseAccepted *msg = ow_case_accepted_unpack(ev, s_accepted_rules, err);
    if (!msg)
        goto cleanup;
    const Onewindow__V1__CaseSummary *c = msg->case_;

    clock_start_t start = {
        .case_no = c->case_no,
        .centre_id = *c->centre_id ? c->centre_id : ev->centre_id,
        .item_code = c->item_code,
        .department_code = c->department_code,
        /* The acceptance time starts the clock; the event time stands in if intake left it
         * out (it is when the acceptance committed). */
        .accepted_at_us = c->accepted_at_us ? c->accepted_at_us : ev->time_us,
        .limit = c->promised_limit,
        .unit = c->limit_unit,
        .legal_limit = c->legal_limit,
        .event_id = ev->event_id,
    };
    if (clocks_start(db, ctx->cal, &start, ow_clock_now_us(), err) != 0) {
        if (err->code == OW_INVALID_ARGUMENT)
            ow_case_event_finish(err, ev); /* name the event in the message */
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    return rc;
}

int deadline_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const deadline_context_t *ctx = arg;
    int rc = -1;
    Onewindow__V1__CaseDecided *msg = ow_case_decided_unpack(ev, s_decided_rules, err);
    if (!msg)
        goto cleanup;
    int64_t decided_at = msg->decided_at_us ? msg->decided_at_us : ev->time_us;
    if (clocks_stop(db, ctx->cal, msg->case_no, msg->outcome, decided_at, ev->event_id,
                    ow_clock_now_us(), err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}
