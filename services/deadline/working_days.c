/* working_days — see working_days.h. Dates are handled internally as day numbers (days
 * since 1970-01-01, proleptic Gregorian) with Howard Hinnant's civil-date algorithms, which
 * are exact for every date and need no time-zone database: China time is a fixed UTC+8. */
#include "working_days.h"

#include <string.h>

#define S_US_PER_S       INT64_C(1000000)
#define S_S_PER_DAY      INT64_C(86400)
#define S_US_PER_DAY     (S_S_PER_DAY * S_US_PER_S)
#define S_US_PER_MIN     (INT64_C(60) * S_US_PER_S)
#define S_US_PER_HOUR    (INT64_C(3600) * S_US_PER_S)
#define S_LOCAL_OFFSET_S INT64_C(8 * 3600) /* UTC+8, as OW_CLOCK_LOCAL_OFFSET_S */
#define S_SPAN_MAX_DAYS  36525             /* 100 years: bounds every day-by-day walk */

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

static int64_t s_day_start_us(int64_t day)
{
    return (day * S_S_PER_DAY - S_LOCAL_OFFSET_S) * S_US_PER_S;
}

static bool s_working(deadline_frame_t *f, int64_t day)
{
    return deadline_calendar_is_working_day(f->cal, f->centre_id, s_civil_from_days(day),
                                            &f->calendar_missing);
}

/* Day units: is the day taken out by a suspension (its start date ≤ day < its end date)? */
static bool s_day_suspended(const deadline_frame_t *f, int64_t day)
{
    for (size_t i = 0; i < f->span_count; i++) {
        int64_t from = s_local_day_number(f->spans[i].from_us);
        int64_t to =
            f->spans[i].to_us == DEADLINE_NEVER ? INT64_MAX : s_local_day_number(f->spans[i].to_us);
        if (day >= from && day < to)
            return true;
    }
    return false;
}

/* Day units: the first date from which an open suspension holds everything, or INT64_MAX. */
static int64_t s_open_from_day(const deadline_frame_t *f)
{
    for (size_t i = 0; i < f->span_count; i++)
        if (f->spans[i].to_us == DEADLINE_NEVER)
            return s_local_day_number(f->spans[i].from_us);
    return INT64_MAX;
}

/* Hour units: the usable time in [a, b) minus suspensions. When *need fits, sets *due to the
 * instant it is used up and returns true; else subtracts what was usable and returns false. */
static bool s_consume(const deadline_frame_t *f, int64_t a, int64_t b, int64_t *need, int64_t *due)
{
    int64_t t = a;
    for (size_t i = 0; i < f->span_count && t < b; i++) {
        const deadline_span_t *s = &f->spans[i];
        if (s->to_us <= t)
            continue;
        if (s->from_us >= b)
            break; /* sorted: none of the rest reaches into [t, b) */
        int64_t stop = s->from_us > t ? s->from_us : t;
        if (stop - t >= *need) {
            *due = t + *need;
            return true;
        }
        *need -= stop - t;
        t = s->to_us < b ? s->to_us : b;
    }
    if (t >= b)
        return false;
    if (b - t >= *need) {
        *due = t + *need;
        return true;
    }
    *need -= b - t;
    return false;
}

/* Hour units: the working intervals of a day (or the whole day for natural hours). */
static size_t s_day_segments(deadline_frame_t *f, int64_t day, bool working, int64_t seg[][2])
{
    int64_t start = s_day_start_us(day);
    if (!working) {
        seg[0][0] = start;
        seg[0][1] = start + S_US_PER_DAY;
        return 1;
    }
    if (!s_working(f, day))
        return 0;
    const calendar_hours_t *hours;
    size_t n = deadline_calendar_hours(f->cal, f->centre_id, &hours);
    for (size_t i = 0; i < n; i++) {
        seg[i][0] = start + hours[i].from_min * S_US_PER_MIN;
        seg[i][1] = start + hours[i].to_min * S_US_PER_MIN;
    }
    return n;
}

