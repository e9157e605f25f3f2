/* ow_clock — system time = real time + a process-wide offset that only grows. */
#include "ow_clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool s_test_enabled = false;
static int64_t s_offset_us = 0;

static int64_t s_read(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ow_clock_now_us(void)
{
    return s_read(CLOCK_REALTIME) + s_offset_us;
}

int64_t ow_clock_real_us(void)
{
    return s_read(CLOCK_REALTIME);
}

int64_t ow_clock_mono_us(void)
{
    return s_read(CLOCK_MONOTONIC);
}

/* Disabling also drops the offset: with the test clock off, system time is real time. */
void ow_clock_enable_test(bool enabled)
{
    s_test_enabled = enabled;
    if (!enabled)
        s_offset_us = 0;
}

bool ow_clock_test_enabled(void)
{
    return s_test_enabled;
}

/* The same offset applied twice is accepted (0): clock.advanced events may be delivered
 * again on replay, and applying one must be idempotent. */
int ow_clock_set_offset_us(int64_t offset_us)
{
    if (!s_test_enabled || offset_us < s_offset_us)
        return -1;
    s_offset_us = offset_us;
    return 0;
}

int64_t ow_clock_offset_us(void)
{
    return s_offset_us;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms:
 * exact for every year, independent of the process's TZ and of time_t's range). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int ow_clock_local_yyyymmdd(int64_t time_us)
{
    int64_t local_s = s_floor_div(time_us, 1000000) + OW_CLOCK_LOCAL_OFFSET_S;
    int64_t y;
    int m, d;
    s_civil_from_days(s_floor_div(local_s, 86400), &y, &m, &d);
    return (int)(y * 10000 + m * 100 + d);
}

char *ow_clock_format_local(int64_t time_us, char *buf, size_t size)
{
    int64_t local_s = s_floor_div(time_us, 1000000) + OW_CLOCK_LOCAL_OFFSET_S;
    int64_t days = s_floor_div(local_s, 86400);
    int64_t sod = local_s - days * 86400;
    int64_t y;
    int m, d;
    s_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d+08:00", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    return buf;
}

/* Reads exactly n digits at *p into *out and advances *p; -1 when they are not digits. */
static int s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int s_expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* RFC 3339 section 5.6: date-time = full-date "T" full-time; "T" and "Z" may be lower
 * case. A leap second (:60) is accepted and counted as the next second, as POSIX time
 * does. */
int ow_clock_parse_rfc3339(const char *text, int64_t *out_us)
{
    if (!text)
        return -1;
    const char *p = text;
    int year, mon, day, hour, min, sec;
    if (s_digits(&p, 4, &year) || s_expect(&p, '-') || s_digits(&p, 2, &mon) || s_expect(&p, '-') ||
        s_digits(&p, 2, &day))
        return -1;
    if (*p != 'T' && *p != 't')
        return -1;
    p++;
    if (s_digits(&p, 2, &hour) || s_expect(&p, ':') || s_digits(&p, 2, &min) || s_expect(&p, ':') ||
        s_digits(&p, 2, &sec))
        return -1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mon < 1 || mon > 12 || day < 1)
        return -1;
    if (day > mdays[mon - 1] + (mon == 2 && s_leap(year)))
        return -1;
    if (hour > 23 || min > 59 || sec > 60)
        return -1;
    int64_t frac_us = 0;
    if (*p == '.') {
        p++;
        int ndigits = 0;
        int64_t scale = 100000;
        while (*p >= '0' && *p <= '9') {
            /* Digits past microseconds are read and ignored (truncated, not rounded). */
            if (scale > 0) {
                frac_us += (*p - '0') * scale;
                scale /= 10;
            }
            ndigits++;
            p++;
        }
        if (ndigits == 0)
            return -1;
    }
    int offset_s;
    if (*p == 'Z' || *p == 'z') {
        offset_s = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (s_digits(&p, 2, &oh) || s_expect(&p, ':') || s_digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t secs =
        s_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset_s;
    *out_us = secs * 1000000 + frac_us;
    return 0;
}
