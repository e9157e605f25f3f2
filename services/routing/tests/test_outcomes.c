/* Stage modes (stage_mode.h: single, 会签 all, 或签 any) over every combination of
 * department results, and the case's outcome from its stages (case_outcome.h: approved,
 * approved after 容缺 materials, awaiting materials, refused, pending). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "case_outcome.h"
#include "stage_mode.h"

#define P ROUTING_RESULT_PENDING
#define A ROUTING_RESULT_APPROVED
#define R ROUTING_RESULT_REFUSED

/* Fills r[0..n) with the combination number `code` in base 3. */
static void s_combination(int code, routing_result_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++, code /= 3)
        r[i] = (routing_result_t)(code % 3);
}

static void test_single(void **state)
{
    (void)state;
    routing_result_t r[1];
    for (int v = 0; v < 3; v++) {
        r[0] = (routing_result_t)v;
        assert_int_equal(routing_stage_result(ROUTING_MODE_SINGLE, r, 1), r[0]);
    }
    /* single with several departments does not fit: never decided. */
    routing_result_t two[2] = {A, A};
    assert_false(routing_stage_mode_fits(ROUTING_MODE_SINGLE, 2));
    assert_int_equal(routing_stage_result(ROUTING_MODE_SINGLE, two, 2), P);
    assert_int_equal(routing_stage_result(ROUTING_MODE_SINGLE, two, 0), P);
}

/* Every combination of 2..4 departments' results against the definition. */
static void test_all_and_any_exhaustive(void **state)
{
    (void)state;
    for (size_t n = 2; n <= 4; n++) {
        int combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 3;
        for (int code = 0; code < combos; code++) {
            routing_result_t r[4];
            s_combination(code, r, n);
            size_t approved = 0, refused = 0;
            for (size_t i = 0; i < n; i++) {
                approved += r[i] == A;
                refused += r[i] == R;
            }
            routing_result_t all = refused ? R : approved == n ? A : P;
            routing_result_t any = approved ? A : refused == n ? R : P;
            assert_int_equal(routing_stage_result(ROUTING_MODE_ALL, r, n), all);
            assert_int_equal(routing_stage_result(ROUTING_MODE_ANY, r, n), any);
        }
    }
    /* 会签 and 或签 need at least two departments. */
    routing_result_t one[1] = {A};
    assert_false(routing_stage_mode_fits(ROUTING_MODE_ALL, 1));
    assert_false(routing_stage_mode_fits(ROUTING_MODE_ANY, 1));
    assert_int_equal(routing_stage_result(ROUTING_MODE_ALL, one, 1), P);
    assert_int_equal(routing_stage_result(ROUTING_MODE_ANY, one, 1), P);
}

static void test_names(void **state)
{
    (void)state;
    routing_stage_mode_t m = ROUTING_MODE_SINGLE;
    assert_true(routing_stage_mode_parse("all", &m));
    assert_int_equal(m, ROUTING_MODE_ALL);
    assert_true(routing_stage_mode_parse("any", &m));
    assert_int_equal(m, ROUTING_MODE_ANY);
    assert_true(routing_stage_mode_parse("single", &m));
    assert_int_equal(m, ROUTING_MODE_SINGLE);
    assert_false(routing_stage_mode_parse("ALL", &m));
    assert_false(routing_stage_mode_parse("", &m));
    assert_false(routing_stage_mode_parse(NULL, &m));
    assert_string_equal(routing_stage_mode_name(ROUTING_MODE_ANY), "any");
    assert_string_equal(routing_result_name(R), "refused");
    assert_int_equal(ROUTING_COSIGN_DAYS_DEFAULT, 7);
}

/* Every combination of up to three stages, with and without 容缺 gaps. */
static void test_case_outcome_exhaustive(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 3; n++) {
        int combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 3;
        for (int code = 0; code < combos; code++) {
            routing_result_t r[3];
            s_combination(code, r, n);
            bool any_refused = false, all_approved = true;
            for (size_t i = 0; i < n; i++) {
                any_refused |= r[i] == R;
                all_approved &= r[i] == A;
            }
            for (int rq = 0; rq < 2; rq++)
                for (int complete = 0; complete < 2; complete++) {
                    routing_case_outcome_t want = any_refused     ? ROUTING_CASE_REFUSED
                                                  : !all_approved ? ROUTING_CASE_PENDING
                                                  : !rq           ? ROUTING_CASE_APPROVED
                                                  : complete ? ROUTING_CASE_APPROVED_AFTER_SUPPLY
                                                             : ROUTING_CASE_AWAITING_MATERIALS;
                    assert_int_equal(routing_case_outcome(r, n, rq, complete), want);
                }
        }
    }
    assert_int_equal(routing_case_outcome(NULL, 0, false, true), ROUTING_CASE_PENDING);
}

