/* rating_batch — see rating_batch.h. */
#include "rating_batch.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_binary_array.h"
#include "indicator_sets.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_envelope.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "provincial_push.h"
#include "ratings.h"
#include "rollup_applier.h"
#include "timer_commands.h"
#include "sql_arrays.h"

#define S_METHOD  "evaluation.rate"
#define S_KEY_MAX 200

/* The batch's keys already used: by a rating (kept on it since migration 0011) or in the
 * idempotency table (keys from before it, and keys of other methods; ow_idem). Keys only: the
 * hashes of the few found are compared in C. One probe of the unique index per key (the LIMIT
 * keeps the lateral subquery a nested loop): `idem_key = ANY`, planned before the table had
 * statistics, was costed as reading the whole table and read it (26 ms a batch). */
#define S_IDEM_FIND_SQL                                                                            \
    "SELECT r.idem_key, '" S_METHOD "', encode(r.request_hash, 'hex'), NULL, r.case_no"            \
    " FROM unnest($1::text[]) k JOIN LATERAL (SELECT idem_key, request_hash, case_no FROM ratings" \
    " WHERE idem_key = k LIMIT 1) r ON true UNION ALL SELECT key, method,"                         \
    " encode(request_hash, 'hex'), reply, NULL FROM idempotency WHERE key = ANY ($1::text[])"

static const ow_db_statement_t s_statements[] = {
    /* No row lock on the cases (one per rating was a write each): a rating of the same case
     * by another instance meets ON CONFLICT below and is answered ALREADY_EXISTS. */
    {"evaluation_batch_cases",
     "SELECT case_no, accepted_at_us IS NOT NULL, decided_at_us IS NOT NULL, department_code,"
     " item_code, centre_id, EXISTS (SELECT 1 FROM ratings r WHERE r.case_no = s.case_no),"
     " decided_at_us, item_name, item_version, department_name, coalesce(outcome, '')"
     " FROM served_cases s WHERE case_no = ANY ($1::text[])"
     " ORDER BY case_no COLLATE \"C\""},
    /* The ratings, in one statement, the ids made here; the roll-up applier folds them from
     * their rating.recorded events (rollup_applier.h). No ON CONFLICT (its speculative insert
     * cost a third of the statement): the case was read above, and a rating of the same case by
     * another instance in between fails the batch on UNIQUE (case_no), which is then run again
     * (rating_requests.c). The idempotency key and the request's SHA-256 are kept on the rating
     * (migration 0011); another instance's rating with the same key fails the batch on UNIQUE
     * (idem_key) in the same way, and the run again answers it as a repeat. The arrays travel in
     * the binary format (ow_binary_array.h), the now as text. */
    {"evaluation_batch_ratings",
     "INSERT INTO ratings (rating_id, case_no, grade, is_bad, comment, channel, rated_at_us,"
     " department_code, item_code, centre_id, indicator_set, window_id, staff_id, level,"
     " anonymous, scores, applier_folds, idem_key, request_hash)"
     " SELECT id, c, g, g <= 2, cm, ch, $2::bigint, d, it, ce, iset, w, st, lv, an,"
     " ARRAY[s1, s2, s3, s4, s5, s6, s7], true, k, h FROM unnest($1::text[], $3::smallint[],"
     " $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
     " $11::text[], $12::text[], $13::boolean[], $14::smallint[], $15::smallint[],"
     " $16::smallint[], $17::smallint[], $18::smallint[], $19::smallint[], $20::smallint[],"
     " $21::uuid[], $22::text[], $23::bytea[])"
     " AS u(c, g, cm, ch, d, it, ce, iset, w, st, lv, an, s1, s2, s3, s4, s5, s6, s7, id, k, h)"},
};

int rating_batch_prepare(ow_db_t *db, ow_error_t *err)
{
    if (OW_DB_PREPARE_ALL(db, s_statements, err) != 0)
        return -1;
    if (rollup_applier_prepare(db, err) != 0)
        return -1;
    return ratings_prepare(db, err);
}

