/* hall_policy — the thresholds of appointments and the hall queue (DOMAIN.md §3, all
 * configurable), read from the configuration (docs/configuration.md "intaked: appointments
 * and the hall queue"):
 *   intake.cancel_min_hours        2   cancel at least this long before the slot
 *   intake.no_show_grace_minutes   30  not arrived this long after the slot's start: no-show
 *   intake.no_show_limit           2   no-shows within the window that block booking
 *   intake.no_show_window_days     90
 *   intake.booking_block_months    3   calendar months from the no-show reaching the limit
 *   intake.queue_max_requeues      1   a missed ticket goes back to the queue this often,
 *                                      then it is void
 * Plain functions: no I/O. */
#ifndef INTAKE_HALL_POLICY_H
#define INTAKE_HALL_POLICY_H

#include "appointment_rules.h"
#include "ow_config.h"
#include "ow_status.h"

typedef struct {
    intake_appointment_policy_t appointments;
    int max_requeues;
} intake_hall_policy_t;

/* The DOMAIN.md defaults (appointment_rules.h) and one requeue. */
intake_hall_policy_t intake_hall_policy_default(void);

/* Reads the keys above over the defaults. Returns 0 with *out, or -1 with err listing every
 * bad key (not an integer, or outside its range: hours 0..168, minutes 1..1440, limit 0..100
 * (0 = never block), days 1..3660, months 1..120, requeues 0..10); *out is then unchanged. */
int intake_hall_policy_load(const ow_config_t *cfg, intake_hall_policy_t *out, ow_error_t *err);

#endif
