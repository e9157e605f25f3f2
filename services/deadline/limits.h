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

/* The card a clock shows (DOMAIN §5): none, then yellow when the limit is close, then red
 * once it is passed. Ordered: a later card is a larger value. */
typedef enum {
    DEADLINE_CARD_NONE,
    DEADLINE_CARD_YELLOW,
    DEADLINE_CARD_RED,
} deadline_card_t;

/* "none", "yellow", "red"; never NULL. */
const char *deadline_card_name(deadline_card_t card);

/* Parses a card name; returns 0 and sets *out, or -1 (out unchanged). */
int deadline_card_parse(const char *text, deadline_card_t *out);

/* The times of one limit: its due time and when its yellow card falls. */
typedef struct {
    int64_t due_at_us;
    int64_t yellow_at_us; /* DEADLINE_NEVER when no yellow card applies (a 0 limit) */
} deadline_times_t;

/* The due and yellow times of `limit` + `extension` units from start_us under the frame
 * (its calendar, centre and suspensions): an extension lengthens the limit (art. 42) and the
 * yellow threshold applies to the lengthened one. While the frame has an open suspension
 * both are DEADLINE_NEVER. Returns 0, or -1 when the total is outside 0..DEADLINE_LIMIT_MAX
 * (out unchanged). Pure. */
int deadline_limit_times(deadline_frame_t *f, int64_t start_us, int32_t limit, int32_t extension,
                         deadline_unit_t unit, const deadline_thresholds_t *t,
                         deadline_times_t *out);

/* The card a running clock should show at now_us: red at or after the due time, yellow at or
 * after the yellow time, else none. Pure. */
deadline_card_t deadline_card_at(const deadline_times_t *times, int64_t now_us);

/* The next instant at which a running clock showing `card` must change card (the yellow
 * time, then the due time), or DEADLINE_NEVER once red. Pure. */
int64_t deadline_card_next(const deadline_times_t *times, deadline_card_t card);

#endif
