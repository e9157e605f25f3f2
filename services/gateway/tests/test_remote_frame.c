/* remote_frame: what a township centre's request frame must be before anything acts on it. */
#include "test_support.h"

#include <stdlib.h>

#include "remote_frame.h"

static size_t s_frame(uint8_t *out, const char *id, const char *method, const char *key,
                      const ProtobufCMessage *payload)
{
    uint8_t buf[1024];
    Onewindow__V1__Request req = ONEWINDOW__V1__REQUEST__INIT;
    req.request_id = (char *)id;
    req.method = (char *)method;
    req.idempotency_key = (char *)key;
    if (payload) {
        req.payload.data = buf;
        req.payload.len = protobuf_c_message_pack(payload, buf);
    }
    return onewindow__v1__request__pack(&req, out);
}

static void test_good_frames(void **state)
{
    uint8_t frame[2048];
    remote_request_t req;
    ow_error_t err;
    Onewindow__V1__GetCase get = ONEWINDOW__V1__GET_CASE__INIT;
    get.case_no = "3301222026000001";
    size_t n = s_frame(frame, "r1", "intake.get_case", "", &get.base);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), 0);
    assert_int_equal(req.method, REMOTE_GET_CASE);
    assert_string_equal(req.case_no, "3301222026000001");
    remote_request_clear(&req);

    Onewindow__V1__RemoteEventsAfter after = ONEWINDOW__V1__REMOTE_EVENTS_AFTER__INIT;
    after.after = 42;
    n = s_frame(frame, "r2", "remote.subscribe", "", &after.base);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), 0);
    assert_int_equal(req.after, 42);
    assert_int_equal(req.limit, 100);
    remote_request_clear(&req);
}

static void test_bad_frames(void **state)
{
    uint8_t frame[2048];
    remote_request_t req;
    ow_error_t err;
    Onewindow__V1__SubmitApplication app = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    app.item_code = "\xff\xfe";

    /* every problem at once: no request id, no idempotency key, a string not UTF-8 */
    size_t n = s_frame(frame, "", "intake.submit", "", &app.base);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(test_has_violation(&err, "request_id"));
    assert_true(test_has_violation(&err, "idempotency_key"));
    assert_true(test_has_violation(&err, "payload"));

    /* a method a centre may not call, answered with the request id */
    n = s_frame(frame, "r3", "routing.decide", "k", NULL);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), -1);
    assert_int_equal(err.code, OW_UNIMPLEMENTED);
    assert_string_equal(req.request_id, "r3");

    /* a case number that is not path-safe; a limit out of range */
    Onewindow__V1__CorrectCase c = ONEWINDOW__V1__CORRECT_CASE__INIT;
    c.case_no = "../etc";
    n = s_frame(frame, "r4", "intake.correct", "k1", &c.base);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), -1);
    assert_true(test_has_violation(&err, "payload.case_no"));
    Onewindow__V1__RemoteEventsAfter a = ONEWINDOW__V1__REMOTE_EVENTS_AFTER__INIT;
    a.limit = 501;
    n = s_frame(frame, "r5", "remote.events", "", &a.base);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(frame, n, &req, &err), -1);
    assert_true(test_has_violation(&err, "payload.limit"));

    /* not a Request at all; too large */
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode((const uint8_t *)"\xff\xff\xff", 3, &req, &err), -1);
    uint8_t *big = calloc(1, REMOTE_FRAME_MAX + 1);
    ow_error_clear(&err);
    assert_int_equal(remote_request_decode(big, REMOTE_FRAME_MAX + 1, &req, &err), -1);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_frames),
        cmocka_unit_test(test_bad_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
