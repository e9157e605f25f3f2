/* timer_commands — the timers intaked asks deadlined to keep (deadline.schedule_timer /
 * deadline.cancel_timer, docs/contract.md "The timer service"), sent exactly as committed.
 *
 * A change that needs a timer writes a command row (schedule or cancel) in its own
 * transaction (the transactional-outbox idea applied to requests): nothing is asked of
 * deadlined for a change that rolled back, and nothing committed is forgotten. The sender
 * sends every unacknowledged row after each kick, every 2 s, and at start-up (so what was
 * pending before a restart is scheduled again), until deadlined answers; deadlined's
 * idempotency (the timer key) makes a resend harmless. At most one pass is in flight, so a
 * cancel never overtakes its schedule.
 *
 * Timer keys "intake:<kind>:<case_no or appointment>", owner "intake", kinds (DOMAIN.md §5
 * "other watched periods"):
 *   notice_duty     art. 32: 5 working days from receipt of a case received without a
 *                   decision (state 1) — lapsed, it is deemed accepted on the receipt date
 *   rongque_supply  the 容缺 supply deadline — missed, the case is terminated
 *   no_show         an appointment's slot start + the no-show grace (appointments) */
#ifndef INTAKE_TIMER_COMMANDS_H
#define INTAKE_TIMER_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_rpc.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct ow_db ow_db_t;

#define INTAKE_TIMER_OWNER          "intake"
#define INTAKE_TIMER_NOTICE_DUTY    "notice_duty"
#define INTAKE_TIMER_RONGQUE_SUPPLY "rongque_supply"
#define INTAKE_TIMER_NO_SHOW        "no_show"
#define INTAKE_TIMER_KEY_MAX        200

/* Registers the prepared statements. Returns 0 or -1 with err. */
int intake_timer_commands_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: the art. 32 notice duty of case c (received, no decision):
 * INTAKE_NOTICE_DUTY_DAYS working days from c->received_at_us under the deciding centre's
 * calendar. A repeat is a no-op. Returns 0 or -1 with err (the caller rolls back). */
int intake_timer_notice_duty(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err);

/* Inside the caller's transaction: the 容缺 supply deadline of case c (c->supply_due_us).
 * Returns 0 or -1 with err. */
int intake_timer_rongque_supply(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err);

/* Inside the caller's transaction: one timer of `kind` under timer_key (≤ 200 bytes), due at
 * the absolute due_at_us. A repeat with the same key is a no-op. Returns 0 or -1 with err. */
int intake_timer_schedule(ow_db_t *db, const char *timer_key, const char *kind, const char *case_no,
                          const char *centre_id, int64_t due_at_us, ow_error_t *err);

/* Inside the caller's transaction: the timer under timer_key is no longer wanted (unknown keys
 * are ignored). Returns 0 or -1 with err. */
int intake_timer_cancel(ow_db_t *db, const char *timer_key, ow_error_t *err);

/* Inside the caller's transaction: every timer scheduled for case_no is no longer wanted
 * (withdrawn, terminated, supplied). Returns 0 or -1 with err. */
int intake_timer_cancel_case(ow_db_t *db, const char *case_no, ow_error_t *err);

/* Writes "intake:<kind>:<id>" into out (INTAKE_TIMER_KEY_MAX + 1 bytes). */
void intake_timer_key(char *out, size_t size, const char *kind, const char *id);

typedef struct intake_timer_sender intake_timer_sender_t;

/* Starts sending the committed commands to deadlined through `deadline` (a DEALER to its
 * request socket). loop, db and deadline are borrowed and must outlive the sender; the sender
 * uses db only between other handlers' transactions. Returns NULL with err when out of memory.
 * Caller owns the sender. */
intake_timer_sender_t *intake_timer_sender_new(ow_loop_t *loop, ow_db_t *db,
                                               ow_rpc_client_t *deadline, ow_error_t *err);

/* Stops the timers; calls in flight are abandoned (their rows stay unacknowledged and are
 * sent again on the next start). Sets *self_p to NULL. */
void intake_timer_sender_destroy(intake_timer_sender_t **self_p);

/* Asks for a pass soon (call after committing a transaction that wrote commands). */
void intake_timer_sender_kick(intake_timer_sender_t *self);

/* Commands acknowledged by deadlined since the start (for tests and logs). */
uint64_t intake_timer_sender_acked(const intake_timer_sender_t *self);

#endif
