/* case_outcome — the case's outcome from its stages' results (DOMAIN.md §3 and §4), as a
 * plain function. No I/O.
 *
 *   any stage refused                        → refused, state 13 办结（不通过）
 *   every stage approved, no 容缺 gaps        → approved, state 11 办结（通过）
 *   every stage approved, 容缺 materials in   → approved_after_supply, 12 办结（容缺通过）
 *   every stage approved, 容缺 materials out  → awaiting_materials: DOMAIN §3 — the decision
 *                                              is issued only after all materials are in
 *   otherwise                                → pending (a stage is still open)
 *
 * and what intake's later news does to it: the 容缺 supply completing turns awaiting_materials
 * into approved_after_supply (the decision is issued then); the supply deadline lapsing
 * (intake terminates the case, 13) turns anything undecided into terminated, and the
 * applicant's withdrawal (撤回, 14) into withdrawn: routing never decides either again. */
#ifndef ROUTING_CASE_OUTCOME_H
#define ROUTING_CASE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include "stage_mode.h"

typedef enum {
    ROUTING_CASE_PENDING,
    ROUTING_CASE_APPROVED,
    ROUTING_CASE_APPROVED_AFTER_SUPPLY, /* 容缺通过 */
    ROUTING_CASE_AWAITING_MATERIALS,
    ROUTING_CASE_REFUSED,
    ROUTING_CASE_TERMINATED, /* intake closed it: the 容缺 supply deadline lapsed */
    ROUTING_CASE_WITHDRAWN,  /* intake closed it: the applicant withdrew (撤回) */
} routing_case_outcome_t;

/* The stored name: "pending", "approved", "approved_after_supply", "awaiting_materials",
 * "refused", "terminated", "withdrawn". */
const char *routing_case_outcome_name(routing_case_outcome_t outcome);

/* The CaseDecided.outcome of a final outcome: "approved" (state 11, and 12 after the 容缺
 * materials — the state tells them apart) or "refused"; NULL for the others. */
const char *routing_case_outcome_decided(routing_case_outcome_t outcome);

/* The outcome once intake says the 容缺 materials are all in: awaiting_materials →
 * approved_after_supply; every other outcome is unchanged (a later approval finds the supply
 * complete through routing_case_outcome). */
routing_case_outcome_t routing_case_outcome_on_supply(routing_case_outcome_t outcome);

/* The outcome once intake terminated the case (容缺 supply deadline missed): pending and
 * awaiting_materials → terminated; a final outcome stays. */
routing_case_outcome_t routing_case_outcome_on_termination(routing_case_outcome_t outcome);

/* The outcome once the applicant withdrew the case (撤回, DOMAIN §3: allowed before a
 * decision): pending and awaiting_materials → withdrawn; a final outcome stays (routing
 * decided first; intake has the last word on the case's state). */
routing_case_outcome_t routing_case_outcome_on_withdrawal(routing_case_outcome_t outcome);

/* The national case-state code of a final outcome (11, 12, 13), 0 for the others. */
int routing_case_outcome_state(routing_case_outcome_t outcome);

/* True for approved, approved_after_supply and refused: the case is decided (by routing). */
bool routing_case_outcome_final(routing_case_outcome_t outcome);

/* The outcome from stages[0..n) in workflow order. rongque: the case was accepted under
 * 容缺受理; materials_complete: every missing material has since arrived. n == 0 is
 * pending (a case without stages is never decided by routing). */
routing_case_outcome_t routing_case_outcome(const routing_result_t *stages, size_t n, bool rongque,
                                            bool materials_complete);

#endif
