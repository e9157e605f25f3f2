/* ow_timer_client — timers a service asks deadlined to keep (deadline.schedule_timer /
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
 * Each service keeps the rows in a table `timer_commands` of its own schema (intake 0004,
 * evaluation 0004 + 0005) with at least these columns: timer_key text PRIMARY KEY, case_no,
 * kind, centre_id text; due_at_us, start_at_us bigint; amount integer; unit text; op text
 * ('schedule' | 'cancel'); acked boolean; attempts integer; last_error text; updated_at
 * timestamptz. A service may write rows with its own SQL too (a batch INSERT … SELECT); the
 * sender sends whatever is unacknowledged. Timer keys are "<owner>:<kind>:<id>". */
#ifndef OW_TIMER_CLIENT_H
#define OW_TIMER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_rpc.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* The longest timer key deadlined accepts (bytes). */
#define OW_TIMER_KEY_MAX 200

/* Registers the prepared statements (names "ow_timer_…") on db. Returns 0 or -1 with err. */
int ow_timer_client_prepare(ow_db_t *db, ow_error_t *err);

/* Writes "<owner>:<kind>:<id>" into out (cut to size; OW_TIMER_KEY_MAX + 1 is enough for a
 * key the schedule calls accept). */
void ow_timer_key(char *out, size_t size, const char *owner, const char *kind, const char *id);

/* Inside the caller's transaction: one timer of `kind` under timer_key, due at the absolute
 * due_at_us (> 0). case_no and centre_id may be NULL (stored as ""). A repeat with the same
 * key is a no-op. Returns 0, or -1 with err (INTERNAL for a key longer than OW_TIMER_KEY_MAX;
 * the database's error otherwise) and the caller rolls back. */
int ow_timer_schedule(ow_db_t *db, const char *timer_key, const char *kind, const char *case_no,
                      const char *centre_id, int64_t due_at_us, ow_error_t *err);

/* As ow_timer_schedule, for a relative period that deadlined counts on the centre's calendar:
 * amount (> 0) of unit ("working_days", "natural_days", "hours") from start_at_us. Once
 * acknowledged, the row's due_at_us holds the due time deadlined computed. */
int ow_timer_schedule_relative(ow_db_t *db, const char *timer_key, const char *kind,
                               const char *case_no, const char *centre_id, int64_t start_at_us,
                               int amount, const char *unit, ow_error_t *err);

/* Inside the caller's transaction: the timer under timer_key is no longer wanted (unknown keys
 * are ignored). Returns 0 or -1 with err. */
int ow_timer_cancel(ow_db_t *db, const char *timer_key, ow_error_t *err);

/* Inside the caller's transaction: every timer scheduled for case_no is no longer wanted.
 * Returns 0 or -1 with err. */
int ow_timer_cancel_case(ow_db_t *db, const char *case_no, ow_error_t *err);

typedef struct ow_timer_sender ow_timer_sender_t;

/* Starts sending the committed commands of db's timer_commands to deadlined through
 * `deadline` (a DEALER to its request socket), as caller `owner` (the ScheduleTimer owner,
 * e.g. "intake"; copied). loop, db and deadline are borrowed and must outlive the sender; the
 * sender uses db only between other handlers' transactions. Returns NULL with err when out
 * of memory. Caller owns the sender. */
ow_timer_sender_t *ow_timer_sender_new(ow_loop_t *loop, ow_db_t *db, ow_rpc_client_t *deadline,
                                       const char *owner, ow_error_t *err);

/* Stops the timers; calls in flight are abandoned (their rows stay unacknowledged and are
 * sent again on the next start). Sets *self_p to NULL; harmless when already NULL. */
void ow_timer_sender_destroy(ow_timer_sender_t **self_p);

/* Asks for a pass soon (call after committing a transaction that wrote commands). NULL is
 * ignored. */
void ow_timer_sender_kick(ow_timer_sender_t *self);

/* Commands acknowledged by deadlined since the start (for tests and logs); 0 for NULL. */
uint64_t ow_timer_sender_acked(const ow_timer_sender_t *self);

#endif
