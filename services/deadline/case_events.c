/* case_events — see case_events.h. Network bytes: every payload is decoded with protobuf-c
 * (bounded by the envelope's OW_FRAME_MAX) and every string is checked against its bound
 * before it reaches the database. */
#include "case_events.h"

#include <stdio.h>
#include <string.h>

#include "ow_case_events.h"
#include "clocks.h"
#include "deadline_context.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_clock.h"
#include "ow_log.h"

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
    if (clocks_start(ctx, &start, ow_clock_now_us(), err) != 0) {
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
    if (clocks_stop(ctx, msg->case_no, msg->outcome, decided_at, ev->event_id, ow_clock_now_us(),
                    err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}

/* The checks every routing payload of the clock events passes: it decoded, names its case,
 * within bounds, agreeing with the envelope (network bytes, ARCHITECTURE "Protobuf rules"). */
static void s_check_case(const ow_event_t *ev, const char *case_no, ow_error_t *err)
{
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty: the event names no case");
    else if (strlen(case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "is longer than %d bytes", OW_CASE_NO_MAX);
    else if (*ev->case_no && strcmp(ev->case_no, case_no) != 0)
        ow_error_add_violation(err, "case_no", "differs from the envelope's case number");
}

/* Poison when the payload did not decode; names the event in every message. */
static int s_undecodable(const ow_event_t *ev, const char *what, ow_error_t *err)
{
    ow_error_add_violation(err, "payload", "is not a %s", what);
    ow_case_event_finish(err, ev);
    return -1;
}

/* Finishes a handler's error: INVALID_ARGUMENT names the event (the inbox skips it). */
static int s_finish(int rc, const ow_event_t *ev, ow_error_t *err)
{
    if (rc != 0 && err->code == OW_INVALID_ARGUMENT)
        ow_case_event_finish(err, ev);
    return rc;
}

int deadline_on_case_suspended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__CaseSuspended *msg =
        onewindow__v1__case_suspended__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg)
        return s_undecodable(ev, "CaseSuspended", err);
    int rc = -1;
    s_check_case(ev, msg->case_no, err);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    clock_suspend_t s = {
        .case_no = msg->case_no,
        .stage = msg->stage,
        .kind = msg->kind,
        .from_us = msg->started_at_us ? msg->started_at_us : ev->time_us,
        .expected_days = msg->expected_days,
        .expected_unit = msg->expected_unit,
        .reason = msg->reason,
        .task_id = msg->task_id,
        .event_id = ev->event_id,
    };
    rc = s_finish(clocks_suspend(ctx, &s, ow_clock_now_us(), err), ev, err);
cleanup:
    onewindow__v1__case_suspended__free_unpacked(msg, NULL);
    return rc;
}

int deadline_on_case_resumed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__CaseResumed *msg =
        onewindow__v1__case_resumed__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg)
        return s_undecodable(ev, "CaseResumed", err);
    int rc = -1;
    s_check_case(ev, msg->case_no, err);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    int64_t at = msg->resumed_at_us ? msg->resumed_at_us : ev->time_us;
    rc = s_finish(clocks_resume(ctx, msg->case_no, at, ev->event_id, ow_clock_now_us(), err), ev,
                  err);
cleanup:
    onewindow__v1__case_resumed__free_unpacked(msg, NULL);
    return rc;
}

int deadline_on_case_extended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__CaseExtended *msg =
        onewindow__v1__case_extended__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg)
        return s_undecodable(ev, "CaseExtended", err);
    int rc = -1;
    s_check_case(ev, msg->case_no, err);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    clock_extend_t e = {
        .case_no = msg->case_no,
        .extra_days = msg->extra_working_days,
        .joint_handling = msg->joint_handling,
        .approved_by = msg->approved_by,
        .reason = msg->reason,
        .approved_at_us = msg->approved_at_us ? msg->approved_at_us : ev->time_us,
        .event_id = ev->event_id,
    };
    bool refused = false;
    ow_error_t why;
    ow_error_clear(&why);
    rc = clocks_extend(ctx, &e, ow_clock_now_us(), &refused, &why);
    if (rc != 0) {
        *err = why;
        rc = s_finish(rc, ev, err);
    } else if (refused) {
        /* Art. 42 refused: recorded with the reason (extensions.refusal); the clock keeps its
         * limit. Not poison: the event applied, its effect is the recorded refusal. */
        char seq[24];
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
        ow_log_kv(OW_LOG_WARN, "extension refused (art. 42)", "case_no", msg->case_no, "seq", seq,
                  "error", why.message, NULL);
    }
