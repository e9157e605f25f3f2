/* provincial_push — each rating pushed to the provincial 好差评 interface (DOMAIN.md §6:
 * "ratings are pushed to the provincial system"; issue 6 "Provincial push"). evaluationd emits
 * the pushes of each transaction as ONE rating.pushes_requested (RatingPushBatch): at 20,000
 * ratings/s an outbox row per rating cost PostgreSQL more CPU than the ratings did. notifyd
 * turns every push in it into one webhook delivery, so the province still receives one POST per
 * rating, unchanged: an HTTP POST of the DOMAIN §6 fields as JSON to notify.provincial_push_url,
 * signed with notify.provincial_push_secret (webhook_signature.h), X-OneWindow-Event
 * rating.push_requested, retried with back-off until a 2xx and parked as a dead letter only
 * after notify.provincial_push_max_attempts. The older event of one push, rating.push_requested
 * (RatingPush), is still consumed the same way: outboxes may hold it across an upgrade.
 *
 * The identity rule (DOMAIN.md §6, issue 6): RatingPush is the only payload that carries the
 * rater's identity, and this is the only delivery that may show it. So the events never go
 * to integrators' subscriptions, never to the file sink, never into a template or a log line;
 * the delivery's recipient is the rating id, and its stored body is emptied once the province
 * accepted it (deliveries.c). Empty URL: the push is off and nothing is recorded.
 *
 * Delivery key: one push per rating id (a partial unique index, migration 0004), whatever
 * event carried it: a replayed event, or a push already delivered through another event,
 * queues nothing new. */
#ifndef NOTIFY_PROVINCIAL_PUSH_H
#define NOTIFY_PROVINCIAL_PUSH_H

#include <stdbool.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

#define PROVINCIAL_PUSH_KIND "rating_push" /* delivery kind */
/* The event of one push (RatingPush), and every push delivery's event type and
 * X-OneWindow-Event, whichever event carried it: the province sees no change. */
#define PROVINCIAL_PUSH_EVENT "rating.push_requested"
/* The event of a transaction's pushes (RatingPushBatch), as evaluationd emits them. */
#define PROVINCIAL_PUSH_BATCH_EVENT "rating.pushes_requested"
#define PROVINCIAL_PUSH_FIELD_MAX   400 /* bytes of any text field */

/* notify.provincial_push_* (docs/configuration.md). Strings borrowed from the configuration. */
typedef struct {
    const char *url;    /* "" = off */
    const char *secret; /* signs every push; 16–256 printable bytes when url is set */
    int max_attempts;   /* attempts before a push is parked for an operator */
} provincial_push_config_t;

/* Checks the configuration: url "" or http(s)://…, a secret of 16–256 printable bytes when
 * url is set, max_attempts 1–100000. Returns 0, or -1 with err INVALID_ARGUMENT naming the key
 * (never the secret). Pure. */
int provincial_push_config_check(const provincial_push_config_t *cfg, ow_error_t *err);

/* Checks a RatingPush: rating id 1–64 bytes, case number 1–OW_CASE_NO_MAX, every other text
 * at most PROVINCIAL_PUSH_FIELD_MAX bytes, grade 1–5. Each problem is a violation on err
 * (field names only, never values). Returns the number added. Pure. */
int provincial_push_check(const Onewindow__V1__RatingPush *p, ow_error_t *err);

/* The JSON body of a push: one member per RatingPush field, named as in evaluation.proto
 * (strings, integers, booleans). Returns a new string the caller frees, or NULL with err
 * (INVALID_ARGUMENT for text that is not UTF-8, INTERNAL when out of memory). Pure. */
char *provincial_push_json(const Onewindow__V1__RatingPush *p, ow_error_t *err);

/* Whether a claimed webhook delivery is a provincial push (signed with the configured secret,
 * with the push's attempt budget): event type rating.push_requested (what every push delivery
 * records, from either event) and no integrator's subscription behind it. Pure. */
bool provincial_push_is_push(const char *event_type, bool has_subscription);

/* ow_inbox_apply_fn for rating.pushes_requested and rating.push_requested (one code path); arg:
 * provincial_push_config_t (borrowed). Inside the inbox's transaction: queues one delivery per
 * push with one statement (deliveries_queue_many), none for a rating pushed already, nothing
 * when the URL is empty. A push that breaks a bound (or is not UTF-8) is skipped and logged
 * with the event, its index and the fields at fault (never their values), the others queued;
 * a payload that does not decode, holds no push, or none that is valid is INVALID_ARGUMENT
 * (poison). Database errors are passed on for the inbox to retry. */
int provincial_push_on_event(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
