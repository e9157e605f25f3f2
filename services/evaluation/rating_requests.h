/* rating_requests — the requests evaluationd serves on its ROUTER socket (docs/contract.md):
 * evaluation.rate and evaluation.get_rating. */
#ifndef EVALUATION_RATING_REQUESTS_H
#define EVALUATION_RATING_REQUESTS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_loop.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_status.h"
#include "rating_batch.h"
#include "rollup_applier.h"
#include "timer_commands.h"

/* What the handlers need; db, relay and loop are borrowed from the service, which outlives
 * them. The rest is the batch of evaluation.rate calls waiting for the end of the drain,
 * owned here (rating_requests_start / rating_requests_flush). */
typedef struct {
    ow_db_t *db;
    ow_relay_t *relay; /* kicked after a rating commits; may be NULL */
    ow_timer_sender_t
        *timers;     /* kicked after a rating commits (its timers' cancels); may be NULL */
    ow_loop_t *loop; /* NULL: every evaluation.rate is answered at once, alone */
    rollup_applier_t *applier; /* kicked after a batch queued ratings; may be NULL */
    ow_timer_t *flush;         /* zero-delay timer: the batch runs once the socket is drained */
    ow_rpc_call_t *pending[RATING_BATCH_MAX];
    size_t pending_count;
    size_t pending_at_tick;           /* pending_count when the timer last fired */
    rating_batch_outcome_t *outcomes; /* RATING_BATCH_MAX answers, allocated on start */
} rating_requests_t;

/* Prepares the batch: the statements of rating_batch.c, the answers' memory, the flush timer
 * on self->loop, and a shutdown hook that answers what is pending (ARCHITECTURE: on SIGTERM
 * finish the batch) and frees it all. Returns 0 or -1 with err. */
int rating_requests_start(rating_requests_t *self, ow_error_t *err);

/* Records the pending evaluation.rate calls in one transaction (rating_batch_record) and
 * answers each; when the batch as a whole fails, each is recorded and answered on its own.
 * Safe to call with nothing pending. */
void rating_requests_flush(rating_requests_t *self);

/* evaluation.rate as a plain function: decodes a RateCase payload, and in one transaction
 * checks the idempotency key (ow_idem), records the rating with its rating.recorded event
 * (ratings_record) and stores the reply under the key. On success returns 0 with the packed
 * onewindow.v1.Reply to send (*reply, caller frees) — for a repeated key, the first reply,
 * with nothing new written — and sets *fresh when this call wrote the rating. On failure
 * returns -1 with err (nothing written): INVALID_ARGUMENT for a missing key, an undecodable
 * payload or a bad field; NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS as ratings_record;
 * FAILED_PRECONDITION for a key reused with another request. */
int rating_requests_rate(ow_db_t *db, const char *idempotency_key, const uint8_t *payload,
                         size_t len, int64_t now_us, uint8_t **reply, size_t *reply_len, int *fresh,
                         ow_error_t *err);

/* ow_rpc_handler_fn for evaluation.rate; arg is a rating_requests_t. The call joins the
 * pending batch, answered once a turn of the loop brings no new call (the socket is drained,
 * also past the loop's per-turn bound) or the batch is full. */
void rating_requests_on_rate(ow_rpc_call_t *call, void *arg);

/* ow_rpc_handler_fn for evaluation.get_rating (payload GetRating, reply RatingReply; NOT_FOUND
 * when unrated); arg is a rating_requests_t. */
void rating_requests_on_get(ow_rpc_call_t *call, void *arg);

#endif
