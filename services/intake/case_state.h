/* case_state — the national case-state codes (DOMAIN.md §3) and which moves between them
 * intake allows. The codes are data that integrators and the provincial platform read, so
 * they are kept as numbers; migrations/0002_cases.sql holds the same names.
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_CASE_STATE_H
#define INTAKE_CASE_STATE_H

#include <stdbool.h>

enum {
    INTAKE_STATE_RECEIVED = 1,            /* 已接件 */
    INTAKE_STATE_RECEIPT_WITHDRAWN = 2,   /* 已撤件 */
    INTAKE_STATE_ACCEPTED = 3,            /* 已受理 */
    INTAKE_STATE_NOT_ACCEPTED = 4,        /* 不受理 */
    INTAKE_STATE_REJECTED = 5,            /* 不予受理 */
    INTAKE_STATE_CORRECTION_STARTED = 6,  /* 补正开始 */
    INTAKE_STATE_CORRECTION_ENDED = 7,    /* 补正结束 */
    INTAKE_STATE_IN_DEPARTMENT = 8,       /* 部门开始办理 */
    INTAKE_STATE_SPECIAL_STARTED = 9,     /* 特别程序开始 */
    INTAKE_STATE_SPECIAL_ENDED = 10,      /* 特别程序结束 */
    INTAKE_STATE_APPROVED = 11,           /* 办结（通过） */
    INTAKE_STATE_APPROVED_WITH_GAPS = 12, /* 办结（容缺通过） */
    INTAKE_STATE_REFUSED = 13,            /* 办结（不通过） */
    INTAKE_STATE_WITHDRAWN = 14,          /* 撤回 */
    INTAKE_STATE_REVOKED = 15,            /* 撤销 */
};

/* The Chinese name of a state code ("已受理"), or NULL outside 1–15. */
const char *intake_case_state_name(int state);

/* True for states after which nothing more happens to the case (办结, 撤回, 撤销, refusals
 * at the door). */
bool intake_case_state_is_final(int state);

/* True when a department's decision may close a case in this state: it was accepted and is
 * not closed (a correction or a special procedure in progress does not stop a decision). */
bool intake_case_state_decidable(int state);

/* The state a case.decided event moves the case to, routing's decision as it stands:
 * "approved" with 11 办结（通过） or 12 办结（容缺通过）, "refused" with 13 → that state; -1 for
 * any other pair (an outcome and a state that disagree). */
int intake_case_state_decided(const char *outcome, int state);

/* True when a case may move from state `from` to state `to` (both 1–15). The moves, and the
 * rule each encodes (DOMAIN.md §3, §4):
 *   1 已接件      → 2 (taken back before acceptance), 3, 5, 6 (one-time notice), 11 (即办)
 *   6 补正开始    → 7 (materials complete), 2 (taken back), 3 (art. 32 duty lapsed: deemed
 *                   accepted on receipt)
 *   7 补正结束    → 3 (accepted on the day the materials became complete)
 *   3 已受理      → 8, 9, 11, 12, 13, 14
 *   8 部门开始办理 → 9, 11, 12, 13, 14
 *   9 特别程序开始 → 10, 14;   10 特别程序结束 → 8, 11, 12, 13, 14
 *   11, 12        → 15 (撤销: a false promise found by the post-approval check)
 * Withdrawal (14 撤回) is allowed before a decision; 4 不受理 is a province's code for a
 * refusal before receipt and is never entered here. Nothing leaves 2, 4, 5, 13, 14, 15. */
bool intake_case_state_can_move(int from, int to);

/* The state a withdrawal moves a case to: 2 已撤件 before acceptance (1, 6), 14 撤回 after
 * acceptance and before a decision; -1 when it may not be withdrawn (decided or closed). */
int intake_case_state_withdrawn(int state);

#endif
