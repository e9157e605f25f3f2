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

/* The state a case.decided outcome moves the case to: "approved" → 11, "refused" → 13;
 * -1 for any other outcome. */
int intake_case_state_for_outcome(const char *outcome);

#endif
