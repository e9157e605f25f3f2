/* Workflows (workflow.h) as plain functions: what a definition must be (every problem named
 * by field, all at once), the stage's clock (会签 default 7 working days), and the stage
 * progression over every combination of department results for 1–3 departments in each mode
 * at the first, a middle and the last of three stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ow_test_error.h"
#include "workflow.h"

#define P ROUTING_RESULT_PENDING
#define A ROUTING_RESULT_APPROVED
#define R ROUTING_RESULT_REFUSED

static void test_check_accepts_a_good_workflow(void **state)
{
    (void)state;
    Onewindow__V1__WorkflowDepartment d[3];
    Onewindow__V1__WorkflowDepartment *dp[3] = {&d[0], &d[1], &d[2]};
    const char *codes[3] = {"DEPT-A", "DEPT-B", "DEPT-C"};
    for (int i = 0; i < 3; i++) {
        onewindow__v1__workflow_department__init(&d[i]);
        d[i].department_code = (char *)codes[i];
    }
    d[1].post_code = (char *)"P-01";
    Onewindow__V1__WorkflowStage s[2];
    Onewindow__V1__WorkflowStage *sp[2] = {&s[0], &s[1]};
    onewindow__v1__workflow_stage__init(&s[0]);
    s[0].name = (char *)"审查";
    s[0].mode = (char *)"all";
    s[0].n_departments = 3;
    s[0].departments = dp;
    onewindow__v1__workflow_stage__init(&s[1]);
    s[1].name = (char *)"决定";
    s[1].mode = (char *)"single";
    s[1].n_departments = 1;
    s[1].departments = dp;
    s[1].limit_days = 5;
    s[1].final_decision = true;
    Onewindow__V1__Workflow wf = ONEWINDOW__V1__WORKFLOW__INIT;
    wf.item_code = (char *)"330100-01";
    wf.item_version = 2;
    wf.n_stages = 2;
    wf.stages = sp;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_workflow_check(&wf, &err), 0);
}

static void test_check_reports_every_problem(void **state)
{
    (void)state;
    Onewindow__V1__WorkflowDepartment d[2];
    Onewindow__V1__WorkflowDepartment *dp[2] = {&d[0], &d[1]};
    for (int i = 0; i < 2; i++) {
        onewindow__v1__workflow_department__init(&d[i]);
        d[i].department_code = (char *)"SAME";
    }
    d[1].post_code = (char *)"bad post";
    Onewindow__V1__WorkflowStage s[3];
    Onewindow__V1__WorkflowStage *sp[3] = {&s[0], &s[1], &s[2]};
    for (int i = 0; i < 3; i++)
        onewindow__v1__workflow_stage__init(&s[i]);
    s[0].name = (char *)"审查";
    s[0].mode = (char *)"any";
    s[0].n_departments = 2;
    s[0].departments = dp;      /* the same department twice; a bad post */
    s[1].name = (char *)"审查"; /* a repeated name */
    s[1].mode = (char *)"single";
    s[1].n_departments = 2; /* single with two */
    s[1].departments = dp;
    s[1].limit_days = 400;
    s[2].name = (char *)"";
    s[2].mode = (char *)"majority";
    Onewindow__V1__Workflow wf = ONEWINDOW__V1__WORKFLOW__INIT;
    wf.item_code = (char *)"";
    wf.item_version = -1;
    wf.n_stages = 3;
    wf.stages = sp;
    ow_error_t err;
    ow_error_clear(&err);
    assert_true(routing_workflow_check(&wf, &err) >= 9);
    assert_true(ow_test_error_has(&err, "item_code", NULL));
    assert_true(ow_test_error_has(&err, "item_version", NULL));
    assert_true(ow_test_error_has(&err, "stages[0].departments[1].department_code", "already"));
    assert_true(ow_test_error_has(&err, "stages[0].departments[1].post_code", NULL));
    assert_true(ow_test_error_has(&err, "stages[1].name", "stage 0"));
    assert_true(ow_test_error_has(&err, "stages[1].departments", "single"));
    assert_true(ow_test_error_has(&err, "stages[1].limit_days", NULL));
    assert_true(ow_test_error_has(&err, "stages[2].name", NULL));
    assert_true(ow_test_error_has(&err, "stages[2].mode", NULL));

    /* No stages at all. */
    Onewindow__V1__Workflow empty = ONEWINDOW__V1__WORKFLOW__INIT;
    empty.item_code = (char *)"330100-01";
    ow_error_clear(&err);
    assert_int_equal(routing_workflow_check(&empty, &err), 1);
    assert_true(ow_test_error_has(&err, "stages", NULL));
}

