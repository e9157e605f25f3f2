/* workflow — what an item's workflow must be, and how a case moves through it (DOMAIN.md §4),
 * as plain functions. No I/O.
 *
 * A workflow is a sequence of stages (typically 受理 → 审查 → 决定 → 送达); each stage gives
 * one task to each of its departments (并联审批) and its mode says how their results make the
 * stage's (stage_mode.h). When a stage's result is known, its tasks still open are withdrawn
 * (会签 refusal, 或签 approval); an approved stage starts the next one; the case's outcome
 * follows from the stage results (case_outcome.h). */
#ifndef ROUTING_WORKFLOW_H
#define ROUTING_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include "case_outcome.h"
#include "ow_status.h"
#include "stage_mode.h"
#include "onewindow/v1/routing.pb-c.h"

#define ROUTING_WORKFLOW_STAGES_MAX   20
#define ROUTING_STAGE_DEPARTMENTS_MAX 20
#define ROUTING_STAGE_NAME_MAX        64 /* bytes of UTF-8 */
#define ROUTING_STAGE_LIMIT_MAX       365
#define ROUTING_WORKFLOW_VERSION_MAX  9999

/* Adds one violation per problem of wf to err, named by field (item_code, item_version,
 * stages, stages[i].name, stages[i].mode, stages[i].departments, stages[i].departments[j].
 * department_code / post_code, stages[i].limit_days): an item code, a version 0..9999, 1..20
 * stages with unique non-empty names, a known mode whose department count fits it (single
 * one, all/any at least two), departments not repeated within a stage, limits 0..365.
 * Whether the departments and posts exist is the store's to check. Returns the number of
 * violations added. */
int routing_workflow_check(const Onewindow__V1__Workflow *wf, ow_error_t *err);

/* The working days of a stage's own clock: its limit_days, or for 会签 without one the
 * co-signing default (DOMAIN §4: 7 working days, routing.cosign_working_days); 0 = none. */
int routing_stage_limit(routing_stage_mode_t mode, int limit_days, int cosign_days);

typedef enum {
    ROUTING_STEP_WAIT,               /* the stage still waits for a department */
    ROUTING_STEP_NEXT_STAGE,         /* the stage approved: start stage index + 1 */
    ROUTING_STEP_CASE_DECIDED,       /* the outcome is final (approved, 容缺 approved, refused) */
    ROUTING_STEP_AWAITING_MATERIALS, /* all approved but 容缺 materials still out (DOMAIN §3) */
} routing_step_kind_t;

typedef struct {
    routing_step_kind_t kind;
    routing_result_t stage_result;  /* of the stage just decided on */
    routing_case_outcome_t outcome; /* the case's, from every stage */
    bool withdraw_open;             /* the stage's result is known: its open tasks are cancelled */
} routing_step_t;

/* What follows a decision in stage `index` of n_stages: departments[0..n_departments) are
 * that stage's department results, earlier[0..index) the results of the stages before it
 * (all approved, or the case would not be here). rongque / materials_complete as in
 * routing_case_outcome. */
routing_step_t routing_workflow_step(routing_stage_mode_t mode, const routing_result_t *departments,
                                     size_t n_departments, const routing_result_t *earlier,
                                     size_t index, size_t n_stages, bool rongque,
                                     bool materials_complete);

#endif
