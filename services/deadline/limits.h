/* limits — the rules around a limit that are not calendar arithmetic (DOMAIN.md §5): when the
 * yellow card falls, and how far a limit may be extended. Pure: no I/O. */
#ifndef DEADLINE_LIMITS_H
#define DEADLINE_LIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_status.h"
#include "working_days.h"

/* Art. 42: 20 working days + 10 by the department head; joint or centralised handling 45 + 15
 * with the county government's approval. */
#define DEADLINE_EXTENSION_MAX       10
#define DEADLINE_EXTENSION_JOINT_MAX 15

/* The yellow threshold. No national threshold exists; DOMAIN §5 default: 1 working day or
 * 20 % of the limit left, whichever comes first. For hour limits the "1 day" becomes
 * yellow_hours (default 1). */
typedef struct {
    int32_t days;
    int32_t hours;
    int32_t percent;
} deadline_thresholds_t;

#define DEADLINE_THRESHOLDS_DEFAULT                                                                \
    {                                                                                              \
        1, 1, 20                                                                                   \
    }

/* How many units of the limit are used when the yellow card falls: the smaller of
 * limit − threshold and limit × (100 − percent) / 100 (rounded down), at least 0. Returns -1
 * when no yellow card applies (a 0 limit: 即办件 are due at once). */
int32_t deadline_yellow_used(int32_t limit, deadline_unit_t unit, const deadline_thresholds_t *t);

/* Checks an approved extension against the ceilings (art. 42): extra must be 1..ceiling,
 * already + extra must not exceed the ceiling (10, or 15 for joint handling), the approval must
 * be recorded (approved_by not empty), and only working-day limits are extended. Every problem
 * at once as INVALID_ARGUMENT violations; 0 when allowed. */
int deadline_extension_check(int32_t already, int32_t extra, bool joint, const char *approved_by,
                             deadline_unit_t unit, ow_error_t *err);

#endif
