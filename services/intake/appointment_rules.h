/* appointment_rules — booking a slot (预约, DOMAIN.md §3), every threshold configurable:
 *   - one booking per person per day, within the slot's capacity;
 *   - cancel at least `cancel_before_s` (default 2 h) before the slot;
 *   - not arriving `no_show_after_s` (default 30 min) after the slot's start forfeits it;
 *   - `no_show_limit` (2) no-shows within `no_show_window_s` (90 days) block booking for
 *     `block_months` (3) calendar months from the no-show that reached the limit.
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_APPOINTMENT_RULES_H
#define INTAKE_APPOINTMENT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct {
    int64_t cancel_before_s;
    int64_t no_show_after_s;
    int no_show_limit;
    int64_t no_show_window_s;
    int block_months;
} intake_appointment_policy_t;

/* The DOMAIN.md defaults: 2 h, 30 min, 2, 90 days, 3 months. */
intake_appointment_policy_t intake_appointment_policy_default(void);

/* When booking is blocked until (µs), given the person's no-show times (any order); 0 when
 * not blocked at now_us. */
int64_t intake_appointment_blocked_until(const intake_appointment_policy_t *p,
                                         const int64_t *no_shows, size_t n, int64_t now_us);

/* May the person book a slot starting at slot_start_us? Adds a violation per reason
 * ("slot": past or full; "applicant": already booked that day, blocked until …) and returns
 * their number. */
int intake_appointment_check_booking(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                     int capacity, int booked, bool booked_same_day,
                                     const int64_t *no_shows, size_t n_no_shows, int64_t now_us,
                                     ow_error_t *err);

/* True when a booking may still be cancelled at now_us. */
bool intake_appointment_may_cancel(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us);

/* True when an unarrived booking is forfeited (a no-show) at now_us. */
bool intake_appointment_is_no_show(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us);

/* The time a no-show is due: slot start + no_show_after_s (the deadlined timer's due time). */
int64_t intake_appointment_no_show_due(const intake_appointment_policy_t *p, int64_t slot_start_us);

/* Arrival is accepted from the slot's start minus 1 h until the no-show time. */
bool intake_appointment_may_arrive(const intake_appointment_policy_t *p, int64_t slot_start_us,
                                   int64_t now_us);

/* Adds months calendar months to a time, in local (UTC+8) dates; the day is clamped to the
 * end of a shorter month (31 Jan + 1 month = 28/29 Feb). */
int64_t intake_add_months_us(int64_t time_us, int months);

#endif
