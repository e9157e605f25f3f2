/* rating_requests — see rating_requests.h. */
#include "rating_requests.h"

#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_clock.h"
#include "indicator_sets.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ratings.h"

#define S_METHOD_RATE "evaluation.rate"
#define S_KEY_MAX     200

/* Packs RatingReply{rating} into a new buffer. Returns NULL when out of memory. */
static uint8_t *s_pack_rating_reply(const rating_t *r, size_t *len)
{
    Onewindow__V1__Rating msg = ONEWINDOW__V1__RATING__INIT;
    ratings_fill_message(r, &msg);
    Onewindow__V1__RatingReply reply = ONEWINDOW__V1__RATING_REPLY__INIT;
    reply.rating = &msg;
    *len = onewindow__v1__rating_reply__get_packed_size(&reply);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        onewindow__v1__rating_reply__pack(&reply, buf);
    return buf;
}

int rating_requests_rate(ow_db_t *db, const char *idempotency_key, const uint8_t *payload,
                         size_t len, int64_t now_us, uint8_t **reply, size_t *reply_len, int *fresh,
                         ow_error_t *err)
{
    int rc = -1;
    uint8_t *body = NULL;
    size_t body_len = 0;
    rating_t *rating = NULL;
    *fresh = 0;
    Onewindow__V1__RateCase *req = onewindow__v1__rate_case__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_METHOD_RATE ": payload is not a RateCase");
        goto cleanup;
    }
    /* ARCHITECTURE: every command that changes state carries an idempotency key. */
    if (!idempotency_key || !*idempotency_key) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     S_METHOD_RATE " needs an idempotency key (repeat it to retry safely)");
        goto cleanup;
    }
    if (strlen(idempotency_key) > S_KEY_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "idempotency key is longer than %d bytes",
                     S_KEY_MAX);
        goto cleanup;
    }
    rating = malloc(sizeof *rating);
    if (!rating) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    if (ow_db_begin(db, err) != 0)
        goto cleanup;
    int found =
        ow_idem_find(db, idempotency_key, S_METHOD_RATE, payload, len, reply, reply_len, err);
    if (found < 0)
        goto cleanup;
    if (found == 1) { /* the first answer, verbatim; nothing new is written */
        ow_db_rollback(db);
        rc = 0;
        goto cleanup;
    }
    if (req->n_scores > INDICATOR_SET_MAX) {
        ow_error_add_violation(err, "scores", "has %zu entries, more than %d", req->n_scores,
                               INDICATOR_SET_MAX);
        ow_error_finish_violations(err);
        goto cleanup;
    }
    const char *codes[INDICATOR_SET_MAX];
    int32_t scores[INDICATOR_SET_MAX];
    for (size_t i = 0; i < req->n_scores; i++) {
        codes[i] = req->scores[i]->indicator;
        scores[i] = req->scores[i]->score;
    }
    rating_input_t in = {.case_no = req->case_no,
                         .grade = req->grade,
                         .comment = req->comment,
                         .channel = req->channel,
                         .window_id = req->window_id,
                         .staff_id = req->staff_id,
                         .indicator_set = req->indicator_set,
                         .score_codes = codes,
                         .scores = scores,
                         .score_count = req->n_scores,
                         .anonymous = req->anonymous};
    if (ratings_record_input(db, &in, now_us, rating, err) != 0)
        goto cleanup;
    body = s_pack_rating_reply(rating, &body_len);
    if (!body || ow_rpc_pack_reply(NULL, body, body_len, reply, reply_len) != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the reply");
        goto cleanup;
    }
    if (ow_idem_save(db, idempotency_key, S_METHOD_RATE, payload, len, *reply, *reply_len, err) !=
            0 ||
        ow_db_commit(db, err) != 0) {
        free(*reply);
        *reply = NULL;
        goto cleanup;
    }
    *fresh = 1;
    rc = 0;
cleanup:
    if (rc != 0 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    free(body);
    free(rating);
    if (req)
        onewindow__v1__rate_case__free_unpacked(req, NULL);
    return rc;
}

/* Answers one call alone, as before batching (also the fallback of a failed batch). */
static void s_rate_alone(rating_requests_t *self, ow_rpc_call_t *call)
{
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int fresh = 0;
    if (rating_requests_rate(self->db, ow_rpc_call_idempotency_key(call), payload, len,
                             ow_clock_now_us(), &reply, &reply_len, &fresh, &err) != 0) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    ow_rpc_reply_packed(call, reply, reply_len);
    free(reply);
    if (fresh && self->relay)
        ow_relay_kick(self->relay); /* publish rating.recorded now rather than at the next pass */
    if (fresh)
        ow_timer_sender_kick(self->timers); /* the rated case's timers are cancelled */
}

