#include "workflow.h"

#include <stdio.h>
#include <string.h>
#include "decision.h"
#include "ow_text.h"

int routing_workflow_check(const Onewindow__V1__Workflow *wf, ow_error_t *err)
{
    int n = 0;
    if (!routing_id_valid(wf->item_code)) {
        ow_error_add_violation(err, "item_code",
                               "must be an item code (1-%d letters, digits, '-', '_' or '.')",
                               ROUTING_ID_MAX);
        n++;
    }
    if (wf->item_version < 0 || wf->item_version > ROUTING_WORKFLOW_VERSION_MAX) {
        ow_error_add_violation(err, "item_version", "must be 0 (every version) to %d",
                               ROUTING_WORKFLOW_VERSION_MAX);
        n++;
    }
    if (wf->n_stages < 1 || wf->n_stages > ROUTING_WORKFLOW_STAGES_MAX) {
        ow_error_add_violation(err, "stages", "a workflow has 1 to %d stages, not %zu",
                               ROUTING_WORKFLOW_STAGES_MAX, wf->n_stages);
        n++;
    }
    for (size_t i = 0; i < wf->n_stages && i < ROUTING_WORKFLOW_STAGES_MAX; i++) {
        const Onewindow__V1__WorkflowStage *s = wf->stages[i];
        char field[96];
        snprintf(field, sizeof field, "stages[%zu].name", i);
        if (!s->name[0] || !ow_text_valid(s->name, ROUTING_STAGE_NAME_MAX)) {
            ow_error_add_violation(err, field, "must be 1-%d bytes of UTF-8",
                                   ROUTING_STAGE_NAME_MAX);
            n++;
        }
        /* Tasks and the stage clocks are keyed by the stage's name. */
        for (size_t j = 0; j < i; j++)
            if (s->name[0] && strcmp(s->name, wf->stages[j]->name) == 0) {
                ow_error_add_violation(err, field, "'%s' is also stage %zu's name", s->name, j);
                n++;
                break;
            }
        routing_stage_mode_t mode = ROUTING_MODE_SINGLE;
        bool mode_ok = routing_stage_mode_parse(s->mode, &mode);
        snprintf(field, sizeof field, "stages[%zu].mode", i);
        if (!mode_ok) {
            ow_error_add_violation(err, field, "must be single, all (会签) or any (或签)");
            n++;
        }
        snprintf(field, sizeof field, "stages[%zu].departments", i);
        if (s->n_departments > ROUTING_STAGE_DEPARTMENTS_MAX ||
            (mode_ok && !routing_stage_mode_fits(mode, s->n_departments))) {
            ow_error_add_violation(err, field,
                                   "%zu departments do not fit mode %s (single: 1; all, any: "
                                   "2 to %d)",
                                   s->n_departments, mode_ok ? s->mode : "?",
                                   ROUTING_STAGE_DEPARTMENTS_MAX);
            n++;
        }
        for (size_t d = 0; d < s->n_departments && d < ROUTING_STAGE_DEPARTMENTS_MAX; d++) {
            const Onewindow__V1__WorkflowDepartment *dep = s->departments[d];
            snprintf(field, sizeof field, "stages[%zu].departments[%zu].department_code", i, d);
            if (!routing_id_valid(dep->department_code)) {
                ow_error_add_violation(err, field, "must be a department code");
                n++;
            }
            for (size_t e = 0; e < d; e++)
                if (strcmp(dep->department_code, s->departments[e]->department_code) == 0) {
                    /* One task per department and stage (UNIQUE (case_no, stage, dept)). */
                    ow_error_add_violation(err, field, "is already departments[%zu]", e);
                    n++;
                    break;
                }
            snprintf(field, sizeof field, "stages[%zu].departments[%zu].post_code", i, d);
            if (dep->post_code[0] && !routing_id_valid(dep->post_code)) {
                ow_error_add_violation(err, field, "must be a post code or empty");
                n++;
            }
        }
        snprintf(field, sizeof field, "stages[%zu].limit_days", i);
        if (s->limit_days < 0 || s->limit_days > ROUTING_STAGE_LIMIT_MAX) {
            ow_error_add_violation(err, field, "must be 0 (default) to %d working days",
                                   ROUTING_STAGE_LIMIT_MAX);
            n++;
        }
    }
    return n;
}

int routing_stage_limit(routing_stage_mode_t mode, int limit_days, int cosign_days)
{
    if (limit_days > 0)
        return limit_days;
    /* DOMAIN §4: co-signing departments answer within 7 working days by default. */
    return mode == ROUTING_MODE_ALL ? cosign_days : 0;
}

routing_step_t routing_workflow_step(routing_stage_mode_t mode, const routing_result_t *departments,
                                     size_t n_departments, const routing_result_t *earlier,
                                     size_t index, size_t n_stages, bool rongque,
                                     bool materials_complete)
{
    routing_step_t step = {.kind = ROUTING_STEP_WAIT,
                           .stage_result = ROUTING_RESULT_PENDING,
                           .outcome = ROUTING_CASE_PENDING,
                           .withdraw_open = false};
    step.stage_result = routing_stage_result(mode, departments, n_departments);
    if (step.stage_result == ROUTING_RESULT_PENDING || index >= n_stages ||
        n_stages > ROUTING_WORKFLOW_STAGES_MAX)
        return step;
    step.withdraw_open = true;
    routing_result_t stages[ROUTING_WORKFLOW_STAGES_MAX];
    for (size_t i = 0; i < n_stages; i++)
        stages[i] = i < index ? earlier[i] : ROUTING_RESULT_PENDING;
    stages[index] = step.stage_result;
    step.outcome = routing_case_outcome(stages, n_stages, rongque, materials_complete);
    if (routing_case_outcome_final(step.outcome))
        step.kind = ROUTING_STEP_CASE_DECIDED;
    else if (step.outcome == ROUTING_CASE_AWAITING_MATERIALS)
        step.kind = ROUTING_STEP_AWAITING_MATERIALS;
    else if (step.stage_result == ROUTING_RESULT_APPROVED && index + 1 < n_stages)
        step.kind = ROUTING_STEP_NEXT_STAGE;
    return step;
}
