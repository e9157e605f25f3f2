/* case_events — see case_events.h. Every payload is decoded with protobuf-c (bounded by the
 * envelope's OW_FRAME_MAX) and every string is checked against its bound before it is
 * stored. */
#include "case_events.h"

#include <string.h>

#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "served_cases.h"

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

int evaluation_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseAccepted *msg =
        onewindow__v1__case_accepted__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg || !msg->case_) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): %s", ev->type, ev->event_id,
                     (unsigned long long)ev->seq,
                     msg ? "CaseAccepted has no case" : "payload is not a CaseAccepted");
        goto cleanup;
    }
    const Onewindow__V1__CaseSummary *c = msg->case_;
    s_check_case_no(err, ev, c->case_no);
    s_check_len(err, "case.item_code", c->item_code, 64);
    s_check_len(err, "case.item_name", c->item_name, 400);
    s_check_len(err, "case.department_code", c->department_code, 64);
    s_check_len(err, "case.department_name", c->department_name, 400);
    s_check_len(err, "case.centre_id", c->centre_id, OW_CENTRE_ID_MAX);
    s_check_len(err, "case.channel", c->channel, 32);
    if (c->applicant) {
        s_check_len(err, "case.applicant.name", c->applicant->name, 400);
        s_check_len(err, "case.applicant.id_type", c->applicant->id_type, 32);
        s_check_len(err, "case.applicant.id_number", c->applicant->id_number, 64);
        s_check_len(err, "case.applicant.phone", c->applicant->phone, 32);
        s_check_len(err, "case.applicant.email", c->applicant->email, 254);
    }
    if (s_finish(err, ev) != 0)
        goto cleanup;
    /* The event time stands in for an acceptance time intake left out. */
    int64_t accepted_at = c->accepted_at_us ? c->accepted_at_us : ev->time_us;
    if (served_cases_accept(db, c, accepted_at, ev->event_id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    return rc;
}

int evaluation_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
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
    if (served_cases_decide(db, msg->case_no, msg->outcome, decided_at, ev->event_id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}
