/* admin_clock: the test-clock body, the offset it yields, and clock readings as JSON. */
#include "test_support.h"

#include <stdlib.h>

#include "admin_clock.h"
#include "ow_rpc.h"

#define S 1000000LL
/* Real time in these tests: 2026-11-22T21:00:00+08:00. */
#define REAL_NOW (1795352400LL * S)

static int s_decode(const char *text, int64_t current, int64_t *offset, ow_error_t *err)
{
    json_t *body = test_json(text);
    ow_error_clear(err);
    int rc = admin_clock_decode(body, REAL_NOW, current, offset, err);
    json_decref(body);
    if (rc != 0) {
        assert_int_equal(err->code, OW_INVALID_ARGUMENT);
        assert_true(err->violation_count > 0);
    }
    return rc;
}

static void test_advance_adds_to_the_offset(void **state)
{
    ow_error_t err;
    int64_t offset = -1;
    assert_int_equal(s_decode("{\"advance_seconds\": 3600}", 0, &offset, &err), 0);
    assert_int_equal(offset, 3600 * S);
    assert_int_equal(s_decode("{\"advance_seconds\": 86400}", 3600 * S, &offset, &err), 0);
    assert_int_equal(offset, 90000 * S);
    assert_int_equal(s_decode("{\"advance_seconds\": 0}", 5 * S, &offset, &err), 0);
    assert_int_equal(offset, 5 * S);
}

static void test_set_moves_to_a_time(void **state)
{
    ow_error_t err;
    int64_t offset = -1;
    /* One day after real now. */
    assert_int_equal(s_decode("{\"set\": \"2026-11-23T21:00:00+08:00\"}", 0, &offset, &err), 0);
    assert_int_equal(offset, 86400 * S);
    /* The same instant written in UTC. */
    assert_int_equal(s_decode("{\"set\": \"2026-11-23T13:00:00Z\"}", 0, &offset, &err), 0);
    assert_int_equal(offset, 86400 * S);
    /* Half a second ahead becomes one whole second: never earlier than asked. */
    assert_int_equal(s_decode("{\"set\": \"2026-11-22T21:00:00.5+08:00\"}", 0, &offset, &err), 0);
    assert_int_equal(offset, 1 * S);
}

static void test_backwards_and_malformed_are_refused(void **state)
{
    static const struct {
        const char *body;
        int64_t current;
        const char *field;
    } cases[] = {
        {"{\"advance_seconds\": -1}", 0, "advance_seconds"},
        {"{\"advance_seconds\": 1.5}", 0, "advance_seconds"},
        {"{\"advance_seconds\": \"60\"}", 0, "advance_seconds"},
        {"{\"advance_seconds\": 99999999999}", 0, "advance_seconds"},
        /* Before the current system time (real now + one hour of offset). */
        {"{\"set\": \"2026-11-22T21:30:00+08:00\"}", 3600 * S, "set"},
        {"{\"set\": \"2026-11-22T20:00:00+08:00\"}", 0, "set"},
        {"{\"set\": \"tomorrow\"}", 0, "set"},
        {"{\"set\": 1795352400}", 0, "set"},
        {"{\"set\": \"9999-12-31T23:59:59Z\"}", 0, "set"},
        {"{}", 0, "advance_seconds"},
        {"{\"advance_seconds\": 1, \"set\": \"2026-11-23T21:00:00+08:00\"}", 0, "set"},
        {"{\"advance_seconds\": 1, \"speed\": 2}", 0, "speed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ow_error_t err;
        int64_t offset = -7;
        if (s_decode(cases[i].body, cases[i].current, &offset, &err) == 0)
            fail_msg("accepted %s", cases[i].body);
        if (!test_has_violation(&err, cases[i].field))
            fail_msg("%s: no violation for %s (%s)", cases[i].body, cases[i].field, err.message);
        assert_int_equal(offset, -7);
    }
}

static void test_clock_json(void **state)
{
    json_t *j = admin_clock_json(REAL_NOW + 3600 * S, 3600 * S);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "now")), "2026-11-22T22:00:00+08:00");
    assert_true(json_is_integer(json_object_get(j, "offset_seconds")));
    assert_int_equal(json_integer_value(json_object_get(j, "offset_seconds")), 3600);
    json_decref(j);

    j = admin_clock_json(REAL_NOW, 1500000);
    assert_true(json_is_real(json_object_get(j, "offset_seconds")));
    assert_true(json_real_value(json_object_get(j, "offset_seconds")) == 1.5);
    json_decref(j);
}

static void test_stored_reply_round_trip(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *answer = NULL, *reply = NULL;
    size_t answer_len = 0, reply_len = 0;
    assert_int_equal(admin_clock_pack_reply(REAL_NOW + 60 * S, 60 * S, &answer, &answer_len, &err),
                     0);
    assert_int_equal(ow_rpc_pack_reply(NULL, answer, answer_len, &reply, &reply_len), 0);

    json_t *j = admin_clock_stored_reply_json(reply, reply_len, &err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "offset_seconds")), 60);
    assert_string_equal(json_string_value(json_object_get(j, "now")), "2026-11-22T21:01:00+08:00");
    json_decref(j);

    /* A daemon's "_clock" answer is the same message. */
    j = admin_clock_reply_json(answer, answer_len, &err);
    assert_non_null(j);
    json_decref(j);

    const uint8_t garbage[] = {0x08};
    assert_null(admin_clock_stored_reply_json(garbage, sizeof garbage, &err));
    assert_int_equal(err.code, OW_INTERNAL);
    free(answer);
    free(reply);
}

static void test_clock_advanced_payload(void **state)
{
    ow_error_t err;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(admin_clock_pack_advanced(42 * S, "http:127.0.0.1", &buf, &len, &err), 0);
    assert_true(len > 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advance_adds_to_the_offset),
        cmocka_unit_test(test_set_moves_to_a_time),
        cmocka_unit_test(test_backwards_and_malformed_are_refused),
        cmocka_unit_test(test_clock_json),
        cmocka_unit_test(test_stored_reply_round_trip),
        cmocka_unit_test(test_clock_advanced_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
