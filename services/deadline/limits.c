/* limits — see limits.h. */
#include "limits.h"

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
