/* The applicant's identity (applicant.h): resident ID and unified social credit code check
 * characters, and every missing or malformed field reported at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "applicant.h"
#include "ow_test_error.h"

/* 11010519491231002X is the sample of GB 11643-1999 itself. */
static void test_resident_id_check_digit(void **state)
{
    (void)state;
    char why[160];
    assert_true(intake_resident_id_valid("11010519491231002X", why, sizeof why));
    assert_true(intake_resident_id_valid("11010519491231002x", why, sizeof why));
    assert_true(intake_resident_id_valid("330122198001010013", why, sizeof why));
    assert_false(intake_resident_id_valid("110105194912310021", why, sizeof why));
    assert_non_null(strstr(why, "'X'"));
    assert_false(intake_resident_id_valid("11010519491331002X", why, sizeof why)); /* month 13 */
    assert_non_null(strstr(why, "birth date"));
    assert_false(intake_resident_id_valid("11010519490229002X", why, sizeof why)); /* not leap */
    assert_false(intake_resident_id_valid("1101051949123100", why, sizeof why));
    assert_false(intake_resident_id_valid("1101051949A231002X", why, sizeof why));
    assert_false(intake_resident_id_valid("11010519491231002Y", why, sizeof why));
    assert_false(intake_resident_id_valid(NULL, why, sizeof why));
}

static void test_uscc_check_character(void **state)
{
    (void)state;
    char why[160];
    /* Department codes of the demo data, computed independently (GB 32100-2015). */
    assert_true(intake_uscc_valid("113301220025190176", why, sizeof why));
    assert_true(intake_uscc_valid("11330122002519033U", why, sizeof why));
    assert_true(intake_uscc_valid("1133012200251905XE", why, sizeof why));
    assert_true(intake_uscc_valid("13330122002519092Q", why, sizeof why));
    assert_false(intake_uscc_valid("113301220025190177", why, sizeof why));
    assert_non_null(strstr(why, "'6'"));
    assert_false(intake_uscc_valid("11330122002519033I", why, sizeof why)); /* I is not used */
    assert_false(intake_uscc_valid("11330122002519033u", why, sizeof why));
    assert_false(intake_uscc_valid("1133012200251903", why, sizeof why));
}

static void test_complete_applicant_passes(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    intake_applicant_t a = {"张三", "resident_id", "330122198001010013", "13900000001", ""};
    assert_int_equal(intake_check_applicant(&a, &err), 0);
    assert_int_equal(err.code, OW_OK);
    intake_applicant_t org = {"桐庐县某某餐饮有限公司", "uscc", "113301220025190176",
                              "0571-64212345", "office@example.cn"};
    assert_int_equal(intake_check_applicant(&org, &err), 0);
    assert_int_equal(err.violation_count, 0);
}

static void test_every_problem_at_once(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_check_applicant(NULL, &err), 4);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "applicant.name", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.id_type", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.id_number", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.phone", "missing"));

    ow_error_clear(&err);
    intake_applicant_t bad = {"\xff\xfe", "passport", "X", "12ab", "not-an-address"};
    /* The number cannot be checked against an unknown type: the type is the problem, so
     * id_number adds no violation of its own. */
    assert_int_equal(intake_check_applicant(&bad, &err), 4);
    assert_true(ow_test_error_has(&err, "applicant.name", "UTF-8"));
    assert_true(ow_test_error_has(&err, "applicant.id_type", "resident_id"));
    assert_false(ow_test_error_has(&err, "applicant.id_number", ""));
    assert_true(ow_test_error_has(&err, "applicant.phone", "digits"));
    assert_true(ow_test_error_has(&err, "applicant.email", "e-mail"));

    ow_error_clear(&err);
    intake_applicant_t wrong_check = {"李四", "resident_id", "110105194912310021", "13900000001",
                                      NULL};
    assert_int_equal(intake_check_applicant(&wrong_check, &err), 1);
    assert_true(ow_test_error_has(&err, "applicant.id_number", "check character"));
}

static void test_text_validation(void **state)
{
    (void)state;
    assert_true(intake_text_valid("欧阳娜娜", 200));
    assert_false(intake_text_valid("tab\there", 200));
    assert_false(intake_text_valid("\xc0\xaf", 200));     /* overlong '/' */
    assert_false(intake_text_valid("\xed\xa0\x80", 200)); /* surrogate */
    assert_false(intake_text_valid("\xe5\xbc", 200));     /* truncated */
    assert_false(intake_text_valid("abcdef", 5));
}

static void test_normalise_id(void **state)
{
    (void)state;
    char out[32];
    intake_applicant_normalise_id("11010519491231002x", out, sizeof out);
    assert_string_equal(out, "11010519491231002X");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resident_id_check_digit),
        cmocka_unit_test(test_uscc_check_character),
        cmocka_unit_test(test_complete_applicant_passes),
        cmocka_unit_test(test_every_problem_at_once),
        cmocka_unit_test(test_text_validation),
        cmocka_unit_test(test_normalise_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