cleanup:
    onewindow__v1__case_extended__free_unpacked(msg, NULL);
    return rc;
}

/* stage.started and stage.completed share a payload. */
static Onewindow__V1__StageEvent *s_stage_unpack(const ow_event_t *ev, ow_error_t *err)
{
    Onewindow__V1__StageEvent *msg =
        onewindow__v1__stage_event__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        s_undecodable(ev, "StageEvent", err);
        return NULL;
    }
    s_check_case(ev, msg->case_no, err);
    if (ow_case_event_finish(err, ev) != 0) {
        onewindow__v1__stage_event__free_unpacked(msg, NULL);
        return NULL;
    }
    return msg;
}

int deadline_on_stage_started(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__StageEvent *msg = s_stage_unpack(ev, err);
    if (!msg)
        return -1;
    clock_stage_t s = {
        .case_no = msg->case_no,
        .stage = msg->stage,
        .centre_id = ev->centre_id,
        .department_code = msg->department_code,
        .limit = msg->limit,
        .unit = msg->unit,
        .at_us = msg->at_us ? msg->at_us : ev->time_us,
        .event_id = ev->event_id,
    };
    int rc = s_finish(clocks_stage_start(ctx, &s, ow_clock_now_us(), err), ev, err);
    onewindow__v1__stage_event__free_unpacked(msg, NULL);
    return rc;
}

int deadline_on_stage_completed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__StageEvent *msg = s_stage_unpack(ev, err);
    if (!msg)
        return -1;
    int64_t at = msg->at_us ? msg->at_us : ev->time_us;
    int rc = s_finish(clocks_stage_stop(ctx, msg->case_no, msg->stage, at, ow_clock_now_us(), err),
                      ev, err);
    onewindow__v1__stage_event__free_unpacked(msg, NULL);
    return rc;
}

/* The end's kind from the event type: which of intake's closing events this is. */
static const char *s_end_kind(const char *type)
{
    if (strcmp(type, "case.withdrawn") == 0)
        return CLOCK_STOP_WITHDRAWN;
    if (strcmp(type, "case.terminated") == 0)
        return CLOCK_STOP_TERMINATED;
    return NULL;
}

int deadline_on_case_ended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db;
    const deadline_context_t *ctx = arg;
    Onewindow__V1__CaseChanged *msg =
        onewindow__v1__case_changed__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg)
        return s_undecodable(ev, "CaseChanged", err);
    int rc = -1;
    const Onewindow__V1__CaseSummary *c = msg->case_;
    s_check_case(ev, c ? c->case_no : NULL, err);
    const char *kind = s_end_kind(ev->type);
    if (!kind)
        ow_error_add_violation(err, "type", "is not case.withdrawn or case.terminated");
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    /* The withdrawal or termination document is dated when the case ended; the event's time
     * (its commit) stands in without one. */
    int64_t at = msg->document && msg->document->issued_at_us > 0 ? msg->document->issued_at_us
                                                                  : ev->time_us;
    clock_end_t end = {
        .case_no = c->case_no,
        .kind = kind,
        .reason = c->closed_reason,
        .ended_at_us = at,
        .event_id = ev->event_id,
    };
    rc = s_finish(clocks_end(ctx, &end, ow_clock_now_us(), err), ev, err);
cleanup:
    onewindow__v1__case_changed__free_unpacked(msg, NULL);
    return rc;
}
