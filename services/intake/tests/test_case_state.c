/* The national case states (case_state.h) and which outcome closes a case how. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "case_state.h"

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(intake_case_state_name(3), "已受理");
    assert_string_equal(intake_case_state_name(11), "办结（通过）");
    assert_string_equal(intake_case_state_name(13), "办结（不通过）");
    for (int s = 1; s <= 15; s++)
        assert_non_null(intake_case_state_name(s));
    assert_null(intake_case_state_name(0));
    assert_null(intake_case_state_name(16));
}

static void test_outcomes(void **state)
{
    (void)state;
    assert_int_equal(intake_case_state_for_outcome("approved"), 11);
    assert_int_equal(intake_case_state_for_outcome("refused"), 13);
    assert_int_equal(intake_case_state_for_outcome("approve"), -1);
    assert_int_equal(intake_case_state_for_outcome(""), -1);
    assert_int_equal(intake_case_state_for_outcome(NULL), -1);
}

static void test_what_a_decision_may_close(void **state)
{
    (void)state;
    assert_true(intake_case_state_decidable(INTAKE_STATE_ACCEPTED));
    assert_true(intake_case_state_decidable(INTAKE_STATE_IN_DEPARTMENT));
    assert_true(intake_case_state_decidable(INTAKE_STATE_SPECIAL_ENDED));
    /* Not yet accepted, or already closed: a decision cannot apply. */
    assert_false(intake_case_state_decidable(INTAKE_STATE_RECEIVED));
    assert_false(intake_case_state_decidable(INTAKE_STATE_APPROVED));
    assert_false(intake_case_state_decidable(INTAKE_STATE_REFUSED));
    assert_false(intake_case_state_decidable(INTAKE_STATE_WITHDRAWN));
    for (int s = 1; s <= 15; s++)
        assert_false(intake_case_state_decidable(s) && intake_case_state_is_final(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_what_a_decision_may_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
