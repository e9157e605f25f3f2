/* Unit tests of the calendar (calendar.h), the working-day arithmetic (working_days.h) and
 * the limit rules (limits.h): every date of 2025 and 2026 against the State Council lists of
 * DOMAIN.md §5 written out independently here, every start date of both years with limits of
 * 1, 5, 20, 30 (20 + 10, art. 42), 45 and 60 (45 + 15) against an independent count, year
 * ends, a missing year (weekdays, flagged), suspensions spanning holidays (art. 45), working
 * hours, and centre overrides. Expected times come from timegm(), not the module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "calendar.h"
#include "calendar_store.h"
#include "expiry_scan.h"
#include "limits.h"
#include "working_days.h"

static deadline_calendar_t *s_cal;

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

/* DOMAIN.md §5, typed in again as ranges: days off and make-up working days. */
static const int32_t s_off[][2] = {{20250101, 20250101}, {20250128, 20250204}, {20250404, 20250406},
                                   {20250501, 20250505}, {20250531, 20250602}, {20251001, 20251008},
                                   {20260101, 20260103}, {20260215, 20260223}, {20260404, 20260406},
                                   {20260501, 20260505}, {20260619, 20260621}, {20260925, 20260927},
                                   {20261001, 20261007}};
static const int32_t s_makeup[] = {20250126, 20250208, 20250427, 20250928, 20251011, 20260104,
                                   20260214, 20260228, 20260509, 20260920, 20261010};

/* The independent rule: make-up days work, listed days off do not, else Monday–Friday. */
static bool s_expected_working(int32_t date)
{
    for (size_t i = 0; i < sizeof s_makeup / sizeof s_makeup[0]; i++)
        if (s_makeup[i] == date)
            return true;
    for (size_t i = 0; i < sizeof s_off / sizeof s_off[0]; i++)
        if (date >= s_off[i][0] && date <= s_off[i][1])
            return false;
    struct tm tm = {0};
    tm.tm_year = date / 10000 - 1900;
    tm.tm_mon = (date / 100) % 100 - 1;
    tm.tm_mday = date % 100;
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return out.tm_wday >= 1 && out.tm_wday <= 5;
}

static int s_setup(void **state)
{
    (void)state;
    s_cal = deadline_calendar_new();
    ow_error_t err;
    ow_error_clear(&err);
    for (size_t i = 0; i < deadline_shipped_calendar_count; i++) {
        const char *body = deadline_shipped_calendars[i];
        if (deadline_calendar_load_json(s_cal, body, strlen(body), NULL, NULL, &err) != 0) {
            fprintf(stderr, "shipped calendar %zu: %s\n", i, err.message);
            return -1;
        }
    }
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    deadline_calendar_destroy(&s_cal);
    return 0;
}

static int64_t s_due(int64_t start, int32_t amount, deadline_unit_t unit, bool *missing)
{
    deadline_frame_t f = {.cal = s_cal, .centre_id = ""};
    int64_t due = 0;
    assert_int_equal(deadline_due_at(&f, start, amount, unit, &due), 0);
    if (missing)
        *missing = f.calendar_missing;
    return due;
}

/* Every day of 2025 and 2026 as the State Council decided it, and never flagged. */
static void test_every_day_of_2025_and_2026(void **state)
{
    (void)state;
    int checked = 0;
    for (int32_t d = 20250101; d <= 20261231; d = deadline_date_add(d, 1)) {
        bool missing = false;
        bool got = deadline_calendar_is_working_day(s_cal, "", d, &missing);
        if (got != s_expected_working(d))
            fail_msg("%d: calendar says %s", (int)d, got ? "working" : "off");
        assert_false(missing);
        checked++;
    }
    assert_int_equal(checked, 730);
    assert_true(deadline_calendar_has_year(s_cal, 2025));
    assert_true(deadline_calendar_has_year(s_cal, 2026));
    assert_false(deadline_calendar_has_year(s_cal, 2027));
}

