/* quiet_hours — see quiet_hours.h. China has one time zone and no daylight saving: local time
 * is UTC+8 all year (the same rule ow_clock uses for dates). */
#include "quiet_hours.h"

#include <stdio.h>

#define S_LOCAL_OFFSET_US (8LL * 3600 * 1000000)
#define S_MINUTE_US       (60LL * 1000000)
#define S_DAY_MIN         (24 * 60)

int quiet_hours_parse(const char *key, const char *text, int *minutes, ow_error_t *err)
{
    int h, m;
    char tail;
    if (!text || sscanf(text, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 ||
        m > 59) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s: '%s' is not a time of day HH:MM", key,
                     text ? text : "");
        return -1;
    }
    *minutes = h * 60 + m;
    return 0;
}

/* Minutes after local midnight of t, and the time of that midnight. */
static int s_local_minute(int64_t t_us, int64_t *midnight_us)
{
    int64_t local = t_us + S_LOCAL_OFFSET_US;
    int64_t day_us = (int64_t)S_DAY_MIN * S_MINUTE_US;
    int64_t into = local % day_us;
    if (into < 0)
        into += day_us;
    *midnight_us = t_us - into;
    return (int)(into / S_MINUTE_US);
}

bool quiet_hours_contains(const quiet_hours_t *q, int64_t now_us)
{
    if (q->start_min == q->end_min)
        return false;
    int64_t midnight;
    int m = s_local_minute(now_us, &midnight);
    if (q->start_min < q->end_min)
        return m >= q->start_min && m < q->end_min;
    return m >= q->start_min || m < q->end_min; /* spans midnight, e.g. 22:00–08:00 */
}

int64_t quiet_hours_next_allowed(const quiet_hours_t *q, int64_t now_us, bool urgent)
{
    if (urgent || !quiet_hours_contains(q, now_us))
        return now_us;
    int64_t midnight;
    int m = s_local_minute(now_us, &midnight);
    int64_t end = midnight + (int64_t)q->end_min * S_MINUTE_US;
    /* Before midnight in a window spanning it: the end is tomorrow morning. */
    if (q->start_min > q->end_min && m >= q->start_min)
        end += (int64_t)S_DAY_MIN * S_MINUTE_US;
    return end;
}
