/* timers — the general timer service (docs/contract.md "The timer service"), kept in the
 * deadline schema.
 *
 * Other daemons ask for a timer by a key they choose: the 5-day notice duty (行政许可法
 * art. 32), 容缺 supply deadlines, appointment no-shows, the 10-day delivery rule (art. 44),
 * rating invitations and defaults, rectification deadlines, post-approval checks (DOMAIN.md
 * §3, §4, §6). A pending timer whose due time has passed in system time (the test clock moves
 * it) becomes fired in the same transaction that queues timer.fired (payload Timer), and the
 * rows are claimed FOR UPDATE SKIP LOCKED: each timer fires exactly once, across restarts and
 * with several deadlined instances on one database.
 *
 * Nothing here knows ZeroMQ: plain functions over an ow_db_t. */
#ifndef DEADLINE_TIMERS_H
#define DEADLINE_TIMERS_H

#include <stddef.h>
#include <stdint.h>
#include "calendar.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_db.h"
#include "ow_status.h"

#define TIMER_KEY_MAX     200
#define TIMER_OWNER_MAX   32
#define TIMER_KIND_MAX    64
#define TIMER_CONTEXT_MAX 4096

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int timers_prepare(ow_db_t *db, ow_error_t *err);

/* Checks a ScheduleTimer and computes its due time under cal (relative periods). Every problem
 * at once as INVALID_ARGUMENT violations. On success sets *due_us and *calendar_missing. */
int timers_validate(const Onewindow__V1__ScheduleTimer *req, const deadline_calendar_t *cal,
                    int64_t *due_us, bool *calendar_missing, ow_error_t *err);

/* Inside the caller's transaction: creates the timer (validated first). The same key with the
 * same fields returns the existing timer unchanged (whatever its state); with other fields it
 * is FAILED_PRECONDITION unless the old one was cancelled, which is then replaced. Fills *out
 * (caller frees it with timers_free). Returns 0 or
 * -1 with err. */
int timers_schedule(ow_db_t *db, const Onewindow__V1__ScheduleTimer *req, int64_t due_us,
                    bool calendar_missing, Onewindow__V1__Timer **out, ow_error_t *err);

/* Inside the caller's transaction: cancels a pending timer. An unknown key gives a Timer with
 * state "unknown"; a fired or cancelled one is returned as it is. Returns 0 or -1 with err. */
int timers_cancel(ow_db_t *db, const char *timer_key, Onewindow__V1__Timer **out, ow_error_t *err);

/* Frees a Timer from timers_schedule / timers_cancel; sets *timer_p to NULL. */
void timers_free(Onewindow__V1__Timer **timer_p);

/* In its own transaction (db must not be in one): fires at most `batch` pending timers due at
 * or before now_us, in due order, queuing timer.fired for each. Returns the number fired, or
 * -1 with err (rolled back; the next scan retries). The scan uses the three steps below
 * instead, to merge timers with cards. */
int timers_fire_due(ow_db_t *db, int64_t now_us, int batch, ow_error_t *err);

/* Inside the caller's transaction: claims (FOR UPDATE SKIP LOCKED) at most `batch` pending
 * timers due at or before now_us, in the order they fire: due time, then key. *out gets a new
 * array of *n timers the caller frees with timers_free_all. Returns 0 or -1 with err (*out
 * NULL). */
int timers_claim_due(ow_db_t *db, int64_t now_us, int batch, Onewindow__V1__Timer ***out, int *n,
                     ow_error_t *err);

/* Inside the caller's transaction: queues timer.fired (payload timer, borrowed) at now_us.
 * Returns 0 or -1 with err. */
int timers_queue_fired(ow_db_t *db, const Onewindow__V1__Timer *timer, int64_t now_us,
                       ow_error_t *err);

/* Inside the caller's transaction: marks the n claimed timers (borrowed) fired at now_us. The
 * caller queues timer.fired for each in the same transaction. Returns 0 or -1 with err. */
int timers_mark_fired(ow_db_t *db, Onewindow__V1__Timer *const *timers, int n, int64_t now_us,
                      ow_error_t *err);

/* Frees the n timers of an array from timers_claim_due and the array; sets *timers_p to NULL.
 * Harmless when already NULL. */
void timers_free_all(Onewindow__V1__Timer ***timers_p, int n);

#endif
