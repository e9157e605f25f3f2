/* Tests of the timer service (timers.h) against a real PostgreSQL (OW_TEST_DATABASE_URL):
 * scheduling is idempotent by key, a key reused with other fields is refused unless cancelled,
 * a timer fires exactly once at its due time and in due order, a row claimed by another
 * instance is skipped (FOR UPDATE SKIP LOCKED) and fired once it is free, cancelling, and
 * relative periods under the calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "calendar_store.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "timers.h"
#include "working_days.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

static deadline_context_t s_ctx;

static int64_t s_local(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return ((int64_t)timegm(&tm) - 8 * 3600) * 1000000;
}

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *scratch = ow_test_pg_new("owtest_timers_", "deadline-test", &err);
    if (!scratch || ow_migrate(ow_test_pg_db(scratch), deadline_core_migrations,
                               deadline_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&scratch);
        return -1;
    }
    s_ctx.db = ow_test_pg_db(scratch);
    if (timers_prepare(s_ctx.db, &err) != 0 || calendar_store_prepare(s_ctx.db, &err) != 0 ||
        calendar_store_seed(s_ctx.db, &err) != 0 || calendar_store_reload(&s_ctx, &err) != 1) {
        fprintf(stderr, "prepare: %s\n", err.message);
        ow_test_pg_destroy(&scratch);
        return -1;
    }
    *state = scratch;
    return 0;
}

static int s_teardown(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_test_pg_destroy(&scratch);
    deadline_calendar_destroy(&s_ctx.cal);
    return 0;
}

/* Validates and schedules in one transaction; returns the status, and the state in *state. */
static ow_status_t s_schedule(Onewindow__V1__ScheduleTimer *req, char *state, size_t size,
                              int64_t *due)
{
    ow_error_t err;
    ow_error_clear(&err);
    bool missing = false;
    int64_t due_us = 0;
    if (timers_validate(req, s_ctx.cal, &due_us, &missing, &err) != 0)
        return err.code;
    Onewindow__V1__Timer *t = NULL;
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    if (timers_schedule(s_ctx.db, req, due_us, missing, &t, &err) != 0) {
        ow_db_rollback(s_ctx.db);
        return err.code;
    }
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    if (state)
        snprintf(state, size, "%s", t->state);
    if (due)
        *due = t->due_at_us;
    timers_free(&t);
    assert_null(t);
    return OW_OK;
}

