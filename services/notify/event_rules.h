/* event_rules — who is told what about an event, beyond the file sink (DOMAIN.md §8; issue 7):
 *
 *   every event of a followed source → each webhook subscription whose event types match
 *                                      (subscriptions.h);
 *   case.accepted, case.decided      → the applicant over their channel: the preference they
 *                                      set (notify.set_preference: sms, email, none), else SMS
 *                                      when a phone is known, else e-mail; rendered from that
 *                                      channel's template ("kind@sms") or the general one,
 *                                      e-mail with the "<kind>_subject" template; SMS held past
 *                                      the quiet hours unless the rule is urgent.
 *
 * The handlers run inside the inbox's transaction after the skeleton's handlers
 * (case_events.h), which queue the file-sink notices; the outside deliveries of the case are
 * queued from those, with the same (event id, kind) and their own channel, so a replay or a
 * re-run queues nothing new. */
#ifndef NOTIFY_EVENT_RULES_H
#define NOTIFY_EVENT_RULES_H

#include <stdbool.h>
#include "notices.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_inbox.h"
#include "ow_status.h"
#include "quiet_hours.h"
#include "templates.h"

typedef struct {
    const templates_t *templates;
    quiet_hours_t quiet;
    bool sms_on;   /* an SMS gateway is configured */
    bool email_on; /* an SMTP relay is configured */
} event_rules_t;

/* The channel an applicant is told on: preference "sms"/"email"/"none" (or "" for none set),
 * the contact's phone and e-mail, and which channels are on. Returns "sms", "email", or NULL
 * (nothing outside the file sink). A preferred channel that is off or lacks an address falls
 * back to the other one; "none" is obeyed. Pure. */
const char *event_rules_applicant_channel(const char *preference, const char *phone,
                                          const char *email, bool sms_on, bool email_on);

/* Whether a notice kind is urgent (sent in the SMS quiet hours): a red card only (DOMAIN.md
 * §5: the limit has passed; issue 7). None of the applicant's notices is: a decision can wait
 * for the morning. Pure. */
bool event_rules_urgent(const char *kind);

/* ow_inbox_apply_fn for every event ("" prefix): queues its webhooks. arg: event_rules_t. */
int event_rules_on_event(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for case.accepted and case.decided: runs the skeleton's handler, then
 * queues webhooks and the applicant's outside deliveries. arg: event_rules_t. */
int event_rules_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);
int event_rules_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* A person told of an event beyond the case's applicant notices above (issue 7). */
typedef struct {
    const char *recipient;  /* the file sink's recipient, and the delivery key's when
                               key_by_target is false (a staff id) */
    const char *phone;      /* "" when unknown */
    const char *email;      /* "" when unknown */
    const char *preference; /* "", sms, email, none */
    bool key_by_target;     /* applicants: outside deliveries keyed by phone / address */
    bool file;              /* also a file-sink notice (always, for one machine) */
} event_person_t;

/* Inside the inbox's transaction: renders template_kind (each channel's own text when it has
 * one) with values and queues delivery `kind` of ev for who — on the file sink when who->file,
 * and over the person's channel (preference, else SMS, else e-mail; none obeyed), e-mail with
 * the notice_subject template, SMS held past the quiet hours unless event_rules_urgent(kind).
 * values must supply every placeholder of template_kind and notice_subject. A key already
 * queued queues nothing. Returns 0, or -1 with err (nothing half-queued is committed: the
 * caller's transaction rolls back). */
int event_rules_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                     const char *kind, const char *template_kind, const event_person_t *who,
                     const template_value_t *values, size_t count, ow_error_t *err);

/* The preference an applicant set for phone or email ("" when none) into out. Returns 0 or
 * -1 with err. */
int event_rules_preference(ow_db_t *db, const char *phone, const char *email, char *out,
                           size_t size, ow_error_t *err);

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int event_rules_prepare(ow_db_t *db, ow_error_t *err);

#endif