typedef struct {
    Onewindow__V1__RateCase *req;
    bool live;  /* still to be decided by the database */
    int dup_of; /* an earlier request of this batch with the same key, or -1 */
    int32_t scores[INDICATOR_COUNT];
    const char *set_name;
    const char *level;
    int case_row;       /* its case's row of evaluation_batch_cases */
    uint8_t digest[32]; /* the request's SHA-256, kept with its key (migration 0011) */
    rating_t rating;
} s_item_t;

/* Items sorted by a string of theirs (byte order, then position), so that repeats are
 * neighbours and lookups are binary searches: a batch of thousands stays O(n log n). */
typedef struct {
    const char *text;
    int item;
} s_index_t;

static int s_index_cmp(const void *a, const void *b)
{
    const s_index_t *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->item > y->item) - (x->item < y->item);
}

/* The first entry of idx (n sorted) whose text is `text`, or -1. */
static int s_index_find(const s_index_t *idx, size_t n, const char *text)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx[mid].text, text) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(idx[lo].text, text) == 0 ? (int)lo : -1;
}

/* Decodes and checks what needs no database; a request that fails gets its answer now. */
static void s_check_request(const rating_batch_request_t *rq, s_item_t *item,
                            rating_batch_outcome_t *out)
{
    const char *key = rq->idempotency_key;
    item->req = onewindow__v1__rate_case__unpack(NULL, rq->len, rq->payload);
    if (!item->req) {
        ow_error_set(&out->err, OW_INVALID_ARGUMENT, S_METHOD ": payload is not a RateCase");
        return;
    }
    /* ARCHITECTURE: every command that changes state carries an idempotency key. */
    if (!key || !*key) {
        ow_error_set(&out->err, OW_INVALID_ARGUMENT,
                     S_METHOD " needs an idempotency key (repeat it to retry safely)");
        return;
    }
    if (strlen(key) > S_KEY_MAX) {
        ow_error_set(&out->err, OW_INVALID_ARGUMENT, "idempotency key is longer than %d bytes",
                     S_KEY_MAX);
        return;
    }
    /* Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up on every digest. */
    static EVP_MD *sha256;
    if (!sha256)
        sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!sha256 || !EVP_Digest(rq->payload, rq->len, md, &md_len, sha256, NULL) || md_len != 32) {
        ow_error_set(&out->err, OW_INTERNAL, "cannot hash the request");
        return;
    }
    memcpy(item->digest, md, sizeof item->digest);
    item->live = true;
}

/* Whether hex (a stored request hash, as encode(…, 'hex') gives it) is digest's. */
static bool s_same_hash(const char *hex, const uint8_t digest[32])
{
    static const char digits[] = "0123456789abcdef";
    for (int k = 0; k < 32; k++)
        if (hex[2 * k] != digits[digest[k] >> 4] || hex[2 * k + 1] != digits[digest[k] & 15])
            return false;
    return hex[64] == '\0';
}

