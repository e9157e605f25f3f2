/* deliveries — the queue of notices to send (notify.deliveries). A delivery is keyed by
 * (event id, kind, recipient, channel): queuing the same key twice keeps the first, so a
 * replayed event sends nothing new. Queued in the inbox's transaction; marked sent only after
 * its channel holds it durably. Plain functions over an ow_db_t. */
#ifndef NOTIFY_DELIVERIES_H
#define NOTIFY_DELIVERIES_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_status.h"

#define DELIVERY_CHANNEL_FILE "file"

typedef struct {
    const char *event_id; /* the event that caused it (UUID) */
    const char *kind;     /* case_accepted, case_decided, rating_invitation */
    const char *recipient;
    const char *channel;
    const char *case_no;
    const char *text;
    const char *template_kind;
    int template_version;
} delivery_t;

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

#endif
