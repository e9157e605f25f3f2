/* calendar — which dates are working days, and the working hours of each centre (DOMAIN.md §5).
 *
 * The State Council sets each year's calendar (usually in November): statutory days off, and
 * weekend days that are worked instead (调休). A plain Monday–Friday rule gets those wrong, so
 * the calendar is data: one year record per scope, the scope being the whole country ("") or
 * one centre's 12-digit area code. A centre's record overrides the national one for the dates
 * it lists (a local holiday, an extra working Saturday); every other date follows the national
 * record. A date of a year with no national record is decided Monday–Friday and FLAGGED
 * (*missing = true): a limit running into an unknown year is never silently wrong.
 *
 * Working hours (for limits counted in working hours) default to 9:00–12:00 and 13:30–17:30,
 * and may be set per centre.
 *
 * Records are loaded from JSON text (the files in services/deadline/calendars/, or what an
 * operator sends with deadline.load_calendar):
 *   {"year": 2026, "centre_id": "" (optional), "days_off": ["2026-01-01", …],
 *    "working_days": ["2026-01-04", …],
 *    "working_hours": [["09:00","12:00"], ["13:30","17:30"]] (optional, centres only)}
 *
 * Pure: no I/O, no clock. Dates are local (UTC+8) calendar dates written yyyymmdd. */
#ifndef DEADLINE_CALENDAR_H
#define DEADLINE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define CALENDAR_CENTRE_MAX 12 /* 12-digit area code (DOMAIN.md §1) */
#define CALENDAR_HOURS_MAX  4  /* working-hour intervals per day */
#define CALENDAR_JSON_MAX   65536

typedef struct deadline_calendar deadline_calendar_t;

/* A working-hours interval in minutes after local midnight: [from_min, to_min). */
typedef struct {
    int from_min;
    int to_min;
} calendar_hours_t;

/* An empty calendar: no year known (every date falls back to Monday–Friday, flagged), default
 * working hours. Returns NULL when out of memory. The caller owns it. */
deadline_calendar_t *deadline_calendar_new(void);

/* Frees it; sets *self_p to NULL; harmless when already NULL. */
void deadline_calendar_destroy(deadline_calendar_t **self_p);

/* A deep copy (for swapping in a reloaded calendar); NULL when out of memory. */
deadline_calendar_t *deadline_calendar_dup(const deadline_calendar_t *self);

/* Parses one record and replaces that scope's year (and, when given, its working hours).
 * Every problem is reported at once as INVALID_ARGUMENT violations: not JSON, year outside
 * 1900..9999, a date that is not YYYY-MM-DD, not in the year, or listed twice or in both lists,
 * a centre id longer than 12 characters, hours not HH:MM ascending and non-overlapping, or
 * working_hours on the national record. On error the calendar is unchanged. On success sets
 * *year_out and *centre_out (may be NULL; at least CALENDAR_CENTRE_MAX + 1 bytes). */
int deadline_calendar_load_json(deadline_calendar_t *self, const char *json, size_t len,
                                int *year_out, char *centre_out, ow_error_t *err);

/* True when the national calendar of `year` is loaded. */
bool deadline_calendar_has_year(const deadline_calendar_t *self, int year);

/* THE working-day decision for a centre ("" or NULL = national only): the centre's record for
 * that date if it lists it, else the national record, else Monday–Friday with *missing set to
 * true (missing may be NULL; it is never cleared). An invalid date is not a working day. */
bool deadline_calendar_is_working_day(const deadline_calendar_t *self, const char *centre_id,
                                      int32_t yyyymmdd, bool *missing);

/* The centre's working hours (its own if set, else the default 9:00–12:00, 13:30–17:30).
 * Returns the number of intervals and points *out at them (owned by the calendar). */
size_t deadline_calendar_hours(const deadline_calendar_t *self, const char *centre_id,
                               const calendar_hours_t **out);

#endif
