/* Unit tests of the working-day arithmetic (working_days.h): 行政许可法 art. 82, counting from
 * the day after acceptance, due at the local midnight ending the last working day. Expected
 * times are computed independently with timegm(), not with the module under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "working_days.h"

/* Microseconds of a China local time (UTC+8). */
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

static int64_t s_due(int64_t accepted_us, int32_t limit, deadline_unit_t unit)
{
    int64_t due = 0;
    assert_int_equal(deadline_due_at(accepted_us, limit, unit, &due), 0);
    return due;
}

static void test_weekdays(void **state)
{
    (void)state;
    assert_true(deadline_is_working_day(20261120));  /* Friday */
    assert_false(deadline_is_working_day(20261121)); /* Saturday */
    assert_false(deadline_is_working_day(20261122)); /* Sunday */
    assert_true(deadline_is_working_day(20261123));  /* Monday */
    assert_false(deadline_is_working_day(20260230)); /* no such date */
    assert_false(deadline_is_working_day(0));
}

static void test_dates(void **state)
{
    (void)state;
    assert_true(deadline_date_valid(20280229));
    assert_false(deadline_date_valid(20270229));
    assert_false(deadline_date_valid(20261301));
    assert_int_equal(deadline_date_add(20261231, 1), 20270101);
    assert_int_equal(deadline_date_add(20280228, 1), 20280229);
    assert_int_equal(deadline_date_add(20260301, -1), 20260228);
    /* 23:59 local is still that day; 00:00 local is the next even though UTC is the day
     * before. */
    assert_int_equal(deadline_local_date(s_local(2026, 11, 20, 23, 59)), 20261120);
    assert_int_equal(deadline_local_date(s_local(2026, 11, 21, 0, 0)), 20261121);
    assert_int_equal(deadline_end_of_day_us(20261120), s_local(2026, 11, 21, 0, 0));
    assert_int_equal(deadline_local_date(s_local(1969, 12, 31, 12, 0)), 19691231);
}

