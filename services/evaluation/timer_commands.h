/* timer_commands — the timers evaluationd asks deadlined to keep (deadline.schedule_timer /
 * deadline.cancel_timer, docs/contract.md "The timer service"), sent exactly as committed.
 *
 * A change that needs a timer writes a command row (schedule or cancel) in its own
 * transaction (the transactional-outbox idea applied to requests): nothing is asked of
 * deadlined for a change that rolled back, and nothing committed is forgotten. The sender
 * sends every unacknowledged row, after each kick and every 2 s, and again after a restart,
 * until deadlined answers; deadlined's idempotency (the timer key) makes a resend harmless.
 * At most one request per timer is in flight, so a cancel never overtakes its schedule.
 *
 * Timer keys: "evaluation:<kind>:<case_no or ticket>", kinds rating_invite, rating_default
 * (DOMAIN.md §6) and rectification_due (the rectification deadline). */
#ifndef EVALUATION_TIMER_COMMANDS_H
#define EVALUATION_TIMER_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_loop.h"
#include "ow_rpc.h"
#include "ow_status.h"
#include "rating_window.h"

#define TIMER_OWNER          "evaluation"
#define TIMER_RATING_INVITE  "rating_invite"
#define TIMER_RATING_DEFAULT "rating_default"
#define TIMER_RECTIFY_DUE    "rectification_due"

/* Registers the prepared statements. Returns 0 or -1 with err. */
int timer_commands_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: when case_no has just become rateable (accepted and
 * decided) and is unrated, asks for its invitation timer (w->invite_after_days after the
 * decision) and, when defaults are on, its default timer (w->default_after_days). Does nothing
 * for a case not rateable or already rated, and nothing twice (keyed by timer key). Returns 0
 * or -1 with err (the caller rolls back). */
int timer_commands_rating_window(ow_db_t *db, const char *case_no, const rating_window_t *w,
                                 ow_error_t *err);

/* Inside the caller's transaction: the cases were rated, so their invitation and default
 * timers are to be cancelled (a rating cancels them, DOMAIN.md §6). case_nos_literal is a
 * PostgreSQL text[] literal (sql_arrays.h). Returns 0 or -1 with err. */
int timer_commands_cancel_rating(ow_db_t *db, const char *case_nos_literal, ow_error_t *err);

/* Inside the caller's transaction: asks for one timer of `kind` under timer_key, due at the
 * absolute due_at_us (a repeat with the same key is a no-op). Returns 0 or -1 with err. */
int timer_commands_schedule(ow_db_t *db, const char *timer_key, const char *kind,
                            const char *case_no, const char *centre_id, int64_t due_at_us,
                            ow_error_t *err);

/* Inside the caller's transaction: the timer under timer_key is no longer wanted. Unknown
 * keys are ignored. Returns 0 or -1 with err. */
int timer_commands_cancel(ow_db_t *db, const char *timer_key, ow_error_t *err);

typedef struct timer_sender timer_sender_t;

/* Starts sending the committed commands to deadlined through `deadline` (a DEALER to its
 * request socket). db, loop and deadline are borrowed and must outlive the sender; the sender
 * uses db only between other handlers' transactions. Returns NULL with err when out of memory.
 * Caller owns the sender. */
timer_sender_t *timer_sender_new(ow_loop_t *loop, ow_db_t *db, ow_rpc_client_t *deadline,
                                 ow_error_t *err);

/* Stops the timers; calls in flight are abandoned (their rows stay unacknowledged and are
 * sent again on the next start). Sets *self_p to NULL. */
void timer_sender_destroy(timer_sender_t **self_p);

/* Asks for a pass soon (call after committing a transaction that wrote commands). */
void timer_sender_kick(timer_sender_t *self);

/* Commands acknowledged by deadlined since the start (for tests and logs). */
uint64_t timer_sender_acked(const timer_sender_t *self);

#endif
