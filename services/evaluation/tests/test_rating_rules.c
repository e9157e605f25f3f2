/* Unit tests of the rating rules (rating_rules.h, DOMAIN.md §6) as plain functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rating_rules.h"

static void test_grades(void **state)
{
    (void)state;
    for (int g = 1; g <= 5; g++)
        assert_true(rating_grade_valid(g));
    assert_false(rating_grade_valid(0));
    assert_false(rating_grade_valid(6));
    assert_false(rating_grade_valid(-1));
    assert_false(rating_grade_valid(INT32_MAX));
    assert_string_equal(rating_grade_name(5), "非常满意");
    assert_string_equal(rating_grade_name(3), "基本满意");
    assert_string_equal(rating_grade_name(1), "非常不满意");
    assert_string_equal(rating_grade_name(9), "");
}

/* 差评 is exactly the bottom two grades. */
static void test_bad_reviews(void **state)
{
    (void)state;
    assert_true(rating_is_bad(1));
    assert_true(rating_is_bad(2));
    assert_false(rating_is_bad(3));
    assert_false(rating_is_bad(4));
    assert_false(rating_is_bad(5));
    assert_false(rating_is_bad(0));
    assert_false(rating_is_bad(-2));
}

static void test_channels(void **state)
{
    (void)state;
    const char *ok[] = {"window_device", "qr",  "web",     "app",
                        "mini_program",  "sms", "hotline", "paper"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(rating_channel_valid(ok[i]));
    assert_false(rating_channel_valid(""));
    assert_false(rating_channel_valid(NULL));
    assert_false(rating_channel_valid("WEB"));
    assert_false(rating_channel_valid("web "));
}

static void test_utf8(void **state)
{
    (void)state;
    assert_int_equal(rating_utf8_chars(""), 0);
    assert_int_equal(rating_utf8_chars("abc"), 3);
    assert_int_equal(rating_utf8_chars("非常满意"), 4);
    assert_int_equal(rating_utf8_chars("\xf0\x9f\x98\x80"), 1); /* U+1F600 */
    assert_int_equal(rating_utf8_chars("\xc0\xaf"), -1);        /* overlong '/' */
    assert_int_equal(rating_utf8_chars("\xed\xa0\x80"), -1);    /* surrogate */
    assert_int_equal(rating_utf8_chars("\xe6\xbb"), -1);        /* cut short */
    assert_int_equal(rating_utf8_chars("\x80"), -1);
    assert_int_equal(rating_utf8_chars("\xf4\x90\x80\x80"), -1); /* past U+10FFFF */
}

static void test_request_ok(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rating_check_request("33012220261123100001", 4, "办事很快", "web", &err), 0);
    assert_int_equal(err.code, OW_OK);
    assert_int_equal(rating_check_request("C1", 1, NULL, "paper", &err), 0);
}

/* Every problem is reported at once, each under its field. */
static void test_request_lists_every_problem(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rating_check_request("", 0, "\xff", "fax", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 4);
    assert_string_equal(err.violations[0].field, "case_no");
    assert_string_equal(err.violations[1].field, "grade");
    assert_string_equal(err.violations[2].field, "comment");
    assert_string_equal(err.violations[3].field, "channel");
    assert_non_null(strstr(err.violations[1].description, "0 is not a grade"));
    assert_non_null(strstr(err.violations[3].description, "'fax'"));
}

static void test_request_bounds(void **state)
{
    (void)state;
    ow_error_t err;
    char comment[RATING_COMMENT_MAX_CHARS * 3 + 4];
    comment[0] = '\0';
    for (int i = 0; i < RATING_COMMENT_MAX_CHARS; i++)
        strcat(comment, "好");
    ow_error_clear(&err);
    assert_int_equal(rating_check_request("C1", 5, comment, "app", &err), 0);
    strcat(comment, "好");
    assert_int_equal(rating_check_request("C1", 5, comment, "app", &err), -1);
    assert_string_equal(err.violations[0].field, "comment");

    char case_no[RATING_CASE_NO_MAX + 2];
    memset(case_no, '9', sizeof case_no - 1);
    case_no[sizeof case_no - 1] = '\0';
    ow_error_clear(&err);
    assert_int_equal(rating_check_request(case_no, 5, "", "app", &err), -1);
    assert_string_equal(err.violations[0].field, "case_no");
    /* Bytes a JSON message cannot carry are not echoed back. */
    ow_error_clear(&err);
    assert_int_equal(rating_check_request("C1", 5, "", "w\xffweb", &err), -1);
    assert_null(strstr(err.violations[0].description, "\xff"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grades),         cmocka_unit_test(test_bad_reviews),
        cmocka_unit_test(test_channels),       cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_request_ok),     cmocka_unit_test(test_request_lists_every_problem),
        cmocka_unit_test(test_request_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
