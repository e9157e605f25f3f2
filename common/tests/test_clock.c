/* ow_clock: the test-clock offset rules, local (UTC+8) dates and RFC 3339. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ow_clock.h"

#define US 1000000LL

static int s_reset(void **state)
{
    (void)state;
    ow_clock_enable_test(false);
    return 0;
}

static void test_offset_refused_when_disabled(void **state)
{
    (void)state;
    assert_false(ow_clock_test_enabled());
    assert_int_equal(ow_clock_set_offset_us(3600 * US), -1);
    assert_int_equal(ow_clock_offset_us(), 0);
}

static void test_offset_only_grows(void **state)
{
    (void)state;
    ow_clock_enable_test(true);
    assert_int_equal(ow_clock_set_offset_us(-1), -1);
    assert_int_equal(ow_clock_set_offset_us(86400 * US), 0);
    assert_int_equal(ow_clock_offset_us(), 86400 * US);
    /* Applying the same offset again (a replayed clock.advanced) is fine. */
    assert_int_equal(ow_clock_set_offset_us(86400 * US), 0);
    assert_int_equal(ow_clock_set_offset_us(86400 * US - 1), -1);
    assert_int_equal(ow_clock_offset_us(), 86400 * US);
    int64_t diff = ow_clock_now_us() - ow_clock_real_us();
    assert_true(diff >= 86400 * US - US && diff <= 86400 * US + US);
    ow_clock_enable_test(false);
    assert_int_equal(ow_clock_offset_us(), 0);
}

static void test_mono_advances(void **state)
{
    (void)state;
    int64_t a = ow_clock_mono_us();
    int64_t b = ow_clock_mono_us();
    assert_true(b >= a);
}

static void test_local_date_across_midnight(void **state)
{
    (void)state;
    int64_t t;
    /* 15:59:59Z is 23:59:59 in China, still the 22nd; a second later it is the 23rd. */
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T15:59:59Z", &t), 0);
    assert_int_equal(ow_clock_local_yyyymmdd(t), 20261122);
    assert_int_equal(ow_clock_local_yyyymmdd(t + US), 20261123);
    /* Just after UTC midnight it is already 08:00 local on the same date. */
    assert_int_equal(ow_clock_parse_rfc3339("2026-12-31T16:00:00Z", &t), 0);
    assert_int_equal(ow_clock_local_yyyymmdd(t), 20270101);
    assert_int_equal(ow_clock_local_yyyymmdd(t - 1), 20261231);
    assert_int_equal(ow_clock_local_yyyymmdd(0), 19700101);
    assert_int_equal(ow_clock_local_yyyymmdd(-8 * 3600 * US - 1), 19691231);
    assert_int_equal(ow_clock_parse_rfc3339("2028-02-28T16:00:00Z", &t), 0);
    assert_int_equal(ow_clock_local_yyyymmdd(t), 20280229);
}

static void test_format_local(void **state)
{
    (void)state;
    char buf[32];
    int64_t t;
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T13:00:00Z", &t), 0);
    assert_string_equal(ow_clock_format_local(t, buf, sizeof buf), "2026-11-22T21:00:00+08:00");
    assert_string_equal(ow_clock_format_local(t + 999999, buf, sizeof buf),
                        "2026-11-22T21:00:00+08:00");
    assert_string_equal(ow_clock_format_local(0, buf, sizeof buf), "1970-01-01T08:00:00+08:00");
    assert_string_equal(ow_clock_format_local(-1, buf, sizeof buf), "1970-01-01T07:59:59+08:00");
}

static void test_parse_forms(void **state)
{
    (void)state;
    int64_t a, b;
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T21:00:00+08:00", &a), 0);
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T13:00:00Z", &b), 0);
    assert_true(a == b);
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22t08:30:00-04:30", &b), 0);
    assert_true(a == b);
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T13:00:00.5z", &b), 0);
    assert_true(b == a + 500000);
    assert_int_equal(ow_clock_parse_rfc3339("2026-11-22T13:00:00.123456789Z", &b), 0);
    assert_true(b == a + 123456);
    assert_int_equal(ow_clock_parse_rfc3339("1970-01-01T00:00:00Z", &b), 0);
    assert_true(b == 0);
}

static void test_parse_refuses(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "2026-11-22",
        "2026-11-22T21:00:00",        /* no offset */
        "2026-11-22T21:00:00+0800",   /* offset without colon */
        "2026-11-22 21:00:00+08:00x", /* trailing text */
        "2026-11-22T21:00:00.Z",      /* empty fraction */
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", /* not a leap year */
        "2026-04-31T00:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T23:60:00Z",
        "2026-11-22T23:00:61Z",
        "2026-11-22T23:00:00+24:00",
        "26-11-22T23:00:00Z",
        "2026-1-22T23:00:00Z",
        "２０２６-11-22T23:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        if (ow_clock_parse_rfc3339(bad[i], &t) != -1)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(t == 42);
    }
    int64_t t;
    assert_int_equal(ow_clock_parse_rfc3339(NULL, &t), -1);
    assert_int_equal(ow_clock_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    char buf[32];
    /* Whole seconds survive format → parse exactly, across a wide range of times. */
    int64_t samples[] = {
        0, 1 * US, 1795392000LL * US, 4102444799LL * US, 951782400LL * US, -86400LL * US};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int64_t back = 0;
        ow_clock_format_local(samples[i], buf, sizeof buf);
        assert_int_equal(ow_clock_parse_rfc3339(buf, &back), 0);
        assert_true(back == samples[i]);
    }
    for (int64_t s = 0; s < 5LL * 366 * 86400; s += 7919 * 13) {
        int64_t back = 0;
        ow_clock_format_local(1700000000LL * US + s * US, buf, sizeof buf);
        assert_int_equal(ow_clock_parse_rfc3339(buf, &back), 0);
        assert_true(back == 1700000000LL * US + s * US);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offset_refused_when_disabled, s_reset, s_reset),
        cmocka_unit_test_setup_teardown(test_offset_only_grows, s_reset, s_reset),
        cmocka_unit_test(test_mono_advances),
        cmocka_unit_test(test_local_date_across_midnight),
        cmocka_unit_test(test_format_local),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
