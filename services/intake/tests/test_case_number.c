/* Case numbers (case_number.h): the format, and serials that stay gapless and unique when
 * connections race on the counter of a real Postgres (OW_TEST_DATABASE_URL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "case_number.h"
#include "intake_api.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"

/* ---- format ---- */

static void test_format(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    char no[INTAKE_CASE_NO_SIZE];
    assert_int_equal(
        intake_case_number_format("330122", 20261122, "window", 7, no, sizeof no, &err), 0);
    assert_string_equal(no, "3301222026112210007");
    assert_int_equal(
        intake_case_number_format("330122", 20261122, "cross_region", 12345, no, sizeof no, &err),
        0);
    assert_string_equal(no, "33012220261122512345"); /* past 9999 the serial just grows */
    assert_int_equal(intake_channel_digit("window"), 1);
    assert_int_equal(intake_channel_digit("online"), 2);
    assert_int_equal(intake_channel_digit("township"), 3);
    assert_int_equal(intake_channel_digit("kiosk"), 4);
    assert_int_equal(intake_channel_digit("cross_region"), 5);
    assert_int_equal(intake_channel_digit("fax"), -1);
}

static void test_format_refuses_bad_parts(void **state)
{
    (void)state;
    ow_error_t err;
    char no[INTAKE_CASE_NO_SIZE];
    struct {
        const char *county;
        int day;
        const char *channel;
        long serial;
        const char *says;
    } bad[] = {
        {"33012", 20261122, "window", 1, "county code"},
        {"33012x", 20261122, "window", 1, "county code"},
        {"330122", 20260230, "window", 1, "calendar date"},
        {"330122", 20261122, "fax", 1, "channel"},
        {"330122", 20261122, "window", 0, "serial"},
        {"330122", 20261122, "window", INTAKE_SERIAL_MAX + 1L, "serial"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ow_error_clear(&err);
        assert_int_equal(intake_case_number_format(bad[i].county, bad[i].day, bad[i].channel,
                                                   bad[i].serial, no, sizeof no, &err),
                         -1);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, bad[i].says));
        assert_string_equal(no, "");
    }
    ow_error_clear(&err);
    assert_int_equal(
        intake_case_number_format("330122", 20240229, "window", 1, no, sizeof no, &err), 0);
}

/* ---- the counter on a real Postgres ---- */

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("intake_test_counter_", "intake-test", &err);
    if (!pg || ow_migrate(ow_test_pg_db(pg), intake_core_migrations, intake_core_migrations_count,
                          &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1; /* cmocka fails the group: no Postgres is a failure, not a skip */
    }
    *state = pg;
    return 0;
}

static ow_db_t *s_connect(ow_test_pg_t *schema)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(schema, "intake-test", &err);
    if (!db)
        fail_msg("connect: %s", err.message);
    if (intake_case_number_prepare(db, &err) < 0)
        fail_msg("prepare: %s", err.message);
    return db;
}

static long s_next(ow_db_t *db, const char *county, int day)
{
    ow_error_t err;
    ow_error_clear(&err);
    long serial = 0;
    if (intake_case_number_next_serial(db, county, day, &serial, &err) < 0)
        fail_msg("next serial: %s", err.message);
    return serial;
}

typedef struct {
    ow_test_pg_t *schema;
    atomic_int done;
    long serial;
} s_waiter_t;

static void *s_wait_for_serial(void *arg)
{
    s_waiter_t *w = arg;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(w->schema, "intake-test", &err);
    if (db && intake_case_number_prepare(db, &err) == 0 && ow_db_begin(db, &err) == 0 &&
        intake_case_number_next_serial(db, "330122", 20261123, &w->serial, &err) == 0)
        ow_db_commit(db, &err);
    else
        w->serial = -1;
    atomic_store(&w->done, 1);
    ow_db_destroy(&db);
    return NULL;
}

/* A transaction holding a serial blocks the next taker; rolling back gives the serial to it. */
static void test_a_rolled_back_serial_is_given_to_the_next(void **state)
{
    ow_test_pg_t *schema = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *a = s_connect(schema);
    assert_int_equal(ow_db_begin(a, &err), 0);
    assert_int_equal(s_next(a, "330122", 20261123), 1);

    s_waiter_t w = {.schema = schema};
    atomic_init(&w.done, 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_wait_for_serial, &w), 0);
    usleep(300 * 1000);
    assert_int_equal(atomic_load(&w.done), 0); /* waiting on a's row lock */
    ow_db_rollback(a);
    pthread_join(thread, NULL);
    assert_int_equal(w.serial, 1); /* a's serial came back: no gap */

    assert_int_equal(ow_db_begin(a, &err), 0);
    assert_int_equal(s_next(a, "330122", 20261123), 2);
    assert_int_equal(ow_db_commit(a, &err), 0);
    /* Another day, or another county's numbers, count from 1. */
    assert_int_equal(ow_db_begin(a, &err), 0);
    assert_int_equal(s_next(a, "330122", 20261124), 1);
    assert_int_equal(s_next(a, "330123", 20261123), 1);
    assert_int_equal(ow_db_commit(a, &err), 0);
    ow_db_destroy(&a);
}

