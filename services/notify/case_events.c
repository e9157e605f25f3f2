/* case_events — see case_events.h. Every payload is decoded with protobuf-c (bounded by the
 * envelope's OW_FRAME_MAX) and every string is checked against the bound of the column and
 * buffer that will hold it, so nothing is cut short on the way to a notice. */
#include "case_events.h"

#include <stdlib.h>
#include <string.h>

#include "case_contacts.h"
#include "deliveries.h"
#include "notices.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "templates.h"

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

/* Renders and queues one notice about c, caused by event_id. A case with neither phone nor
 * name has no recipient: logged, nothing queued. */
static int s_queue(ow_db_t *db, const templates_t *templates, const char *kind,
                   const case_contact_t *c, const char *event_id, ow_error_t *err)
{
    const char *recipient = notices_recipient(c);
    if (!*recipient) {
        ow_log_kv(OW_LOG_WARN, "no recipient for a notice: the case has no phone or name",
                  "case_no", c->case_no, "kind", kind, NULL);
        return 0;
    }
    const char *template_kind = NULL;
    int version = 0;
    char *text = notices_render(templates, kind, c, &template_kind, &version, err);
    if (!text)
        return -1;
    delivery_t d = {
        .event_id = event_id,
        .kind = kind,
        .recipient = recipient,
        .channel = DELIVERY_CHANNEL_FILE,
        .case_no = c->case_no,
        .text = text,
        .template_kind = template_kind,
        .template_version = version,
    };
    int rc = deliveries_queue(db, &d, ow_clock_now_us(), err);
    free(text);
    return rc < 0 ? -1 : 0;
}

/* The decision's two notices (the invitation right away for now; the 3-day rule of
 * DOMAIN.md §6 comes with the timers). */
static int s_queue_decision(ow_db_t *db, const templates_t *templates, const case_contact_t *c,
                            const char *event_id, ow_error_t *err)
{
    if (s_queue(db, templates, NOTICE_CASE_DECIDED, c, event_id, err) != 0)
        return -1;
    return s_queue(db, templates, NOTICE_RATING_INVITATION, c, event_id, err);
}

int notify_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const templates_t *templates = arg;
    int rc = -1;
    case_contact_t *contact = NULL;
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
    s_check_len(err, "case.item_code", c->item_code, NOTICE_CODE_MAX);
    s_check_len(err, "case.item_name", c->item_name, NOTICE_NAME_MAX);
    s_check_len(err, "case.centre_id", c->centre_id, OW_CENTRE_ID_MAX);
    s_check_len(err, "case.limit_unit", c->limit_unit, 15);
    if (c->applicant) {
        s_check_len(err, "case.applicant.name", c->applicant->name, NOTICE_NAME_MAX);
        s_check_len(err, "case.applicant.phone", c->applicant->phone, NOTICE_PHONE_MAX);
        s_check_len(err, "case.applicant.email", c->applicant->email, NOTICE_EMAIL_MAX);
    }
    if (s_finish(err, ev) != 0)
        goto cleanup;
    contact = malloc(sizeof *contact);
    if (!contact) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    int64_t accepted_at = c->accepted_at_us ? c->accepted_at_us : ev->time_us;
    int wrote = case_contacts_accept(db, c, accepted_at, ev->event_id, contact, err);
    if (wrote < 0)
        goto cleanup;
    if (wrote == 1) {
        if (s_queue(db, templates, NOTICE_CASE_ACCEPTED, contact, ev->event_id, err) != 0)
            goto cleanup;
        /* The decision arrived first: its notices waited for the contact. */
        if (contact->decided &&
            s_queue_decision(db, templates, contact, contact->decided_event_id, err) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    free(contact);
    if (msg)
        onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    return rc;
}

int notify_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const templates_t *templates = arg;
    int rc = -1;
    case_contact_t *contact = NULL;
    Onewindow__V1__CaseDecided *msg =
        onewindow__v1__case_decided__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): payload is not a CaseDecided",
                     ev->type, ev->event_id, (unsigned long long)ev->seq);
        goto cleanup;
    }
    s_check_case_no(err, ev, msg->case_no);
    if (strcmp(msg->outcome, "approved") != 0 && strcmp(msg->outcome, "refused") != 0)
        ow_error_add_violation(err, "outcome", "'%s' is neither approved nor refused",
                               s_safe(msg->outcome));
    s_check_len(err, "comment", msg->comment, NOTICE_COMMENT_MAX);
    if (s_finish(err, ev) != 0)
        goto cleanup;
    contact = malloc(sizeof *contact);
    if (!contact) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    int64_t decided_at = msg->decided_at_us ? msg->decided_at_us : ev->time_us;
    int wrote = case_contacts_decide(db, msg, decided_at, ev->event_id, contact, err);
    if (wrote < 0)
        goto cleanup;
    /* Without the acceptance there is no contact yet: case.accepted queues these. */
    if (wrote == 1 && contact->accepted &&
        s_queue_decision(db, templates, contact, ev->event_id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(contact);
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}