static void test_stage_limit(void **state)
{
    (void)state;
    /* DOMAIN §4: 会签 without a limit of its own gets the co-signing default. */
    assert_int_equal(routing_stage_limit(ROUTING_MODE_ALL, 0, 7), 7);
    assert_int_equal(routing_stage_limit(ROUTING_MODE_ALL, 0, 5), 5);
    assert_int_equal(routing_stage_limit(ROUTING_MODE_ALL, 3, 7), 3);
    assert_int_equal(routing_stage_limit(ROUTING_MODE_ANY, 0, 7), 0);
    assert_int_equal(routing_stage_limit(ROUTING_MODE_SINGLE, 0, 7), 0);
    assert_int_equal(routing_stage_limit(ROUTING_MODE_SINGLE, 4, 7), 4);
}

static void s_combination(int code, routing_result_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++, code /= 3)
        r[i] = (routing_result_t)(code % 3);
}

/* Every combination, every mode, at stages 0, 1 and 2 of 3: the step follows the definition
 * (stage result by mode; refused → case refused 13 at once; approved → the next stage, or
 * at the last approved 11; pending → wait, nothing withdrawn). */
static void test_progression_exhaustive(void **state)
{
    (void)state;
    const routing_result_t earlier[2] = {A, A};
    const routing_stage_mode_t modes[3] = {ROUTING_MODE_SINGLE, ROUTING_MODE_ALL, ROUTING_MODE_ANY};
    int checked = 0;
    for (int m = 0; m < 3; m++)
        for (size_t n = 1; n <= 3; n++) {
            if (!routing_stage_mode_fits(modes[m], n))
                continue;
            int combos = 1;
            for (size_t i = 0; i < n; i++)
                combos *= 3;
            for (int c = 0; c < combos; c++) {
                routing_result_t r[3];
                s_combination(c, r, n);
                size_t approved = 0, refused = 0;
                for (size_t i = 0; i < n; i++) {
                    approved += r[i] == A;
                    refused += r[i] == R;
                }
                routing_result_t expect = P;
                if (modes[m] == ROUTING_MODE_SINGLE)
                    expect = r[0];
                else if (modes[m] == ROUTING_MODE_ALL)
                    expect = refused ? R : approved == n ? A : P;
                else
                    expect = approved ? A : refused == n ? R : P;
                for (size_t index = 0; index < 3; index++) {
                    routing_step_t st =
                        routing_workflow_step(modes[m], r, n, earlier, index, 3, false, true);
                    assert_int_equal(st.stage_result, expect);
                    assert_int_equal(st.withdraw_open, expect != P);
                    if (expect == P) {
                        assert_int_equal(st.kind, ROUTING_STEP_WAIT);
                        assert_int_equal(st.outcome, ROUTING_CASE_PENDING);
                    } else if (expect == R) {
                        assert_int_equal(st.kind, ROUTING_STEP_CASE_DECIDED);
                        assert_int_equal(st.outcome, ROUTING_CASE_REFUSED);
                        assert_int_equal(routing_case_outcome_state(st.outcome), 13);
                    } else if (index < 2) {
                        assert_int_equal(st.kind, ROUTING_STEP_NEXT_STAGE);
                        assert_int_equal(st.outcome, ROUTING_CASE_PENDING);
                    } else {
                        assert_int_equal(st.kind, ROUTING_STEP_CASE_DECIDED);
                        assert_int_equal(st.outcome, ROUTING_CASE_APPROVED);
                        assert_int_equal(routing_case_outcome_state(st.outcome), 11);
                    }
                    checked++;
                }
            }
        }
    assert_int_equal(checked, 3 * (3 + 9 + 27 + 9 + 27));
}

static void test_progression_rongque(void **state)
{
    (void)state;
    routing_result_t one[1] = {A};
    /* DOMAIN §3: approved under 容缺 with materials out waits; with them in, 12. */
    routing_step_t st = routing_workflow_step(ROUTING_MODE_SINGLE, one, 1, NULL, 0, 1, true, false);
    assert_int_equal(st.kind, ROUTING_STEP_AWAITING_MATERIALS);
    st = routing_workflow_step(ROUTING_MODE_SINGLE, one, 1, NULL, 0, 1, true, true);
    assert_int_equal(st.kind, ROUTING_STEP_CASE_DECIDED);
    assert_int_equal(routing_case_outcome_state(st.outcome), 12);
    /* A stage index outside the workflow decides nothing. */
    st = routing_workflow_step(ROUTING_MODE_SINGLE, one, 1, NULL, 1, 1, false, true);
    assert_int_equal(st.kind, ROUTING_STEP_WAIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_accepts_a_good_workflow),
        cmocka_unit_test(test_check_reports_every_problem),
        cmocka_unit_test(test_stage_limit),
        cmocka_unit_test(test_progression_exhaustive),
        cmocka_unit_test(test_progression_rongque),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
