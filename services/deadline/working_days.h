/* working_days — the arithmetic of time limits (限时办结), with no I/O.
 *
 * Statutory periods are counted in working days (行政许可法 art. 82, DOMAIN.md §5); some items
 * count natural days and some hotline-style tasks count hours. Counting starts the day after
 * acceptance (次日起算), and a limit of N days ends with the end of its last day: local
 * midnight (China time, UTC+8, no daylight saving) ending that day.
 *
 * Dates are local calendar dates written yyyymmdd (20261122). Which dates are working days is
 * decided by deadline_is_working_day() alone, so the holiday calendar (holidays and make-up
 * working days, 调休) replaces that one function and every other rule here follows it.
 *
 * Every function is pure: same arguments, same answer; no allocation, no clock. */
#ifndef DEADLINE_WORKING_DAYS_H
#define DEADLINE_WORKING_DAYS_H

#include <stdbool.h>
#include <stdint.h>

/* Largest limit accepted in any unit: far beyond any legal ceiling (45 + 15 working days,
 * art. 42), small enough that day-by-day counting stays cheap. */
#define DEADLINE_LIMIT_MAX 10000

typedef enum {
    DEADLINE_UNIT_WORKING_DAYS,
    DEADLINE_UNIT_NATURAL_DAYS,
    DEADLINE_UNIT_WORKING_HOURS,
    DEADLINE_UNIT_NATURAL_HOURS,
} deadline_unit_t;

/* Parses "working_days", "natural_days", "working_hours", "natural_hours". Returns 0 and sets
 * *out, or -1 when text is NULL or none of these (out is left unchanged). */
int deadline_unit_parse(const char *text, deadline_unit_t *out);

/* The text form of a unit, as stored and sent ("working_days"); never NULL. */
const char *deadline_unit_name(deadline_unit_t unit);

/* True when yyyymmdd is a valid Gregorian date (years 1900–9999). */
bool deadline_date_valid(int32_t yyyymmdd);

/* THE working-day decision: for now Monday to Friday. The holiday calendar replaces this
 * function. yyyymmdd must be valid (deadline_date_valid); an invalid date is not a working
 * day. */
bool deadline_is_working_day(int32_t yyyymmdd);

/* The local (UTC+8) date of a time in microseconds since the Unix epoch. */
int32_t deadline_local_date(int64_t time_us);

/* The date `days` days after (negative: before) a valid date. */
int32_t deadline_date_add(int32_t yyyymmdd, int32_t days);

/* Microseconds since the epoch of the local midnight that ends the valid date yyyymmdd
 * (= the start of the next day, UTC+8). */
int64_t deadline_end_of_day_us(int32_t yyyymmdd);

/* The n-th working day after the valid date `from` (from itself never counts: 次日起算).
 * n = 0 returns `from` itself. n must be 0..DEADLINE_LIMIT_MAX. */
int32_t deadline_add_working_days(int32_t from, int32_t n);

/* The due time of a limit that starts at accepted_at_us:
 *   working_days  end of the limit-th working day after the acceptance date; a limit of 0
 *                 (即办件) is due at the end of the acceptance day;
 *   natural_days  end of the date `limit` days after the acceptance date (0: that same day);
 *   *_hours       accepted_at_us + limit hours (simple addition until the calendar issue
 *                 gives working hours their own rule).
 * Returns 0 and sets *due_us, or -1 when limit is outside 0..DEADLINE_LIMIT_MAX (nothing is
 * written). */
int deadline_due_at(int64_t accepted_at_us, int32_t limit, deadline_unit_t unit, int64_t *due_us);

/* Working days left at now_us before due_at_us, in whole working days after today:
 *   before the due time: the working days after now's local date up to and including the
 *   last day of the limit (the date ending at due_at_us); 0 means "due by the end of today";
 *   at or after the due time: negative, minus the working days begun since the last day of
 *   the limit, and at least -1 (overdue on a weekend is still overdue).
 * Spans longer than 100 years are counted as 100 years. */
int32_t deadline_remaining_working_days(int64_t now_us, int64_t due_at_us);

#endif
