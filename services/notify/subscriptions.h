/* subscriptions — integrators' webhook subscriptions (notify.webhook_subscriptions) and the
 * webhook deliveries an event causes. Plain functions over an ow_db_t; validation is in
 * subscription_rules.h. */
#ifndef NOTIFY_SUBSCRIPTIONS_H
#define NOTIFY_SUBSCRIPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* Columns of the rows the functions below return. */
enum {
    SUB_COL_ID,
    SUB_COL_NAME,
    SUB_COL_URL,
    SUB_COL_TYPES, /* comma-separated */
    SUB_COL_ACTIVE,
    SUB_COL_CREATED_AT,
    SUB_COL_REMOVED_AT,
};

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int subscriptions_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: stores a checked subscription. Returns its row (caller
 * PQclear()s), NULL with err. */
PGresult *subscriptions_create(ow_db_t *db, const char *name, const char *url,
                               const char *const *types, size_t count, const char *secret,
                               int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: deactivates one. Returns its row (0 rows: unknown id),
 * NULL with err. */
PGresult *subscriptions_remove(ow_db_t *db, const char *id, int64_t now_us, ow_error_t *err);

/* The active subscriptions, oldest first. Caller PQclear()s; NULL with err. */
PGresult *subscriptions_list(ow_db_t *db, ow_error_t *err);

/* Inside the inbox's transaction: queues one webhook delivery of ev to every active
 * subscription whose patterns match its type (delivery key: event id, type, subscription,
 * "webhook" — a replayed event queues nothing new). Returns the number queued, -1 with err. */
int subscriptions_queue_event(ow_db_t *db, const ow_event_t *ev, int64_t now_us, ow_error_t *err);

/* The JSON body of ev's webhook: {"event_id","type","source","seq","occurred_at","case_no",
 * "centre_id","payload"} (payload: base64 of the protobuf message named in
 * docs/contract.md). Caller frees; NULL when out of memory. */
char *subscriptions_event_json(const ow_event_t *ev);

#endif