/* Checks the fields (all problems at once, as ratings_record_input). */
static void s_check_fields(s_item_t *item, rating_batch_outcome_t *out)
{
    Onewindow__V1__RateCase *req = item->req;
    if (req->n_scores > INDICATOR_SET_MAX) {
        ow_error_add_violation(&out->err, "scores", "has %zu entries, more than %d", req->n_scores,
                               INDICATOR_SET_MAX);
        ow_error_finish_violations(&out->err);
        item->live = false;
        return;
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
    if (ratings_check_input(&in, item->scores, &item->set_name, &out->err) != 0)
        item->live = false;
}

/* Decides each live request against its case (the rows of evaluation_batch_cases). */
static void s_check_cases(const PGresult *cases, s_item_t *items, size_t n, int64_t now_us,
                          rating_batch_outcome_t *out, s_index_t *idx)
{
    int rows = PQntuples(cases);
    /* Live items by case number: the first of each run claims the case (one rating per
     * service, also inside a batch). */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].live)
            idx[m++] = (s_index_t){items[i].req->case_no, (int)i};
    qsort(idx, m, sizeof *idx, s_index_cmp);
    for (size_t k = 0; k < m; k++) {
        size_t i = (size_t)idx[k].item;
        const char *case_no = items[i].req->case_no;
        bool taken = k > 0 && strcmp(idx[k - 1].text, case_no) == 0;
        /* The rows come in byte order (COLLATE "C"), as strcmp: a binary search. */
        int row = -1, lo = 0, hi = rows;
        while (lo < hi && row < 0) {
            int mid = lo + (hi - lo) / 2, c = strcmp(PQgetvalue(cases, mid, 0), case_no);
            if (c == 0)
                row = mid;
            else if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        items[i].live = false;
        if (row < 0 || PQgetvalue(cases, row, 1)[0] != 't')
            ow_error_set(&out[i].err, OW_NOT_FOUND,
                         "case %s is not known to evaluation: only accepted cases can be rated",
                         case_no);
        /* A service is rated once it is done (DOMAIN.md §6: one rating per service). */
        else if (PQgetvalue(cases, row, 2)[0] != 't')
            ow_error_set(&out[i].err, OW_FAILED_PRECONDITION,
                         "case %s is not decided yet: it can be rated once it is decided", case_no);
        else if (taken || PQgetvalue(cases, row, 6)[0] == 't')
            ow_error_set(&out[i].err, OW_ALREADY_EXISTS,
                         "case %s is already rated: one rating per service", case_no);
        /* DOMAIN.md §6: late rating is allowed for a period after the service only. */
        else if (rating_window_check(ratings_window(), strtoll(PQgetvalue(cases, row, 7), NULL, 10),
                                     now_us, &out[i].err) != 0)
            ;
        else {
            items[i].live = true;
            items[i].case_row = row;
            rating_t *r = &items[i].rating;
            ow_text_put(r->case_no, sizeof r->case_no, case_no);
            r->grade = items[i].req->grade;
            ow_text_put(r->comment, sizeof r->comment, items[i].req->comment);
            ow_text_put(r->channel, sizeof r->channel, items[i].req->channel);
            r->is_bad = rating_is_bad(r->grade);
            ow_text_put(r->department_code, sizeof r->department_code, PQgetvalue(cases, row, 3));
            ow_text_put(r->item_code, sizeof r->item_code, PQgetvalue(cases, row, 4));
            ow_text_put(r->centre_id, sizeof r->centre_id, PQgetvalue(cases, row, 5));
            /* The level of the site, from the centre's area code (DOMAIN.md §1). */
            items[i].level = rating_level_of_centre(r->centre_id);
        }
    }
}

/* Packs m (a Rating or a RatingReply) into a new buffer; NULL when out of memory. */
static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        protobuf_c_message_pack(m, buf);
    return buf;
}

/* The answer to a rating request: a packed Reply holding the RatingReply of r, into a new
 * *reply. The same for a fresh rating and for a repeat answered from the stored one, so a repeat
 * gets the first answer byte for byte. Returns 0 or -1 (out of memory). */
static int s_reply_of(const rating_t *r, uint8_t **reply, size_t *len)
{
    Onewindow__V1__Rating msg = ONEWINDOW__V1__RATING__INIT;
    ratings_fill_message(r, &msg);
    Onewindow__V1__RatingReply body = ONEWINDOW__V1__RATING_REPLY__INIT;
    body.rating = &msg;
    size_t body_len = 0;
    uint8_t *packed = s_pack(&body.base, &body_len);
    int rc = packed ? ow_rpc_pack_reply(NULL, packed, body_len, reply, len) : -1;
    free(packed);
    return rc;
}

/* The batch's events: rating.recorded of each fresh rating, then the provincial pushes. */
typedef struct {
    ow_outbox_event_t *events;
    uint8_t **payloads; /* the rating.recorded payloads, owned */
    size_t recorded;
    Onewindow__V1__RatingPush *pushes; /* one per fresh rating, borrowing its strings */
} s_events_t;

