/* event_rules — see event_rules.h. */
#include "event_rules.h"

#include <stdlib.h>
#include <string.h>

#include "case_contacts.h"
#include "case_events.h"
#include "deliveries.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "staff_rules.h"
#include "subscriptions.h"

const char *event_rules_applicant_channel(const char *preference, const char *phone,
                                          const char *email, bool sms_on, bool email_on)
{
    bool sms = sms_on && phone && *phone, mail = email_on && email && *email;
    if (preference && strcmp(preference, "none") == 0)
        return NULL;
    if (preference && strcmp(preference, "email") == 0 && mail)
        return "email";
    if (sms)
        return "sms";
    return mail ? "email" : NULL;
}

bool event_rules_urgent(const char *kind)
{
    return kind && strcmp(kind, STAFF_NOTICE_RED) == 0;
}

int event_rules_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(
            db, "notify_rules_file_notices",
            "SELECT event_id, kind FROM deliveries WHERE case_no = $1 AND channel = 'file'"
            " ORDER BY queued_seq",
            err) != 0)
        return -1;
    return ow_db_prepare(
        db, "notify_rules_pref",
        "SELECT channel FROM applicant_preferences WHERE contact = ANY ($1::text[])"
        " ORDER BY updated_at_us DESC LIMIT 1",
        err);
}

int event_rules_on_event(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    if (ev->type[0] == '_')
        return 0;
    return subscriptions_queue_event(db, ev, ow_clock_now_us(), err) < 0 ? -1 : 0;
}

int event_rules_preference(ow_db_t *db, const char *phone, const char *email, char *out,
                           size_t size, ow_error_t *err)
{
    out[0] = '\0';
    /* Checked bounds (no quotes or commas in a phone; an address with them is not matched). */
    char list[NOTICE_PHONE_MAX + NOTICE_EMAIL_MAX + 8];
    if (strlen(phone) > NOTICE_PHONE_MAX || strlen(email) > NOTICE_EMAIL_MAX ||
        strpbrk(phone, "\",{}\\") || strpbrk(email, "\",{}\\"))
        return 0;
    snprintf(list, sizeof list, "{\"%s\",\"%s\"}", phone, email);
    const char *params[] = {list};
    PGresult *res = ow_db_exec(db, "notify_rules_pref", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1)
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static const char *s_subject_kind(const char *kind)
{
    if (strcmp(kind, NOTICE_CASE_ACCEPTED) == 0)
        return TEMPLATE_CASE_ACCEPTED_SUBJECT;
    if (strcmp(kind, NOTICE_CASE_DECIDED) == 0)
        return TEMPLATE_CASE_DECIDED_SUBJECT;
    return TEMPLATE_RATING_INVITATION_SUBJECT;
}

/* Queues one notice of c over channel. */
static int s_queue_outside(ow_db_t *db, const event_rules_t *rules, const case_contact_t *c,
                           const char *event_id, const char *kind, const char *channel,
                           ow_error_t *err)
{
    int rc = -1;
    char *text = NULL, *subject = NULL;
    char picked[64], subject_pick[64];
    const char *tkind = notices_template_kind(kind, c);
    if (!tkind) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case %s: no template for %s", c->case_no, kind);
        return -1;
    }
    const char *name = templates_pick(rules->templates, tkind, channel, picked, sizeof picked);
    /* notices_render renders by delivery kind; the channel's own text is rendered through
     * the same values by temporarily naming it — see notices_render_as. */
    text = notices_render_as(rules->templates, kind, name, c, err);
    if (!text)
        goto cleanup;
    bool email = strcmp(channel, DELIVERY_CHANNEL_EMAIL) == 0;
    if (email) {
        const char *sname = templates_pick(rules->templates, s_subject_kind(kind), channel,
                                           subject_pick, sizeof subject_pick);
        subject = notices_render_as(rules->templates, kind, sname, c, err);
        if (!subject)
            goto cleanup;
    }
    int64_t now = ow_clock_now_us();
    bool urgent = event_rules_urgent(kind);
    delivery_t d = {
        .event_id = event_id,
        .kind = kind,
        .recipient = email ? c->email : c->phone,
        .channel = channel,
        .case_no = c->case_no,
        .text = text,
        .template_kind = name,
        .template_version = templates_version(rules->templates, name),
        .target = email ? c->email : c->phone,
        .subject = subject,
        .urgent = urgent,
        /* DOMAIN.md §8 via issue 7: no SMS at night unless urgent; held, not dropped. */
        .not_before_us = email ? now : quiet_hours_next_allowed(&rules->quiet, now, urgent),
    };
    rc = deliveries_queue(db, &d, now, err) < 0 ? -1 : 0;
cleanup:
    free(text);
    free(subject);
    return rc;
}

