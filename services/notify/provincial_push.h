/* provincial_push — each rating pushed to the provincial 好差评 interface (DOMAIN.md §6:
 * "ratings are pushed to the provincial system"; issue 6 "Provincial push"). evaluationd emits
 * rating.push_requested (RatingPush) once per recorded rating; notifyd turns it into one
 * webhook delivery: an HTTP POST of the DOMAIN §6 fields as JSON to notify.provincial_push_url,
 * signed with notify.provincial_push_secret (webhook_signature.h), retried with back-off until
 * a 2xx and parked as a dead letter only after notify.provincial_push_max_attempts.
 *
 * The identity rule (DOMAIN.md §6, issue 6): RatingPush is the only event that carries the
 * rater's identity, and this is the only delivery that may show it. So the event never goes
 * to integrators' subscriptions, never to the file sink, never into a template or a log line;
 * the delivery's recipient is the rating id, and its stored body is emptied once the province
 * accepted it (deliveries.c). Empty URL: the push is off and nothing is recorded.
 *
 * Delivery key: one push per rating id (a partial unique index, migration 0004), whatever
 * event carried it. */
#ifndef NOTIFY_PROVINCIAL_PUSH_H
#define NOTIFY_PROVINCIAL_PUSH_H

#include <stdbool.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

#define PROVINCIAL_PUSH_KIND      "rating_push"           /* delivery kind */
#define PROVINCIAL_PUSH_EVENT     "rating.push_requested" /* event type and X-OneWindow-Event */
#define PROVINCIAL_PUSH_FIELD_MAX 400                     /* bytes of any text field */

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
 * with the push's attempt budget): event type rating.push_requested and no integrator's
 * subscription behind it. Pure. */
bool provincial_push_is_push(const char *event_type, bool has_subscription);

/* ow_inbox_apply_fn for rating.push_requested; arg: provincial_push_config_t (borrowed).
 * Inside the inbox's transaction: queues the push (nothing when the URL is empty or the rating
 * was pushed already). A payload that does not decode or breaks a bound is INVALID_ARGUMENT
 * (poison); database errors are passed on for the inbox to retry. */
int provincial_push_on_event(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