/* The provincial push of a fresh rating (provincial_push.h), from what the batch holds: the
 * request, the rating and its case's row. */
static void s_push_from(s_item_t *item, const PGresult *cases, Onewindow__V1__RatingPush *msg)
{
    const rating_t *r = &item->rating;
    int row = item->case_row;
    onewindow__v1__rating_push__init(msg);
    msg->rating_id = (char *)r->rating_id;
    msg->case_no = (char *)r->case_no;
    msg->item_code = (char *)r->item_code;
    msg->item_name = PQgetvalue(cases, row, 8);
    msg->item_version = (int32_t)strtol(PQgetvalue(cases, row, 9), NULL, 10);
    msg->area_code = (char *)r->centre_id;
    msg->level = (char *)(item->level ? item->level : "");
    msg->department_code = (char *)r->department_code;
    msg->department_name = PQgetvalue(cases, row, 10);
    msg->case_status = PQgetvalue(cases, row, 11);
    msg->channel = (char *)r->channel;
    msg->staff_id = item->req->staff_id;
    msg->window_id = item->req->window_id;
    msg->grade = r->grade;
    msg->rated_at_us = r->rated_at_us;
    msg->is_default = false;
    msg->anonymous = item->req->anonymous;
}

/* Writes the events and the pushes' with one statement, numbered when there is a relay. */
static int s_write_events(ow_db_t *db, ow_relay_t *relay, s_events_t *ev,
                          const provincial_pushes_t *pushes, bool *numbered, ow_error_t *err)
{
    size_t n_push = 0;
    const ow_outbox_event_t *push = provincial_pushes_events(pushes, &n_push);
    if (n_push > 0)
        memcpy(ev->events + ev->recorded, push, n_push * sizeof *push);
    size_t n = ev->recorded + n_push;
    if (!relay)
        return ow_outbox_add_many(db, ev->events, n, err);
    *numbered = true; /* ow_relay_after_commit must follow, whatever happens */
    return ow_relay_add_numbered(relay, ev->events, n, err);
}

