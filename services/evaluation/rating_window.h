/* rating_window — when a served case may be rated, and what happens when it is not
 * (DOMAIN.md §6), with no I/O. Periods are natural days counted from the decision (the
 * service is done then): the invitation after invite_after_days (default 3), late rating
 * until late_window_days (default 7), and at default_after_days (default 7) the default grade
 * 基本满意 (3), recorded as a default. All values are configuration (docs/configuration.md). */
#ifndef EVALUATION_RATING_WINDOW_H
#define EVALUATION_RATING_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_status.h"

#define RATING_DAY_US INT64_C(86400000000)

typedef struct {
    int invite_after_days;  /* evaluation.invite_after_days, default 3 */
    int late_window_days;   /* evaluation.late_window_days, default 7 */
    int default_after_days; /* evaluation.default_after_days, default 7 */
    int default_grade;      /* evaluation.default_grade, default 3 (基本满意) */
    bool default_enabled;   /* evaluation.default_enabled, default true */
} rating_window_t;

/* The shipped defaults of DOMAIN.md §6. */
rating_window_t rating_window_defaults(void);

/* Checks a policy: days 0..366, late window ≤ default day (a default must not pre-empt a
 * rating still allowed), invitation before the default, default grade 1–5. Adds one
 * violation per problem (fields named as the configuration keys) and returns -1, or 0. */
int rating_window_check_policy(const rating_window_t *w, ow_error_t *err);

/* Time (µs) the invitation is due / the late window closes / the default is recorded, for a
 * service decided at decided_us. */
int64_t rating_window_invite_at(const rating_window_t *w, int64_t decided_us);
int64_t rating_window_closes_at(const rating_window_t *w, int64_t decided_us);
int64_t rating_window_default_at(const rating_window_t *w, int64_t decided_us);

/* Whether a rating made at now_us of a service decided at decided_us is accepted: 0, or -1
 * with err FAILED_PRECONDITION naming the day the window closed. A service "that happened"
 * is one with a decision (the caller checks that; decided_us must be known). */
int rating_window_check(const rating_window_t *w, int64_t decided_us, int64_t now_us,
                        ow_error_t *err);

#endif
