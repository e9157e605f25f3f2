/* The national case states (case_state.h) and which outcome closes a case how. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
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
    /* Every outcome name against every state code: only the three pairs hold. */
    const char *outcomes[] = {"approved", "refused", "approve", "approved_after_supply", ""};
    for (size_t o = 0; o < sizeof outcomes / sizeof outcomes[0]; o++)
        for (int st = -1; st <= 16; st++) {
            int want = -1;
            if (strcmp(outcomes[o], "approved") == 0 && (st == 11 || st == 12))
                want = st;
            if (strcmp(outcomes[o], "refused") == 0 && st == 13)
                want = st;
            assert_int_equal(intake_case_state_decided(outcomes[o], st), want);
        }
    assert_int_equal(intake_case_state_decided(NULL, 11), -1);
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

/* Every one of the 15 × 15 moves against the table of case_state.h (and out of range). */
static void test_every_move(void **state)
{
    (void)state;
    static const int allowed[][2] = {
        {1, 2},   {1, 3},   {1, 5},   {1, 6},   {1, 11},  {6, 7},  {6, 2},  {6, 3},
        {7, 3},   {3, 8},   {3, 9},   {3, 11},  {3, 12},  {3, 13}, {3, 14}, {8, 9},
        {8, 11},  {8, 12},  {8, 13},  {8, 14},  {9, 10},  {9, 14}, {10, 8}, {10, 11},
        {10, 12}, {10, 13}, {10, 14}, {11, 15}, {12, 15},
    };
    int expected[16][16] = {{0}};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        expected[allowed[i][0]][allowed[i][1]] = 1;
    for (int f = 0; f <= 16; f++)
        for (int t = 0; t <= 16; t++) {
            int want = (f >= 1 && f <= 15 && t >= 1 && t <= 15) ? expected[f][t] : 0;
            if (intake_case_state_can_move(f, t) != want)
                fail_msg("move %d -> %d should be %s", f, t, want ? "allowed" : "refused");
        }
    /* Nothing leaves a final state except revocation of an approval. */
    for (int f = 1; f <= 15; f++)
        if (intake_case_state_is_final(f) && f != 11 && f != 12)
            for (int t = 1; t <= 15; t++)
                assert_false(intake_case_state_can_move(f, t));
}

static void test_withdrawal(void **state)
{
    (void)state;
    for (int s = 1; s <= 15; s++) {
        int w = intake_case_state_withdrawn(s);
        if (s == 1 || s == 6)
            assert_int_equal(w, INTAKE_STATE_RECEIPT_WITHDRAWN);
        else if (s == 3 || s == 8 || s == 9 || s == 10)
            assert_int_equal(w, INTAKE_STATE_WITHDRAWN);
        else
            assert_int_equal(w, -1); /* decided or closed: too late (DOMAIN §3) */
        if (w > 0)
            assert_true(intake_case_state_can_move(s, w));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_what_a_decision_may_close),
        cmocka_unit_test(test_every_move),
        cmocka_unit_test(test_withdrawal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
