/* hall_policy — see hall_policy.h. */
#include "hall_policy.h"

intake_hall_policy_t intake_hall_policy_default(void)
{
    return (intake_hall_policy_t){.appointments = intake_appointment_policy_default(),
                                  .max_requeues = 1};
}

/* Reads one integer key within [lo, hi] into *v; a bad value becomes a violation named after
 * the key. */
static void s_int(const ow_config_t *cfg, const char *key, long lo, long hi, long *v,
                  ow_error_t *err)
{
    long out = 0;
    ow_error_t one;
    ow_error_clear(&one);
    if (ow_config_get_int(cfg, key, *v, &out, &one) != 0)
        ow_error_add_violation(err, key, "is not an integer");
    else if (out < lo || out > hi)
        ow_error_add_violation(err, key, "%ld is not %ld..%ld", out, lo, hi);
    else
        *v = out;
}

int intake_hall_policy_load(const ow_config_t *cfg, intake_hall_policy_t *out, ow_error_t *err)
{
    intake_hall_policy_t p = intake_hall_policy_default();
    long cancel_h = p.appointments.cancel_before_s / 3600;
    long grace_min = p.appointments.no_show_after_s / 60;
    long limit = p.appointments.no_show_limit;
    long window_d = p.appointments.no_show_window_s / 86400;
    long months = p.appointments.block_months;
    long requeues = p.max_requeues;
    s_int(cfg, "intake.cancel_min_hours", 0, 168, &cancel_h, err);
    s_int(cfg, "intake.no_show_grace_minutes", 1, 1440, &grace_min, err);
    s_int(cfg, "intake.no_show_limit", 0, 100, &limit, err);
    s_int(cfg, "intake.no_show_window_days", 1, 3660, &window_d, err);
    s_int(cfg, "intake.booking_block_months", 1, 120, &months, err);
    s_int(cfg, "intake.queue_max_requeues", 0, 10, &requeues, err);
    if (ow_error_finish_violations(err) != 0)
        return -1;
    p.appointments.cancel_before_s = cancel_h * 3600;
    p.appointments.no_show_after_s = grace_min * 60;
    p.appointments.no_show_limit = (int)limit;
    p.appointments.no_show_window_s = window_d * 86400;
    p.appointments.block_months = (int)months;
    p.max_requeues = (int)requeues;
    *out = p;
    return 0;
}
