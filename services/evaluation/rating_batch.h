/* rating_batch — evaluation.rate for the requests that arrive together on the ROUTER socket,
 * recorded in one transaction with a handful of set-based statements (ARCHITECTURE "Inside a
 * daemon": drain what is ready, apply it in one transaction, then reply and publish).
 *
 * Each request keeps its own answer: the checks that decide it (idempotency key, fields, the
 * case known, decided and unrated, one rating per service also within the batch) run per
 * request before anything is written, so a bad request is refused alone and the others are
 * recorded. The roll-ups of the whole batch are summed in C (rollup_deltas_t) and applied
 * with one multi-row upsert. Answers equal evaluation.rate's one at a time
 * (rating_requests_rate): the same codes, messages and stored idempotent replies. */
#ifndef EVALUATION_RATING_BATCH_H
#define EVALUATION_RATING_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_status.h"

/* Most requests one batch takes (a larger drain is cut into batches). */
#define RATING_BATCH_MAX 2048

/* One request, borrowed for the call. */
typedef struct {
    const char *idempotency_key; /* "" or NULL when absent */
    const uint8_t *payload;      /* a packed RateCase */
    size_t len;
} rating_batch_request_t;

/* One answer: a packed onewindow.v1.Reply to send (reply, caller frees) — the new rating or
 * the first answer to a repeated key — or err when reply is NULL. */
typedef struct {
    uint8_t *reply;
    size_t reply_len;
    bool fresh; /* this batch wrote the rating (and its rating.recorded event) */
    ow_error_t err;
} rating_batch_outcome_t;

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rating_batch_prepare(ow_db_t *db, ow_error_t *err);

/* Records up to RATING_BATCH_MAX requests made at now_us in one transaction: ratings,
 * rating.recorded events, idempotency records and roll-ups. Returns 0 when it committed, with
 * out[i] the answer to reqs[i]. Returns -1 with err when the batch as a whole failed (the
 * database went away, a lock timed out, a race with another instance): nothing was written,
 * no out[i] holds a reply, and the caller answers each request on its own
 * (rating_requests_rate), which then gets its own error.
 * With relay (the relay of db's service, may be NULL) the batch's events go in numbered
 * (ow_relay_add_numbered: each outbox row written once, no numbering pass behind it) and are
 * published after the commit. */
int rating_batch_record(ow_db_t *db, ow_relay_t *relay, const rating_batch_request_t *reqs,
                        size_t n, int64_t now_us, rating_batch_outcome_t *out, ow_error_t *err);

#endif
