/* outcome — what the window decides on receipt of an application (DOMAIN.md §3, the table
 * of outcomes), and the contents of the written record each outcome gives:
 *
 *   accepted        materials complete and in legal form          → receipt, promised date
 *   decided on spot 即办件, complete                               → acceptance + decision
 *   one-time notice materials missing or defective                → EVERY problem listed once
 *   容缺 accepted   only 容缺-eligible materials missing, commitment → receipt + supply list
 *                   signed, supply deadline ≤ promised date, not 失信    + supply deadline
 *   not accepted    not within this centre's powers / not such a matter → reason + authority
 *   received        收件 only: the decision follows within 5 working days (art. 32) → state 1
 *
 * Plain functions: no I/O. The caller supplies the dates deadlined computed (promised due). */
#ifndef INTAKE_OUTCOME_H
#define INTAKE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalogue.h"
#include "ow_status.h"

#define INTAKE_OUTCOME_MAX_LISTED 64 /* materials on one notice or supply list */
#define INTAKE_REASON_MAX         256

typedef enum {
    INTAKE_OUTCOME_ACCEPTED = 1,    /* 受理 → state 3 */
    INTAKE_OUTCOME_DECIDED_ON_SPOT, /* 即办 → state 11 (受审合一) */
    INTAKE_OUTCOME_NOTICE,          /* 一次性告知 → state 6 补正开始 */
    INTAKE_OUTCOME_RONGQUE,         /* 容缺受理 → state 3, supply pending */
    INTAKE_OUTCOME_NOT_ACCEPTED,    /* 不予受理 → state 5 */
    INTAKE_OUTCOME_RECEIVED,        /* 收件 only → state 1, art. 32 duty watched */
} intake_outcome_t;

/* A material handed in but not in legal form, with why (clerk's finding). */
typedef struct {
    const char *code;
    const char *reason;
} intake_defect_t;

typedef struct {
    const intake_item_t *item;
    const char *const *handed_in; /* material codes (validated, on the item's list) */
    size_t handed_in_count;
    const intake_defect_t *defects; /* handed-in materials found defective */
    size_t defect_count;
    bool within_powers;      /* the item may be accepted at this centre */
    const char *refer_to;    /* when not within powers: the authority to go to */
    bool rongque_requested;  /* the applicant asks for 容缺受理 */
    bool commitment_signed;  /* 承诺书 signed */
    bool dishonest;          /* on the 失信 list */
    int64_t promised_due_us; /* when the promised limit ends if accepted now (deadlined) */
    int64_t supply_due_us;   /* requested 容缺 supply deadline */
    int64_t now_us;
    bool decide_later; /* 收件 only: no decision at the window (art. 32 gives 5 days) */
} intake_receipt_t;

/* One line of a notice or supply list. Strings borrow from the item or the defects. */
typedef struct {
    const char *code;
    const char *name;
    const char *why; /* "missing" or the defect's reason */
} intake_listed_t;

typedef struct {
    intake_outcome_t outcome;
    intake_listed_t listed[INTAKE_OUTCOME_MAX_LISTED]; /* notice: all; 容缺: to supply */
    size_t listed_count;
    char reason[INTAKE_REASON_MAX]; /* not accepted: why, and where to go */
} intake_decision_t;

/* Decides the outcome. Returns 0 with *out filled, or -1 when the applicant asked for 容缺
 * and may not have it: err then lists EVERY reason ("rongque" violations: a critical material
 * missing, no commitment, 失信, deadline past the promised date or in the past, a 即办件) so
 * the window can give a one-time notice instead; nothing is decided. With decide_later the
 * outcome is "received" (nothing examined yet), and -1 with a "decide_later" violation for each
 * finding that is itself a decision (容缺 asked for, defects found, outside the powers). */
int intake_outcome_decide(const intake_receipt_t *r, intake_decision_t *out, ow_error_t *err);

/* The state a new case takes for an outcome (3, 11, 6, 3, 5, 1). */
int intake_outcome_state(intake_outcome_t outcome);

/* "accepted", "decided_on_spot", "notice", "rongque", "not_accepted", "received". */
const char *intake_outcome_name(intake_outcome_t outcome);

#endif
