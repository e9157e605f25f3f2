/* Batched evaluation.rate (rating_batch.c) and evaluation.report (reports.c) against a real
 * PostgreSQL (OW_TEST_DATABASE_URL): each request of a batch gets its own answer (a bad one is
 * refused alone), repeats answer byte for byte and write nothing, the roll-ups summed in C
 * equal a brute-force recount over the raw ratings, and the paged report returns every slice
 * exactly once. Also the China-time period starts and the C deltas as plain functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "rating_batch.h"
#include "ratings.h"
#include "reports.h"
#include "rollup_applier.h"
#include "rollups.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

#define S_T0  INT64_C(1790000000000000) /* 2026-09-22 */
#define S_DAY INT64_C(86400000000)
#define S_N   600

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    /* These cases were decided long before they are rated here: the test is about the
     * figures, so the late window (tested in test_ratings.c) is as good as unlimited. */
    rating_window_t open_window = rating_window_defaults();
    open_window.late_window_days = open_window.default_after_days = 1000000;
    ratings_set_window(&open_window);
    ow_test_pg_t *pg = ow_test_pg_new("owtest_evalbatch_", "evaluation-test", &err);
    if (!pg ||
        ow_migrate(ow_test_pg_db(pg), evaluation_core_migrations, evaluation_core_migrations_count,
                   &err) < 0 ||
        served_cases_prepare(ow_test_pg_db(pg), &err) != 0 ||
        ratings_prepare(ow_test_pg_db(pg), &err) != 0 ||
        rating_batch_prepare(ow_test_pg_db(pg), &err) != 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static uint32_t s_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

/* As test_rollups.c: a plain aggregate over raw ratings sharing no SQL with rollups.c. */
static long s_differences(ow_test_pg_t *pg, const char *dimension, const char *column,
                          const char *period)
{
    char sql[4096];
    const char *schema = ow_test_pg_name(pg);
    snprintf(sql, sizeof sql,
             "WITH raw AS (SELECT %s AS key, date_trunc('%s', (to_timestamp(rated_at_us / 1e6)"
             " AT TIME ZONE 'Asia/Shanghai'))::date AS ps, count(*) AS total,"
             " count(*) FILTER (WHERE excluded) AS excluded,"
             " count(*) FILTER (WHERE NOT excluded AND NOT is_default) AS active,"
             " count(*) FILTER (WHERE NOT excluded AND grade >= 3) AS good,"
             " count(*) FILTER (WHERE NOT excluded AND grade <= 2) AS bad,"
             " count(*) FILTER (WHERE NOT excluded AND grade = 1) AS g1,"
             " count(*) FILTER (WHERE NOT excluded AND grade = 5) AS g5,"
             " coalesce(sum(scores[4]) FILTER (WHERE NOT excluded), 0) AS sum_attitude,"
             " count(*) FILTER (WHERE NOT excluded AND scores[4] > 0) AS n_attitude,"
             " coalesce(sum(scores[2]) FILTER (WHERE NOT excluded), 0) AS sum_efficiency"
             " FROM %s.ratings WHERE %s <> '' OR '%s' = 'all' GROUP BY 1, 2),"
             " roll AS (SELECT key, period_start AS ps, total, excluded, active, good, bad, g1,"
             " g5, sum_attitude, n_attitude, sum_efficiency FROM %s.rollups"
             " WHERE dimension = '%s' AND period = '%s')"
             " SELECT count(*) FROM ((SELECT * FROM raw EXCEPT SELECT * FROM roll)"
             " UNION ALL (SELECT * FROM roll EXCEPT SELECT * FROM raw)) d",
             column, period, schema, column, dimension, schema, dimension, period);
    return ow_test_pg_long(ow_test_pg_admin(pg), sql);
}

static uint8_t *s_rate_case(const char *case_no, int32_t grade, const char *channel,
                            const char *window, const char *staff, int32_t attitude, size_t *len)
{
    Onewindow__V1__IndicatorScore score = ONEWINDOW__V1__INDICATOR_SCORE__INIT;
    Onewindow__V1__IndicatorScore *scores[] = {&score};
    score.indicator = "attitude";
    score.score = attitude;
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.channel = (char *)channel;
    req.comment = "窗口\"服务\"\\好";
    req.window_id = (char *)window;
    req.staff_id = (char *)staff;
    req.scores = scores;
    req.n_scores = attitude ? 1 : 0;
    *len = onewindow__v1__rate_case__get_packed_size(&req);
    uint8_t *buf = malloc(*len ? *len : 1);
    onewindow__v1__rate_case__pack(&req, buf);
    return buf;
}

/* The status inside a packed Reply. */
static int s_reply_status(const rating_batch_outcome_t *o)
{
    if (!o->reply)
        return (int)o->err.code;
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, o->reply_len, o->reply);
    assert_non_null(r);
    int status = r->status;
    onewindow__v1__reply__free_unpacked(r, NULL);
    return status;
}