static const char *s_cancel(const char *key, char *state, size_t size)
{
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__Timer *t = NULL;
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(timers_cancel(s_ctx.db, key, &t, &err), 0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    snprintf(state, size, "%s", t->state);
    timers_free(&t);
    return state;
}

static long s_fired_events(ow_test_pg_t *scratch)
{
    (void)scratch;
    return ow_test_pg_long(ow_db_conn(s_ctx.db),
                           "SELECT count(*) FROM outbox WHERE type = 'timer.fired'");
}

static void test_schedule_fire_once(void **state)
{
    ow_test_pg_t *scratch = *state;
    int64_t due = s_local(2026, 11, 27, 9, 0);
    Onewindow__V1__ScheduleTimer req = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    req.timer_key = "intake:notice_duty:C1";
    req.owner = "intake";
    req.kind = "notice_duty";
    req.case_no = "C1";
    req.due_at_us = due;
    req.context.data = (uint8_t *)"\x01\x00\x02";
    req.context.len = 3;
    char st[32];
    assert_int_equal(s_schedule(&req, st, sizeof st, NULL), OW_OK);
    assert_string_equal(st, "pending");
    /* The same key and fields again: a no-op. */
    assert_int_equal(s_schedule(&req, st, sizeof st, NULL), OW_OK);
    /* The same key with other fields: refused while pending. */
    req.due_at_us = due + 1;
    assert_int_equal(s_schedule(&req, NULL, 0, NULL), OW_FAILED_PRECONDITION);
    req.due_at_us = due;
    /* A second, earlier timer: fires first. */
    Onewindow__V1__ScheduleTimer early = req;
    early.timer_key = "intake:notice_duty:C0";
    early.due_at_us = due - 10;
    early.case_no = "C0";
    assert_int_equal(s_schedule(&early, NULL, 0, NULL), OW_OK);

    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(timers_fire_due(s_ctx.db, due - 11, 100, &err), 0);
    assert_int_equal(timers_fire_due(s_ctx.db, due + 5, 100, &err), 2);
    assert_int_equal(timers_fire_due(s_ctx.db, due + 6, 100, &err), 0);
    assert_int_equal(timers_fire_due(s_ctx.db, due + 86400000000LL, 100, &err), 0);
    assert_int_equal(s_fired_events(scratch), 2);
    /* In due order: C0's event precedes C1's. */
    assert_int_equal(ow_test_pg_long(ow_db_conn(s_ctx.db),
                                     "SELECT ((SELECT id FROM outbox WHERE type = 'timer.fired' "
                                     "AND case_no = 'C0') < (SELECT id FROM outbox WHERE type = "
                                     "'timer.fired' AND case_no = 'C1'))::int"),
                     1);
    /* Cancelling a fired timer says so; rescheduling it with the same fields is a no-op. */
    assert_string_equal(s_cancel("intake:notice_duty:C1", st, sizeof st), "fired");
    assert_int_equal(s_schedule(&req, st, sizeof st, NULL), OW_OK);
    assert_string_equal(st, "fired");
    assert_string_equal(s_cancel("no-such-timer", st, sizeof st), "unknown");
}

static void test_cancel_and_replace(void **state)
{
    ow_test_pg_t *scratch = *state;
    long before = s_fired_events(scratch);
    int64_t due = s_local(2026, 12, 1, 9, 0);
    Onewindow__V1__ScheduleTimer req = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    req.timer_key = "evaluation:rectification:R1";
    req.owner = "evaluation";
    req.kind = "rectification";
    req.due_at_us = due;
    char st[32];
    assert_int_equal(s_schedule(&req, st, sizeof st, NULL), OW_OK);
    assert_string_equal(s_cancel(req.timer_key, st, sizeof st), "cancelled");
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(timers_fire_due(s_ctx.db, due + 1, 100, &err), 0);
    /* A cancelled key may be scheduled again with other fields. */
    req.due_at_us = due + 100;
    assert_int_equal(s_schedule(&req, st, sizeof st, NULL), OW_OK);
    assert_string_equal(st, "pending");
    assert_int_equal(timers_fire_due(s_ctx.db, due + 100, 100, &err), 1);
    assert_int_equal(s_fired_events(scratch), before + 1);
}

/* Another instance holding the row (FOR UPDATE) makes this one skip it, never fire it twice. */
static void test_skip_locked(void **state)
{
    ow_test_pg_t *scratch = *state;
    long before = s_fired_events(scratch);
    int64_t due = s_local(2026, 12, 2, 9, 0);
    Onewindow__V1__ScheduleTimer req = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    req.timer_key = "routing:delivery_10d:C9";
    req.owner = "routing";
    req.kind = "delivery_10d";
    req.due_at_us = due;
    assert_int_equal(s_schedule(&req, NULL, 0, NULL), OW_OK);
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *other = ow_test_pg_connect(scratch, "deadline-other", &err);
    assert_non_null(other);
    assert_int_equal(ow_db_run(other,
                               "BEGIN; SELECT 1 FROM timers WHERE timer_key = "
                               "'routing:delivery_10d:C9' FOR UPDATE",
                               &err),
                     0);
    assert_int_equal(timers_fire_due(s_ctx.db, due, 100, &err), 0);
    ow_db_run(other, "COMMIT", &err);
    assert_int_equal(timers_fire_due(s_ctx.db, due, 100, &err), 1);
    assert_int_equal(timers_fire_due(s_ctx.db, due, 100, &err), 0);
    assert_int_equal(s_fired_events(scratch), before + 1);
    ow_db_destroy(&other);
}

static void test_relative_and_invalid(void **state)
{
    (void)state;
    /* 5 working days from Fri 25 Sep 2026 (中秋 25–27, 国庆 1–7 Oct, 10 Oct worked):
     * 28, 29, 30 Sep, 8, 9 Oct → due at the end of Fri 9 Oct. */
    Onewindow__V1__ScheduleTimer req = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    req.timer_key = "intake:notice_duty:C5";
    req.owner = "intake";
    req.kind = "notice_duty";
    req.start_at_us = s_local(2026, 9, 25, 10, 0);
    req.amount = 5;
    req.unit = "working_days";
    int64_t due = 0;
    assert_int_equal(s_schedule(&req, NULL, 0, &due), OW_OK);
    assert_int_equal(due, s_local(2026, 10, 10, 0, 0));

    Onewindow__V1__ScheduleTimer bad = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
    bad.unit = "weeks";
    bad.amount = -1;
    ow_error_t err;
    ow_error_clear(&err);
    int64_t d;
    bool missing;
    assert_int_equal(timers_validate(&bad, s_ctx.cal, &d, &missing, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* key, owner, kind, start, amount, unit: every problem at once */
    assert_int_equal(err.violation_count, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_fire_once),
        cmocka_unit_test(test_cancel_and_replace),
        cmocka_unit_test(test_skip_locked),
        cmocka_unit_test(test_relative_and_invalid),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