#define S_ROUNDS 150

typedef struct {
    ow_test_pg_t *schema;
    pthread_barrier_t *start;
    unsigned seed;
    int committed;
    char error[OW_ERROR_MESSAGE_MAX + 64];
} s_racer_t;

/* One connection taking serials as fast as it can: each transaction claims its serial in a
 * table whose primary key refuses a duplicate, then commits, or (one in four) rolls back. */
static void *s_race(void *arg)
{
    s_racer_t *r = arg;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(r->schema, "intake-test", &err);
    if (!db || intake_case_number_prepare(db, &err) < 0 ||
        ow_db_prepare(db, "claim", "INSERT INTO claims (serial) VALUES ($1::integer)", &err) < 0) {
        snprintf(r->error, sizeof r->error, "setup: %s", err.message);
        pthread_barrier_wait(r->start);
        ow_db_destroy(&db);
        return NULL;
    }
    pthread_barrier_wait(r->start);
    for (int i = 0; i < S_ROUNDS && !r->error[0]; i++) {
        long serial = 0;
        char text[24];
        if (ow_db_begin(db, &err) < 0 ||
            intake_case_number_next_serial(db, "330122", 20261122, &serial, &err) < 0) {
            snprintf(r->error, sizeof r->error, "round %d: %s", i, err.message);
            break;
        }
        snprintf(text, sizeof text, "%ld", serial);
        const char *params[1] = {text};
        PGresult *res = ow_db_exec(db, "claim", 1, params, &err);
        if (!res) {
            snprintf(r->error, sizeof r->error, "serial %ld claimed twice? %s", serial,
                     err.message);
            break;
        }
        PQclear(res);
        usleep(rand_r(&r->seed) % 800); /* hold the lock a while: the other racer queues */
        if (rand_r(&r->seed) % 4 == 0) {
            ow_db_rollback(db);
        } else if (ow_db_commit(db, &err) < 0) {
            snprintf(r->error, sizeof r->error, "commit: %s", err.message);
            break;
        } else {
            r->committed++;
        }
    }
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    ow_db_destroy(&db);
    return NULL;
}

static void test_serials_are_gapless_and_unique_under_concurrency(void **state)
{
    ow_test_pg_t *schema = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = s_connect(schema);
    assert_int_equal(ow_db_run(db, "CREATE TABLE claims (serial integer PRIMARY KEY)", &err), 0);

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    s_racer_t racers[2] = {{.schema = schema, .start = &start, .seed = 11},
                           {.schema = schema, .start = &start, .seed = 29}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_race, &racers[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 2; i++)
        if (racers[i].error[0])
            fail_msg("racer %d: %s", i, racers[i].error);

    long committed = racers[0].committed + racers[1].committed;
    assert_true(racers[0].committed > 0 && racers[1].committed > 0);
    assert_true(committed < 2 * S_ROUNDS); /* some rolled back, so gaps were possible */
    assert_int_equal(ow_test_pg_long(ow_db_conn(db), "SELECT count(*) FROM claims"), committed);
    /* Gapless: the committed serials are exactly 1..committed. */
    assert_int_equal(ow_test_pg_long(ow_db_conn(db), "SELECT min(serial) FROM claims"), 1);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db), "SELECT max(serial) FROM claims"), committed);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db), "SELECT last_serial FROM case_counters"
                                                     " WHERE county_code = '330122'"
                                                     "   AND day = '2026-11-22'"),
                     committed);
    ow_db_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_refuses_bad_parts),
    };
    const struct CMUnitTest postgres[] = {
        cmocka_unit_test(test_a_rolled_back_serial_is_given_to_the_next),
        cmocka_unit_test(test_serials_are_gapless_and_unique_under_concurrency),
    };
    int failed = cmocka_run_group_tests_name("format", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("counter", postgres, s_setup, ow_test_pg_teardown);
    return failed;
}
