/* case_events — see case_events.h. Network bytes: every payload is decoded with protobuf-c
 * (bounded by the envelope's OW_FRAME_MAX) and every string is checked against its bound
 * before it reaches the database. */
#include "case_events.h"

#include <string.h>

#include "clocks.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_clock.h"

#define S_CODE_MAX 64 /* item and department codes */

/* Adds a violation when text is longer than max bytes. */
static void s_check_len(ow_error_t *err, const char *field, const char *text, size_t max)
{
    if (text && strlen(text) > max)
        ow_error_add_violation(err, field, "is %zu bytes long, more than %zu", strlen(text), max);
}

/* Text from the network is echoed in messages only when it is plain printable ASCII: the
 * message is logged, stored and turned into JSON, which all need valid UTF-8. */
static const char *s_safe(const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++)
        if (text[i] < 0x20 || text[i] > 0x7e)
            return "(unprintable)";
    return n <= 64 ? text : "(too long)";
}

/* The payload names the case; the envelope, when it names one too, must agree. */
static void s_check_case_no(ow_error_t *err, const ow_event_t *ev, const char *case_no)
{
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty");
    else if (strlen(case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "is longer than %d bytes", OW_CASE_NO_MAX);
    else if (*ev->case_no && strcmp(ev->case_no, case_no) != 0)
        ow_error_add_violation(err, "case_no", "'%s' differs from the envelope's '%s'",
                               s_safe(case_no), s_safe(ev->case_no));
}

/* Turns collected violations into one INVALID_ARGUMENT naming the event. */
static int s_finish(ow_error_t *err, const ow_event_t *ev)
{
    if (ow_error_finish_violations(err) == 0)
        return 0;
    char detail[OW_ERROR_MESSAGE_MAX];
    memcpy(detail, err->message, sizeof detail);
    ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): %s", ev->type, ev->event_id,
                 (unsigned long long)ev->seq, detail);
    return -1;
}

int deadline_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseAccepted *msg =
        onewindow__v1__case_accepted__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): payload is not a CaseAccepted",
                     ev->type, ev->event_id, (unsigned long long)ev->seq);
        goto cleanup;
    }
    const Onewindow__V1__CaseSummary *c = msg->case_;
    if (!c) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): CaseAccepted has no case",
                     ev->type, ev->event_id, (unsigned long long)ev->seq);
        goto cleanup;
    }
    s_check_case_no(err, ev, c->case_no);
    s_check_len(err, "case.centre_id", c->centre_id, OW_CENTRE_ID_MAX);
    s_check_len(err, "case.item_code", c->item_code, S_CODE_MAX);
    s_check_len(err, "case.department_code", c->department_code, S_CODE_MAX);
    s_check_len(err, "case.limit_unit", c->limit_unit, CLOCK_UNIT_MAX);
    if (s_finish(err, ev) != 0)
        goto cleanup;

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
    if (clocks_start(db, &start, ow_clock_now_us(), err) != 0) {
        if (err->code == OW_INVALID_ARGUMENT)
            s_finish(err, ev); /* name the event in the message */
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
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseDecided *msg =
        onewindow__v1__case_decided__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): payload is not a CaseDecided",
                     ev->type, ev->event_id, (unsigned long long)ev->seq);
        goto cleanup;
    }
    s_check_case_no(err, ev, msg->case_no);
    if (!*msg->outcome)
        ow_error_add_violation(err, "outcome", "is empty");
    s_check_len(err, "outcome", msg->outcome, 32);
    if (s_finish(err, ev) != 0)
        goto cleanup;
    int64_t decided_at = msg->decided_at_us ? msg->decided_at_us : ev->time_us;
    if (clocks_stop(db, msg->case_no, msg->outcome, decided_at, ev->event_id, ow_clock_now_us(),
                    err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}
