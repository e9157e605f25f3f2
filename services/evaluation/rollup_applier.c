/* rollup_applier — see rollup_applier.h. */
#include "rollup_applier.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_clock.h"
#include "ow_log.h"
#include "rollups.h"

/* The events after the watermark, each with its rating when it is a rating.recorded the applier
 * folds (NULL columns otherwise): the pass folds those and moves the watermark past them all.
 * The events are read in seq order, which is commit order (the batch numbers its events under
 * the relay's lock held to its COMMIT), so every event a pass does not see has a greater seq.
 * Each rating is found through its case's unique index: the LIMIT keeps the lateral subquery
 * from being flattened into a join that the planner, expecting a pass's LIMIT of events, made
 * a hash join over the whole ratings table (12 µs an event at 160,000 ratings, and growing). */
#define S_TAKE_SQL                                                                                 \
    "WITH ev AS MATERIALIZED (SELECT seq, type, case_no FROM outbox WHERE seq > $1::bigint"        \
    " ORDER BY seq LIMIT $2::int)"                                                                 \
    " SELECT ev.seq, r.* FROM ev LEFT JOIN LATERAL (SELECT rated_at_us, grade, is_default,"        \
    " excluded, rectified, revisited, scores[1] AS s1, scores[2] AS s2, scores[3] AS s3,"          \
    " scores[4] AS s4, scores[5] AS s5, scores[6] AS s6, scores[7] AS s7, department_code,"        \
    " item_code, window_id, staff_id, channel, centre_id, level FROM ratings"                      \
    " WHERE ev.type = 'rating.recorded' AND case_no = ev.case_no AND applier_folds LIMIT 1) r"     \
    " ON true ORDER BY ev.seq"

static const ow_db_statement_t s_statements[] = {
    /* One pass at a time across instances: two passes upserting the same slices in different
     * orders could deadlock, and one pass already folds everything that waits. */
    {"evaluation_applier_claim",
     "SELECT pg_try_advisory_xact_lock(hashtext('onewindow.rollup_applier.' ||"
     " current_schema()))"},
    /* The same lock, waited for: an exclusion or a rectification step (rollup_applier_hold). */
    {"evaluation_applier_hold",
     "SELECT pg_advisory_xact_lock(hashtext('onewindow.rollup_applier.' || current_schema()))"},
    {"evaluation_applier_watermark", "SELECT last_seq FROM rollup_applier_state"},
    {"evaluation_applier_advance", "UPDATE rollup_applier_state SET last_seq = $1::bigint"},
    /* The first rating not folded yet: after the watermark, or (a batch written without a relay,
     * in tests) not numbered at all. */
    {"evaluation_applier_as_of",
     "SELECT min(t) FROM ((SELECT o.time_us AS t FROM outbox o JOIN ratings r"
     " ON r.case_no = o.case_no AND r.applier_folds"
     " WHERE o.seq > (SELECT last_seq FROM rollup_applier_state) AND o.type = 'rating.recorded'"
     " ORDER BY o.seq LIMIT 1)"
     " UNION ALL (SELECT min(o.time_us) FROM outbox o JOIN ratings r"
     " ON r.case_no = o.case_no AND r.applier_folds"
     " WHERE o.seq IS NULL AND o.type = 'rating.recorded')) s"},
};

int rollup_applier_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

/* Adds row `row` of the take statement to the deltas. */
static int s_add_row(rollup_deltas_t *deltas, const PGresult *res, int row)
{
    rollup_rating_t r = {.rated_at_us = strtoll(PQgetvalue(res, row, 1), NULL, 10)};
    r.sample.grade = (int32_t)strtol(PQgetvalue(res, row, 2), NULL, 10);
    r.sample.is_default = PQgetvalue(res, row, 3)[0] == 't';
    r.excluded = PQgetvalue(res, row, 4)[0] == 't';
    r.sample.rectified = PQgetvalue(res, row, 5)[0] == 't';
    r.sample.revisited = PQgetvalue(res, row, 6)[0] == 't';
    for (int k = 0; k < INDICATOR_COUNT; k++)
        r.sample.scores[k] = (int32_t)strtol(PQgetvalue(res, row, 7 + k), NULL, 10);
    for (int d = 1; d < ROLLUP_DIMENSIONS; d++)
        r.keys[d] = PQgetvalue(res, row, 7 + INDICATOR_COUNT + d - 1);
    return rollup_deltas_add(deltas, &r);
}

/* Inside the caller's transaction, holding the applier's lock: folds the ratings of at most max
 * events after the watermark and moves it past them. *events gets how many events were read.
 * Returns the number of ratings folded, or -1 with err. */
