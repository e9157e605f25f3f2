/* case_events — see case_events.h. Every payload is decoded with protobuf-c (bounded by the
 * envelope's OW_FRAME_MAX) and every string is checked against the bound of the column and
 * buffer that will hold it, so nothing is cut short on the way to a notice. */
#include "case_events.h"

#include <stdlib.h>
#include <string.h>

#include "ow_case_events.h"
#include "case_contacts.h"
#include "deliveries.h"
#include "notices.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "templates.h"

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

/* What a contact and its notices hold of the case, within their bounds (notices.h). */
static const ow_case_rule_t s_accepted_rules[] = {
    {.field = "case.item_code", .max = NOTICE_CODE_MAX},
    {.field = "case.item_name", .max = NOTICE_NAME_MAX},
    {.field = "case.centre_id", .max = OW_CENTRE_ID_MAX},
    {.field = "case.limit_unit", .max = 15},
    {.field = "case.applicant.name", .max = NOTICE_NAME_MAX},
    {.field = "case.applicant.phone", .max = NOTICE_PHONE_MAX},
    {.field = "case.applicant.email", .max = NOTICE_EMAIL_MAX},
    {0},
};

/* The wording of a decision notice depends on the outcome: only these two have one. */
static const char *const s_outcomes[] = {"approved", "refused", NULL};

static const ow_case_rule_t s_decided_rules[] = {
    {.field = "outcome", .one_of = s_outcomes},
    {.field = "comment", .max = NOTICE_COMMENT_MAX},
    {0},
};

int notify_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const templates_t *templates = arg;
    int rc = -1;
    case_contact_t *contact = NULL;
    Onewindow__V1__CaseAccepted *msg = ow_case_accepted_unpack(ev, s_accepted_rules, err);
    if (!msg)
        goto cleanup;
    const Onewindow__V1__CaseSummary *c = msg->case_;
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
    Onewindow__V1__CaseDecided *msg = ow_case_decided_unpack(ev, s_decided_rules, err);
    if (!msg)
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