static void test_units(void **state)
{
    (void)state;
    deadline_unit_t unit = DEADLINE_UNIT_NATURAL_HOURS;
    assert_int_equal(deadline_unit_parse("working_days", &unit), 0);
    assert_int_equal(unit, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(deadline_unit_parse("natural_hours", &unit), 0);
    assert_int_equal(unit, DEADLINE_UNIT_NATURAL_HOURS);
    assert_int_equal(deadline_unit_parse("weeks", &unit), -1);
    assert_int_equal(deadline_unit_parse("", &unit), -1);
    assert_int_equal(deadline_unit_parse(NULL, &unit), -1);
    assert_string_equal(deadline_unit_name(DEADLINE_UNIT_NATURAL_DAYS), "natural_days");
}

/* Friday acceptance: the Friday does not count, the weekend does not count. */
static void test_friday_acceptance(void **state)
{
    (void)state;
    int64_t friday = s_local(2026, 11, 20, 16, 0);
    assert_int_equal(deadline_add_working_days(20261120, 1), 20261123);
    assert_int_equal(s_due(friday, 1, DEADLINE_UNIT_WORKING_DAYS), s_local(2026, 11, 24, 0, 0));
    assert_int_equal(s_due(friday, 5, DEADLINE_UNIT_WORKING_DAYS), s_local(2026, 11, 28, 0, 0));
    assert_int_equal(s_due(friday, 20, DEADLINE_UNIT_WORKING_DAYS), s_local(2026, 12, 19, 0, 0));
}

/* Acceptance on a weekend (a township station open on Saturday): counting starts Monday. */
static void test_weekend_acceptance(void **state)
{
    (void)state;
    int64_t saturday = s_local(2026, 11, 21, 10, 0);
    int64_t sunday_late = s_local(2026, 11, 22, 23, 30);
    assert_int_equal(s_due(saturday, 1, DEADLINE_UNIT_WORKING_DAYS), s_local(2026, 11, 24, 0, 0));
    assert_int_equal(s_due(sunday_late, 1, DEADLINE_UNIT_WORKING_DAYS),
                     s_local(2026, 11, 24, 0, 0));
    /* 00:30 Saturday local is 16:30 Friday UTC: the local date decides. */
    int64_t saturday_early = s_local(2026, 11, 21, 0, 30);
    assert_int_equal(s_due(saturday_early, 2, DEADLINE_UNIT_WORKING_DAYS),
                     s_local(2026, 11, 25, 0, 0));
}

/* 即办件: a 0-day limit is due at the end of the acceptance day. */
static void test_zero_limit(void **state)
{
    (void)state;
    int64_t wednesday = s_local(2026, 11, 18, 9, 15);
    assert_int_equal(s_due(wednesday, 0, DEADLINE_UNIT_WORKING_DAYS), s_local(2026, 11, 19, 0, 0));
    assert_int_equal(s_due(wednesday, 0, DEADLINE_UNIT_NATURAL_DAYS), s_local(2026, 11, 19, 0, 0));
    assert_int_equal(s_due(wednesday, 0, DEADLINE_UNIT_NATURAL_HOURS), wednesday);
    assert_int_equal(deadline_add_working_days(20261121, 0), 20261121);
}

static void test_month_and_year_ends(void **state)
{
    (void)state;
    /* Thu 29 Jan 2026 + 3: Fri 30 Jan, Mon 2 Feb, Tue 3 Feb. */
    assert_int_equal(s_due(s_local(2026, 1, 29, 11, 0), 3, DEADLINE_UNIT_WORKING_DAYS),
                     s_local(2026, 2, 4, 0, 0));
    /* Wed 30 Dec 2026 + 3: Thu 31 Dec, Fri 1 Jan 2027, Mon 4 Jan (weekday rule only). */
    assert_int_equal(s_due(s_local(2026, 12, 30, 15, 0), 3, DEADLINE_UNIT_WORKING_DAYS),
                     s_local(2027, 1, 5, 0, 0));
    /* Leap year: Mon 28 Feb 2028 + 2: Tue 29 Feb, Wed 1 Mar. */
    assert_int_equal(s_due(s_local(2028, 2, 28, 8, 0), 2, DEADLINE_UNIT_WORKING_DAYS),
                     s_local(2028, 3, 2, 0, 0));
    /* Natural days cross month and year ends the same way. */
    assert_int_equal(s_due(s_local(2026, 12, 25, 15, 0), 7, DEADLINE_UNIT_NATURAL_DAYS),
                     s_local(2027, 1, 2, 0, 0));
    assert_int_equal(s_due(s_local(2027, 2, 27, 15, 0), 1, DEADLINE_UNIT_NATURAL_DAYS),
                     s_local(2027, 3, 1, 0, 0));
}

static void test_hours(void **state)
{
    (void)state;
    int64_t t = s_local(2026, 11, 20, 22, 0);
    assert_int_equal(s_due(t, 4, DEADLINE_UNIT_WORKING_HOURS), s_local(2026, 11, 21, 2, 0));
    assert_int_equal(s_due(t, 48, DEADLINE_UNIT_NATURAL_HOURS), s_local(2026, 11, 22, 22, 0));
}

static void test_limit_bounds(void **state)
{
    (void)state;
    int64_t due = 42;
    assert_int_equal(deadline_due_at(0, -1, DEADLINE_UNIT_WORKING_DAYS, &due), -1);
    assert_int_equal(deadline_due_at(0, DEADLINE_LIMIT_MAX + 1, DEADLINE_UNIT_NATURAL_DAYS, &due),
                     -1);
    assert_int_equal(due, 42);
    assert_int_equal(deadline_due_at(0, DEADLINE_LIMIT_MAX, DEADLINE_UNIT_WORKING_DAYS, &due), 0);
}

/* Accepted Fri 20 Nov with 5 working days: last day Fri 27 Nov, due Sat 28 Nov 00:00. */
static void test_remaining(void **state)
{
    (void)state;
    int64_t due = s_due(s_local(2026, 11, 20, 16, 0), 5, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 20, 16, 0), due), 5);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 22, 12, 0), due), 5);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 23, 9, 0), due), 4);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 27, 23, 59), due), 0);
    /* Overdue on the weekend is overdue; then one more per working day begun. */
    assert_int_equal(deadline_remaining_working_days(due, due), -1);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 29, 12, 0), due), -1);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 30, 8, 0), due), -1);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 12, 1, 8, 0), due), -2);
    /* An hour limit ending mid-day today: nothing left after today. */
    int64_t noon = s_local(2026, 11, 23, 12, 0);
    assert_int_equal(deadline_remaining_working_days(s_local(2026, 11, 23, 9, 0), noon), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_friday_acceptance),
        cmocka_unit_test(test_weekend_acceptance),
        cmocka_unit_test(test_zero_limit),
        cmocka_unit_test(test_month_and_year_ends),
        cmocka_unit_test(test_hours),
        cmocka_unit_test(test_limit_bounds),
        cmocka_unit_test(test_remaining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