/* Every start date of both years, limits up to 45 + 15: the module against a day-by-day count
 * with the independent rule (次日起算, due at the end of the last working day). */
static void test_every_start_date(void **state)
{
    (void)state;
    static const int32_t limits[] = {1, 5, 20, 30, 45, 60};
    for (int32_t d = 20250101; d <= 20261130; d = deadline_date_add(d, 1)) {
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            int32_t day = d, left = limits[l];
            while (left > 0) {
                day = deadline_date_add(day, 1);
                if (day / 10000 > 2026)
                    break;
                if (s_expected_working(day))
                    left--;
            }
            if (left > 0)
                continue; /* runs into 2027: covered by test_missing_year */
            int64_t start = s_local(d / 10000, (d / 100) % 100, d % 100, 10, 30);
            bool missing = true;
            int64_t due = s_due(start, limits[l], DEADLINE_UNIT_WORKING_DAYS, &missing);
            if (due != deadline_end_of_day_us(day))
                fail_msg("start %d + %d: due on %d expected", (int)d, (int)limits[l], (int)day);
            assert_false(missing);
        }
    }
}

static void test_holidays_and_makeup_days(void **state)
{
    (void)state;
    /* Fri 13 Feb 2026 + 1: the make-up Saturday 14 Feb; + 2: Tue 24 Feb after 春节. */
    assert_int_equal(s_due(s_local(2026, 2, 13, 9, 0), 1, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2026, 2, 15, 0, 0));
    assert_int_equal(s_due(s_local(2026, 2, 13, 9, 0), 2, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2026, 2, 25, 0, 0));
    /* Tue 30 Sep 2025 + 1: Thu 9 Oct; + 3: the make-up Saturday 11 Oct. */
    assert_int_equal(s_due(s_local(2025, 9, 30, 16, 0), 1, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2025, 10, 10, 0, 0));
    assert_int_equal(s_due(s_local(2025, 9, 30, 16, 0), 3, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2025, 10, 12, 0, 0));
    /* Accepted on a holiday: counting still starts the next working day. */
    assert_int_equal(s_due(s_local(2025, 5, 3, 10, 0), 1, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2025, 5, 7, 0, 0));
    /* 即办件: 0 days is the end of the acceptance day even on a holiday. */
    assert_int_equal(s_due(s_local(2026, 10, 3, 10, 0), 0, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2026, 10, 4, 0, 0));
    /* Natural days ignore the calendar. */
    assert_int_equal(s_due(s_local(2026, 2, 13, 9, 0), 5, DEADLINE_UNIT_NATURAL_DAYS, NULL),
                     s_local(2026, 2, 19, 0, 0));
}

