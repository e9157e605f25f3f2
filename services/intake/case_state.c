#include "case_state.h"

#include <stddef.h>
#include <string.h>

static const char *const s_names[16] = {
    [INTAKE_STATE_RECEIVED] = "已接件",
    [INTAKE_STATE_RECEIPT_WITHDRAWN] = "已撤件",
    [INTAKE_STATE_ACCEPTED] = "已受理",
    [INTAKE_STATE_NOT_ACCEPTED] = "不受理",
    [INTAKE_STATE_REJECTED] = "不予受理",
    [INTAKE_STATE_CORRECTION_STARTED] = "补正开始",
    [INTAKE_STATE_CORRECTION_ENDED] = "补正结束",
    [INTAKE_STATE_IN_DEPARTMENT] = "部门开始办理",
    [INTAKE_STATE_SPECIAL_STARTED] = "特别程序开始",
    [INTAKE_STATE_SPECIAL_ENDED] = "特别程序结束",
    [INTAKE_STATE_APPROVED] = "办结（通过）",
    [INTAKE_STATE_APPROVED_WITH_GAPS] = "办结（容缺通过）",
    [INTAKE_STATE_REFUSED] = "办结（不通过）",
    [INTAKE_STATE_WITHDRAWN] = "撤回",
    [INTAKE_STATE_REVOKED] = "撤销",
};

const char *intake_case_state_name(int state)
{
    if (state < 1 || state > 15)
        return NULL;
    return s_names[state];
}

bool intake_case_state_is_final(int state)
{
    switch (state) {
    case INTAKE_STATE_RECEIPT_WITHDRAWN:
    case INTAKE_STATE_NOT_ACCEPTED:
    case INTAKE_STATE_REJECTED:
    case INTAKE_STATE_APPROVED:
    case INTAKE_STATE_APPROVED_WITH_GAPS:
    case INTAKE_STATE_REFUSED:
    case INTAKE_STATE_WITHDRAWN:
    case INTAKE_STATE_REVOKED:
        return true;
    default:
        return false;
    }
}

bool intake_case_state_decidable(int state)
{
    switch (state) {
    case INTAKE_STATE_ACCEPTED:
    case INTAKE_STATE_CORRECTION_STARTED:
    case INTAKE_STATE_CORRECTION_ENDED:
    case INTAKE_STATE_IN_DEPARTMENT:
    case INTAKE_STATE_SPECIAL_STARTED:
    case INTAKE_STATE_SPECIAL_ENDED:
        return true;
    default:
        return false;
    }
}

int intake_case_state_decided(const char *outcome, int state)
{
    if (!outcome)
        return -1;
    /* DOMAIN §3: 12 办结（容缺通过） is an approval issued after the 容缺 materials arrived. */
    if (strcmp(outcome, "approved") == 0 &&
        (state == INTAKE_STATE_APPROVED || state == INTAKE_STATE_APPROVED_WITH_GAPS))
        return state;
    if (strcmp(outcome, "refused") == 0 && state == INTAKE_STATE_REFUSED)
        return state;
    return -1;
}

bool intake_case_state_can_move(int from, int to)
{
    if (from < 1 || from > 15 || to < 1 || to > 15)
        return false;
    /* One bit per allowed target state, indexed by the source state (see case_state.h). */
    static const unsigned s_moves[16] = {
        [INTAKE_STATE_RECEIVED] = 1u << 2 | 1u << 3 | 1u << 5 | 1u << 6 | 1u << 11,
        [INTAKE_STATE_CORRECTION_STARTED] = 1u << 7 | 1u << 2 | 1u << 3,
        [INTAKE_STATE_CORRECTION_ENDED] = 1u << 3,
        [INTAKE_STATE_ACCEPTED] = 1u << 8 | 1u << 9 | 1u << 11 | 1u << 12 | 1u << 13 | 1u << 14,
        [INTAKE_STATE_IN_DEPARTMENT] = 1u << 9 | 1u << 11 | 1u << 12 | 1u << 13 | 1u << 14,
        [INTAKE_STATE_SPECIAL_STARTED] = 1u << 10 | 1u << 14,
        [INTAKE_STATE_SPECIAL_ENDED] = 1u << 8 | 1u << 11 | 1u << 12 | 1u << 13 | 1u << 14,
        [INTAKE_STATE_APPROVED] = 1u << 15,
        [INTAKE_STATE_APPROVED_WITH_GAPS] = 1u << 15,
    };
    return (s_moves[from] >> to) & 1u;
}

int intake_case_state_withdrawn(int state)
{
    switch (state) {
    case INTAKE_STATE_RECEIVED:
    case INTAKE_STATE_CORRECTION_STARTED:
        /* Not yet accepted: the application is taken back (已撤件). */
        return INTAKE_STATE_RECEIPT_WITHDRAWN;
    case INTAKE_STATE_ACCEPTED:
    case INTAKE_STATE_IN_DEPARTMENT:
    case INTAKE_STATE_SPECIAL_STARTED:
    case INTAKE_STATE_SPECIAL_ENDED:
        return INTAKE_STATE_WITHDRAWN; /* DOMAIN §3: withdrawal before a decision */
    default:
        return -1;
    }
}
