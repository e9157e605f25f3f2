/* notify_test_rules — the pure rules of issue 7: back-off with jitter and dead letters,
 * SMS quiet hours, the webhook signature (RFC 4231 vectors), subscription checks and
 * matching, the applicant's channel, and e-mail base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event_rules.h"
#include "outbound.h"
#include "quiet_hours.h"
#include "retry_policy.h"
#include "subscription_rules.h"
#include "webhook_signature.h"

#define SEC 1000000LL

static void test_backoff_doubles_with_jitter_and_ceiling(void **state)
{
    (void)state;
    retry_policy_t p = {.max_attempts = 5, .base_delay_us = 2 * SEC, .max_delay_us = 30 * SEC};
    /* draw 0 → half the back-off, draw →1 → the whole. */
    assert_int_equal(retry_policy_delay_us(&p, 1, 0.0), 1 * SEC);
    assert_true(retry_policy_delay_us(&p, 1, 0.999999) <= 2 * SEC);
    assert_true(retry_policy_delay_us(&p, 1, 0.999999) > 19 * SEC / 10);
    assert_int_equal(retry_policy_delay_us(&p, 2, 0.0), 2 * SEC);
    assert_int_equal(retry_policy_delay_us(&p, 3, 0.0), 4 * SEC);
    assert_int_equal(retry_policy_delay_us(&p, 4, 0.0), 8 * SEC);
    assert_int_equal(retry_policy_delay_us(&p, 5, 0.0), 15 * SEC); /* 16 capped at 30/2 */
    assert_int_equal(retry_policy_delay_us(&p, 1000, 0.0), 15 * SEC);
    assert_true(retry_policy_delay_us(&p, 1000, 0.5) <= 30 * SEC);
    /* out-of-range draws are clamped */
    assert_int_equal(retry_policy_delay_us(&p, 1, -3.0), 1 * SEC);
    assert_true(retry_policy_delay_us(&p, 1, 7.0) <= 2 * SEC);
}

static void test_gives_up_at_the_limit(void **state)
{
    (void)state;
    retry_policy_t p = {.max_attempts = 3, .base_delay_us = SEC, .max_delay_us = 10 * SEC};
    assert_false(retry_policy_gives_up(&p, 1));
    assert_false(retry_policy_gives_up(&p, 2));
    assert_true(retry_policy_gives_up(&p, 3));
    assert_true(retry_policy_gives_up(&p, 4));
    retry_policy_t once = {.max_attempts = 1, .base_delay_us = SEC, .max_delay_us = SEC};
    assert_true(retry_policy_gives_up(&once, 1));
}

/* 2026-11-22 00:00 China time, in UTC microseconds. */
#define DAY0     (1795305600LL * SEC - 8 * 3600 * SEC)
#define AT(h, m) (DAY0 + ((h)*3600LL + (m)*60LL) * SEC)