static void test_year_ends(void **state)
{
    (void)state;
    /* Wed 31 Dec 2025 + 1: 1–3 Jan 2026 off, Sun 4 Jan worked. */
    assert_int_equal(s_due(s_local(2025, 12, 31, 15, 0), 1, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     s_local(2026, 1, 5, 0, 0));
    /* Tue 31 Dec 2024 (no 2024 calendar needed: 2025 starts the count) + 1: 1 Jan off → 2 Jan. */
    bool missing = true;
    assert_int_equal(s_due(s_local(2024, 12, 31, 15, 0), 1, DEADLINE_UNIT_WORKING_DAYS, &missing),
                     s_local(2025, 1, 3, 0, 0));
    assert_false(missing);
}

/* DOMAIN §5: a limit running into a year with no calendar is computed on weekdays, flagged. */
static void test_missing_year(void **state)
{
    (void)state;
    bool missing = false;
    /* Wed 30 Dec 2026 + 3: Thu 31 Dec, Fri 1 Jan 2027 (a weekday: counted), Mon 4 Jan. */
    assert_int_equal(s_due(s_local(2026, 12, 30, 15, 0), 3, DEADLINE_UNIT_WORKING_DAYS, &missing),
                     s_local(2027, 1, 5, 0, 0));
    assert_true(missing);
    missing = false;
    assert_true(deadline_calendar_is_working_day(s_cal, "", 20270104, &missing));
    assert_true(missing);
    missing = false;
    s_due(s_local(2026, 12, 1, 15, 0), 5, DEADLINE_UNIT_WORKING_DAYS, &missing);
    assert_false(missing);
    /* The 1 December warning. */
    assert_false(expiry_scan_next_year_missing(s_cal, s_local(2026, 11, 30, 23, 59)));
    assert_true(expiry_scan_next_year_missing(s_cal, s_local(2026, 12, 1, 0, 0)));
    assert_false(expiry_scan_next_year_missing(s_cal, s_local(2025, 12, 1, 0, 0)));
}

/* Art. 45: suspended dates do not count, also across a holiday. */
static void test_suspensions(void **state)
{
    (void)state;
    int64_t start = s_local(2026, 9, 21, 10, 0); /* Mon */
    deadline_frame_t f = {.cal = s_cal, .centre_id = ""};
    int64_t due = 0;
    assert_int_equal(deadline_due_at(&f, start, 5, DEADLINE_UNIT_WORKING_DAYS, &due), 0);
    assert_int_equal(due, s_local(2026, 9, 30, 0, 0)); /* 22, 23, 24, 28, 29 */
    /* Suspended Wed 23 Sep 10:00 to Mon 28 Sep 9:00: 23–27 do not count → 22, 28, 29, 30,
     * then 国庆 1–7 Oct, Thu 8 Oct. */
    deadline_span_t spans[] = {{s_local(2026, 9, 23, 10, 0), s_local(2026, 9, 28, 9, 0)}};
    f.spans = spans;
    f.span_count = 1;
    assert_int_equal(deadline_due_at(&f, start, 5, DEADLINE_UNIT_WORKING_DAYS, &due), 0);
    assert_int_equal(due, s_local(2026, 10, 9, 0, 0));
    assert_int_equal(deadline_working_days_used(&f, start, s_local(2026, 9, 30, 12, 0)), 4);
    /* Still open: no due time. */
    spans[0].to_us = DEADLINE_NEVER;
    assert_int_equal(deadline_due_at(&f, start, 5, DEADLINE_UNIT_WORKING_DAYS, &due), 0);
    assert_true(due == DEADLINE_NEVER);
    /* Same-day suspension does not move a day limit. */
    spans[0].from_us = s_local(2026, 9, 22, 10, 0);
    spans[0].to_us = s_local(2026, 9, 22, 15, 0);
    assert_int_equal(deadline_due_at(&f, start, 5, DEADLINE_UNIT_WORKING_DAYS, &due), 0);
    assert_int_equal(due, s_local(2026, 9, 30, 0, 0));
    /* ... but does move an hour limit by exactly its length. */
    assert_int_equal(
        deadline_due_at(&f, s_local(2026, 9, 22, 0, 0), 12, DEADLINE_UNIT_NATURAL_HOURS, &due), 0);
    assert_int_equal(due, s_local(2026, 9, 22, 17, 0)); /* 10 h, 5 h suspended, 2 h */
}

/* Art. 42: extensions are more working days, within 20 + 10 or 45 + 15. */
static void test_extensions(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        deadline_extension_check(0, 10, false, "H01", DEADLINE_UNIT_WORKING_DAYS, &err), 0);
    assert_int_equal(deadline_extension_check(0, 15, true, "H01", DEADLINE_UNIT_WORKING_DAYS, &err),
                     0);
    assert_int_equal(deadline_extension_check(8, 3, false, "H01", DEADLINE_UNIT_WORKING_DAYS, &err),
                     -1);
    ow_error_clear(&err);
    assert_int_equal(deadline_extension_check(0, 11, false, "", DEADLINE_UNIT_NATURAL_DAYS, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 3); /* ceiling, approval, unit: all at once */
    /* 20 + 10 from Mon 5 Jan 2026 = 30 working days: the 30th is the make-up Sat 14 Feb. */
    int64_t start = s_local(2026, 1, 5, 9, 0);
    assert_int_equal(s_due(start, 30, DEADLINE_UNIT_WORKING_DAYS, NULL),
                     deadline_end_of_day_us(20260214));
}

static void test_yellow_threshold(void **state)
{
    (void)state;
    deadline_thresholds_t t = DEADLINE_THRESHOLDS_DEFAULT;
    assert_int_equal(deadline_yellow_used(20, DEADLINE_UNIT_WORKING_DAYS, &t), 16); /* 20 % */
    assert_int_equal(deadline_yellow_used(5, DEADLINE_UNIT_WORKING_DAYS, &t), 4);
    assert_int_equal(deadline_yellow_used(3, DEADLINE_UNIT_WORKING_DAYS, &t), 2); /* 1 day */
    assert_int_equal(deadline_yellow_used(1, DEADLINE_UNIT_WORKING_DAYS, &t), 0);
    assert_int_equal(deadline_yellow_used(0, DEADLINE_UNIT_WORKING_DAYS, &t), -1);
    assert_int_equal(deadline_yellow_used(4, DEADLINE_UNIT_WORKING_HOURS, &t), 3);
    deadline_thresholds_t loose = {2, 1, 0};
    assert_int_equal(deadline_yellow_used(20, DEADLINE_UNIT_WORKING_DAYS, &loose), 18);
}

static void test_working_hours(void **state)
{
    (void)state;
    /* Fri 13 Feb 2026 16:00 + 4 working hours: 1.5 h that day, 2.5 h on the make-up Saturday
     * from 9:00 → 11:30. */
    assert_int_equal(s_due(s_local(2026, 2, 13, 16, 0), 4, DEADLINE_UNIT_WORKING_HOURS, NULL),
                     s_local(2026, 2, 14, 11, 30));
    /* Started at lunch: from 13:30; 7 hours = one full working day. */
    assert_int_equal(s_due(s_local(2026, 11, 23, 12, 15), 7, DEADLINE_UNIT_WORKING_HOURS, NULL),
                     s_local(2026, 11, 24, 12, 0));
    assert_int_equal(s_due(s_local(2026, 11, 20, 22, 0), 48, DEADLINE_UNIT_NATURAL_HOURS, NULL),
                     s_local(2026, 11, 22, 22, 0));
    deadline_frame_t f = {.cal = s_cal, .centre_id = ""};
    assert_true(deadline_remaining_working_hours(&f, s_local(2026, 11, 23, 9, 0),
                                                 s_local(2026, 11, 25, 0, 0)) == 14.0);
    assert_true(deadline_remaining_working_hours(&f, s_local(2026, 11, 25, 10, 0),
                                                 s_local(2026, 11, 25, 0, 0)) == -1.0);
}

static void test_remaining_days(void **state)
{
    (void)state;
    deadline_frame_t f = {.cal = s_cal, .centre_id = ""};
    /* Accepted Fri 13 Feb 2026, 2 days: due end of Tue 24 Feb. */
    int64_t due = s_due(s_local(2026, 2, 13, 9, 0), 2, DEADLINE_UNIT_WORKING_DAYS, NULL);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 13, 9, 0), due), 2);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 14, 9, 0), due), 1);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 20, 9, 0), due), 1);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 24, 9, 0), due), 0);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 25, 9, 0), due), -1);
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 2, 27, 9, 0), due), -3);
    /* A Saturday make-up day counts as a working day begun. */
    assert_int_equal(deadline_remaining_working_days(&f, s_local(2026, 3, 1, 9, 0), due), -4);
}