/* What a relay pass does to the outbox (ow_outbox.c), for tests that have no relay: numbers the
 * committed rows without a seq in id order after the last seq, and moves the last seq. */
static void s_number_events(PGconn *admin, const char *schema)
{
    char sql[1024];
    ow_error_t err;
    snprintf(sql, sizeof sql,
             "WITH st AS (SELECT last_seq FROM %s.outbox_state FOR UPDATE),"
             " n AS (SELECT id, (SELECT last_seq FROM st) + row_number() OVER (ORDER BY id) AS seq"
             " FROM %s.outbox WHERE seq IS NULL),"
             " u AS (UPDATE %s.outbox o SET seq = n.seq FROM n WHERE o.id = n.id RETURNING o.seq)"
             " UPDATE %s.outbox_state SET last_seq = greatest(last_seq, (SELECT max(seq) FROM u))",
             schema, schema, schema, schema);
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);
}

static void test_period_starts_and_deltas(void **state)
{
    (void)state;
    int32_t s[4];
    /* 2026-12-31T16:30:00Z is 2027-01-01 00:30 in China: a new day, month, quarter, year. */
    rollups_period_starts(INT64_C(1798734600000000), s);
    assert_int_equal(s[0], 20819); /* 2027-01-01 */
    assert_int_equal(s[1], 20819);
    assert_int_equal(s[2], 20819);
    assert_int_equal(s[3], 20819);
    /* 2026-08-15T15:59:59Z is still 2026-08-15 in China (23:59:59). */
    rollups_period_starts(INT64_C(1786809599000000), s);
    assert_int_equal(s[0], 20680); /* 2026-08-15 */
    assert_int_equal(s[1], 20666); /* 2026-08-01 */
    assert_int_equal(s[2], 20635); /* 2026-07-01 */
    assert_int_equal(s[3], 20454); /* 2026-01-01 */

    rollup_deltas_t *d = rollup_deltas_new();
    assert_non_null(d);
    rollup_rating_t r = {.rated_at_us = S_T0};
    r.keys[1] = "D1";
    r.keys[5] = "web";
    r.sample.grade = 2;
    r.sample.scores[INDICATOR_ATTITUDE] = 4;
    assert_int_equal(rollup_deltas_add(d, &r), 0);
    r.sample.grade = 5;
    assert_int_equal(rollup_deltas_add(d, &r), 0);
    /* all, department, channel × 4 periods; empty keys make no slice. */
    assert_int_equal(rollup_deltas_count(d), 12);
    rating_tally_t t = rollup_deltas_get(d, "department", "D1", "quarter", S_T0);
    assert_int_equal(t.total, 2);
    assert_int_equal(t.bad, 1);
    assert_int_equal(t.good, 1);
    assert_int_equal(t.ind_sum[INDICATOR_ATTITUDE], 8);
    assert_int_equal(rollup_deltas_get(d, "window", "", "day", S_T0).total, 0);
    rollup_deltas_destroy(&d);
    assert_null(d);
}

