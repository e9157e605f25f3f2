/* Roll-ups against a real PostgreSQL (OW_TEST_DATABASE_URL): ratings recorded and excluded one
 * by one through ratings.c must leave every slice equal to a brute-force recount written as a
 * plain aggregate over the raw ratings, and equal to a full rebuild. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "ratings.h"
#include "rollups.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

#define S_T0  INT64_C(1790000000000000) /* 2026-09-22 */
#define S_DAY INT64_C(86400000000)

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    /* These cases were decided long before they are rated here: the test is about the
     * figures, so the late window (tested in test_ratings.c) is as good as unlimited. */
    rating_window_t open_window = rating_window_defaults();
    open_window.late_window_days = open_window.default_after_days = 1000000;
    ratings_set_window(&open_window);
    ow_test_pg_t *pg = ow_test_pg_new("owtest_evalroll_", "evaluation-test", &err);
    if (!pg ||
        ow_migrate(ow_test_pg_db(pg), evaluation_core_migrations, evaluation_core_migrations_count,
                   &err) < 0 ||
        served_cases_prepare(ow_test_pg_db(pg), &err) != 0 ||
        ratings_prepare(ow_test_pg_db(pg), &err) != 0) {
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

/* One brute-force count per dimension and period: a plain aggregate over raw ratings that
 * shares no SQL with rollups.c. Returns the number of slices where the roll-up differs. */
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
             " coalesce(sum(scores[4]) FILTER (WHERE NOT excluded), 0) AS sum_attitude,"
             " count(*) FILTER (WHERE NOT excluded AND scores[4] > 0) AS n_attitude"
             " FROM %s.ratings WHERE %s <> '' OR '%s' = 'all' GROUP BY 1, 2),"
             " roll AS (SELECT key, period_start AS ps, total, excluded, active, good, bad,"
             " sum_attitude, n_attitude FROM %s.rollups WHERE dimension = '%s' AND period = '%s')"
             " SELECT count(*) FROM ((SELECT * FROM raw EXCEPT SELECT * FROM roll)"
             " UNION ALL (SELECT * FROM roll EXCEPT SELECT * FROM raw)) d",
             column, period, schema, column, dimension, schema, dimension, period);
    return ow_test_pg_long(ow_test_pg_admin(pg), sql);
}

static void test_rollups_match_recount(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    ow_error_clear(&err);
    enum { N = 400 };
    static const char *const departments[] = {"D01", "D02", "D03"};
    static const char *const items[] = {"I1", "I2", "I3", "I4"};
    static const char *const centres[] = {"330122000000", "330122101000", "330122101201"};
    static const char *const channels[] = {"window_device", "web", "app", "paper"};
    char sql[512];
    for (int i = 0; i < N; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO served_cases (case_no, item_code, department_code, centre_id,"
                 " channel, accepted_at_us, decided_at_us) VALUES ('C%04d', '%s', '%s', '%s',"
                 " 'window', 1, 2)",
                 i, items[i % 4], departments[i % 3], centres[i % 3]);
        assert_int_equal(ow_db_run(db, sql, &err), 0);
    }
    uint32_t seed = 7;
    char rating_ids[N][37];
    for (int i = 0; i < N; i++) {
        char case_no[16], window[8], staff[8];
        snprintf(case_no, sizeof case_no, "C%04d", i);
        snprintf(window, sizeof window, "W%u", s_rand(&seed) % 5);
        snprintf(staff, sizeof staff, "S%u", s_rand(&seed) % 7);
        int32_t grade = 1 + (int32_t)(s_rand(&seed) % 5);
        const char *codes[] = {"attitude", "efficiency"};
        int32_t scores[] = {1 + (int32_t)(s_rand(&seed) % 5), 1 + (int32_t)(s_rand(&seed) % 5)};
        rating_input_t in = {.case_no = case_no,
                             .grade = grade,
                             .comment = "",
                             .channel = channels[s_rand(&seed) % 4],
                             .window_id = i % 9 ? window : "",
                             .staff_id = staff,
                             .score_codes = codes,
                             .scores = scores,
                             .score_count = s_rand(&seed) % 3};
        /* Spread over ~200 days so days, months, quarters and a year boundary all occur. */
        int64_t at = S_T0 + (int64_t)(s_rand(&seed) % 200) * S_DAY +
                     (s_rand(&seed) % 86400) * INT64_C(1000000);
        rating_t r;
        assert_int_equal(ow_db_begin(db, &err), 0);
        assert_int_equal(ratings_record_input(db, &in, at, &r, &err), 0);
        assert_int_equal(ow_db_commit(db, &err), 0);
        memcpy(rating_ids[i], r.rating_id, sizeof r.rating_id);
    }
    /* A second rating of the same service is refused and counts nowhere. */
    rating_t dup;
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_record(db, "C0001", 5, "", "web", S_T0, &dup, &err), -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_db_rollback(db);
    /* Upheld appeals: every 13th rating leaves the statistics; a second exclusion is refused. */
    for (int i = 0; i < N; i += 13) {
        ow_error_clear(&err);
        assert_int_equal(ow_db_begin(db, &err), 0);
        assert_int_equal(ratings_exclude(db, rating_ids[i], "malicious: appeal upheld", &err), 0);
        assert_int_equal(ow_db_commit(db, &err), 0);
    }
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_exclude(db, rating_ids[0], "again", &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    ow_db_rollback(db);

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
    /* The level was derived from the centre's area code. */
    PGconn *admin = ow_test_pg_admin(pg);
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT key) FROM %s.rollups WHERE dimension = 'level'",
             ow_test_pg_name(pg));
    assert_int_equal(ow_test_pg_long(admin, sql), 3);

    /* The report path reads the same slices. */
    rollup_row_t *rows = NULL;
    size_t count = 0;
    ow_error_clear(&err);
    assert_int_equal(rollups_read(db, "all", "", "year", "2000-01-01", "2100-01-01", NULL, NULL,
                                  100, &rows, &count, &err),
                     0);
    assert_true(count >= 1);
    int64_t total = 0, excluded = 0;
    for (size_t i = 0; i < count; i++) {
        total += rows[i].tally.total;
        excluded += rows[i].tally.excluded;
    }
    free(rows);
    assert_int_equal(total, N);
    assert_int_equal(excluded, (N + 12) / 13);

    /* A rebuild from the raw ratings gives exactly the incremental result. */
    snprintf(sql, sizeof sql, "CREATE TABLE %s.rollups_inc AS SELECT * FROM %s.rollups",
             ow_test_pg_name(pg), ow_test_pg_name(pg));
    assert_int_equal(ow_test_pg_run(admin, sql, &err), 0);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(rollups_rebuild(db, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM ((TABLE %s.rollups EXCEPT TABLE %s.rollups_inc) UNION ALL"
             " (TABLE %s.rollups_inc EXCEPT TABLE %s.rollups)) d",
             ow_test_pg_name(pg), ow_test_pg_name(pg), ow_test_pg_name(pg), ow_test_pg_name(pg));
    assert_int_equal(ow_test_pg_long(admin, sql), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rollups_match_recount, s_setup, ow_test_pg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
