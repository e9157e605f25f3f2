#include "correction.h"

#include "case_state.h"

#include <string.h>

static bool s_in(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], code) == 0)
            return true;
    return false;
}

int intake_correction_check(const char *const *outstanding, size_t n_outstanding,
                            const char *const *already_supplied, size_t n_already,
                            const char *const *supplied, size_t n_supplied, ow_error_t *err)
{
    int added = 0;
    if (n_supplied == 0) {
        ow_error_add_violation(err, "materials", "a correction supplies at least one material");
        return 1;
    }
    for (size_t i = 0; i < n_supplied; i++) {
        const char *code = supplied[i];
        if (s_in(code, supplied, i)) {
            ow_error_add_violation(err, "materials", "material '%s' is supplied twice", code);
            added++;
            continue;
        }
        if (s_in(code, outstanding, n_outstanding) || s_in(code, already_supplied, n_already))
            continue;
        /* DOMAIN §3: nothing may be asked for later that the notice did not list. */
        ow_error_add_violation(err, "materials",
                               "material '%s' was not listed by the one-time notice: only what "
                               "it listed can be corrected",
                               code);
        added++;
    }
    return added;
}

size_t intake_correction_remaining(const char *const *outstanding, size_t n_outstanding,
                                   const char *const *supplied, size_t n_supplied)
{
    size_t left = 0;
    for (size_t i = 0; i < n_outstanding; i++)
        if (!s_in(outstanding[i], supplied, n_supplied))
            left++;
    return left;
}

bool intake_art32_lapsed(int64_t notice_at_us, int64_t notice_due_us, int64_t now_us)
{
    if (notice_at_us != 0)
        return notice_at_us > notice_due_us;
    return now_us > notice_due_us;
}

int64_t intake_art32_accepted_at(int64_t received_at_us, int64_t notice_at_us,
                                 int64_t notice_due_us, int64_t complete_at_us)
{
    /* art. 32: "逾期不告知的，自收到申请材料之日起即为受理". */
    if (notice_at_us == 0 || notice_at_us > notice_due_us)
        return received_at_us;
    return complete_at_us < received_at_us ? received_at_us : complete_at_us;
}

bool intake_notice_duty_deems_accepted(int state)
{
    return state == INTAKE_STATE_RECEIVED;
}

bool intake_rongque_supply_missed(bool rongque, int state, size_t unsupplied)
{
    /* Open = it may still close as 13 办结（不通过）: accepted and not yet decided. */
    return rongque && unsupplied > 0 && intake_case_state_can_move(state, INTAKE_STATE_REFUSED);
}
