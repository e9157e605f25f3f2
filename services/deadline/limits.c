/* limits — see limits.h. */
#include "limits.h"

#include <string.h>

int32_t deadline_yellow_used(int32_t limit, deadline_unit_t unit, const deadline_thresholds_t *t)
{
    if (limit <= 0)
        return -1;
    int32_t by_amount = limit - (deadline_unit_is_days(unit) ? t->days : t->hours);
    int32_t by_percent = (int32_t)((int64_t)limit * (100 - t->percent) / 100);
    int32_t used = by_amount < by_percent ? by_amount : by_percent;
    return used < 0 ? 0 : used;
}

int deadline_extension_check(int32_t already, int32_t extra, bool joint, const char *approved_by,
                             deadline_unit_t unit, ow_error_t *err)
{
    int32_t ceiling = joint ? DEADLINE_EXTENSION_JOINT_MAX : DEADLINE_EXTENSION_MAX;
    if (extra < 1 || extra > ceiling)
        ow_error_add_violation(err, "extra_working_days", "%d is outside 1..%d (art. 42%s)",
                               (int)extra, (int)ceiling, joint ? ", joint handling" : "");
    else if (already + extra > ceiling)
        ow_error_add_violation(err, "extra_working_days",
                               "%d more on top of %d already granted exceeds the ceiling of %d "
                               "(art. 42)",
                               (int)extra, (int)already, (int)ceiling);
    if (!approved_by || !*approved_by)
        ow_error_add_violation(err, "approved_by",
                               "is empty: an extension needs the recorded approval of the head");
    if (unit != DEADLINE_UNIT_WORKING_DAYS)
        ow_error_add_violation(err, "unit", "%s limits are not extended in working days",
                               deadline_unit_name(unit));
    return ow_error_finish_violations(err);
}

static const char *const s_card_names[] = {"none", "yellow", "red"};

const char *deadline_card_name(deadline_card_t card)
{
    return card >= DEADLINE_CARD_NONE && card <= DEADLINE_CARD_RED ? s_card_names[card] : "none";
}

int deadline_card_parse(const char *text, deadline_card_t *out)
{
    for (int i = DEADLINE_CARD_NONE; text && i <= DEADLINE_CARD_RED; i++)
        if (strcmp(text, s_card_names[i]) == 0) {
            *out = (deadline_card_t)i;
            return 0;
        }
    return -1;
}

int deadline_limit_times(deadline_frame_t *f, int64_t start_us, int32_t limit, int32_t extension,
                         deadline_unit_t unit, const deadline_thresholds_t *t,
                         deadline_times_t *out)
{
    int64_t total = (int64_t)limit + extension;
    if (limit < 0 || extension < 0 || total > DEADLINE_LIMIT_MAX)
        return -1;
    deadline_times_t times = {.yellow_at_us = DEADLINE_NEVER};
    if (deadline_due_at(f, start_us, (int32_t)total, unit, &times.due_at_us) != 0)
        return -1;
    /* DOMAIN §5: yellow when 1 working day or 20 % is left, whichever comes first. */
    int32_t used = deadline_yellow_used((int32_t)total, unit, t);
    if (used >= 0 && deadline_due_at(f, start_us, used, unit, &times.yellow_at_us) != 0)
        return -1;
    *out = times;
    return 0;
}

deadline_card_t deadline_card_at(const deadline_times_t *times, int64_t now_us)
{
    if (now_us >= times->due_at_us)
        return DEADLINE_CARD_RED;
    if (now_us >= times->yellow_at_us)
        return DEADLINE_CARD_YELLOW;
    return DEADLINE_CARD_NONE;
}

int64_t deadline_card_next(const deadline_times_t *times, deadline_card_t card)
{
    switch (card) {
    case DEADLINE_CARD_NONE:
        /* A yellow time equal to the due time is skipped: the red card says it all. */
        return times->yellow_at_us < times->due_at_us ? times->yellow_at_us : times->due_at_us;
    case DEADLINE_CARD_YELLOW:
        return times->due_at_us;
    default:
        return DEADLINE_NEVER;
    }
}
