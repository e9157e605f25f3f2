#include "extension.h"

int routing_extension_ceiling(bool joint_handling)
{
    return joint_handling ? ROUTING_JOINT_EXTENSION_MAX_DAYS : ROUTING_EXTENSION_MAX_DAYS;
}

int routing_extension_check(bool joint_handling, int granted_days, int extra_days,
                            const char *reason, ow_error_t *err)
{
    int added = 0;
    int ceiling = routing_extension_ceiling(joint_handling);
    int left = ceiling - (granted_days > 0 ? granted_days : 0);
    if (left < 0)
        left = 0;
    if (extra_days < 1) {
        ow_error_add_violation(err, "extra_working_days", "must be at least 1");
        added++;
    } else if (extra_days > left) {
        ow_error_add_violation(err, "extra_working_days",
                               "art. 42 allows at most %d extra working days%s; %d already "
                               "granted, %d left",
                               ceiling, joint_handling ? " for joint handling" : "", granted_days,
                               left);
        added++;
    }
    if (!reason || !*reason) {
        ow_error_add_violation(err, "reason", "is missing: the applicant is told why");
        added++;
    }
    return added;
}
