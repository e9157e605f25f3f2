/* ow_outbox — the transactional outbox and its relay.
 *
 * A service writes its state change and the events it causes in one transaction:
 * ow_outbox_add() inserts into <schema>.outbox inside the caller's open transaction, so an
 * event exists if and only if its change committed.
 *
 * The relay is the single writer of `seq`: it takes committed, unsequenced rows in id order,
 * numbers them gaplessly from the last assigned seq (serialised across instances by a row
 * lock on outbox_state), commits, then publishes [type][Envelope] to busd. Seqs are assigned
 * after commit, not at insert, because ids taken at insert commit out of order (see
 * ARCHITECTURE "Known pitfalls"). Publishing is best-effort (PUB drops at its high-water
 * mark); consumers close gaps with "_replay", which the relay serves from the outbox.
 * About once a second it publishes a heartbeat carrying the last seq, so a consumer that lost
 * the tail of a stream notices. */
#ifndef OW_OUTBOX_H
#define OW_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_rpc.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;
typedef struct ow_relay ow_relay_t;

/* Inside an open transaction: queues one event. type is e.g. "case.accepted"; case_no and
 * centre_id may be NULL; time_us is the system time of the change (ow_clock_now_us()).
 * Returns 0, or -1 with err (the caller rolls back). */
int ow_outbox_add(ow_db_t *db, const char *type, const char *case_no, const char *centre_id,
                  int64_t time_us, const uint8_t *payload, size_t len, ow_error_t *err);

/* One event of ow_outbox_add_many; fields as ow_outbox_add's (all borrowed). */
typedef struct {
    const char *type;
    const char *case_no;   /* may be NULL */
    const char *centre_id; /* may be NULL */
    int64_t time_us;
    const uint8_t *payload;
    size_t len;
} ow_outbox_event_t;
/* Inside an open transaction: queues events[0..n) with ONE statement, in array order (their
 * ids, and so their seqs, follow it). Every event is checked as ow_outbox_add checks it
 * before anything is written. Returns 0, or -1 with err naming the first bad event (nothing
 * written) or the database error (the caller rolls back). */
int ow_outbox_add_many(ow_db_t *db, const ow_outbox_event_t *events, size_t n, ow_error_t *err);
/* Inside an open transaction on db: takes the relay's lock, so that no event is numbered until
 * the caller's COMMIT or ROLLBACK, and sets *last_seq to the last seq assigned: every event with
 * a seq is then visible to the caller's next statements. For a reader that must see the
 * numbered stream complete (evaluationd's roll-up rebuild). Returns 0, or -1 with err. */
int ow_outbox_hold_numbering(ow_db_t *db, uint64_t *last_seq, ow_error_t *err);

/* Creates the relay for `source` on db (the relay only uses db between handlers, never
 * inside a caller's transaction), publishing to busd's XSUB at bus_endpoint. Registers the
 * "_replay" method on server. Runs a pass at once, then on every ow_relay_kick and at least
 * every 200 ms. Returns NULL with err on failure. Caller owns it. */
ow_relay_t *ow_relay_new(ow_loop_t *loop, ow_db_t *db, const char *source, const char *bus_endpoint,
                         ow_rpc_server_t *server, ow_error_t *err);

void ow_relay_destroy(ow_relay_t **self_p);

/* Asks for a pass soon (call after committing a transaction that added events). */
void ow_relay_kick(ow_relay_t *self);

/* Runs one pass now: sequences what is committed and publishes it. Returns the number of
 * events sequenced, or -1 with err (the next pass retries). */
int ow_relay_pass(ow_relay_t *self, ow_error_t *err);

/* For a writer that batches (group commit): inside its open transaction on the relay's
 * connection, just before COMMIT, numbers every unsequenced event the transaction sees — its
 * own and committed ones still waiting — under the relay's lock, which it then holds until
 * the COMMIT. Rows and seqs become durable together, in commit order and gapless as a pass
 * would make them, and the second transaction (and WAL flush) of a separate pass is saved.
 * Returns how many were numbered, or -1 with err (the caller rolls back). Every call must be
 * followed by ow_relay_after_commit. */
