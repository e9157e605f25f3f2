/* rollup_applier — see rollup_applier.h. */
#include "rollup_applier.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_clock.h"
#include "ow_log.h"
#include "rollups.h"

static const ow_db_statement_t s_statements[] = {
    /* Dequeue and read in one statement. SKIP LOCKED: a row an exclusion holds
     * (rollups_apply) waits for the next pass, which then reads the rating as excluded. */
    /* Dequeue and read in one statement: the rows carry their ratings' slices and flags. */
    {"evaluation_applier_take",
     "DELETE FROM rollup_pending WHERE seq IN (SELECT seq FROM rollup_pending ORDER BY seq"
     " LIMIT $1::int FOR UPDATE SKIP LOCKED) RETURNING rated_at_us, grade, is_default,"
     " excluded, rectified, revisited, scores[1], scores[2], scores[3], scores[4], scores[5],"
     " scores[6], scores[7], department_code, item_code, window_id, staff_id, channel,"
     " centre_id, level"},
    /* One pass at a time across instances: two passes upserting the same slices in different
     * orders could deadlock, and one pass already folds everything that waits. */
    {"evaluation_applier_claim",
     "SELECT pg_try_advisory_xact_lock(hashtext('onewindow.rollup_applier.' ||"
     " current_schema()))"},
    {"evaluation_applier_as_of", "SELECT rated_at_us FROM rollup_pending ORDER BY seq LIMIT 1"},
};

int rollup_applier_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

/* Adds row `row` of the take statement to the deltas. */
static int s_add_row(rollup_deltas_t *deltas, const PGresult *res, int row)
{
    rollup_rating_t r = {.rated_at_us = strtoll(PQgetvalue(res, row, 0), NULL, 10)};
    r.sample.grade = (int32_t)strtol(PQgetvalue(res, row, 1), NULL, 10);
    r.sample.is_default = PQgetvalue(res, row, 2)[0] == 't';
    r.excluded = PQgetvalue(res, row, 3)[0] == 't';
    r.sample.rectified = PQgetvalue(res, row, 4)[0] == 't';
    r.sample.revisited = PQgetvalue(res, row, 5)[0] == 't';
    for (int k = 0; k < INDICATOR_COUNT; k++)
        r.sample.scores[k] = (int32_t)strtol(PQgetvalue(res, row, 6 + k), NULL, 10);
    for (int d = 1; d < ROLLUP_DIMENSIONS; d++)
        r.keys[d] = PQgetvalue(res, row, 6 + INDICATOR_COUNT + d - 1);
    return rollup_deltas_add(deltas, &r);
}

long rollup_applier_pass(ow_db_t *db, size_t max, ow_error_t *err)
{
    long rc = -1;
    PGresult *res = NULL;
    rollup_deltas_t *deltas = rollup_deltas_new();
    char limit[24];
    snprintf(limit, sizeof limit, "%zu", max);
    if (!deltas) {
        ow_error_set(err, OW_INTERNAL, "out of memory for the roll-up deltas");
        goto cleanup;
    }
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
    const char *params[] = {limit};
    if (!(res = ow_db_exec(db, "evaluation_applier_take", 1, params, err)))
        goto cleanup;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (s_add_row(deltas, res, i) != 0) {
            ow_error_set(err, OW_INTERNAL, "cannot sum the roll-ups of %d ratings", n);
            goto cleanup;
        }
    /* The upserts and the dequeue commit together: exactly once. */
    if (rollup_deltas_apply(db, deltas, err) != 0 || ow_db_commit(db, err) != 0)
        goto cleanup;
    rc = n;
cleanup:
    if (rc == -1 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    PQclear(res);
    rollup_deltas_destroy(&deltas);
    return rc;
}

int rollup_applier_as_of(ow_db_t *db, int64_t now_us, int64_t *as_of_us, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, "evaluation_applier_as_of", 0, NULL, err);
    if (!res)
        return -1;
    /* The oldest pending rating and all after it are not in the figures yet. */
    *as_of_us = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : now_us;
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
    long n = rollup_applier_pass(self->db, ROLLUP_APPLIER_PASS_MAX, &err);
    if (n == ROLLUP_APPLIER_BUSY) {
        /* Another instance is folding; what this one wrote may wait for a later pass. */
        self->armed = true;
        ow_timer_arm(self->timer, self->interval_s);
    } else if (n < 0) {
        /* Nothing was dequeued: the rows wait for the retry. */
        ow_warn("roll-up pass failed (%s): retrying in 1 s", err.message);
        self->armed = true;
        ow_timer_arm(self->timer, 1.0);
    } else if (n == ROLLUP_APPLIER_PASS_MAX) {
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
    long n;
    while (self && (n = rollup_applier_pass(self->db, ROLLUP_APPLIER_PASS_MAX, &err)) > 0)
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