static void test_centre_overrides(void **state)
{
    (void)state;
    deadline_calendar_t *cal = deadline_calendar_dup(s_cal);
    assert_non_null(cal);
    ow_error_t err;
    ow_error_clear(&err);
    const char *local = "{\"year\":2026,\"centre_id\":\"330122101000\","
                        "\"days_off\":[\"2026-11-23\"],\"working_days\":[\"2026-11-21\"],"
                        "\"working_hours\":[[\"08:30\",\"12:00\"],[\"14:00\",\"17:00\"]]}";
    int year = 0;
    char centre[CALENDAR_CENTRE_MAX + 1];
    assert_int_equal(deadline_calendar_load_json(cal, local, strlen(local), &year, centre, &err),
                     0);
    assert_int_equal(year, 2026);
    assert_string_equal(centre, "330122101000");
    assert_true(deadline_calendar_is_working_day(cal, "330122101000", 20261121, NULL));
    assert_false(deadline_calendar_is_working_day(cal, "330122101000", 20261123, NULL));
    assert_true(deadline_calendar_is_working_day(cal, "330122000000", 20261123, NULL));
    /* Other dates follow the national record (a 国庆 day stays off). */
    assert_false(deadline_calendar_is_working_day(cal, "330122101000", 20261001, NULL));
    deadline_frame_t f = {.cal = cal, .centre_id = "330122101000"};
    int64_t due = 0;
    deadline_due_at(&f, s_local(2026, 11, 20, 11, 0), 2, DEADLINE_UNIT_WORKING_HOURS, &due);
    assert_int_equal(due, s_local(2026, 11, 20, 15, 0)); /* 1 h before noon, 1 h from 14:00 */
    const calendar_hours_t *hours;
    assert_int_equal(deadline_calendar_hours(cal, "330122101000", &hours), 2);
    assert_int_equal(hours[0].from_min, 8 * 60 + 30);
    deadline_calendar_destroy(&cal);
    assert_null(cal);
}

