/* working_days — the arithmetic of time limits (限时办结), with no I/O.
 *
 * Statutory periods are counted in working days (行政许可法 art. 82, DOMAIN.md §5); some items
 * count natural days and some hotline-style tasks count hours. Counting starts the day after
 * the start (次日起算), and a limit of N days ends with the end of its last day: local
 * midnight (China time, UTC+8, no daylight saving) ending that day. Hour limits run from the
 * start instant; working hours count only the centre's working hours on working days.
 *
 * Which dates are working days, and the working hours, come from a calendar (calendar.h) for
 * one centre. Suspensions (art. 45: hearings, testing, expert review … do not count) are
 * intervals [from, to) of system time, sorted by `from` and not overlapping; an open one has
 * to = DEADLINE_NEVER. For day units a suspension takes out the dates from its start date up
 * to but not including its end date (the clock stops on the day it is suspended and counts
 * again from the day it resumes); for hour units exactly its time.
 *
 * Every function is pure: same arguments, same answer; no allocation, no clock. When a count
 * touched a year with no loaded calendar, frame->calendar_missing becomes true (DOMAIN §5:
 * computed on weekdays and flagged, never silently wrong). */
#ifndef DEADLINE_WORKING_DAYS_H
#define DEADLINE_WORKING_DAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "calendar.h"

/* Largest limit accepted in any unit: far beyond any legal ceiling (45 + 15 working days,
 * art. 42), small enough that day-by-day counting stays cheap. */
#define DEADLINE_LIMIT_MAX 10000

/* "Never": the due time of a limit that an open suspension holds. */
#define DEADLINE_NEVER INT64_MAX

typedef enum {
    DEADLINE_UNIT_WORKING_DAYS,
    DEADLINE_UNIT_NATURAL_DAYS,
    DEADLINE_UNIT_WORKING_HOURS,
    DEADLINE_UNIT_NATURAL_HOURS,
} deadline_unit_t;

typedef struct {
    int64_t from_us;
    int64_t to_us; /* DEADLINE_NEVER while open */
} deadline_span_t;

/* What a count is made against. All borrowed; spans may be NULL when span_count is 0. */
typedef struct {
    const deadline_calendar_t *cal;
    const char *centre_id; /* "" or NULL: the national calendar */
    const deadline_span_t *spans;
    size_t span_count;
    bool calendar_missing; /* out: set when an unknown year was used */
} deadline_frame_t;

/* Parses "working_days", "natural_days", "working_hours", "natural_hours". Returns 0 and sets
 * *out, or -1 when text is NULL or none of these (out is left unchanged). */
int deadline_unit_parse(const char *text, deadline_unit_t *out);

/* The text form of a unit, as stored and sent ("working_days"); never NULL. */
const char *deadline_unit_name(deadline_unit_t unit);

/* True for the two day units. */
bool deadline_unit_is_days(deadline_unit_t unit);

/* True when yyyymmdd is a valid Gregorian date (years 1900–9999). */
bool deadline_date_valid(int32_t yyyymmdd);

/* The local (UTC+8) date of a time in microseconds since the Unix epoch. */
int32_t deadline_local_date(int64_t time_us);

/* The date `days` days after (negative: before) a valid date. */
int32_t deadline_date_add(int32_t yyyymmdd, int32_t days);

/* Microseconds since the epoch of the local midnight that starts / ends the valid date. */
int64_t deadline_start_of_day_us(int32_t yyyymmdd);
int64_t deadline_end_of_day_us(int32_t yyyymmdd);

/* The working-day decision of the frame's calendar for its centre (sets calendar_missing). */
bool deadline_is_working_day(deadline_frame_t *f, int32_t yyyymmdd);

/* The n-th working day after the valid date `from` (from itself never counts: 次日起算),
 * ignoring suspensions. n = 0 returns `from` itself. n must be 0..DEADLINE_LIMIT_MAX. */
int32_t deadline_add_working_days(deadline_frame_t *f, int32_t from, int32_t n);

/* The due time of `amount` units starting at start_us, with the frame's suspensions left out:
 *   working_days  end of the amount-th counted working day after the start date; 0 (即办件)
 *                 is due at the end of the start date;
 *   natural_days  end of the amount-th counted date after the start date (0: that same day);
 *   working_hours the instant the amount-th working hour is used up;
 *   natural_hours the instant amount hours (not suspended) have passed.
 * DEADLINE_NEVER when an open suspension holds the count. Returns 0 and sets *due_us, or -1
 * when amount is outside 0..DEADLINE_LIMIT_MAX or the unit is unknown (nothing written). */
int deadline_due_at(deadline_frame_t *f, int64_t start_us, int32_t amount, deadline_unit_t unit,
                    int64_t *due_us);

/* Working days left at now_us before due_at_us, in whole working days after today:
 *   before the due time: the working days after now's local date up to and including the
 *   last day of the limit (the date ending at due_at_us); 0 means "due by the end of today";
 *   at or after the due time: negative, minus the working days begun since the last day of
 *   the limit, and at least -1 (overdue on a weekend is still overdue).
 * Suspensions are not looked at (a suspended clock asks as of its suspension). Spans longer
 * than 100 years are counted as 100 years. */
int32_t deadline_remaining_working_days(deadline_frame_t *f, int64_t now_us, int64_t due_at_us);

/* Working hours (the centre's, on working days, suspensions left out) between now_us and
 * due_at_us, in hours; negative (the working hours passed since) once overdue. Bounded to
 * 100 years either way. */
double deadline_remaining_working_hours(deadline_frame_t *f, int64_t now_us, int64_t due_at_us);

/* Working days counted from start_us to end_us (dates after the start date up to and
 * including end's date, suspended dates left out): what a decided case used (supervision
 * statistics, DOMAIN §5). 0 when end is not after start. */
int32_t deadline_working_days_used(deadline_frame_t *f, int64_t start_us, int64_t end_us);

#endif
