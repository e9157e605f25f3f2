/* test_text — ow_text: UTF-8 sequences and counts, the text checks (control characters,
 * bounds, newline and tab for free text), printable ASCII for echoing, and the copy that
 * keeps peer text valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ow_text.h"

static void test_utf8_sequences(void **state)
{
    (void)state;
    assert_int_equal(ow_text_utf8_seq("a", 1), 1);
    assert_int_equal(ow_text_utf8_seq("\n", 1), 1);
    assert_int_equal(ow_text_utf8_seq("\xc3\xa9", 2), 2);         /* é */
    assert_int_equal(ow_text_utf8_seq("\xe5\xbc\xa0", 3), 3);     /* 张 */
    assert_int_equal(ow_text_utf8_seq("\xf0\x9f\x98\x80", 4), 4); /* U+1F600 */
    assert_int_equal(ow_text_utf8_seq("\xe5\xbc\xa0", 2), 0);     /* cut by n */
    assert_int_equal(ow_text_utf8_seq("a", 0), 0);
    assert_int_equal(ow_text_utf8_seq("\x80", 1), 0);             /* continuation first */
    assert_int_equal(ow_text_utf8_seq("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(ow_text_utf8_seq("\xe0\x80\xaf", 3), 0);     /* overlong, 3 bytes */
    assert_int_equal(ow_text_utf8_seq("\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(ow_text_utf8_seq("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
    assert_int_equal(ow_text_utf8_seq("\xf5\x80\x80\x80", 4), 0);
}

static void test_utf8_chars_and_valid(void **state)
{
    (void)state;
    assert_int_equal(ow_text_utf8_chars(""), 0);
    assert_int_equal(ow_text_utf8_chars("abc"), 3);
    assert_int_equal(ow_text_utf8_chars("非常满意"), 4);
    assert_int_equal(ow_text_utf8_chars("\xf0\x9f\x98\x80"), 1);
    assert_int_equal(ow_text_utf8_chars("\xc0\xaf"), -1);
    assert_int_equal(ow_text_utf8_chars("\xed\xa0\x80"), -1);
    assert_int_equal(ow_text_utf8_chars("\xe6\xbb"), -1);
    assert_int_equal(ow_text_utf8_chars("\x80"), -1);
    assert_int_equal(ow_text_utf8_chars("\xf4\x90\x80\x80"), -1);
    assert_true(ow_text_utf8_valid("plain"));
    assert_true(ow_text_utf8_valid("tab\there")); /* control characters are UTF-8 too */
    assert_false(ow_text_utf8_valid("\xe5\xbc"));
}

static void test_text_checks(void **state)
{
    (void)state;
    assert_true(ow_text_valid("欧阳娜娜", 200));
    assert_true(ow_text_valid("", 0));
    assert_true(ow_text_valid(NULL, 0)); /* absent is empty */
    assert_false(ow_text_valid("tab\there", 200));
    assert_false(ow_text_valid("del\x7f", 200));
    assert_false(ow_text_valid("\xc0\xaf", 200));
    assert_false(ow_text_valid("\xed\xa0\x80", 200));
    assert_false(ow_text_valid("\xe5\xbc", 200));
    assert_false(ow_text_valid("abcdef", 5));
    assert_true(ow_text_valid("abcde", 5));
    assert_false(ow_text_valid("张", 2)); /* bytes, not characters */

    /* Free text: newline and tab, but no other control character. */
    assert_true(ow_text_valid_lines("材料不全：\n\t缺营业执照", 200));
    assert_false(ow_text_valid_lines("bell\a", 200));
    assert_false(ow_text_valid_lines("cr\r\n", 200));
    assert_false(ow_text_valid_lines("abcdef", 5));
    assert_true(ow_text_valid_lines(NULL, 0));

    /* Counted strings: every byte counts, a NUL included. */
    assert_true(ow_text_valid_n("case.accepted", 13));
    assert_true(ow_text_valid_n("张三", 6));
    assert_false(ow_text_valid_n("张三", 5));
    assert_false(ow_text_valid_n("a\0b", 3));
    assert_true(ow_text_valid_n("", 0));
}

static void test_printable(void **state)
{
    (void)state;
    assert_true(ow_text_printable("working_days", 32));
    assert_true(ow_text_printable("a b~", 4));
    assert_false(ow_text_printable("a b~!", 4));
    assert_false(ow_text_printable("张", 32));
    assert_false(ow_text_printable("a\tb", 32));
    assert_false(ow_text_printable(NULL, 32));
}

static void test_ids_and_keys(void **state)
{
    (void)state;
    assert_true(ow_text_graphic("idem-key_1:x/y", 64));
    assert_true(ow_text_graphic("3301222026112210001", 19));
    assert_false(ow_text_graphic("3301222026112210001", 18));
    assert_false(ow_text_graphic("two words", 64));
    assert_false(ow_text_graphic("", 64));
    assert_false(ow_text_graphic(NULL, 64));
    assert_false(ow_text_graphic("张", 64));

    assert_true(ow_text_code("SPJY-01", 64));
    assert_true(ow_text_code("330100-01.v2_a", 64));
    assert_false(ow_text_code("SPJY 01", 64));
    assert_false(ow_text_code("a/b", 64));
    assert_false(ow_text_code("abc", 2));
    assert_false(ow_text_code("", 64));
    assert_false(ow_text_code(NULL, 64));
}

static void test_copy(void **state)
{
    (void)state;
    char out[16];
    ow_text_copy(out, sizeof out, "ok 张三");
    assert_string_equal(out, "ok 张三");
    ow_text_copy(out, sizeof out, "a\xff\x62\xe5\xbc"); /* a, a stray byte, b, a cut 张 */
    assert_string_equal(out, "a?b??");
    /* A cut falls between characters: 张 needs 3 bytes, only 2 are left before the NUL. */
    char small[5];
    ow_text_copy(small, sizeof small, "ab张");
    assert_string_equal(small, "ab");
    ow_text_copy(small, sizeof small, "abcdefgh");
    assert_string_equal(small, "abcd");
    assert_true(ow_text_utf8_valid(out));
}

static void test_put(void **state)
{
    (void)state;
    char small[5];
    ow_text_put(small, sizeof small, "ab");
    assert_string_equal(small, "ab");
    ow_text_put(small, sizeof small, "abcdefgh"); /* cut at size - 1, terminated */
    assert_string_equal(small, "abcd");
    ow_text_put(small, sizeof small, NULL);
    assert_string_equal(small, "");
    char one[1];
    ow_text_put(one, sizeof one, "x");
    assert_string_equal(one, "");
}

static void test_hex_digit(void **state)
{
    (void)state;
    const char *digits = "0123456789abcdefABCDEF";
    const int values[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                          11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15};
    for (size_t i = 0; digits[i]; i++)
        assert_int_equal(ow_text_hex_digit(digits[i]), values[i]);
    assert_int_equal(ow_text_hex_digit('g'), -1);
    assert_int_equal(ow_text_hex_digit('/'), -1);
    assert_int_equal(ow_text_hex_digit('\0'), -1);
    assert_int_equal(ow_text_hex_digit((char)0xc3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_sequences), cmocka_unit_test(test_utf8_chars_and_valid),
        cmocka_unit_test(test_text_checks),    cmocka_unit_test(test_printable),
        cmocka_unit_test(test_ids_and_keys),   cmocka_unit_test(test_copy),
        cmocka_unit_test(test_hex_digit),      cmocka_unit_test(test_put),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