static void test_batch_answers_each_and_matches_recount(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    PGconn *admin = ow_test_pg_admin(pg);
    const char *schema = ow_test_pg_name(pg);
    ow_error_t err;
    ow_error_clear(&err);
    char sql[1024];
    /* S_N decided cases, and one accepted but not decided. */
    snprintf(
        sql, sizeof sql,
        "INSERT INTO %s.served_cases (case_no, item_code, department_code, centre_id,"
        " channel, accepted_at_us, decided_at_us) SELECT 'B' || g, 'I' || (g %% 4),"
        " 'D' || (g %% 3), (ARRAY['330122000000', '330122101000', '330122101201'])[1 + g %% 3],"
        " 'window', 1, CASE WHEN g = %d THEN NULL ELSE 2 END FROM generate_series(0, %d) g",
        schema, S_N, S_N);
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);

    static const char *const channels[] = {"window_device", "web", "app", "paper"};
    enum { BATCH = 150, EXTRA = 8 };
    uint32_t seed = 11;
    rating_batch_request_t reqs[BATCH + EXTRA];
    rating_batch_outcome_t *out = calloc(BATCH + EXTRA, sizeof *out);
    uint8_t *bodies[BATCH + EXTRA];
    char keys[BATCH + EXTRA][32];
    long fresh = 0;
    for (int b = 0; b < S_N / BATCH; b++) {
        size_t n = 0;
        for (int i = b * BATCH; i < (b + 1) * BATCH; i++, n++) {
            char case_no[16], window[8], staff[8];
            snprintf(case_no, sizeof case_no, "B%d", i);
            snprintf(window, sizeof window, "W%u", s_rand(&seed) % 5);
            snprintf(staff, sizeof staff, "S%u", s_rand(&seed) % 7);
            bodies[n] =
                s_rate_case(case_no, 1 + (int32_t)(s_rand(&seed) % 5), channels[s_rand(&seed) % 4],
                            i % 9 ? window : "", staff, (int32_t)(s_rand(&seed) % 6), &reqs[n].len);
            snprintf(keys[n], sizeof keys[n], "k-%d", i);
            reqs[n].idempotency_key = keys[n];
            reqs[n].payload = bodies[n];
        }
        /* The bad ones, each refused alone. */
        bodies[n] = s_rate_case("B0x", 9, "fax", "", "", 0, &reqs[n].len); /* fields */
        snprintf(keys[n], sizeof keys[n], "bad-%d-0", b);
        reqs[n].idempotency_key = keys[n], reqs[n].payload = bodies[n], n++;
        bodies[n] = s_rate_case("NOPE", 4, "web", "", "", 0, &reqs[n].len); /* unknown case */
        snprintf(keys[n], sizeof keys[n], "bad-%d-1", b);
        reqs[n].idempotency_key = keys[n], reqs[n].payload = bodies[n], n++;
        snprintf(sql, sizeof sql, "B%d", S_N); /* not decided */
        bodies[n] = s_rate_case(sql, 4, "web", "", "", 0, &reqs[n].len);
        snprintf(keys[n], sizeof keys[n], "bad-%d-2", b);
        reqs[n].idempotency_key = keys[n], reqs[n].payload = bodies[n], n++;
        snprintf(sql, sizeof sql, "B%d", b * BATCH); /* the same case twice in the batch */
        bodies[n] = s_rate_case(sql, 3, "web", "", "", 0, &reqs[n].len);
        snprintf(keys[n], sizeof keys[n], "bad-%d-3", b);
        reqs[n].idempotency_key = keys[n], reqs[n].payload = bodies[n], n++;
        bodies[n] = s_rate_case("B1", 3, "web", "", "", 0, &reqs[n].len); /* no key */
        reqs[n].idempotency_key = "", reqs[n].payload = bodies[n], n++;
        bodies[n] = malloc(3);
        memcpy(bodies[n], "\xff\xff\xff", 3); /* not a RateCase */
        snprintf(keys[n], sizeof keys[n], "bad-%d-5", b);
        reqs[n].idempotency_key = keys[n], reqs[n].payload = bodies[n], reqs[n].len = 3, n++;
        /* A key used twice: same body → the first answer; another body → refused. */
        bodies[n] = malloc(reqs[1].len);
        memcpy(bodies[n], reqs[1].payload, reqs[1].len);
        reqs[n].idempotency_key = keys[1], reqs[n].payload = bodies[n], reqs[n].len = reqs[1].len;
        n++;
        bodies[n] = s_rate_case("B2", 1, "web", "", "", 0, &reqs[n].len);
        reqs[n].idempotency_key = keys[2], reqs[n].payload = bodies[n], n++;
        assert_int_equal(n, BATCH + EXTRA);

        int64_t now = S_T0 + (int64_t)b * 37 * S_DAY + (int64_t)b * 3600000000;
        assert_int_equal(rating_batch_record(db, NULL, reqs, n, now, out, &err), 0);
        for (int i = 0; i < BATCH; i++) {
            assert_int_equal(s_reply_status(&out[i]), 0);
            assert_true(out[i].fresh);
        }
        assert_int_equal(s_reply_status(&out[BATCH]), OW_INVALID_ARGUMENT);
        assert_true(out[BATCH].err.violation_count >= 2);
        assert_int_equal(s_reply_status(&out[BATCH + 1]), OW_NOT_FOUND);
        assert_int_equal(s_reply_status(&out[BATCH + 2]), OW_FAILED_PRECONDITION);
        assert_int_equal(s_reply_status(&out[BATCH + 3]), OW_ALREADY_EXISTS);
        assert_int_equal(s_reply_status(&out[BATCH + 4]), OW_INVALID_ARGUMENT);
        assert_int_equal(s_reply_status(&out[BATCH + 5]), OW_INVALID_ARGUMENT);
        assert_false(out[BATCH + 6].fresh);
        assert_int_equal(out[BATCH + 6].reply_len, out[1].reply_len);
        assert_memory_equal(out[BATCH + 6].reply, out[1].reply, out[1].reply_len);
        assert_int_equal(s_reply_status(&out[BATCH + 7]), OW_FAILED_PRECONDITION);
        fresh += BATCH;

        /* The batch again: the first answers byte for byte, nothing written. */
        rating_batch_outcome_t *again = calloc(BATCH + EXTRA, sizeof *again);
        assert_int_equal(rating_batch_record(db, NULL, reqs, BATCH, now + S_DAY, again, &err), 0);
        for (int i = 0; i < BATCH; i++) {
            assert_false(again[i].fresh);
            assert_int_equal(again[i].reply_len, out[i].reply_len);
            assert_memory_equal(again[i].reply, out[i].reply, out[i].reply_len);
            free(again[i].reply);
        }
        free(again);
        for (size_t i = 0; i < n; i++) {
            free(out[i].reply);
            free(bodies[i]);
        }
    }
    free(out);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.ratings", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), fresh);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.outbox WHERE type = 'rating.recorded'",
             schema);
    assert_int_equal(ow_test_pg_long(admin, sql), fresh);
    /* The keys are kept on the ratings (migration 0011), with their requests' hashes. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.idempotency", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s.ratings WHERE idem_key LIKE 'k-%%'"
             " AND length(request_hash) = 32",
             schema);
    assert_int_equal(ow_test_pg_long(admin, sql), fresh);
    /* The comment with a quote and a backslash came through the array literal intact. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.ratings WHERE comment = '窗口\"服务\"\\好'",
             schema);
    assert_int_equal(ow_test_pg_long(admin, sql), fresh);

    /* The roll-ups are the applier's: nothing is in them before a pass, and a report is as of
     * the oldest rating still waiting (the first batch's), whose event has no seq yet (no
     * relay here). */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.ratings WHERE applier_folds", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), fresh);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.rollups", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
    int64_t as_of = 0;
    assert_int_equal(rollup_applier_as_of(db, S_T0 + 1000 * S_DAY, &as_of, &err), 0);
    assert_int_equal(as_of, S_T0);

    /* An upheld appeal and a rectification of ratings not yet folded (their events not even
     * numbered): the pass counts them as they stand, and neither is counted twice (the rebuild
     * below agrees). */
    char ids[2][40];
    snprintf(sql, sizeof sql,
             "SELECT rating_id FROM %s.ratings WHERE is_bad ORDER BY case_no DESC LIMIT 2", schema);
    PGresult *bad = PQexec(admin, sql);
    assert_int_equal(PQntuples(bad), 2);
    snprintf(ids[0], sizeof ids[0], "%s", PQgetvalue(bad, 0, 0));
    snprintf(ids[1], sizeof ids[1], "%s", PQgetvalue(bad, 1, 0));
    PQclear(bad);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_exclude(db, ids[0], "mistaken", &err), 0);
    assert_int_equal(ow_db_run(db,
                               "UPDATE ratings SET rectified = true WHERE is_bad AND"
                               " rating_id = (SELECT rating_id FROM ratings WHERE is_bad"
                               " ORDER BY case_no DESC OFFSET 1 LIMIT 1)",
                               &err),
                     0);
    assert_int_equal(rollups_apply_progress(db, ids[1], 1, 0, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.rollups", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 0); /* still nothing folded */

    /* Another instance's pass holds the applier's lock: this one does nothing and says so. */
    ow_db_t *other = ow_test_pg_connect(pg, "evaluation-other-instance", &err);
    assert_non_null(other);
    assert_int_equal(rollup_applier_prepare(other, &err), 0);
    assert_int_equal(ow_db_begin(other, &err), 0);
    PGresult *claim = ow_db_exec(other, "evaluation_applier_claim", 0, NULL, &err);
    assert_non_null(claim);
    assert_string_equal(PQgetvalue(claim, 0, 0), "t");
    PQclear(claim);
    assert_int_equal(rollup_applier_pass(db, 250, NULL, &err), ROLLUP_APPLIER_BUSY);
    assert_false(ow_db_in_transaction(db));
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
    ow_db_rollback(other);
    ow_db_destroy(&other);

    /* The relay numbers the events (what a pass of it does, in SQL: there is none here); the
     * pass folds only numbered ones, in seq order. */
    s_number_events(admin, schema);

    /* Exactly once across a crash between passes: one pass commits; the next dies before its
     * COMMIT (its connection is dropped with the watermark moved and a slice written); the
     * passes after it fold the rest, and the figures equal a recount. */
    bool more = false;
    long folded = rollup_applier_pass(db, 250, &more, &err), k;
    assert_true(folded > 0);
    assert_true(more);
    ow_db_t *doomed = ow_test_pg_connect(pg, "evaluation-doomed-pass", &err);
    assert_non_null(doomed);
    assert_int_equal(rollup_applier_prepare(doomed, &err), 0);
    assert_int_equal(ow_db_begin(doomed, &err), 0);
    PGresult *claimed = ow_db_exec(doomed, "evaluation_applier_claim", 0, NULL, &err);
    assert_non_null(claimed);
    assert_string_equal(PQgetvalue(claimed, 0, 0), "t");
    PQclear(claimed);
    assert_int_equal(
        ow_db_run(doomed, "UPDATE rollups SET total = total + 100 WHERE dimension = 'all'", &err),
        0);
    assert_int_equal(
        ow_db_run(doomed, "UPDATE rollup_applier_state SET last_seq = last_seq + 100", &err), 0);
    ow_db_destroy(&doomed);
    /* The server rolls the dead session back once it notices; wait for that (bounded). */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
             " 'evaluation-doomed-pass'");
    for (int i = 0; i < 500 && ow_test_pg_long(admin, sql) > 0; i++)
        usleep(10000);
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
    do {
        k = rollup_applier_pass(db, 97, &more, &err);
        assert_true(k >= 0);
        folded += k;
    } while (more);
    assert_int_equal(rollup_applier_pass(db, 97, &more, &err), 0);
    assert_int_equal(folded, fresh);
    snprintf(sql, sizeof sql,
             "SELECT (SELECT last_seq FROM %s.rollup_applier_state) ="
             " (SELECT last_seq FROM %s.outbox_state)",
             schema, schema);
    PGresult *caught_up = PQexec(admin, sql);
    assert_string_equal(PQgetvalue(caught_up, 0, 0), "t");
    PQclear(caught_up);
    assert_int_equal(rollup_applier_as_of(db, S_T0 + 1000 * S_DAY, &as_of, &err), 0);
    assert_int_equal(as_of, S_T0 + 1000 * S_DAY);

    static const struct {
        const char *dimension, *column;
    } dims[] = {{"all", "''"},           {"department", "department_code"},
                {"item", "item_code"},   {"window", "window_id"},
                {"staff", "staff_id"},   {"channel", "channel"},
                {"centre", "centre_id"}, {"level", "level"}};
    static const char *const periods[] = {"day", "month", "quarter", "year"};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t p = 0; p < 4; p++)
            assert_int_equal(s_differences(pg, dims[d].dimension, dims[d].column, periods[p]), 0);

    /* An appeal upheld after the fold takes the rating out again (the -1 path). */
    snprintf(sql, sizeof sql,
             "SELECT rating_id FROM %s.ratings WHERE NOT excluded ORDER BY case_no LIMIT 1",
             schema);
    bad = PQexec(admin, sql);
    assert_int_equal(PQntuples(bad), 1);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_exclude(db, PQgetvalue(bad, 0, 0), "malicious", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    PQclear(bad);
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t p = 0; p < 4; p++)
            assert_int_equal(s_differences(pg, dims[d].dimension, dims[d].column, periods[p]), 0);

    /* Ratings numbered but not folded yet (as every batch's are with a relay), then an appeal
     * upheld on one of them: the step first folds what waits, holding the applier's lock, then
     * takes the rating out as folded — counted once as valid and once out, as a recount. */
    snprintf(sql, sizeof sql,
             "INSERT INTO %s.served_cases (case_no, item_code, department_code, centre_id,"
             " channel, accepted_at_us, decided_at_us) VALUES"
             " ('BX1', 'I1', 'D1', '330122000000', 'window', 1, 2),"
             " ('BX2', 'I2', 'D2', '330122101000', 'window', 1, 2)",
             schema);
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);
    rating_batch_request_t late[2];
    rating_batch_outcome_t late_out[2];
    uint8_t *late_body[2] = {s_rate_case("BX1", 1, "web", "W1", "S1", 3, &late[0].len),
                             s_rate_case("BX2", 5, "app", "W2", "S2", 4, &late[1].len)};
    late[0] = (rating_batch_request_t){"late-1", late_body[0], late[0].len};
    late[1] = (rating_batch_request_t){"late-2", late_body[1], late[1].len};
    assert_int_equal(rating_batch_record(db, NULL, late, 2, S_T0 + 3 * S_DAY, late_out, &err), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(late_out[i].fresh);
        free(late_out[i].reply);
        free(late_body[i]);
    }
    s_number_events(admin, schema);
    snprintf(sql, sizeof sql, "SELECT rating_id FROM %s.ratings WHERE case_no = 'BX1'", schema);
    bad = PQexec(admin, sql);
    assert_int_equal(PQntuples(bad), 1);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_exclude(db, PQgetvalue(bad, 0, 0), "mistaken", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    PQclear(bad);
    assert_int_equal(rollup_applier_pass(db, 97, &more, &err), 0); /* nothing left to fold */
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t p = 0; p < 4; p++)
            assert_int_equal(s_differences(pg, dims[d].dimension, dims[d].column, periods[p]), 0);

    /* The SQL path (rollups_apply) and the C path agree: a rebuild changes nothing. */
    snprintf(sql, sizeof sql, "CREATE TABLE %s.rollups_batch AS SELECT * FROM %s.rollups", schema,
             schema);
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(rollups_rebuild(db, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    /* …and left the applier's watermark at the last event numbered. */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s.rollup_applier_state a, %s.outbox_state o"
             " WHERE a.last_seq = o.last_seq",
             schema, schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM ((TABLE %s.rollups EXCEPT TABLE %s.rollups_batch) UNION ALL"
             " (TABLE %s.rollups_batch EXCEPT TABLE %s.rollups)) d",
             schema, schema, schema, schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
}

/* Pages of 7 through staff × day: every slice once, in order, totals as the table. */
static void test_report_pages(void **state)
{
    test_batch_answers_each_and_matches_recount(state);
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    char sql[512], token[128] = "", last[128] = "";
    long rows = 0, total = 0, pages = 0;
    do {
        Onewindow__V1__GetReport req = ONEWINDOW__V1__GET_REPORT__INIT;
        req.dimension = "staff";
        req.period = "day";
        req.from = "2026-01-01";
        req.to = "2027-12-31";
        req.page_size = 7;
        req.page_token = token;
        uint8_t buf[512], *out = NULL;
        size_t len = onewindow__v1__get_report__pack(&req, buf), out_len = 0;
        ow_error_clear(&err);
        assert_int_equal(reports_read(db, buf, len, &out, &out_len, &err), 0);
        Onewindow__V1__ReportReply *r = onewindow__v1__report_reply__unpack(NULL, out_len, out);
        assert_non_null(r);
        assert_true(r->n_rows <= 7);
        for (size_t i = 0; i < r->n_rows; i++) {
            char at[128];
            snprintf(at, sizeof at, "%s/%s", r->rows[i]->period_start, r->rows[i]->key);
            assert_true(strcmp(at, last) > 0); /* ordered, never repeated */
            snprintf(last, sizeof last, "%s", at);
            total += r->rows[i]->total;
            assert_int_equal(r->rows[i]->n_grade_counts, 5);
            assert_int_equal(r->rows[i]->valid, r->rows[i]->total - r->rows[i]->excluded);
        }
        rows += (long)r->n_rows;
        snprintf(token, sizeof token, "%s", r->next_page_token);
        pages++;
        onewindow__v1__report_reply__free_unpacked(r, NULL);
        free(out);
    } while (*token);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s.rollups WHERE dimension = 'staff' AND period = 'day'",
             ow_test_pg_name(pg));
    assert_int_equal(rows, ow_test_pg_long(ow_test_pg_admin(pg), sql));
    /* Every rating has a staff member: the staff slices hold all of them (the batches' and the
     * two late ones, BX1 and BX2). */
    assert_int_equal(total, S_N + 2);
    assert_true(pages > 1);

    /* Every problem at once, nothing read. */
    Onewindow__V1__GetReport bad = ONEWINDOW__V1__GET_REPORT__INIT;
    bad.dimension = "colour";
    bad.period = "week";
    bad.from = "2026-13-01";
    bad.to = "yesterday";
    bad.page_size = 5000;
    bad.page_token = "garbage";
    uint8_t buf[256], *out = NULL;
    size_t len = onewindow__v1__get_report__pack(&bad, buf), out_len = 0;
    ow_error_clear(&err);
    assert_int_equal(reports_read(db, buf, len, &out, &out_len, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 6);
    assert_null(out);
    ow_error_clear(&err);
    assert_int_equal(reports_read(db, (const uint8_t *)"\xff\xff", 2, &out, &out_len, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

/* Five decided cases prefix0..prefix4 of one item, department and centre. */
static void s_seed_cases(ow_test_pg_t *pg, const char *prefix)
{
    char sql[512];
    ow_error_t err;
    snprintf(sql, sizeof sql,
             "INSERT INTO %s.served_cases (case_no, item_code, department_code, centre_id,"
             " channel, accepted_at_us, decided_at_us) SELECT '%s' || g, 'I1', 'D1',"
             " '330122000000', 'window', 1, 2 FROM generate_series(0, 4) g",
             ow_test_pg_name(pg), prefix);
    assert_int_equal(ow_test_pg_run(ow_test_pg_admin(pg), sql, &err), 0);
}

/* Keys are kept on the ratings (migration 0011); the idempotency table is still read for the
 * keys written before, and for keys other methods used. */
static void test_keys_on_ratings(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    PGconn *admin = ow_test_pg_admin(pg);
    const char *schema = ow_test_pg_name(pg);
    ow_error_t err;
    ow_error_clear(&err);
    char sql[2048];
    s_seed_cases(pg, "K");
    enum { N = 4 };
    rating_batch_request_t reqs[N];
    rating_batch_outcome_t out[N];
    uint8_t *bodies[N];
    static const char *const keys[N] = {"appeal-key", "legacy-key", "fresh-key", "fresh-key-2"};
    for (int i = 0; i < N; i++) {
        char case_no[8];
        snprintf(case_no, sizeof case_no, "K%d", i);
        bodies[i] = s_rate_case(case_no, 4, "web", "", "", 0, &reqs[i].len);
        reqs[i].idempotency_key = keys[i];
        reqs[i].payload = bodies[i];
    }
    /* Another method's key, and a rating's key from before the migration with its reply. */
    char hex[512];
    for (size_t k = 0; k < reqs[1].len && 2 * k + 2 < sizeof hex; k++)
        snprintf(hex + 2 * k, 3, "%02x", bodies[1][k]);
    snprintf(sql, sizeof sql,
             "INSERT INTO %s.idempotency (key, method, request_hash, reply) VALUES"
             " ('appeal-key', 'evaluation.appeal', '\\x00', '\\x00'),"
             " ('legacy-key', 'evaluation.rate', sha256(decode('%s', 'hex')), '\\x0a0b0c')",
             schema, hex);
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);
    assert_int_equal(rating_batch_record(db, NULL, reqs, N, S_T0, out, &err), 0);
    assert_int_equal(s_reply_status(&out[0]), OW_FAILED_PRECONDITION);
    assert_non_null(strstr(out[0].err.message, "evaluation.appeal"));
    assert_false(out[1].fresh);
    assert_int_equal(out[1].reply_len, 3);
    assert_memory_equal(out[1].reply, "\x0a\x0b\x0c", 3);
    assert_true(out[2].fresh && out[3].fresh);
    uint8_t *first = out[2].reply;
    size_t first_len = out[2].reply_len;
    free(out[1].reply);
    free(out[3].reply);

    /* The same key again: the first answer, rebuilt from the rating; with another body (another
     * case): refused, nothing written. */
    uint8_t *other = s_rate_case("K4", 2, "app", "", "", 0, &reqs[3].len);
    reqs[3].payload = other;
    reqs[3].idempotency_key = keys[2];
    assert_int_equal(rating_batch_record(db, NULL, &reqs[2], 1, S_T0 + 1000, out, &err), 0);
    assert_false(out[0].fresh);
    assert_int_equal(out[0].reply_len, first_len);
    assert_memory_equal(out[0].reply, first, first_len);
    free(out[0].reply);
    assert_int_equal(rating_batch_record(db, NULL, &reqs[3], 1, S_T0 + 1000, out, &err), 0);
    assert_int_equal(s_reply_status(&out[0]), OW_FAILED_PRECONDITION);
    assert_non_null(strstr(out[0].err.message, "different request"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.ratings WHERE case_no = 'K4'", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
    /* Two instances racing with one key meet on the unique index. */
    snprintf(sql, sizeof sql,
             "INSERT INTO %s.ratings (case_no, grade, is_bad, channel, rated_at_us, idem_key)"
             " VALUES ('K4', 4, false, 'web', 3, 'fresh-key')",
             schema);
    assert_int_not_equal(ow_test_pg_run(admin, sql, &err), 0);
    free(first);
    free(other);
    for (int i = 0; i < N; i++)
        free(bodies[i]);
}

/* Another instance rates a case of the batch between the batch's read and its insert: the
 * batch fails whole with ALREADY_EXISTS, writing nothing, and run again it answers that case
 * ALREADY_EXISTS and records the others (what rating_requests_flush does). The other instance
 * is a child process holding its uncommitted rating until the batch waits on it. */
static void test_race_with_another_instance(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    PGconn *admin = ow_test_pg_admin(pg);
    const char *schema = ow_test_pg_name(pg);
    ow_error_t err;
    ow_error_clear(&err);
    char sql[512];
    s_seed_cases(pg, "R");
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* Its own connection; _exit, so that nothing of the parent's is closed from here. */
        ow_db_t *other = ow_test_pg_connect(pg, "evaluation-racer", &err);
        snprintf(sql, sizeof sql,
                 "BEGIN; INSERT INTO %s.ratings (case_no, grade, is_bad, channel, rated_at_us)"
                 " VALUES ('R2', 4, false, 'web', 3)",
                 schema);
        int bad = !other || ow_db_run(other, sql, &err) != 0;
        usleep(700000);
        bad = bad || ow_db_run(other, "COMMIT", &err) != 0;
        _exit(bad);
    }
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'evaluation-racer'"
             " AND state = 'idle in transaction'");
    for (int i = 0; i < 500 && ow_test_pg_long(admin, sql) == 0; i++)
        usleep(10000);
    assert_int_equal(ow_test_pg_long(admin, sql), 1);

    rating_batch_request_t reqs[5];
    rating_batch_outcome_t out[5];
    uint8_t *bodies[5];
    char keys[5][16];
    for (int i = 0; i < 5; i++) {
        char case_no[8];
        snprintf(case_no, sizeof case_no, "R%d", i);
        snprintf(keys[i], sizeof keys[i], "race-%d", i);
        bodies[i] = s_rate_case(case_no, 5, "web", "", "", 0, &reqs[i].len);
        reqs[i].idempotency_key = keys[i];
        reqs[i].payload = bodies[i];
    }
    assert_int_equal(rating_batch_record(db, NULL, reqs, 5, S_T0, out, &err), -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    int status = -1;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.ratings WHERE case_no LIKE 'R%%'", schema);
    assert_int_equal(ow_test_pg_long(admin, sql), 1); /* the other instance's only */

    ow_error_clear(&err);
    assert_int_equal(rating_batch_record(db, NULL, reqs, 5, S_T0, out, &err), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s_reply_status(&out[i]), i == 2 ? OW_ALREADY_EXISTS : 0);
        assert_int_equal(out[i].fresh, i != 2);
        free(out[i].reply);
        free(bodies[i]);
    }
    assert_int_equal(ow_test_pg_long(admin, sql), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_starts_and_deltas),
        cmocka_unit_test_setup_teardown(test_report_pages, s_setup, ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(test_race_with_another_instance, s_setup,
                                        ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(test_keys_on_ratings, s_setup, ow_test_pg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