static void test_bad_calendars(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *bad = "{\"year\":2027,\"days_off\":[\"2027-02-30\",\"2026-01-01\",\"2027-01-01\","
                      "\"2027-01-01\"],\"working_days\":[\"2027-01-01\"],"
                      "\"working_hours\":[[\"09:00\",\"12:00\"]]}";
    assert_int_equal(deadline_calendar_load_json(s_cal, bad, strlen(bad), NULL, NULL, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* invalid date, wrong year, listed twice, in both lists, hours on the national record */
    assert_int_equal(err.violation_count, 5);
    assert_false(deadline_calendar_has_year(s_cal, 2027));
    ow_error_clear(&err);
    assert_int_equal(deadline_calendar_load_json(s_cal, "[1", 2, NULL, NULL, &err), -1);
    ow_error_clear(&err);
    assert_int_equal(deadline_calendar_load_json(s_cal, "{\"year\":1800}", 13, NULL, NULL, &err),
                     -1);
    /* Units. */
    deadline_unit_t unit;
    assert_int_equal(deadline_unit_parse("working_hours", &unit), 0);
    assert_int_equal(unit, DEADLINE_UNIT_WORKING_HOURS);
    assert_int_equal(deadline_unit_parse("weeks", &unit), -1);
    assert_int_equal(deadline_unit_parse(NULL, &unit), -1);
    assert_string_equal(deadline_unit_name(DEADLINE_UNIT_NATURAL_DAYS), "natural_days");
    deadline_frame_t f = {.cal = s_cal};
    int64_t due = 42;
    assert_int_equal(deadline_due_at(&f, 0, -1, DEADLINE_UNIT_WORKING_DAYS, &due), -1);
    assert_int_equal(
        deadline_due_at(&f, 0, DEADLINE_LIMIT_MAX + 1, DEADLINE_UNIT_NATURAL_DAYS, &due), -1);
    assert_int_equal(due, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_day_of_2025_and_2026),
        cmocka_unit_test(test_every_start_date),
        cmocka_unit_test(test_holidays_and_makeup_days),
        cmocka_unit_test(test_year_ends),
        cmocka_unit_test(test_missing_year),
        cmocka_unit_test(test_suspensions),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_yellow_threshold),
        cmocka_unit_test(test_working_hours),
        cmocka_unit_test(test_remaining_days),
        cmocka_unit_test(test_centre_overrides),
        cmocka_unit_test(test_bad_calendars),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
