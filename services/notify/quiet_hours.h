/* quiet_hours — no SMS to applicants at night: by default none between 22:00 and 08:00 local
 * (China) time, except the messages a rule marks urgent (issue 7; configurable as
 * notify.sms_quiet_start / notify.sms_quiet_end, "HH:MM"). A message that falls in the quiet
 * hours is held until they end, not dropped (DOMAIN.md §8). Pure. */
#ifndef NOTIFY_QUIET_HOURS_H
#define NOTIFY_QUIET_HOURS_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct {
    int start_min; /* minutes after local midnight when the quiet begins */
    int end_min;   /* … and ends; start == end means no quiet hours */
} quiet_hours_t;

/* Parses "HH:MM" (00:00–23:59) into minutes after midnight. Returns 0, or -1 with err
 * INVALID_ARGUMENT naming `key`. */
int quiet_hours_parse(const char *key, const char *text, int *minutes, ow_error_t *err);

/* True when the local time of now_us is inside the quiet hours (start included, end not;
 * a window may span midnight). */
bool quiet_hours_contains(const quiet_hours_t *q, int64_t now_us);

/* The earliest time ≥ now_us when a message may be sent: now_us itself when urgent or outside
 * the quiet hours, else the (local) end of the quiet hours. */
int64_t quiet_hours_next_allowed(const quiet_hours_t *q, int64_t now_us, bool urgent);

#endif