static long s_fold(ow_db_t *db, size_t max, long *events, ow_error_t *err)
{
    long rc = -1;
    PGresult *res = NULL;
    rollup_deltas_t *deltas = rollup_deltas_new();
    if (!deltas) {
        ow_error_set(err, OW_INTERNAL, "out of memory for the roll-up deltas");
        goto cleanup;
    }
    if (!(res = ow_db_exec(db, "evaluation_applier_watermark", 0, NULL, err)))
        goto cleanup;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "rollup_applier_state has %d rows, expected 1",
                     PQntuples(res));
        goto cleanup;
    }
    char after[24], limit[24];
    snprintf(after, sizeof after, "%s", PQgetvalue(res, 0, 0));
    snprintf(limit, sizeof limit, "%zu", max);
    PQclear(res);
    /* Planned for this watermark: a cached plan made on an empty outbox can scan it whole. */
    const char *params[] = {after, limit};
    if (!(res = ow_db_exec_planned(db, S_TAKE_SQL, 2, params, err)))
        goto cleanup;
    int n = PQntuples(res);
    long folded = 0;
    for (int i = 0; i < n; i++) {
        if (PQgetisnull(res, i, 1))
            continue; /* another event, or a rating folded in its own transaction */
        if (s_add_row(deltas, res, i) != 0) {
            ow_error_set(err, OW_INTERNAL, "cannot sum the roll-ups of %d events", n);
            goto cleanup;
        }
        folded++;
    }
    if (n > 0) {
        /* The upserts and the watermark commit together: each rating is folded exactly once. */
        const char *last[] = {PQgetvalue(res, n - 1, 0)};
        PGresult *moved = NULL;
        if (rollup_deltas_apply(db, deltas, err) != 0 ||
            !(moved = ow_db_exec(db, "evaluation_applier_advance", 1, last, err)))
            goto cleanup;
        PQclear(moved);
    }
    *events = n;
    rc = folded;
cleanup:
    PQclear(res);
    rollup_deltas_destroy(&deltas);
    return rc;
}

long rollup_applier_pass(ow_db_t *db, size_t max, bool *more, ow_error_t *err)
{
    long rc = -1, events = 0;
    if (more)
        *more = false;
    PGresult *res = NULL;
    if (ow_db_begin(db, err) != 0)
        goto cleanup;
    if (!(res = ow_db_exec(db, "evaluation_applier_claim", 0, NULL, err)))
        goto cleanup;
    bool claimed = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    res = NULL;
    if (!claimed) { /* another instance's pass is folding what waits */
        ow_db_rollback(db);
        rc = ROLLUP_APPLIER_BUSY;
        goto cleanup;
    }
    long folded = s_fold(db, max, &events, err);
    if (folded < 0 || ow_db_commit(db, err) != 0)
        goto cleanup;
    if (more)
        *more = events == (long)max;
    rc = folded;
cleanup:
    if (rc == -1 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    PQclear(res);
    return rc;
}

int rollup_applier_hold(ow_db_t *db, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, "evaluation_applier_hold", 0, NULL, err);
    if (!res)
        return -1;
    PQclear(res);
    long events = 0;
    do {
        if (s_fold(db, ROLLUP_APPLIER_PASS_MAX, &events, err) < 0)
            return -1;
    } while (events == ROLLUP_APPLIER_PASS_MAX);
    return 0;
}

int rollup_applier_as_of(ow_db_t *db, int64_t now_us, int64_t *as_of_us, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, "evaluation_applier_as_of", 0, NULL, err);
    if (!res)
        return -1;
    /* The oldest pending rating and all after it are not in the figures yet. */
    *as_of_us = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
                    ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
                    : now_us;
    PQclear(res);
    return 0;
}

struct rollup_applier {
    ow_db_t *db;
    ow_timer_t *timer;
    bool armed;
    int64_t last_start_mono; /* µs, monotonic: when the last pass began */
    double interval_s;
};

void rollup_applier_set_interval(rollup_applier_t *self, double interval_s)
{
    if (self && interval_s > 0)
        self->interval_s = interval_s;
}

static void s_on_timer(void *arg)
{
    rollup_applier_t *self = arg;
    self->armed = false;
    self->last_start_mono = ow_clock_mono_us();
    ow_error_t err;
    ow_error_clear(&err);
    bool more = false;
    long n = rollup_applier_pass(self->db, ROLLUP_APPLIER_PASS_MAX, &more, &err);
    if (n == ROLLUP_APPLIER_BUSY) {
        /* Another instance is folding; what this one wrote may wait for a later pass. */
        self->armed = true;
        ow_timer_arm(self->timer, self->interval_s);
    } else if (n < 0) {
        /* Nothing was folded and the watermark stayed: the retry reads the same events. */
        ow_warn("roll-up pass failed (%s): retrying in 1 s", err.message);
        self->armed = true;
        ow_timer_arm(self->timer, 1.0);
    } else if (more) {
        self->armed = true; /* more is waiting: go on at the next turn of the loop */
        ow_timer_arm(self->timer, 0);
    }
}

rollup_applier_t *rollup_applier_new(ow_loop_t *loop, ow_db_t *db, ow_error_t *err)
{
    rollup_applier_t *self = calloc(1, sizeof *self);
    if (self) {
        self->db = db;
        self->interval_s = ROLLUP_APPLIER_INTERVAL_S;
        self->timer = ow_loop_timer(loop, -1, false, s_on_timer, self);
    }
    if (!self || !self->timer) {
        free(self);
        ow_error_set(err, OW_INTERNAL, "out of memory for the roll-up applier");
        return NULL;
    }
    /* What a crash or a stop left pending is folded first. */
    self->armed = true;
    ow_timer_arm(self->timer, 0);
    return self;
}

void rollup_applier_kick(rollup_applier_t *self)
{
    if (!self || self->armed)
        return;
    self->armed = true;
    double since = (double)(ow_clock_mono_us() - self->last_start_mono) / 1e6;
    ow_timer_arm(self->timer, since >= self->interval_s ? 0 : self->interval_s - since);
}

void rollup_applier_drain(rollup_applier_t *self)
{
    ow_error_t err;
    ow_error_clear(&err);
    bool more = true;
    while (self && more && rollup_applier_pass(self->db, ROLLUP_APPLIER_PASS_MAX, &more, &err) >= 0)
        ;
}

void rollup_applier_destroy(rollup_applier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_timer_destroy(&(*self_p)->timer);
    free(*self_p);
    *self_p = NULL;
}
