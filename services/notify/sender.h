/* sender — the delivery engine for the outside channels (webhook, sms, email; issue 7).
 *
 * It claims due deliveries from notify.deliveries (each attempt counted and leased in the
 * claiming statement, so it is recorded before it is attempted), puts each on the wire with
 * libcurl's multi interface on the daemon's loop (transfers.h) — never more than
 * max_in_flight at once, each bounded by its time-out — and records the outcomes in batches:
 * sent; or failed with the next attempt after an exponential back-off with jitter
 * (retry_policy.h), held past the SMS quiet hours unless urgent (quiet_hours.h); or dead once
 * the attempts are spent (DOMAIN.md §8: parked for an operator, never dropped).
 *
 * Crash behaviour: an outcome is recorded only after the channel answered, so nothing
 * acknowledged is sent again; what was in flight when the process died keeps its lease until
 * it runs out (time-out + margin) and is then attempted once more — at most one repeat of
 * each delivery that was in flight. */
#ifndef NOTIFY_SENDER_H
#define NOTIFY_SENDER_H

#include <stdint.h>
#include "ow_db.h"
#include "ow_loop.h"
#include "ow_status.h"
#include "outbound.h"
#include "quiet_hours.h"
#include "retry_policy.h"

typedef struct {
    outbound_config_t outbound;
    retry_policy_t retry;
    quiet_hours_t quiet; /* SMS only */
    int max_in_flight;   /* ≥ 1 */
    /* The provincial push (provincial_push.h): its signing secret and attempt budget. */
    const char *push_secret;
    int push_max_attempts;
    double poll_s; /* how often due deliveries are looked for when idle */
} sender_config_t;

typedef struct sender sender_t;

/* A sender on loop and db (both borrowed; db is used between other work, never inside a
 * transaction someone else opened). cfg's strings are borrowed and must outlive it. Starts
 * looking for due deliveries at once. Returns NULL with err. Caller owns it. */
sender_t *sender_new(ow_loop_t *loop, ow_db_t *db, const sender_config_t *cfg, ow_error_t *err);

/* Abandons transfers in flight (their leases bring them back: see above), records outcomes
 * already known when it can, and frees it. Sets *self_p to NULL; harmless when NULL. */
void sender_destroy(sender_t **self_p);

/* Looks for due deliveries soon (after new ones were queued or a dead letter resent). */
void sender_kick(sender_t *self);

/* Counters for /metrics and tests. */
typedef struct {
    uint64_t attempts, sent, failed, dead;
    int in_flight;
} sender_stats_t;
sender_stats_t sender_stats(const sender_t *self);

#endif
