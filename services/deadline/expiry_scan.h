/* expiry_scan — the red-card scan (DOMAIN.md §5): once a second, running clocks whose due time
 * has passed in system time (ow_clock_now_us, so the test clock moves it) are marked expired
 * and deadline.red is queued, in one transaction per batch (clocks_expire_due). */
#ifndef DEADLINE_EXPIRY_SCAN_H
#define DEADLINE_EXPIRY_SCAN_H

#include "ow_db.h"
#include "ow_loop.h"
#include "ow_outbox.h"
#include "ow_status.h"

typedef struct expiry_scan expiry_scan_t;

/* Starts scanning every interval_s seconds on loop, using db (borrowed) and kicking relay
 * (borrowed, may be NULL) after a scan that expired something. Returns NULL with err when out
 * of memory. Caller owns it; destroy it before the loop and db go. */
expiry_scan_t *expiry_scan_new(ow_loop_t *loop, ow_db_t *db, ow_relay_t *relay, double interval_s,
                               ow_error_t *err);

/* Stops the timer and frees the scan. Sets *self_p to NULL; harmless when already NULL. */
void expiry_scan_destroy(expiry_scan_t **self_p);

/* Runs one scan now: expires every clock due at now_us, in batches. Returns the number
 * expired, or -1 when the database failed (logged; the next tick retries). Skips (returns 0)
 * while db is inside another transaction. */
int expiry_scan_run(expiry_scan_t *self, int64_t now_us);

#endif