/* For every file notice of the case, the same notice over the applicant's channel. */
static int s_applicant(ow_db_t *db, const event_rules_t *rules, const char *case_no,
                       ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    case_contact_t *c = malloc(sizeof *c);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    int found = case_contacts_get(db, case_no, c, err);
    if (found <= 0 || !c->accepted) {
        rc = found < 0 ? -1 : 0; /* no contact yet: case.accepted will do it */
        goto cleanup;
    }
    char pref[16];
    if (event_rules_preference(db, c->phone, c->email, pref, sizeof pref, err) != 0)
        goto cleanup;
    const char *channel =
        event_rules_applicant_channel(pref, c->phone, c->email, rules->sms_on, rules->email_on);
    if (!channel) {
        rc = 0;
        goto cleanup;
    }
    const char *params[] = {case_no};
    res = ow_db_exec(db, "notify_rules_file_notices", 1, params, err);
    if (!res)
        goto cleanup;
    for (int i = 0; i < PQntuples(res); i++)
        if (s_queue_outside(db, rules, c, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), channel,
                            err) != 0)
            goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    free(c);
    return rc;
}

static int s_case_event(ow_inbox_apply_fn *skeleton, ow_db_t *db, const ow_event_t *ev,
                        event_rules_t *rules, ow_error_t *err)
{
    if (skeleton(db, ev, (void *)rules->templates, err) != 0)
        return -1;
    if (event_rules_on_event(db, ev, rules, err) != 0)
        return -1;
    if (!*ev->case_no)
        return 0; /* the skeleton's handler checked the payload; nothing to fan out from */
    return s_applicant(db, rules, ev->case_no, err);
}

int event_rules_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    return s_case_event(notify_on_case_accepted, db, ev, arg, err);
}

int event_rules_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    return s_case_event(notify_on_case_decided, db, ev, arg, err);
}

int event_rules_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                     const char *kind, const char *template_kind, const event_person_t *who,
                     const template_value_t *values, size_t count, ow_error_t *err)
{
    int rc = -1;
    char *text = NULL, *subject = NULL;
    char picked[64], subject_pick[64];
    int64_t now = ow_clock_now_us();
    const char *case_no = *ev->case_no ? ev->case_no : "";
    if (who->file && *who->recipient) {
        const char *name = templates_pick(rules->templates, template_kind, DELIVERY_CHANNEL_FILE,
                                          picked, sizeof picked);
        text = templates_render(rules->templates, name, values, count, err);
        if (!text)
            goto cleanup;
        delivery_t d = {
            .event_id = ev->event_id,
            .kind = kind,
            .recipient = who->recipient,
            .channel = DELIVERY_CHANNEL_FILE,
            .case_no = case_no,
            .text = text,
            .template_kind = name,
            .template_version = templates_version(rules->templates, name),
        };
        if (deliveries_queue(db, &d, now, err) < 0)
            goto cleanup;
        free(text);
        text = NULL;
    }
    const char *channel = event_rules_applicant_channel(who->preference, who->phone, who->email,
                                                        rules->sms_on, rules->email_on);
    if (!channel) {
        rc = 0;
        goto cleanup;
    }
    bool email = strcmp(channel, DELIVERY_CHANNEL_EMAIL) == 0;
    const char *name =
        templates_pick(rules->templates, template_kind, channel, picked, sizeof picked);
    text = templates_render(rules->templates, name, values, count, err);
    if (!text)
        goto cleanup;
    if (email) {
        const char *sname = templates_pick(rules->templates, TEMPLATE_NOTICE_SUBJECT, channel,
                                           subject_pick, sizeof subject_pick);
        subject = templates_render(rules->templates, sname, values, count, err);
        if (!subject)
            goto cleanup;
    }
    const char *target = email ? who->email : who->phone;
    bool urgent = event_rules_urgent(kind);
    delivery_t d = {
        .event_id = ev->event_id,
        .kind = kind,
        .recipient = who->key_by_target ? target : who->recipient,
        .channel = channel,
        .case_no = case_no,
        .text = text,
        .template_kind = name,
        .template_version = templates_version(rules->templates, name),
        .target = target,
        .subject = subject,
        .urgent = urgent,
        /* DOMAIN.md §8 via issue 7: no SMS at night unless urgent; held, not dropped. */
        .not_before_us = email ? now : quiet_hours_next_allowed(&rules->quiet, now, urgent),
    };
    rc = deliveries_queue(db, &d, now, err) < 0 ? -1 : 0;
cleanup:
    free(text);
    free(subject);
    return rc;
}