void rating_requests_flush(rating_requests_t *self)
{
    size_t n = self->pending_count;
    if (n == 0)
        return;
    self->pending_count = 0;
    self->pending_at_tick = 0;
    rating_batch_request_t reqs[RATING_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        reqs[i].idempotency_key = ow_rpc_call_idempotency_key(self->pending[i]);
        reqs[i].payload = ow_rpc_call_payload(self->pending[i], &reqs[i].len);
    }
    ow_error_t err;
    ow_error_clear(&err);
    int rc = rating_batch_record(self->db, self->relay, reqs, n, ow_clock_now_us(), self->outcomes,
                                 &err);
    /* Another instance rated one of these cases between the batch's read and its insert
     * (UNIQUE (case_no)): nothing was written; run again, the read now sees that rating and
     * answers it ALREADY_EXISTS (or, for a retry of the same call, its first answer). */
    if (rc != 0 && err.code == OW_ALREADY_EXISTS) {
        ow_info("a batch of %zu ratings met a rating another instance made: running it again", n);
        ow_error_clear(&err);
        rc = rating_batch_record(self->db, self->relay, reqs, n, ow_clock_now_us(), self->outcomes,
                                 &err);
    }
    if (rc != 0) {
        ow_warn("a batch of %zu ratings failed (%s): answering each on its own", n, err.message);
        for (size_t i = 0; i < n; i++)
            s_rate_alone(self, self->pending[i]);
        return;
    }
    /* Committed: now reply and publish (ARCHITECTURE "Inside a daemon"). */
    bool fresh = false;
    for (size_t i = 0; i < n; i++) {
        rating_batch_outcome_t *o = &self->outcomes[i];
        if (o->reply)
            ow_rpc_reply_packed(self->pending[i], o->reply, o->reply_len);
        else
            ow_rpc_reply_error(self->pending[i], &o->err);
        fresh = fresh || o->fresh;
        free(o->reply);
        o->reply = NULL;
    }
    /* The events were numbered in the batch and published after its commit: no relay pass. */
    if (fresh) {
        ow_timer_sender_kick(self->timers);
        rollup_applier_kick(self->applier); /* the roll-ups follow within a fraction of a second */
    }
}

/* Group commit: while each turn of the loop still brings calls (the drain was cut by its
 * bound, or requests keep coming in), wait one more turn; flush when a turn brings none. The
 * batch is bounded by RATING_BATCH_MAX and by what the socket holds (its high-water mark). */
static void s_on_flush(void *arg)
{
    rating_requests_t *self = arg;
    if (self->pending_count > self->pending_at_tick) {
        self->pending_at_tick = self->pending_count;
        ow_timer_arm(self->flush, 0);
        return;
    }
    self->pending_at_tick = 0;
    rating_requests_flush(self);
}

static void s_on_shutdown(void *arg)
{
    rating_requests_t *self = arg;
    rating_requests_flush(self);
    free(self->outcomes);
    self->outcomes = NULL;
    self->loop = NULL; /* the timer is the loop's, freed with it */
}

int rating_requests_start(rating_requests_t *self, ow_error_t *err)
{
    if (rating_batch_prepare(self->db, err) != 0)
        return -1;
    self->outcomes = calloc(RATING_BATCH_MAX, sizeof *self->outcomes);
    self->flush = self->outcomes ? ow_loop_timer(self->loop, -1, false, s_on_flush, self) : NULL;
    if (!self->flush) {
        free(self->outcomes);
        self->outcomes = NULL;
        ow_error_set(err, OW_INTERNAL, "out of memory for the rating batch");
        return -1;
    }
    ow_loop_on_shutdown(self->loop, s_on_shutdown, self);
    return 0;
}

void rating_requests_on_rate(ow_rpc_call_t *call, void *arg)
{
    rating_requests_t *self = arg;
    if (!self->loop || !self->outcomes) {
        s_rate_alone(self, call);
        return;
    }
    /* ARCHITECTURE "Inside a daemon": work arrives in batches; s_on_flush decides when the
     * drain is over. */
    self->pending[self->pending_count++] = call;
    if (self->pending_count == RATING_BATCH_MAX)
        rating_requests_flush(self);
    else if (self->pending_count == 1)
        ow_timer_arm(self->flush, 0);
}

void rating_requests_on_get(ow_rpc_call_t *call, void *arg)
{
    rating_requests_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *out = NULL;
    size_t len = 0;
    rating_t *rating = NULL;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__GetRating *req = onewindow__v1__get_rating__unpack(NULL, len, payload);
    len = 0;
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "evaluation.get_rating: payload is not a GetRating");
        goto cleanup;
    }
    if (!*req->case_no)
        ow_error_add_violation(&err, "case_no", "is empty: name the case whose rating to read");
    else if (strlen(req->case_no) > RATING_CASE_NO_MAX)
        ow_error_add_violation(&err, "case_no", "is longer than %d bytes", RATING_CASE_NO_MAX);
    if (ow_error_finish_violations(&err) != 0)
        goto cleanup;
    rating = malloc(sizeof *rating);
    if (!rating) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    if (ratings_get(self->db, req->case_no, rating, &err) != 0)
        goto cleanup;
    out = s_pack_rating_reply(rating, &len);
    if (!out)
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the rating");
cleanup:
    if (err.code == OW_OK)
        ow_rpc_reply(call, out, len);
    else
        ow_rpc_reply_error(call, &err);
    free(out);
    free(rating);
    if (req)
        onewindow__v1__get_rating__free_unpacked(req, NULL);
}