static int64_t s_hours_due(deadline_frame_t *f, int64_t start_us, int32_t amount, bool working)
{
    int64_t need = (int64_t)amount * S_US_PER_HOUR, due = start_us;
    if (need == 0)
        return start_us;
    int64_t open_from = DEADLINE_NEVER;
    for (size_t i = 0; i < f->span_count; i++)
        if (f->spans[i].to_us == DEADLINE_NEVER)
            open_from = f->spans[i].from_us;
    int64_t first = s_local_day_number(start_us);
    for (int64_t day = first; day <= first + S_SPAN_MAX_DAYS; day++) {
        if (s_day_start_us(day) >= open_from)
            return DEADLINE_NEVER;
        int64_t seg[CALENDAR_HOURS_MAX][2];
        size_t n = s_day_segments(f, day, working, seg);
        for (size_t i = 0; i < n; i++) {
            int64_t a = seg[i][0] > start_us ? seg[i][0] : start_us;
            if (a < seg[i][1] && s_consume(f, a, seg[i][1], &need, &due))
                return due;
        }
    }
    return DEADLINE_NEVER;
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

bool deadline_unit_is_days(deadline_unit_t unit)
{
    return unit == DEADLINE_UNIT_WORKING_DAYS || unit == DEADLINE_UNIT_NATURAL_DAYS;
}

bool deadline_date_valid(int32_t yyyymmdd)
{
    int32_t y = yyyymmdd / 10000, m = (yyyymmdd / 100) % 100, d = yyyymmdd % 100;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    /* A date is valid when it survives the round trip (31 Feb becomes 3 Mar). */
    return s_civil_from_days(s_days_from_civil(y, m, d)) == yyyymmdd;
}

bool deadline_is_working_day(deadline_frame_t *f, int32_t yyyymmdd)
{
    return deadline_calendar_is_working_day(f->cal, f->centre_id, yyyymmdd, &f->calendar_missing);
}

int32_t deadline_local_date(int64_t time_us)
{
    return s_civil_from_days(s_local_day_number(time_us));
}

int32_t deadline_date_add(int32_t yyyymmdd, int32_t days)
{
    return s_civil_from_days(s_day_number(yyyymmdd) + days);
}

int64_t deadline_start_of_day_us(int32_t yyyymmdd)
{
    return s_day_start_us(s_day_number(yyyymmdd));
}

int64_t deadline_end_of_day_us(int32_t yyyymmdd)
{
    return s_day_start_us(s_day_number(yyyymmdd) + 1);
}

/* 行政许可法 art. 82 / 次日起算: the start day itself is never counted. */
int32_t deadline_add_working_days(deadline_frame_t *f, int32_t from, int32_t n)
{
    int64_t day = s_day_number(from);
    while (n > 0) {
        day++;
        if (s_working(f, day))
            n--;
    }
    return s_civil_from_days(day);
}

int deadline_due_at(deadline_frame_t *f, int64_t start_us, int32_t amount, deadline_unit_t unit,
                    int64_t *due_us)
{
    if (amount < 0 || amount > DEADLINE_LIMIT_MAX)
        return -1;
    int64_t day = s_local_day_number(start_us);
    int64_t open_from = s_open_from_day(f);
    int32_t left = amount;
    switch (unit) {
    case DEADLINE_UNIT_WORKING_DAYS:
    case DEADLINE_UNIT_NATURAL_DAYS:
        /* Art. 45: suspended dates do not count; art. 82: working days only for that unit. */
        while (left > 0) {
            day++;
            if (day >= open_from) {
                *due_us = DEADLINE_NEVER;
                return 0;
            }
            if (s_day_suspended(f, day))
                continue;
            if (unit == DEADLINE_UNIT_NATURAL_DAYS || s_working(f, day))
                left--;
        }
        *due_us = s_day_start_us(day + 1);
        return 0;
    case DEADLINE_UNIT_WORKING_HOURS:
    case DEADLINE_UNIT_NATURAL_HOURS:
        *due_us = s_hours_due(f, start_us, amount, unit == DEADLINE_UNIT_WORKING_HOURS);
        return 0;
    }
    return -1;
}

/* Working days d with from < d <= to (day numbers), the span capped at S_SPAN_MAX_DAYS. */
static int32_t s_count_working_days(deadline_frame_t *f, int64_t from, int64_t to, bool spans)
{
    if (to - from > S_SPAN_MAX_DAYS)
        to = from + S_SPAN_MAX_DAYS;
    int32_t count = 0;
    for (int64_t d = from + 1; d <= to; d++)
        if (s_working(f, d) && !(spans && s_day_suspended(f, d)))
            count++;
    return count;
}

int32_t deadline_remaining_working_days(deadline_frame_t *f, int64_t now_us, int64_t due_at_us)
{
    if (due_at_us == DEADLINE_NEVER)
        return INT32_MAX;
    int64_t today = s_local_day_number(now_us);
    /* The last day of the limit is the local date of the last instant before the due time. */
    int64_t last = s_local_day_number(due_at_us - 1);
    if (now_us < due_at_us)
        return today >= last ? 0 : s_count_working_days(f, today, last, false);
    int32_t late = today <= last ? 0 : s_count_working_days(f, last, today, false);
    return late < 1 ? -1 : -late;
}

/* Working time in [a, b) (a <= b), suspensions left out, capped at 100 years. */
static int64_t s_working_time(deadline_frame_t *f, int64_t a, int64_t b)
{
    int64_t total = 0;
    int64_t first = s_local_day_number(a), last = s_local_day_number(b);
    if (last - first > S_SPAN_MAX_DAYS)
        last = first + S_SPAN_MAX_DAYS;
    for (int64_t day = first; day <= last; day++) {
        int64_t seg[CALENDAR_HOURS_MAX][2];
        size_t n = s_day_segments(f, day, true, seg);
        for (size_t i = 0; i < n; i++) {
            int64_t from = seg[i][0] > a ? seg[i][0] : a;
            int64_t to = seg[i][1] < b ? seg[i][1] : b;
            if (from >= to)
                continue;
            int64_t need = INT64_MAX, due = 0;
            s_consume(f, from, to, &need, &due);
            total += INT64_MAX - need;
        }
    }
    return total;
}

double deadline_remaining_working_hours(deadline_frame_t *f, int64_t now_us, int64_t due_at_us)
{
    if (due_at_us == DEADLINE_NEVER)
        return 1e9;
    if (now_us <= due_at_us)
        return (double)s_working_time(f, now_us, due_at_us) / (double)S_US_PER_HOUR;
    return -(double)s_working_time(f, due_at_us, now_us) / (double)S_US_PER_HOUR;
}

int32_t deadline_working_days_used(deadline_frame_t *f, int64_t start_us, int64_t end_us)
{
    if (end_us <= start_us)
        return 0;
    return s_count_working_days(f, s_local_day_number(start_us), s_local_day_number(end_us), true);
}