int ow_relay_number_in_transaction(ow_relay_t *self, ow_error_t *err);

/* Instead of ow_outbox_add_many and ow_relay_number_in_transaction: inside the caller's open
 * transaction on the relay's connection, takes the relay's lock (or uses what
 * ow_relay_lock_ahead read, when its answer has arrived), numbers what waits (as
 * ow_relay_number_in_transaction) and inserts events[0..n) with their seqs already set after
 * it, so each row is written once rather than inserted and then rewritten with its seq (the
 * largest cost of a batch that emits two events per request). Put it last before COMMIT: the
 * lock is held until then. When nothing waited (the usual case) the insert is deferred
 * (ow_db_deferb) and travels with COMMIT: its failure is then COMMIT's (or that of a statement
 * the caller runs in between), and the transaction rolls back. Returns 0, or -1 with err (the
 * caller rolls back). Every call must be followed by ow_relay_after_commit. */
int ow_relay_add_numbered(ow_relay_t *self, const ow_outbox_event_t *events, size_t n,
                          ow_error_t *err);

/* Takes the relay's lock for a later ow_relay_add_numbered at the start of the caller's
 * transaction, deferred (ow_db_defer_text): it travels with the caller's next statement that
 * waits, and ow_relay_add_numbered uses what it read instead of a round trip of its own. For a
 * caller already serialised from its first statement to COMMIT (intake's case-number counter),
 * for whom holding the lock that long costs nothing. Call it before any SAVEPOINT: rolling
 * back to a savepoint set before it would release the lock. Returns 0, or -1 with err. */
int ow_relay_lock_ahead(ow_relay_t *self, ow_error_t *err);

/* The relay's lock for ow_relay_add_numbered_ahead, deferred (ow_db_defer_keep): the plain
 * lock, prepared, whose answer (last_seq) comes with the caller's next statement that waits.
 * Before any SAVEPOINT, as ow_relay_lock_ahead. Returns 0, or -1 with err. */
int ow_relay_lock_deferred(ow_relay_t *self, ow_error_t *err);

/* As ow_relay_add_numbered for a caller that sends its whole transaction in one round trip,
 * after ow_relay_lock_deferred (or ow_relay_lock_ahead), and nothing else numbered in it: the
 * lock's answer has not come
 * back yet, so the rows take their seqs in the statement itself, from the locked last_seq, and
 * the relay learns them from that answer when COMMIT returns (ow_relay_after_commit). The
 * insert is deferred (ow_db_deferb): its failure is COMMIT's. Rows that waited for a seq are
 * left to the next pass, which is kicked: numbered after these, the stream stays gapless.
 * Returns 0, or -1 with err (the caller rolls back). Every call must be followed by
 * ow_relay_after_commit. */
int ow_relay_add_numbered_ahead(ow_relay_t *self, const ow_outbox_event_t *events, size_t n,
                                ow_error_t *err);

/* After the caller's COMMIT (committed) or ROLLBACK (!committed): publishes what
 * ow_relay_number_in_transaction or ow_relay_add_numbered numbered, or forgets it. */
void ow_relay_after_commit(ow_relay_t *self, bool committed);

/* Highest seq assigned so far (for /metrics). */
uint64_t ow_relay_last_seq(const ow_relay_t *self);

/* Events (and heartbeats) the PUB socket refused at its high-water mark (for /metrics);
 * consumers recover them by replay. */
uint64_t ow_relay_dropped(const ow_relay_t *self);

/* Keeps sequenced events for `days` (default 30; <= 0 keeps them forever). Applied soon
 * after the call and then hourly: the oldest events are deleted as a prefix of the seq
 * range, so what remains is always gapless. A consumer asking to replay from before the
 * oldest kept event gets FAILED_PRECONDITION. */
void ow_relay_set_retention_days(ow_relay_t *self, int days);

#endif
