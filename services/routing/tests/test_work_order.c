/* Work-list order (work_order.h): green channel, love channel, earliest due, then created
 * time and id — a total order, checked on every pair of a grid of keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "work_order.h"

static void test_lanes_then_due(void **state)
{
    (void)state;
    routing_work_key_t green_late = {ROUTING_LANE_GREEN, 900, 1, "a"};
    routing_work_key_t love_early = {ROUTING_LANE_LOVE, 100, 1, "b"};
    routing_work_key_t normal_earliest = {ROUTING_LANE_NORMAL, 50, 1, "c"};
    routing_work_key_t normal_no_due = {ROUTING_LANE_NORMAL, 0, 0, "d"};
    assert_true(routing_work_compare(&green_late, &love_early) < 0);
    assert_true(routing_work_compare(&love_early, &normal_earliest) < 0);
    assert_true(routing_work_compare(&normal_earliest, &normal_no_due) < 0);
    assert_true(routing_work_compare(&normal_no_due, &green_late) > 0);
    assert_int_equal(routing_work_compare(&love_early, &love_early), 0);
}

/* Every pair of a grid: antisymmetric, transitive through sorting, and consistent with the
 * definition field by field. */
static int s_qsort_cmp(const void *a, const void *b)
{
    return routing_work_compare(a, b);
}

static void test_total_order_on_a_grid(void **state)
{
    (void)state;
    enum { N = 3 * 3 * 3 * 2 };
    routing_work_key_t keys[N];
    char ids[N][8];
    int k = 0;
    for (int lane = 0; lane < 3; lane++)
        for (int due = 0; due < 3; due++)
            for (int created = 0; created < 3; created++)
                for (int id = 0; id < 2; id++, k++) {
                    snprintf(ids[k], sizeof ids[k], "t%d", id);
                    keys[k] =
                        (routing_work_key_t){(routing_lane_t)lane, due * 100, created, ids[k]};
                }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int c = routing_work_compare(&keys[i], &keys[j]);
            int r = routing_work_compare(&keys[j], &keys[i]);
            assert_true((c < 0 && r > 0) || (c > 0 && r < 0) || (c == 0 && r == 0 && i == j));
        }
    qsort(keys, N, sizeof keys[0], s_qsort_cmp);
    for (int i = 1; i < N; i++) {
        const routing_work_key_t *a = &keys[i - 1], *b = &keys[i];
        assert_true(a->lane >= b->lane);
        if (a->lane == b->lane && a->due_us != b->due_us)
            assert_true(b->due_us == 0 || (a->due_us != 0 && a->due_us < b->due_us));
    }
}

static void test_lane_of_a_case(void **state)
{
    (void)state;
    assert_int_equal(routing_lane_of(true, false), ROUTING_LANE_GREEN);
    assert_int_equal(routing_lane_of(true, true), ROUTING_LANE_GREEN);
    assert_int_equal(routing_lane_of(false, true), ROUTING_LANE_LOVE);
    assert_int_equal(routing_lane_of(false, false), ROUTING_LANE_NORMAL);
}

static void test_lane_names(void **state)
{
    (void)state;
    routing_lane_t lane = ROUTING_LANE_GREEN;
    assert_true(routing_lane_parse("", &lane));
    assert_int_equal(lane, ROUTING_LANE_NORMAL);
    assert_true(routing_lane_parse("love", &lane));
    assert_int_equal(lane, ROUTING_LANE_LOVE);
    assert_true(routing_lane_parse("green", &lane));
    assert_int_equal(lane, ROUTING_LANE_GREEN);
    assert_false(routing_lane_parse("vip", &lane));
    assert_string_equal(routing_lane_name(ROUTING_LANE_LOVE), "love");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_then_due),
        cmocka_unit_test(test_total_order_on_a_grid),
        cmocka_unit_test(test_lane_names),
        cmocka_unit_test(test_lane_of_a_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
