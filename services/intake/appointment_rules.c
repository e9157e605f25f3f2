#include "appointment_rules.h"

#include <stdio.h>
#include <time.h>
#include "ow_clock.h"

#define S_US 1000000LL

intake_appointment_policy_t intake_appointment_policy_default(void)
{
    return (intake_appointment_policy_t){
        .cancel_before_s = 2 * 3600,
        .no_show_after_s = 30 * 60,
        .no_show_limit = 2,
        .no_show_window_s = 90LL * 86400,
        .block_months = 3,
    };
}

int64_t intake_add_months_us(int64_t time_us, int months)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    time_t local = (time_t)(time_us / S_US) + OW_CLOCK_LOCAL_OFFSET_S;
    struct tm tm;
    gmtime_r(&local, &tm);
    int m = tm.tm_mon + months;
    tm.tm_year += m >= 0 ? m / 12 : (m - 11) / 12;
    tm.tm_mon = ((m % 12) + 12) % 12;
    int y = tm.tm_year + 1900;
    int last = days[tm.tm_mon] + (tm.tm_mon == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (tm.tm_mday > last)
        tm.tm_mday = last;
    int64_t out = (int64_t)timegm(&tm) - OW_CLOCK_LOCAL_OFFSET_S;
    return out * S_US + time_us % S_US;
}

int64_t intake_appointment_blocked_until(const intake_appointment_policy_t *p,
                                         const int64_t *no_shows, size_t n, int64_t now_us)
{
    if (p->no_show_limit <= 0)
        return 0;
    int64_t until = 0;
    /* For each no-show, count those within the window ending at it: reaching the limit
     * blocks from that no-show for block_months. */
    for (size_t i = 0; i < n; i++) {
        int count = 0;
        for (size_t j = 0; j < n; j++)
            if (no_shows[j] <= no_shows[i] &&
                no_shows[j] > no_shows[i] - p->no_show_window_s * S_US)
                count++;
        if (count >= p->no_show_limit) {
            int64_t end = intake_add_months_us(no_shows[i], p->block_months);
            if (end > until)
                until = end;
        }
    }
    return until > now_us ? until : 0;
}

int intake_appointment_check_booking(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                     int capacity, int booked, bool booked_same_day,
                                     const int64_t *no_shows, size_t n_no_shows, int64_t now_us,
                                     ow_error_t *err)
{
    int n = 0;
    if (slot_start_us <= now_us) {
        ow_error_add_violation(err, "slot", "the slot has already started");
        n++;
    }
    if (booked >= capacity) {
        ow_error_add_violation(err, "slot", "the slot is full (%d of %d booked)", booked, capacity);
        n++;
    }
    if (booked_same_day) {
        ow_error_add_violation(err, "applicant", "one booking per person per day: already booked");
        n++;
    }
    int64_t until = intake_appointment_blocked_until(p, no_shows, n_no_shows, now_us);
    if (until) {
        char when[40];
        ow_error_add_violation(err, "applicant",
                               "%d no-shows within %lld days: booking is blocked until %s",
                               p->no_show_limit, (long long)(p->no_show_window_s / 86400),
                               ow_clock_format_local(until, when, sizeof when));
        n++;
    }
    return n;
}

bool intake_appointment_may_cancel(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us)
{
    return now_us <= slot_start_us - p->cancel_before_s * S_US;
}

int64_t intake_appointment_no_show_due(const intake_appointment_policy_t *p, int64_t slot_start_us)
{
    return slot_start_us + p->no_show_after_s * S_US;
}

bool intake_appointment_is_no_show(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us)
{
    return now_us >= intake_appointment_no_show_due(p, slot_start_us);
}

bool intake_appointment_may_arrive(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us)
{
    return now_us >= slot_start_us - 3600 * S_US &&
           now_us < intake_appointment_no_show_due(p, slot_start_us);
}
