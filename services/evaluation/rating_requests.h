/* rating_requests — the requests evaluationd serves on its ROUTER socket (docs/contract.md):
 * evaluation.rate and evaluation.get_rating. */
#ifndef EVALUATION_RATING_REQUESTS_H
#define EVALUATION_RATING_REQUESTS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_status.h"

/* What the handlers need; borrowed from the service, which outlives them. */
typedef struct {
    ow_db_t *db;
    ow_relay_t *relay; /* kicked after a rating commits; may be NULL */
} rating_requests_t;

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

/* ow_rpc_handler_fn for evaluation.rate; arg is a rating_requests_t. */
void rating_requests_on_rate(ow_rpc_call_t *call, void *arg);

/* ow_rpc_handler_fn for evaluation.get_rating (payload GetRating, reply RatingReply; NOT_FOUND
 * when unrated); arg is a rating_requests_t. */
void rating_requests_on_get(ow_rpc_call_t *call, void *arg);

#endif
