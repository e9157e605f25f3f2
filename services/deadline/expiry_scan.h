/* expiry_scan — the scan that makes time-based things happen (DOMAIN.md §5), once a second in
 * system time (ow_clock_now_us, so the test clock moves it):
 *   - pending timers due by now fire (timer.fired) and clocks whose yellow or red instant has
 *     come raise their card (deadline.yellow / deadline.red), in ONE due-time order across
 *     both kinds (timers before cards at the same instant, then clock id, yellow before red);
 *   - the calendar in force is reloaded when an operator loaded a new record;
 *   - from 1 December, a missing calendar for next year sets the metric
 *     deadline_calendar_next_year_missing to 1 and logs a warning once a day.
 * Each batch is one transaction whose rows are claimed FOR UPDATE SKIP LOCKED, so several
 * deadlined instances never fire anything twice. */
#ifndef DEADLINE_EXPIRY_SCAN_H
#define DEADLINE_EXPIRY_SCAN_H

#include "deadline_context.h"
#include "ow_loop.h"
#include "ow_ops_http.h"
#include "ow_status.h"

typedef struct expiry_scan expiry_scan_t;

/* Starts scanning every interval_s seconds on loop with ctx (borrowed; ctx->relay, when not
 * NULL, is kicked after a scan that queued events) and metrics (borrowed, may be NULL).
 * Returns NULL with err when out of memory. Caller owns it; destroy it before the loop and
 * db go. */
expiry_scan_t *expiry_scan_new(ow_loop_t *loop, deadline_context_t *ctx, ow_metrics_t *metrics,
                               double interval_s, ow_error_t *err);

/* Stops the timer and frees the scan. Sets *self_p to NULL; harmless when already NULL. */
void expiry_scan_destroy(expiry_scan_t **self_p);

/* Runs one scan now: fires every timer and expires every clock due at now_us, in batches.
 * Returns the number of events queued, or -1 when the database failed (logged; the next tick
 * retries). Skips (returns 0) while db is inside another transaction. */
int expiry_scan_run(expiry_scan_t *self, int64_t now_us);

/* True when now's local date is on or after 1 December and cal lacks next year (DOMAIN §5:
 * the State Council publishes it in November; operators must load it). Pure. */
bool expiry_scan_next_year_missing(const deadline_calendar_t *cal, int64_t now_us);

#endif