/* The order of intake's news does not matter: for every combination of up to three stages,
 * with and without 容缺, "supply first, then the decisions" and "decisions first, then the
 * supply" end in the same outcome; a termination before the supply freezes every undecided
 * case as terminated, and no supply after it makes it 12. */
static void test_case_outcome_supply_orders(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 3; n++) {
        int combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 3;
        for (int code = 0; code < combos; code++) {
            routing_result_t r[3];
            s_combination(code, r, n);
            for (int rq = 0; rq < 2; rq++) {
                routing_case_outcome_t supply_first = routing_case_outcome(r, n, rq, true);
                routing_case_outcome_t before = routing_case_outcome(r, n, rq, false);
                routing_case_outcome_t approval_first = routing_case_outcome_on_supply(before);
                assert_int_equal(approval_first, supply_first);
                /* Only an awaiting case is decided by the supply itself. */
                assert_int_equal(before == ROUTING_CASE_AWAITING_MATERIALS,
                                 approval_first != before);
                routing_case_outcome_t lapsed = routing_case_outcome_on_termination(before);
                if (routing_case_outcome_final(before)) {
                    assert_int_equal(lapsed, before);
                } else {
                    assert_int_equal(lapsed, ROUTING_CASE_TERMINATED);
                    assert_int_equal(routing_case_outcome_on_supply(lapsed),
                                     ROUTING_CASE_TERMINATED);
                    assert_int_equal(routing_case_outcome_state(lapsed), 0);
                    assert_null(routing_case_outcome_decided(lapsed));
                }
                /* 撤回 before a decision: withdrawn, never decided afterwards. */
                routing_case_outcome_t withdrawn = routing_case_outcome_on_withdrawal(before);
                if (routing_case_outcome_final(before)) {
                    assert_int_equal(withdrawn, before);
                } else {
                    assert_int_equal(withdrawn, ROUTING_CASE_WITHDRAWN);
                    assert_int_equal(routing_case_outcome_on_supply(withdrawn),
                                     ROUTING_CASE_WITHDRAWN);
                    assert_false(routing_case_outcome_final(withdrawn));
                    assert_null(routing_case_outcome_decided(withdrawn));
                }
                /* A case decided (or terminated) stays so whatever intake says next. */
                routing_case_outcome_t done = routing_case_outcome(r, n, rq, true);
                if (routing_case_outcome_final(done)) {
                    assert_int_equal(routing_case_outcome_on_supply(done), done);
                    assert_int_equal(routing_case_outcome_on_termination(done), done);
                    assert_int_equal(routing_case_outcome_on_withdrawal(done), done);
                }
            }
        }
    }
}

static void test_case_outcome_codes(void **state)
{
    (void)state;
    /* The national case-state codes (DOMAIN §3). */
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_APPROVED), 11);
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_APPROVED_AFTER_SUPPLY), 12);
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_REFUSED), 13);
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_PENDING), 0);
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_AWAITING_MATERIALS), 0);
    assert_true(routing_case_outcome_final(ROUTING_CASE_APPROVED_AFTER_SUPPLY));
    assert_false(routing_case_outcome_final(ROUTING_CASE_AWAITING_MATERIALS));
    assert_string_equal(routing_case_outcome_name(ROUTING_CASE_APPROVED), "approved");
    assert_string_equal(routing_case_outcome_name(ROUTING_CASE_APPROVED_AFTER_SUPPLY),
                        "approved_after_supply");
    assert_string_equal(routing_case_outcome_name(ROUTING_CASE_REFUSED), "refused");
    assert_string_equal(routing_case_outcome_name(ROUTING_CASE_TERMINATED), "terminated");
    assert_string_equal(routing_case_outcome_name(ROUTING_CASE_WITHDRAWN), "withdrawn");
    assert_false(routing_case_outcome_final(ROUTING_CASE_TERMINATED));
    assert_int_equal(routing_case_outcome_state(ROUTING_CASE_TERMINATED), 0);
    /* case.decided speaks approved / refused; state 12 marks 容缺通过. */
    assert_string_equal(routing_case_outcome_decided(ROUTING_CASE_APPROVED), "approved");
    assert_string_equal(routing_case_outcome_decided(ROUTING_CASE_APPROVED_AFTER_SUPPLY),
                        "approved");
    assert_string_equal(routing_case_outcome_decided(ROUTING_CASE_REFUSED), "refused");
    assert_null(routing_case_outcome_decided(ROUTING_CASE_PENDING));
    assert_null(routing_case_outcome_decided(ROUTING_CASE_AWAITING_MATERIALS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_all_and_any_exhaustive),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_case_outcome_exhaustive),
        cmocka_unit_test(test_case_outcome_supply_orders),
        cmocka_unit_test(test_case_outcome_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
