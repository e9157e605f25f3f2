/* working_days — see working_days.h. Dates are handled internally as day numbers (days
 * since 1970-01-01, proleptic Gregorian) with Howard Hinnant's civil-date algorithms, which
 * are exact for every date and need no time-zone database: China time is a fixed UTC+8. */
#include "working_days.h"

#include <stddef.h>
#include <string.h>

#define S_US_PER_S       INT64_C(1000000)
#define S_S_PER_DAY      INT64_C(86400)
#define S_LOCAL_OFFSET_S INT64_C(8 * 3600) /* UTC+8, as OW_CLOCK_LOCAL_OFFSET_S */
#define S_SPAN_MAX_DAYS  36525             /* 100 years: bounds every day-by-day count */

static const char *const s_unit_names[] = {
    [DEADLINE_UNIT_WORKING_DAYS] = "working_days",
    [DEADLINE_UNIT_NATURAL_DAYS] = "natural_days",
    [DEADLINE_UNIT_WORKING_HOURS] = "working_hours",
    [DEADLINE_UNIT_NATURAL_HOURS] = "natural_hours",
};

/* Floor division: C's '/' truncates toward zero, which is wrong for times before 1970. */
static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t s_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = s_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int32_t s_civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = s_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

static int64_t s_day_number(int32_t yyyymmdd)
{
    return s_days_from_civil(yyyymmdd / 10000, (yyyymmdd / 100) % 100, yyyymmdd % 100);
}

static int64_t s_local_day_number(int64_t time_us)
{
    int64_t secs = s_floor_div(time_us, S_US_PER_S) + S_LOCAL_OFFSET_S;
    return s_floor_div(secs, S_S_PER_DAY);
}

static bool s_is_working_day_number(int64_t day)
{
    return deadline_is_working_day(s_civil_from_days(day));
}

/* Working days d with from < d <= to (day numbers), the span capped at S_SPAN_MAX_DAYS. */
static int32_t s_count_working_days(int64_t from, int64_t to)
{
    if (to - from > S_SPAN_MAX_DAYS)
        to = from + S_SPAN_MAX_DAYS;
    int32_t count = 0;
    for (int64_t d = from + 1; d <= to; d++)
        if (s_is_working_day_number(d))
            count++;
    return count;
}

int deadline_unit_parse(const char *text, deadline_unit_t *out)
{
    if (!text)
        return -1;
    for (size_t i = 0; i < sizeof s_unit_names / sizeof s_unit_names[0]; i++) {
        if (strcmp(text, s_unit_names[i]) == 0) {
            *out = (deadline_unit_t)i;
            return 0;
        }
    }
    return -1;
}

const char *deadline_unit_name(deadline_unit_t unit)
{
    if ((size_t)unit >= sizeof s_unit_names / sizeof s_unit_names[0])
        return "unknown";
    return s_unit_names[unit];
}

bool deadline_date_valid(int32_t yyyymmdd)
{
    int32_t y = yyyymmdd / 10000, m = (yyyymmdd / 100) % 100, d = yyyymmdd % 100;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    /* A date is valid when it survives the round trip (31 Feb becomes 3 Mar). */
    return s_civil_from_days(s_days_from_civil(y, m, d)) == yyyymmdd;
}

/* DOMAIN.md §5: working days exclude weekends and statutory holidays and include make-up
 * working days (调休). Until the holiday calendar lands, Monday to Friday. */
bool deadline_is_working_day(int32_t yyyymmdd)
{
    if (!deadline_date_valid(yyyymmdd))
        return false;
    int64_t day = s_day_number(yyyymmdd);
    int64_t weekday = ((day % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    return weekday >= 1 && weekday <= 5;
}

int32_t deadline_local_date(int64_t time_us)
{
    return s_civil_from_days(s_local_day_number(time_us));
}

int32_t deadline_date_add(int32_t yyyymmdd, int32_t days)
{
    return s_civil_from_days(s_day_number(yyyymmdd) + days);
}

int64_t deadline_end_of_day_us(int32_t yyyymmdd)
{
    int64_t next_day = s_day_number(yyyymmdd) + 1;
    return (next_day * S_S_PER_DAY - S_LOCAL_OFFSET_S) * S_US_PER_S;
}

/* 行政许可法 art. 82 / 次日起算: the acceptance day itself is never counted. */
int32_t deadline_add_working_days(int32_t from, int32_t n)
{
    int64_t day = s_day_number(from);
    while (n > 0) {
        day++;
        if (s_is_working_day_number(day))
            n--;
    }
    return s_civil_from_days(day);
}

int deadline_due_at(int64_t accepted_at_us, int32_t limit, deadline_unit_t unit, int64_t *due_us)
{
    if (limit < 0 || limit > DEADLINE_LIMIT_MAX)
        return -1;
    int32_t accepted = deadline_local_date(accepted_at_us);
    switch (unit) {
    case DEADLINE_UNIT_WORKING_DAYS:
        *due_us = deadline_end_of_day_us(deadline_add_working_days(accepted, limit));
        return 0;
    case DEADLINE_UNIT_NATURAL_DAYS:
        *due_us = deadline_end_of_day_us(deadline_date_add(accepted, limit));
        return 0;
    case DEADLINE_UNIT_WORKING_HOURS:
    case DEADLINE_UNIT_NATURAL_HOURS:
        *due_us = accepted_at_us + (int64_t)limit * 3600 * S_US_PER_S;
        return 0;
    }
    return -1;
}

int32_t deadline_remaining_working_days(int64_t now_us, int64_t due_at_us)
{
    int64_t today = s_local_day_number(now_us);
    /* The last day of the limit is the local date of the last instant before the due time. */
    int64_t last = s_local_day_number(due_at_us - 1);
    if (now_us < due_at_us)
        return today >= last ? 0 : s_count_working_days(today, last);
    int32_t late = today <= last ? 0 : s_count_working_days(last, today);
    return late < 1 ? -1 : -late;
}
