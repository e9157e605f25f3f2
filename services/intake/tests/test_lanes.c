/* Priority lanes (lanes.h): 爱心通道 from the ID's age on the day (≥ 60, < 16) or declared;
 * 绿色通道 only by a named supervisor with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "lanes.h"

/* A resident ID for birth date yyyymmdd with a correct check character (GB 11643). */
static void s_id(char out[19], const char *yyyymmdd)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "330122%s123", yyyymmdd);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static void test_age_in_whole_years(void **state)
{
    (void)state;
    char id[19];
    s_id(id, "19661122");
    assert_int_equal(intake_age_on(id, 20261121), 59); /* the day before the birthday */
    assert_int_equal(intake_age_on(id, 20261122), 60); /* on it */
    assert_int_equal(intake_age_on(id, 20261231), 60);
    s_id(id, "20000229"); /* a leap-day birthday comes of age on 1 March in common years */
    assert_int_equal(intake_age_on(id, 20160228), 15);
    assert_int_equal(intake_age_on(id, 20160301), 16);
    assert_int_equal(intake_age_on(id, 20150228), 14);
    assert_int_equal(intake_age_on(id, 20150301), 15);
    assert_int_equal(intake_age_on(id, 19991231), -1); /* not yet born */
    id[17] = id[17] == '0' ? '1' : '0';                /* wrong check character */
    assert_int_equal(intake_age_on(id, 20261122), -1);
    assert_int_equal(intake_age_on(NULL, 20261122), -1);
}

static intake_lanes_t s_derive(const char *id_type, const char *id, const char *const *declared,
                               size_t n, const char *green_by, const char *green_reason,
                               int expect_violations)
{
    ow_error_t err;
    ow_error_clear(&err);
    intake_lanes_t out = {0};
    intake_lane_request_t r = {id_type, id, 20261122, declared, n, green_by, green_reason};
    assert_int_equal(intake_lanes_derive(&r, &out, &err), expect_violations);
    assert_int_equal((int)err.violation_count, expect_violations);
    return out;
}

static void test_love_lane_from_age(void **state)
{
    (void)state;
    char id[19];
    s_id(id, "19661122"); /* 60 today */
    intake_lanes_t l = s_derive("resident_id", id, NULL, 0, NULL, NULL, 0);
    assert_true(l.love);
    assert_false(l.green);
    assert_string_equal(l.love_reasons[0], "age_60_plus");
    s_id(id, "19661123"); /* 59 */
    assert_false(s_derive("resident_id", id, NULL, 0, NULL, NULL, 0).love);
    s_id(id, "20101123"); /* 15 */
    l = s_derive("resident_id", id, NULL, 0, NULL, NULL, 0);
    assert_true(l.love);
    assert_string_equal(l.love_reasons[0], "under_16");
    s_id(id, "20101122"); /* 16 today */
    assert_false(s_derive("resident_id", id, NULL, 0, NULL, NULL, 0).love);
    /* An organisation has no age. */
    assert_false(s_derive("uscc", "91330122MA2H2XXXX0", NULL, 0, NULL, NULL, 0).love);
}

static void test_love_lane_declared(void **state)
{
    (void)state;
    char id[19];
    s_id(id, "19900101");
    const char *d[] = {"pregnant", "serviceman"};
    intake_lanes_t l = s_derive("resident_id", id, d, 2, NULL, NULL, 0);
    assert_true(l.love);
    assert_int_equal(l.love_reason_count, 2);
    assert_string_equal(l.love_reasons[0], "pregnant");
    assert_string_equal(l.love_reasons[1], "serviceman");
    s_id(id, "19500101"); /* age and a declaration together */
    const char *dis[] = {"disabled"};
    l = s_derive("resident_id", id, dis, 1, NULL, NULL, 0);
    assert_int_equal(l.love_reason_count, 2);
    assert_string_equal(l.love_reasons[0], "age_60_plus");
    assert_string_equal(l.love_reasons[1], "disabled");
}

static void test_bad_declarations_all_listed(void **state)
{
    (void)state;
    char id[19];
    s_id(id, "19900101");
    const char *d[] = {"vip", "pregnant", "pregnant", ""};
    /* unknown, duplicate, empty, and a green reason with no supervisor: four problems */
    s_derive("resident_id", id, d, 4, NULL, "key project", 4);
}

static void test_green_lane_needs_supervisor_and_reason(void **state)
{
    (void)state;
    char id[19];
    s_id(id, "19900101");
    intake_lanes_t l = s_derive("resident_id", id, NULL, 0, "S001", "重点项目：县医院扩建", 0);
    assert_true(l.green);
    assert_false(l.love);
    s_derive("resident_id", id, NULL, 0, "S001", "", 1);
    s_derive("resident_id", id, NULL, 0, "", "重点项目", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_age_in_whole_years),
        cmocka_unit_test(test_love_lane_from_age),
        cmocka_unit_test(test_love_lane_declared),
        cmocka_unit_test(test_bad_declarations_all_listed),
        cmocka_unit_test(test_green_lane_needs_supervisor_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
