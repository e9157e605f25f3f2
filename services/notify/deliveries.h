/* deliveries — the queue of notices to send (notify.deliveries). A delivery is keyed by
 * (event id, kind, recipient, channel): queuing the same key twice keeps the first, so a
 * replayed event sends nothing new. Queued in the inbox's transaction; marked sent only after
 * its channel holds it durably. Plain functions over an ow_db_t. */
#ifndef NOTIFY_DELIVERIES_H
#define NOTIFY_DELIVERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_status.h"

#define DELIVERY_CHANNEL_FILE    "file"
#define DELIVERY_CHANNEL_WEBHOOK "webhook"
#define DELIVERY_CHANNEL_SMS     "sms"
#define DELIVERY_CHANNEL_EMAIL   "email"

/* States (issue 7): queued (never tried), failed (tried; next attempt due at
 * next_attempt_at_us), sent, dead (given up: an operator's dead letter). */
#define DELIVERY_QUEUED "queued"
#define DELIVERY_FAILED "failed"
#define DELIVERY_SENT   "sent"
#define DELIVERY_DEAD   "dead"

typedef struct {
    const char *event_id; /* the event that caused it (UUID) */
    const char *kind;     /* case_accepted, case_decided, rating_invitation */
    const char *recipient;
    const char *channel;
    const char *case_no;
    const char *text;
    const char *template_kind;
    int template_version;
    /* Outside channels (NULL/0 for the file sink): */
    const char *target;          /* URL, phone number or e-mail address */
    const char *subject;         /* e-mail subject */
    const char *subscription_id; /* webhook: the subscription whose secret signs it */
    const char *event_type;
    bool urgent;           /* exempt from SMS quiet hours */
    int64_t not_before_us; /* first attempt not before (quiet hours); 0 = at once */
} delivery_t;

/* Columns of the rows deliveries_claim_due returns, in order. */
enum {
    DUE_COL_ID,
    DUE_COL_CHANNEL,
    DUE_COL_TARGET,
    DUE_COL_SUBJECT,
    DUE_COL_TEXT,
    DUE_COL_EVENT_ID,
    DUE_COL_EVENT_TYPE,
    DUE_COL_ATTEMPTS,
    DUE_COL_URGENT,
    DUE_COL_SECRET,
};

/* The result of one attempt, for deliveries_record. */
typedef struct {
    char delivery_id[37];
    const char *state; /* DELIVERY_SENT, DELIVERY_FAILED or DELIVERY_DEAD (static) */
    char error[256];   /* "" when sent */
    int64_t next_attempt_at_us;
} delivery_outcome_t;

/* Columns of the rows deliveries_claim returns, in order. */
enum {
    DELIVERY_COL_ID,
    DELIVERY_COL_EVENT_ID,
    DELIVERY_COL_CASE_NO,
    DELIVERY_COL_KIND,
    DELIVERY_COL_CHANNEL,
    DELIVERY_COL_RECIPIENT,
    DELIVERY_COL_TEXT,
};

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int deliveries_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: queues d at now_us. Returns 1 when queued, 0 when its key
 * was already there (nothing changed), -1 with err. */
int deliveries_queue(ow_db_t *db, const delivery_t *d, int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: queues the n deliveries ds at now_us with ONE statement, in
 * their order (a batch event's thousands of deliveries cost one round trip and one plan, not one
 * each). As deliveries_queue, a delivery whose key is already there (or repeated within ds) is
 * skipped. Returns the number queued, or -1 with err (nothing queued). */
int deliveries_queue_many(ow_db_t *db, const delivery_t *ds, size_t n, int64_t now_us,
                          ow_error_t *err);

/* Inside the caller's transaction: locks and returns up to `limit` queued deliveries of
 * channel in queue order (rows locked by another sender are skipped). The caller PQclear()s
 * the result; NULL with err on a database error. */
PGresult *deliveries_claim(ow_db_t *db, const char *channel, int limit, ow_error_t *err);

/* Inside the caller's transaction: marks the deliveries (ids as in DELIVERY_COL_ID) sent at
 * sent_at_us. Returns 0 or -1 with err. */
int deliveries_mark_sent(ow_db_t *db, const char *const *ids, size_t count, int64_t sent_at_us,
                         ow_error_t *err);

/* Inside the caller's transaction: counts a failed attempt on the deliveries and keeps the
 * error for an operator; they stay queued. Returns 0 or -1 with err. */
int deliveries_mark_failed(ow_db_t *db, const char *const *ids, size_t count, const char *error,
                           ow_error_t *err);

/* Outside channels: claims up to `limit` due deliveries (queued or failed, next attempt due
 * by now_us, not leased) of every channel but file, counts the attempt on each and leases it
 * until now_us + lease_us — all in one committed statement, so the attempt is recorded before
 * it is made. A sender that dies leaves the lease to run out; the delivery is then due again.
 * Not inside a transaction. Caller PQclear()s; NULL with err. */
PGresult *deliveries_claim_due(ow_db_t *db, int64_t now_us, int64_t lease_us, int limit,
                               ow_error_t *err);

/* Records the outcomes of attempts (one statement, own transaction when none is open) and
 * ends their leases; sent ones are stamped at now_us, dead ones too. A delivery no longer
 * queued or failed (an operator acted) is left alone. Returns 0 or -1 with err. */
int deliveries_record(ow_db_t *db, const delivery_outcome_t *outcomes, size_t count, int64_t now_us,
                      ow_error_t *err);

/* Columns of the rows deliveries_case / deliveries_dead / deliveries_resend return. */
enum {
    ROW_COL_ID,
    ROW_COL_EVENT_ID,
    ROW_COL_CASE_NO,
    ROW_COL_KIND,
    ROW_COL_CHANNEL,
    ROW_COL_RECIPIENT,
    ROW_COL_TARGET,
    ROW_COL_STATE,
    ROW_COL_ATTEMPTS,
    ROW_COL_LAST_ERROR,
    ROW_COL_QUEUED_AT,
    ROW_COL_SENT_AT,
    ROW_COL_NEXT_AT,
    ROW_COL_DEAD_AT,
    ROW_COL_RESENT,
};

/* Every delivery of case_no in queue order (at most 1000). Caller PQclear()s; NULL with err. */
PGresult *deliveries_case(ow_db_t *db, const char *case_no, ow_error_t *err);

/* Up to limit dead letters after the one with id `after` ("" = from the oldest), oldest first.
 * Caller PQclear()s; NULL with err. */
PGresult *deliveries_dead(ow_db_t *db, const char *after, int limit, ow_error_t *err);

/* Inside the caller's transaction: queues a dead letter again (fresh attempts, due at now_us).
 * Returns the row (caller PQclear()s; 0 rows when id is not a dead delivery), NULL with err. */
PGresult *deliveries_resend(ow_db_t *db, const char *id, int64_t now_us, ow_error_t *err);

/* The row of one delivery (0 rows when unknown). Caller PQclear()s; NULL with err. */
PGresult *deliveries_get(ow_db_t *db, const char *id, ow_error_t *err);

#endif