int rating_batch_record(ow_db_t *db, ow_relay_t *relay, const rating_batch_request_t *reqs,
                        size_t n, int64_t now_us, rating_batch_outcome_t *out, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL, *cases_res = NULL;
    bool numbered = false;
    provincial_pushes_t *pushes = NULL;
    /* At most one push per rating: room for both kinds. */
    s_events_t ev = {.events = calloc(n ? 2 * n : 1, sizeof *ev.events),
                     .payloads = calloc(n ? n : 1, sizeof *ev.payloads),
                     .pushes = calloc(n ? n : 1, sizeof *ev.pushes)};
    sql_array_t find_keys = {0}; /* every distinct key of the batch, to look up */
    /* The columns of evaluation_batch_ratings, parameter by parameter ($2, the now, is text). */
    enum {
        B_CASE,
        B_NOW,
        B_GRADE,
        B_COMMENT,
        B_CHANNEL,
        B_DEPT,
        B_ITEM,
        B_CENTRE,
        B_SET,
        B_WINDOW,
        B_STAFF,
        B_LEVEL,
        B_ANON,
        B_SCORE, /* seven of them, one per indicator */
        B_ID = B_SCORE + INDICATOR_COUNT,
        B_KEY,  /* the fresh ratings' keys */
        B_HASH, /* and their requests' hashes */
        B_COUNT
    };
    ow_binary_array_t b[B_COUNT];
    memset(b, 0, sizeof b);
    for (int k = 0; k < B_COUNT; k++) {
        if (k == B_NOW)
            continue; /* a text parameter */
        uint32_t type = k == B_GRADE || (k >= B_SCORE && k < B_ID) ? OW_BINARY_ARRAY_INT2
                        : k == B_ANON                              ? OW_BINARY_ARRAY_BOOL
                        : k == B_ID                                ? OW_BINARY_ARRAY_UUID
                        : k == B_HASH                              ? OW_BINARY_ARRAY_BYTEA
                                                                   : OW_BINARY_ARRAY_TEXT;
        ow_binary_array_init(&b[k], type);
    }
    sql_array_t recorded = {0}; /* the cases recorded */
    s_item_t *items = calloc(n ? n : 1, sizeof *items);
    s_index_t *by_key = calloc(n ? n : 1, sizeof *by_key);
    s_index_t *by_case = calloc(n ? n : 1, sizeof *by_case);
    char now_text[24];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now_us);
    /* Field by field: an outcome is mostly its ow_error_t (11 KB), and clearing 2048 of them
     * whole was a visible share of the loop's time. */
    for (size_t i = 0; i < n; i++) {
        out[i].reply = NULL;
        out[i].reply_len = 0;
        out[i].fresh = false;
        ow_error_clear(&out[i].err);
    }
    if (!items || !by_key || !by_case || !ev.events || !ev.payloads || !ev.pushes ||
        n > RATING_BATCH_MAX) {
        ow_error_set(err, n > RATING_BATCH_MAX ? OW_INVALID_ARGUMENT : OW_INTERNAL,
                     "cannot take a batch of %zu ratings", n);
        goto cleanup;
    }
    size_t keyed = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].dup_of = -1;
        s_check_request(&reqs[i], &items[i], &out[i]);
        if (items[i].live)
            by_key[keyed++] = (s_index_t){reqs[i].idempotency_key, (int)i};
    }
    qsort(by_key, keyed, sizeof *by_key, s_index_cmp);
    for (size_t k = 0; k < keyed; k++) {
        int i = by_key[k].item;
        /* A key repeated inside the batch is answered as its first use (below). */
        int first = s_index_find(by_key, keyed, by_key[k].text);
        if (by_key[first].item != i) {
            items[i].dup_of = by_key[first].item;
            items[i].live = false;
            continue;
        }
        sql_array_add_text(&find_keys, reqs[i].idempotency_key);
    }
    if (ow_db_begin(db, err) != 0)
        goto cleanup;
    /* The first answer to a key already used; nothing new is written for it. */
    if (find_keys.count > 0) {
        const char *find[] = {sql_array_text(&find_keys)};
        if (!find[0]) {
            ow_error_set(err, OW_INTERNAL, "out of memory listing idempotency keys");
            goto cleanup;
        }
        if (!(res = ow_db_exec_planned(db, S_IDEM_FIND_SQL, 1, find, err)))
            goto cleanup;
        for (int r = 0; r < PQntuples(res); r++) {
            int k = s_index_find(by_key, keyed, PQgetvalue(res, r, 0));
            int i = k < 0 ? -1 : by_key[k].item;
            if (i < 0 || !items[i].live)
                continue;
            items[i].live = false;
            if (strcmp(PQgetvalue(res, r, 1), S_METHOD) != 0)
                ow_error_set(&out[i].err, OW_FAILED_PRECONDITION,
                             "idempotency key '%s' was already used for %s, not %s: use a new key",
                             reqs[i].idempotency_key, PQgetvalue(res, r, 1), S_METHOD);
            else if (!s_same_hash(PQgetvalue(res, r, 2), items[i].digest))
                ow_error_set(&out[i].err, OW_FAILED_PRECONDITION,
                             "idempotency key '%s' was already used for %s with a different "
                             "request: use a new key",
                             reqs[i].idempotency_key, S_METHOD);
            else if (!PQgetisnull(res, r, 4)) {
                /* Kept on its rating: the answer is rebuilt from it. */
                rating_t first;
                if (ratings_get(db, PQgetvalue(res, r, 4), &first, err) != 0)
                    goto cleanup;
                if (s_reply_of(&first, &out[i].reply, &out[i].reply_len) != 0) {
                    ow_error_set(err, OW_INTERNAL, "out of memory packing a stored rating");
                    goto cleanup;
                }
            } else {
                size_t len = 0;
                unsigned char *stored =
                    PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 3), &len);
                if (!stored) {
                    ow_error_set(err, OW_INTERNAL, "out of memory reading a stored reply");
                    goto cleanup;
                }
                out[i].reply = malloc(len ? len : 1);
                if (out[i].reply)
                    memcpy(out[i].reply, stored, len);
                out[i].reply_len = len;
                PQfreemem(stored);
                if (!out[i].reply) {
                    ow_error_set(err, OW_INTERNAL, "out of memory copying a stored reply");
                    goto cleanup;
                }
            }
        }
        PQclear(res);
        res = NULL;
    }
    sql_array_t cases = {0};
    for (size_t i = 0; i < n; i++)
        if (items[i].live && (s_check_fields(&items[i], &out[i]), items[i].live))
            sql_array_add_text(&cases, items[i].req->case_no);
    if (cases.count > 0) {
        const char *params[] = {sql_array_text(&cases)};
        cases_res = params[0] ? ow_db_exec(db, "evaluation_batch_cases", 1, params, err) : NULL;
        if (!params[0])
            ow_error_set(err, OW_INTERNAL, "out of memory listing cases");
        sql_array_clear(&cases);
        if (!cases_res)
            goto cleanup;
        /* Kept: the pushes borrow the cases' names. */
        s_check_cases(cases_res, items, n, now_us, out, by_case);
    }
    sql_array_clear(&cases);

    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].live)
            continue;
        const rating_t *r = &items[i].rating;
        ow_binary_array_add_text(&b[B_CASE], r->case_no);
        ow_binary_array_add_int2(&b[B_GRADE], (int16_t)r->grade);
        ow_binary_array_add_text(&b[B_COMMENT], r->comment);
        ow_binary_array_add_text(&b[B_CHANNEL], r->channel);
        ow_binary_array_add_text(&b[B_DEPT], r->department_code);
        ow_binary_array_add_text(&b[B_ITEM], r->item_code);
        ow_binary_array_add_text(&b[B_CENTRE], r->centre_id);
        ow_binary_array_add_text(&b[B_SET], items[i].set_name);
        ow_binary_array_add_text(&b[B_WINDOW], items[i].req->window_id);
        ow_binary_array_add_text(&b[B_STAFF], items[i].req->staff_id);
        ow_binary_array_add_text(&b[B_LEVEL], items[i].level ? items[i].level : "");
        ow_binary_array_add_bool(&b[B_ANON], items[i].req->anonymous);
        for (int k = 0; k < INDICATOR_COUNT; k++)
            ow_binary_array_add_int2(&b[B_SCORE + k], (int16_t)items[i].scores[k]);
        ow_uuid_v7(
            items[i].rating.rating_id); /* time-ordered: the primary key grows at its right edge */
        ow_binary_array_add_uuid(&b[B_ID], items[i].rating.rating_id);
        ow_binary_array_add_text(&b[B_KEY], reqs[i].idempotency_key);
        ow_binary_array_add_bytes(&b[B_HASH], items[i].digest, sizeof items[i].digest);
        fresh++;
    }
    if (fresh > 0) {
        const char *params[B_COUNT];
        int lengths[B_COUNT] = {0}, formats[B_COUNT];
        for (int k = 0; k < B_COUNT; k++) {
            bool text = k == B_NOW;
            params[k] = text ? now_text : (const char *)ow_binary_array_finish(&b[k], &lengths[k]);
            formats[k] = text ? 0 : 1;
            if (!params[k]) {
                ow_error_set(err, OW_INTERNAL, "out of memory listing %zu ratings", fresh);
                goto cleanup;
            }
        }
        if (!(res = ow_db_execb(db, "evaluation_batch_ratings", B_COUNT, params, lengths, formats,
                                err)))
            goto cleanup;
        PQclear(res);
        res = NULL;
        size_t rows = 0;
        for (size_t i = 0; i < n; i++) {
            if (!items[i].live)
                continue;
            rating_t *r = &items[i].rating;
            r->rated_at_us = now_us;
            s_push_from(&items[i], cases_res, &ev.pushes[rows++]);
            Onewindow__V1__Rating msg = ONEWINDOW__V1__RATING__INIT;
            ratings_fill_message(r, &msg);
            size_t len = 0;
            /* rating.recorded: the Rating alone, which has no field for the rater (§6). */
            uint8_t *event = s_pack(&msg.base, &len);
            int packed_rc = s_reply_of(r, &out[i].reply, &out[i].reply_len);
            if (event) {
                ev.payloads[ev.recorded] = event;
                ev.events[ev.recorded++] = (ow_outbox_event_t){.type = "rating.recorded",
                                                               .case_no = r->case_no,
                                                               .centre_id = r->centre_id,
                                                               .time_us = now_us,
                                                               .payload = event,
                                                               .len = len};
            }
            if (!event || packed_rc != 0) {
                ow_error_set(err, OW_INTERNAL, "out of memory packing a rating");
                goto cleanup;
            }
            sql_array_add_text(&recorded, r->case_no);
            out[i].fresh = true;
        }
        /* As the single path: tickets of bad reviews (§6), automatic assessment records (§7)
         * and the rating's timers cancelled (ratings.h); the roll-ups are the applier's
         * (rollup_applier.h), from the rating.recorded events below. */
        const char *rated = sql_array_text(&recorded);
        if (!rated) {
            ow_error_set(err, OW_INTERNAL, "out of memory listing %zu cases", rows);
            goto cleanup;
        }
        if (ratings_follow_up(db, rated, now_us, err) != 0 ||
            provincial_push_build_from(db, ev.pushes, rows, now_us, &pushes, err) != 0)
            goto cleanup;
        /* Last before COMMIT: the relay's lock (s_write_events) is held until then, and the
         * other instances' batches wait for it. */
        if (s_write_events(db, relay, &ev, pushes, &numbered, err) != 0)
            goto cleanup;
    }

    if (ow_db_commit(db, err) != 0)
        goto cleanup;
    if (numbered)
        ow_relay_after_commit(relay, true);
    numbered = false;
    /* A key used twice in one batch: the second gets the first's answer, as a retry would. */
    for (size_t i = 0; i < n; i++) {
        int j = items[i].dup_of;
        if (j < 0)
            continue;
        if (reqs[i].len != reqs[j].len || memcmp(reqs[i].payload, reqs[j].payload, reqs[i].len))
            ow_error_set(&out[i].err, OW_FAILED_PRECONDITION,
                         "idempotency key '%s' was already used for %s with a different "
                         "request: use a new key",
                         reqs[i].idempotency_key, S_METHOD);
        else if (out[j].reply) {
            out[i].reply = malloc(out[j].reply_len ? out[j].reply_len : 1);
            if (out[i].reply)
                memcpy(out[i].reply, out[j].reply, out[j].reply_len);
            out[i].reply_len = out[j].reply_len;
            if (!out[i].reply)
                ow_error_set(&out[i].err, OW_INTERNAL, "out of memory copying a reply");
        } else
            out[i].err = out[j].err;
    }
    rc = 0;
cleanup:
    if (rc != 0) {
        if (ow_db_in_transaction(db))
            ow_db_rollback(db);
        if (numbered)
            ow_relay_after_commit(relay, false);
        for (size_t i = 0; i < n; i++) {
            free(out[i].reply);
            out[i].reply = NULL;
            out[i].fresh = false;
        }
    }
    PQclear(res);
    sql_array_clear(&find_keys);
    for (int k = 0; k < B_COUNT; k++)
        ow_binary_array_clear(&b[k]);
    for (size_t i = 0; items && i < n; i++)
        if (items[i].req)
            onewindow__v1__rate_case__free_unpacked(items[i].req, NULL);
    free(items);
    free(by_key);
    free(by_case);
    sql_array_clear(&recorded);
    provincial_pushes_destroy(&pushes);
    for (size_t i = 0; i < ev.recorded; i++)
        free(ev.payloads[i]);
    free(ev.payloads);
    free(ev.events);
    free(ev.pushes);
    PQclear(cases_res);
    return rc;
}
