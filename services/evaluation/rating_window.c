/* rating_window — see rating_window.h. */
#include "rating_window.h"

rating_window_t rating_window_defaults(void)
{
    /* DOMAIN.md §6: invitation after 3 days; late rating allowed, and after 7 natural days
     * without one the service counts as 基本满意, marked as a default. */
    rating_window_t w = {.invite_after_days = 3,
                         .late_window_days = 7,
                         .default_after_days = 7,
                         .default_grade = 3,
                         .default_enabled = true};
    return w;
}

int rating_window_check_policy(const rating_window_t *w, ow_error_t *err)
{
    int rc = 0;
    if (w->invite_after_days < 0 || w->invite_after_days > 366) {
        ow_error_add_violation(err, "evaluation.invite_after_days", "%d is not 0..366",
                               w->invite_after_days);
        rc = -1;
    }
    if (w->late_window_days < 0 || w->late_window_days > 366) {
        ow_error_add_violation(err, "evaluation.late_window_days", "%d is not 0..366",
                               w->late_window_days);
        rc = -1;
    }
    if (w->default_after_days < 1 || w->default_after_days > 366) {
        ow_error_add_violation(err, "evaluation.default_after_days", "%d is not 1..366",
                               w->default_after_days);
        rc = -1;
    }
    if (w->default_enabled && w->late_window_days > w->default_after_days) {
        ow_error_add_violation(err, "evaluation.late_window_days",
                               "%d is past the default on day %d: the default would take the "
                               "place of a rating still allowed",
                               w->late_window_days, w->default_after_days);
        rc = -1;
    }
    if (w->invite_after_days >= w->default_after_days) {
        ow_error_add_violation(err, "evaluation.invite_after_days",
                               "%d is not before the default on day %d", w->invite_after_days,
                               w->default_after_days);
        rc = -1;
    }
    if (w->default_grade < 1 || w->default_grade > 5) {
        ow_error_add_violation(err, "evaluation.default_grade", "%d is not a grade 1–5",
                               w->default_grade);
        rc = -1;
    }
    return rc;
}

int64_t rating_window_invite_at(const rating_window_t *w, int64_t decided_us)
{
    return decided_us + (int64_t)w->invite_after_days * RATING_DAY_US;
}

int64_t rating_window_closes_at(const rating_window_t *w, int64_t decided_us)
{
    return decided_us + (int64_t)w->late_window_days * RATING_DAY_US;
}

int64_t rating_window_default_at(const rating_window_t *w, int64_t decided_us)
{
    return decided_us + (int64_t)w->default_after_days * RATING_DAY_US;
}

int rating_window_check(const rating_window_t *w, int64_t decided_us, int64_t now_us,
                        ow_error_t *err)
{
    /* The window is half-open: at exactly decided + N days it has closed, which is also the
     * instant the default is recorded, so the two never both apply. */
    if (now_us >= rating_window_closes_at(w, decided_us)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "the rating window closed %d natural days after the decision "
                     "(DOMAIN.md §6: late rating is allowed for a period)",
                     w->late_window_days);
        return -1;
    }
    return 0;
}