static void test_quiet_hours(void **state)
{
    (void)state;
    quiet_hours_t q;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(quiet_hours_parse("k", "22:00", &q.start_min, &err), 0);
    assert_int_equal(quiet_hours_parse("k", "08:00", &q.end_min, &err), 0);
    assert_false(quiet_hours_contains(&q, AT(21, 59)));
    assert_true(quiet_hours_contains(&q, AT(22, 0)));
    assert_true(quiet_hours_contains(&q, AT(3, 0)));
    assert_false(quiet_hours_contains(&q, AT(8, 0)));
    /* 23:00 → held to 08:00 tomorrow; 03:00 → 08:00 today; urgent → now. */
    assert_int_equal(quiet_hours_next_allowed(&q, AT(23, 0), false), AT(24 + 8, 0));
    assert_int_equal(quiet_hours_next_allowed(&q, AT(3, 0), false), AT(8, 0));
    assert_int_equal(quiet_hours_next_allowed(&q, AT(23, 0), true), AT(23, 0));
    assert_int_equal(quiet_hours_next_allowed(&q, AT(12, 0), false), AT(12, 0));
    /* a window within one day, and none at all */
    quiet_hours_t noon = {.start_min = 12 * 60, .end_min = 13 * 60};
    assert_true(quiet_hours_contains(&noon, AT(12, 30)));
    assert_int_equal(quiet_hours_next_allowed(&noon, AT(12, 30), false), AT(13, 0));
    quiet_hours_t none = {.start_min = 0, .end_min = 0};
    assert_false(quiet_hours_contains(&none, AT(3, 0)));
    /* bad times are refused with the key named */
    int m;
    assert_int_equal(quiet_hours_parse("notify.sms_quiet_start", "24:00", &m, &err), -1);
    assert_non_null(strstr(err.message, "notify.sms_quiet_start"));
    assert_int_equal(quiet_hours_parse("k", "7", &m, &err), -1);
    assert_int_equal(quiet_hours_parse("k", "07:00x", &m, &err), -1);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    char hex[65];
    /* RFC 4231 test case 2 */
    assert_int_equal(webhook_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex),
                     0);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 1: key 0x0b × 20, "Hi There" */
    unsigned char key[20];
    memset(key, 0x0b, sizeof key);
    assert_int_equal(webhook_hmac_sha256_hex(key, sizeof key, "Hi There", 8, hex), 0);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_signature_covers_timestamp_and_body(void **state)
{
    (void)state;
    char a[WEBHOOK_SIGNATURE_SIZE], b[WEBHOOK_SIGNATURE_SIZE], c[WEBHOOK_SIGNATURE_SIZE];
    char expect[65];
    assert_int_equal(webhook_sign("s3cret-s3cret-s3cret", 1700000000, "{\"a\":1}", 7, a), 0);
    assert_int_equal(
        webhook_hmac_sha256_hex("s3cret-s3cret-s3cret", 20, "1700000000.{\"a\":1}", 18, expect), 0);
    assert_memory_equal(a, "v1=", 3);
    assert_string_equal(a + 3, expect);
    assert_int_equal(webhook_sign("s3cret-s3cret-s3cret", 1700000001, "{\"a\":1}", 7, b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(webhook_sign("s3cret-s3cret-s3cret", 1700000000, "{\"a\":2}", 7, c), 0);
    assert_string_not_equal(a, c);
}

static void test_subscription_check_lists_every_problem(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *good[] = {"case.accepted", "case.*", "*"};
    assert_int_equal(
        subscription_check("erp", "https://erp.example.cn/hook", good, 3, "0123456789abcdef", &err),
        0);
    const char *bad[] = {"Case.Accepted", ".x", ""};
    ow_error_clear(&err);
    int n = subscription_check("x", "ftp://host/", bad, 3, "short", &err);
    assert_int_equal(n, 5); /* url, 3 patterns, secret */
    assert_int_equal(ow_error_finish_violations(&err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    ow_error_clear(&err);
    assert_true(
        subscription_check("x", "http://user:pw@host/", good, 1, "0123456789abcdef", &err) == 1);
    ow_error_clear(&err);
    assert_true(subscription_check("x", "http://host/", good, 0, "0123456789abcdef", &err) == 1);
    ow_error_clear(&err);
    assert_true(subscription_check("x", "http://host/a b", good, 1, "0123456789abcde f", &err) ==
                2);
}

static void test_subscription_matching(void **state)
{
    (void)state;
    assert_true(subscription_type_matches("*", "task.created"));
    assert_true(subscription_type_matches("case.*", "case.accepted"));
    assert_false(subscription_type_matches("case.*", "cases.x"));
    assert_false(subscription_type_matches("case.*", "task.created"));
    assert_true(subscription_type_matches("case.accepted", "case.accepted"));
    assert_false(subscription_type_matches("case.accepted", "case.accepted2"));
    assert_true(subscription_list_matches("task.created,case.*", "case.decided"));
    assert_false(subscription_list_matches("task.created,rating.recorded", "case.decided"));
    assert_false(subscription_list_matches("", "case.decided"));
}

static void test_applicant_channel(void **state)
{
    (void)state;
    assert_string_equal(event_rules_applicant_channel("", "13800000000", "a@b.cn", true, true),
                        "sms");
    assert_string_equal(event_rules_applicant_channel("email", "13800000000", "a@b.cn", true, true),
                        "email");
    assert_null(event_rules_applicant_channel("none", "13800000000", "a@b.cn", true, true));
    /* e-mail preferred but no address: SMS; SMS off: e-mail; nothing on: nothing */
    assert_string_equal(event_rules_applicant_channel("email", "13800000000", "", true, true),
                        "sms");
    assert_string_equal(event_rules_applicant_channel("sms", "13800000000", "a@b.cn", false, true),
                        "email");
    assert_null(event_rules_applicant_channel("", "13800000000", "a@b.cn", false, false));
    assert_null(event_rules_applicant_channel("", "", "", true, true));
}

static void test_base64(void **state)
{
    (void)state;
    char *b = outbound_base64("政务", strlen("政务"));
    assert_string_equal(b, "5pS/5Yqh");
    free(b);
    b = outbound_base64("", 0);
    assert_string_equal(b, "");
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_with_jitter_and_ceiling),
        cmocka_unit_test(test_gives_up_at_the_limit),
        cmocka_unit_test(test_quiet_hours),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_signature_covers_timestamp_and_body),
        cmocka_unit_test(test_subscription_check_lists_every_problem),
        cmocka_unit_test(test_subscription_matching),
        cmocka_unit_test(test_applicant_channel),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
