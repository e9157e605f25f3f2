/* rollup_applier — folds committed ratings into the roll-ups (rollups.h) in large passes, out
 * of the ratings' own transactions (issue 6: ingest ≥ 20,000 ratings/s with durable commits).
 *
 * The queue is the outbox: a batch of ratings (rating_batch.c) commits each rating with its
 * rating.recorded event, numbered in commit order at insert (ow_relay_add_numbered), and marks
 * the rating applier_folds (migration 0009). A pass reads the events after its watermark
 * (rollup_applier_state.last_seq) with their ratings as they stand, sums them in C
 * (rollup_deltas_t), upserts each distinct slice once and moves the watermark past what it read
 * — all in one transaction, so a crash between passes folds nothing twice and loses nothing.
 * Ratings of the single path (ratings.c) fold in their own transaction; the pass skips them.
 * An exclusion or a rectification step first folds everything that waits, holding the
 * applier's lock (rollup_applier_hold), then changes the roll-ups as for any folded rating.
 * Reports are "as of" rollup_applier_as_of. Plain functions over an ow_db_t, and a timer on the
 * daemon's loop. */
#ifndef EVALUATION_ROLLUP_APPLIER_H
#define EVALUATION_ROLLUP_APPLIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_loop.h"
#include "ow_status.h"

/* Events read per pass at most (bounds the transaction and the memory of the deltas). */
#define ROLLUP_APPLIER_PASS_MAX 50000
/* Passes start at most this often unless configured (evaluation.rollup_interval_ms): the
 * longer, the more ratings share each slice's upsert (a pass costs per distinct slice, not per
 * rating: about 2,500 slices a pass under the ingest benchmark's load, whatever its size);
 * reports trail by about this much plus one pass under load. */
#define ROLLUP_APPLIER_INTERVAL_S 1.0

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rollup_applier_prepare(ow_db_t *db, ow_error_t *err);

/* rollup_applier_pass's answer when another instance's pass holds the applier's lock. */
#define ROLLUP_APPLIER_BUSY (-2)

/* One pass in its own transaction (none may be open): folds the ratings of at most max events
 * after the watermark, oldest first. Returns how many ratings were folded (0 when none waited),
 * ROLLUP_APPLIER_BUSY when another instance is folding (nothing done), or -1 with err (rolled
 * back: nothing folded, the watermark unmoved). *more (may be NULL) is set when the pass read
 * max events, so that more may wait. */
long rollup_applier_pass(ow_db_t *db, size_t max, bool *more, ow_error_t *err);

/* Inside the caller's open transaction: waits for the applier's lock, which it then holds to
 * the caller's COMMIT or ROLLBACK, and folds every rating that waits, so that the caller may
 * change the roll-ups of any rating as folded (an exclusion, a rectification step). Ratings
 * whose events have no seq yet (written without a relay) stay unfolded: the caller's statements
 * leave them to the pass. Returns 0 or -1 with err (the caller rolls back). */
int rollup_applier_hold(ow_db_t *db, ow_error_t *err);

/* The time the roll-ups are complete up to: every rating recorded before *as_of_us is in them.
 * now_us when nothing is pending. Read-only; in or out of a transaction. Returns 0 or -1. */
int rollup_applier_as_of(ow_db_t *db, int64_t now_us, int64_t *as_of_us, ow_error_t *err);

typedef struct rollup_applier rollup_applier_t;

/* A pass timer on loop over db (borrowed; both outlive it). It runs a pass at once (what a
 * crash left pending) and after every kick. Returns NULL with err when out of memory. */
rollup_applier_t *rollup_applier_new(ow_loop_t *loop, ow_db_t *db, ow_error_t *err);

/* Passes start at most every interval_s seconds (> 0; the default ROLLUP_APPLIER_INTERVAL_S). */
void rollup_applier_set_interval(rollup_applier_t *self, double interval_s);

/* Ratings were queued: a pass runs the interval after the start of the last one
 * at the earliest (one pass for many kicks). */
void rollup_applier_kick(rollup_applier_t *self);

/* Runs passes until nothing is pending or a pass fails (shutdown, tests). */
void rollup_applier_drain(rollup_applier_t *self);

void rollup_applier_destroy(rollup_applier_t **self_p);

#endif
