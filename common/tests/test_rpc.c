/* ow_rpc: a server and clients on one loop over ipc:// in a private directory. Covers
 * answers (OK, errors with violations, stored answers, asynchronous ones), refusals
 * (unknown method, expired deadline, malformed frames from a raw peer) and the client's
 * retries, timeouts and cancellation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "ow_clock.h"
#include "ow_envelope.h"
#include "ow_loop.h"
#include "ow_rpc.h"
#include "ow_test_loop.h"
#include "onewindow/v1/envelope.pb-c.h"

typedef struct {
    char dir[256];
    char endpoint[320];
    char sock_path[300];
    ow_loop_t *loop;
    ow_rpc_server_t *server;
    ow_rpc_client_t *client;
    int handled;               /* handler invocations */
    ow_rpc_call_t *held;       /* a call a handler kept without answering */
    char held_request_id[64];  /* and its request id */
    ow_rpc_call_t *later;      /* answered from a timer */
    void *raw;                 /* a raw DEALER peer, closed by teardown even after a failure */
    void *other;               /* another socket a test made, closed by teardown */
    ow_rpc_call_t **collected; /* calls test.collect keeps until it has them all */
    size_t n_collected, want_collected, n_answered, n_right;
} s_fixture_t;

/* ---- handlers ---- */

static void s_echo(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    size_t len;
    const uint8_t *p = ow_rpc_call_payload(call, &len);
    ow_rpc_reply(call, p, len);
}

static void s_fail(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    ow_error_t err;
    ow_error_clear(&err);
    ow_error_add_violation(&err, "applicant.id_number", "has %d digits, 18 expected", 17);
    ow_error_add_violation(&err, "materials", "'营业执照' is missing");
    ow_error_finish_violations(&err);
    ow_rpc_reply_error(call, &err);
}

/* Keeps the first attempt unanswered (as if lost), answers the retry. */
static void s_drop_first(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    if (!f->held) {
        f->held = call;
        snprintf(f->held_request_id, sizeof f->held_request_id, "%s", ow_rpc_call_request_id(call));
        return;
    }
    /* The retry carries the same request id (and idempotency key). */
    assert_string_equal(ow_rpc_call_request_id(call), f->held_request_id);
    assert_string_equal(ow_rpc_call_idempotency_key(call), "idem-1");
    ow_rpc_reply(call, (const uint8_t *)"second", 6);
}

static void s_answer_later(void *arg)
{
    s_fixture_t *f = arg;
    ow_rpc_reply(f->later, (const uint8_t *)"later", 5);
    f->later = NULL;
}

static void s_async(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    f->later = call;
    ow_loop_timer(f->loop, 0.05, false, s_answer_later, f);
}

static void s_stored(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    ow_error_t err;
    ow_error_clear(&err);
    ow_error_set(&err, OW_ALREADY_EXISTS, "case already rated");
    ow_error_add_violation(&err, "case_no", "rated on %s", "2026-11-22");
    uint8_t *packed;
    size_t len;
    assert_int_equal(ow_rpc_pack_reply(&err, (const uint8_t *)"p", 1, &packed, &len), 0);
    ow_rpc_reply_packed(call, packed, len);
    free(packed);
}

static void s_whoami(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    char buf[300];
    int n = snprintf(buf, sizeof buf, "%s|%s|%s", ow_rpc_call_method(call),
                     ow_rpc_call_caller(call), ow_rpc_call_idempotency_key(call));
    assert_true(ow_rpc_call_deadline_ms(call) > ow_clock_real_us() / 1000);
    ow_rpc_reply(call, (const uint8_t *)buf, (size_t)n);
}

/* Keeps the call to answer it later (after its client is gone). */
static void s_hold(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    f->later = call;
}

/* Keeps calls until want_collected arrived, then answers them newest first, each with its
 * own payload: replies arrive in another order than the calls, while all are pending. */
static void s_collect(ow_rpc_call_t *call, void *arg)
{
    s_fixture_t *f = arg;
    f->handled++;
    f->collected[f->n_collected++] = call;
    if (f->n_collected < f->want_collected)
        return;
    while (f->n_collected > 0) {
        ow_rpc_call_t *c = f->collected[--f->n_collected];
        size_t len;
        const uint8_t *p = ow_rpc_call_payload(c, &len);
        ow_rpc_reply(c, p, len);
    }
}

static void s_register(s_fixture_t *f)
{
    ow_rpc_server_handle(f->server, "test.collect", s_collect, f);
    ow_rpc_server_handle(f->server, "test.hold", s_hold, f);
    ow_rpc_server_handle(f->server, "test.echo", s_fail, f); /* replaced just below */
    ow_rpc_server_handle(f->server, "test.echo", s_echo, f);
    ow_rpc_server_handle(f->server, "test.fail", s_fail, f);
    ow_rpc_server_handle(f->server, "test.drop_first", s_drop_first, f);
    ow_rpc_server_handle(f->server, "test.async", s_async, f);
    ow_rpc_server_handle(f->server, "test.stored", s_stored, f);
    ow_rpc_server_handle(f->server, "test.whoami", s_whoami, f);
}

/* ---- fixture ---- */

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/owtest-rpc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock_path, sizeof f->sock_path, "%s/rpc.sock", f->dir);
    snprintf(f->endpoint, sizeof f->endpoint, "ipc://%s", f->sock_path);
    f->loop = ow_loop_new();
    ow_error_t err;
    f->server = ow_rpc_server_new(f->loop, f->endpoint, &err);
    if (!f->server) {
        fprintf(stderr, "server: %s\n", err.message);
        return -1;
    }
    s_register(f);
    f->client = ow_rpc_client_new(f->loop, f->endpoint, &err);
    if (!f->client)
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    if (f->raw)
        zmq_close(f->raw);
    if (f->other)
        zmq_close(f->other);
    ow_rpc_client_destroy(&f->client);
    ow_rpc_server_destroy(&f->server);
    /* A call held past its server's end can still be answered: the answer is dropped. */
    if (f->held)
        ow_rpc_reply(f->held, NULL, 0);
    ow_loop_destroy(&f->loop);
    unlink(f->sock_path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- tests through the client ---- */

static void test_ok_reply(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    uint8_t *out = NULL;
    size_t len = 0;
    ow_status_t st = ow_rpc_call_blocking(f->client, "test.echo", NULL, (const uint8_t *)"hello", 5,
                                          3000, &out, &len, &err);
    assert_int_equal(st, OW_OK);
    assert_int_equal(err.code, OW_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    /* Empty payload, no payload_out wanted. */
    st = ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 3000, NULL, NULL, &err);
    assert_int_equal(st, OW_OK);
    assert_int_equal(f->handled, 2);
    assert_true(ow_rpc_server_requests(f->server) == 2);
    assert_true(ow_rpc_server_malformed(f->server) == 0);
}

static void test_error_with_violations(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    uint8_t *out = (uint8_t *)"x";
    size_t len = 9;
    ow_status_t st =
        ow_rpc_call_blocking(f->client, "test.fail", "k", NULL, 0, 3000, &out, &len, &err);
    assert_int_equal(st, OW_INVALID_ARGUMENT);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(err.violation_count, 2);
    assert_string_equal(err.violations[0].field, "applicant.id_number");
    assert_string_equal(err.violations[0].description, "has 17 digits, 18 expected");
    assert_string_equal(err.violations[1].field, "materials");
    assert_string_equal(err.violations[1].description, "'营业执照' is missing");
    assert_non_null(strstr(err.message, "2 problems"));
}

static void test_unknown_method(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_status_t st =
        ow_rpc_call_blocking(f->client, "test.nope", NULL, NULL, 0, 3000, NULL, NULL, &err);
    assert_int_equal(st, OW_UNIMPLEMENTED);
    assert_non_null(strstr(err.message, "test.nope"));
    assert_int_equal(f->handled, 0);
}

static void test_accessors(void **state)
{
    s_fixture_t *f = *state;
    uint8_t *out = NULL;
    size_t len = 0;
    ow_error_t err;
    ow_status_t st =
        ow_rpc_call_blocking(f->client, "test.whoami", "idem-9", NULL, 0, 3000, &out, &len, &err);
    assert_int_equal(st, OW_OK);
    /* ow_rpc_call_blocking has no caller argument: "" on the server. */
    assert_int_equal(len, strlen("test.whoami||idem-9"));
    assert_memory_equal(out, "test.whoami||idem-9", len);
    free(out);
}

static void test_async_and_stored_answers(void **state)
{
    s_fixture_t *f = *state;
    uint8_t *out = NULL;
    size_t len = 0;
    ow_error_t err;
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.async", NULL, NULL, 0, 3000, &out, &len, &err),
        OW_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "later", 5);
    free(out);
    out = NULL;
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.stored", NULL, NULL, 0, 3000, &out, &len, &err),
        OW_ALREADY_EXISTS);
    assert_string_equal(err.message, "case already rated");
    assert_int_equal(err.violation_count, 1);
    assert_string_equal(err.violations[0].field, "case_no");
    assert_int_equal(len, 1);
    free(out);
}

/* Each call's done() gets its own reply: the payload is the call's number. */
typedef struct {
    s_fixture_t *f;
    size_t i;
} s_numbered_t;

static void s_numbered_done(const ow_rpc_result_t *r, void *arg)
{
    s_numbered_t *n = arg;
    char want[32];
    int len = snprintf(want, sizeof want, "call-%zu", n->i);
    n->f->n_answered++;
    if (r->status == OW_OK && r->payload_len == (size_t)len && !memcmp(r->payload, want, len))
        n->f->n_right++;
}

static bool s_all_answered(void *arg)
{
    s_fixture_t *f = arg;
    return f->n_answered == f->want_collected;
}

/* Makes n numbered test.collect calls through client at once (timeout_ms each) and turns the
 * loop until all are answered, at most wait_s: every one must get its own payload back. */
static void s_numbered_calls(s_fixture_t *f, ow_rpc_client_t *client, size_t n, int timeout_ms,
                             double wait_s)
{
    s_numbered_t *calls = calloc(n, sizeof *calls);
    f->collected = calloc(n, sizeof *f->collected);
    assert_non_null(calls);
    assert_non_null(f->collected);
    f->want_collected = n;
    for (size_t i = 0; i < n; i++) {
        char payload[32];
        int len = snprintf(payload, sizeof payload, "call-%zu", i);
        calls[i] = (s_numbered_t){f, i};
        ow_rpc_call(client, "test.collect", NULL, NULL, (const uint8_t *)payload, (size_t)len,
                    timeout_ms, s_numbered_done, &calls[i]);
    }
    assert_true(ow_test_loop_until(f->loop, s_all_answered, f, wait_s));
    assert_int_equal(f->n_right, n);
    free(calls);
    free(f->collected);
    f->collected = NULL;
}

/* Thousands of calls in flight at once (the gateway under load), answered in reverse: every
 * reply reaches its own call, through the client's index growing while they wait. */
static void test_many_calls_in_flight(void **state)
{
    s_numbered_calls(*state, ((s_fixture_t *)*state)->client, 3000, 30000, 30);
}

static void test_test_clock_does_not_expire_requests(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_clock_enable_test(true);
    assert_int_equal(ow_clock_set_offset_us(30LL * 86400 * 1000000), 0);
    ow_status_t st =
        ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 3000, NULL, NULL, &err);
    ow_clock_enable_test(false);
    assert_int_equal(st, OW_OK);
}

typedef struct {
    int calls;
    ow_status_t status;
    char message[256];
    int64_t at_us;
} s_done_t;

static void s_done(const ow_rpc_result_t *r, void *arg)
{
    s_done_t *d = arg;
    d->calls++;
    d->status = r->status;
    snprintf(d->message, sizeof d->message, "%s", r->message);
    d->at_us = ow_clock_mono_us();
}

static bool s_is_done(void *arg)
{
    return ((s_done_t *)arg)->calls > 0;
}

static void test_retry_after_lost_attempt(void **state)
{
    s_fixture_t *f = *state;
    s_done_t d = {0};
    int64_t start = ow_clock_mono_us();
    /* Retry interval = 1200 / 4 = 300 ms. */
    ow_rpc_call(f->client, "test.drop_first", "idem-1", "staff-7", NULL, 0, 1200, s_done, &d);
    assert_int_equal(d.calls, 0); /* done never runs inside ow_rpc_call */
    assert_true(ow_test_loop_until(f->loop, s_is_done, &d, 5.0));
    assert_int_equal(d.status, OW_OK);
    assert_int_equal(f->handled, 2);
    assert_true(d.at_us - start >= 250000);
    /* The late answer to the first attempt is a duplicate: dropped, done not run again. */
    ow_rpc_reply(f->held, (const uint8_t *)"first", 5);
    f->held = NULL;
    usleep(100000);
    for (int i = 0; i < 20; i++)
        event_base_loop(ow_loop_base(f->loop), EVLOOP_NONBLOCK);
    assert_int_equal(d.calls, 1);
}

typedef struct {
    s_fixture_t *f;
    ow_rpc_server_t *late;
} s_late_bind_t;

static void s_bind_now(void *arg)
{
    s_late_bind_t *lb = arg;
    ow_error_t err;
    lb->late = ow_rpc_server_new(lb->f->loop, lb->f->endpoint, &err);
    assert_non_null(lb->late);
    ow_rpc_server_handle(lb->late, "test.echo", s_echo, lb->f);
}

static void test_server_binds_after_first_send(void **state)
{
    s_fixture_t *f = *state;
    /* No server at first: free the fixture's, then bind a new one 400 ms after sending. */
    ow_rpc_server_destroy(&f->server);
    unlink(f->sock_path);
    s_late_bind_t lb = {.f = f};
    ow_loop_timer(f->loop, 0.4, false, s_bind_now, &lb);
    ow_error_t err;
    uint8_t *out = NULL;
    size_t len = 0;
    int64_t start = ow_clock_mono_us();
    ow_status_t st = ow_rpc_call_blocking(f->client, "test.echo", NULL, (const uint8_t *)"hi", 2,
                                          4000, &out, &len, &err);
    assert_int_equal(st, OW_OK);
    assert_true(ow_clock_mono_us() - start >= 350000);
    assert_int_equal(len, 2);
    free(out);
    assert_non_null(lb.late);
    ow_rpc_server_destroy(&lb.late);
}

static void test_client_timeout(void **state)
{
    s_fixture_t *f = *state;
    char endpoint[400];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/nobody.sock", f->dir);
    ow_error_t err;
    ow_rpc_client_t *c = ow_rpc_client_new(f->loop, endpoint, &err);
    assert_non_null(c);
    int64_t start = ow_clock_mono_us();
    ow_status_t st = ow_rpc_call_blocking(c, "test.echo", NULL, NULL, 0, 300, NULL, NULL, &err);
    int64_t took = ow_clock_mono_us() - start;
    assert_int_equal(st, OW_DEADLINE_EXCEEDED);
    assert_int_equal(err.code, OW_DEADLINE_EXCEEDED);
    assert_non_null(strstr(err.message, "test.echo"));
    assert_true(took >= 290000 && took < 2000000);
    ow_rpc_client_destroy(&c);
    assert_null(c);
}

static void test_destroy_cancels_pending(void **state)
{
    s_fixture_t *f = *state;
    char endpoint[400];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/nobody.sock", f->dir);
    ow_error_t err;
    ow_rpc_client_t *c = ow_rpc_client_new(f->loop, endpoint, &err);
    s_done_t a = {0}, b = {0};
    ow_rpc_call(c, "test.echo", NULL, NULL, NULL, 0, 5000, s_done, &a);
    ow_rpc_call(c, "test.echo", NULL, NULL, NULL, 0, 5000, s_done, &b);
    ow_rpc_client_destroy(&c);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.status, OW_CANCELLED);
    assert_int_equal(b.status, OW_CANCELLED);
}

static void test_client_refuses_bad_calls(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    assert_int_equal(ow_rpc_call_blocking(f->client, "", NULL, NULL, 0, 1000, NULL, NULL, &err),
                     OW_INVALID_ARGUMENT);
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 0, NULL, NULL, &err),
        OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "timeout"));
    size_t big_len = (size_t)OW_FRAME_MAX;
    uint8_t *big = calloc(1, big_len);
    s_done_t d = {0};
    ow_rpc_call(f->client, "test.echo", NULL, NULL, big, big_len, 1000, s_done, &d);
    free(big);
    assert_int_equal(d.calls, 0);
    assert_true(ow_test_loop_until(f->loop, s_is_done, &d, 2.0));
    assert_int_equal(d.status, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(d.message, "limit"));
    assert_int_equal(f->handled, 0);
}

/* ---- a raw peer: what a hostile or broken client can send ---- */

typedef struct {
    void *sock;
    zmq_msg_t reply;
    bool got;
} s_raw_t;

static bool s_raw_got(void *arg)
{
    s_raw_t *r = arg;
    if (!r->got) {
        zmq_msg_init(&r->reply);
        if (zmq_msg_recv(&r->reply, r->sock, ZMQ_DONTWAIT) >= 0)
            r->got = true;
        else
            zmq_msg_close(&r->reply);
    }
    return r->got;
}

/* Sends frames from a raw DEALER and returns the decoded Reply (caller frees). */
static Onewindow__V1__Reply *s_raw_exchange(s_fixture_t *f, void *sock, const void *const *frames,
                                            const size_t *sizes, size_t count)
{
    assert_int_equal(ow_zsend(sock, NULL, frames, sizes, count), 0);
    s_raw_t r = {.sock = sock};
    assert_true(ow_test_loop_until(f->loop, s_raw_got, &r, 5.0));
    assert_false(zmq_msg_more(&r.reply));
    Onewindow__V1__Reply *reply =
        onewindow__v1__reply__unpack(NULL, zmq_msg_size(&r.reply), zmq_msg_data(&r.reply));
    zmq_msg_close(&r.reply);
    assert_non_null(reply);
    return reply;
}

static uint8_t *s_pack_request(const char *id, const char *method, int64_t deadline_ms, size_t *len)
{
    Onewindow__V1__Request req = ONEWINDOW__V1__REQUEST__INIT;
    req.request_id = (char *)id;
    req.method = (char *)method;
    req.deadline_unix_ms = deadline_ms;
    *len = onewindow__v1__request__get_packed_size(&req);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__request__pack(&req, buf);
    return buf;
}

static void s_expect_invalid(s_fixture_t *f, void *raw, const void *const *frames,
                             const size_t *sizes, size_t count, const char *fragment)
{
    Onewindow__V1__Reply *reply = s_raw_exchange(f, raw, frames, sizes, count);
    assert_int_equal(reply->status, OW_INVALID_ARGUMENT);
    assert_string_equal(reply->request_id, "");
    if (!strstr(reply->message, fragment))
        fail_msg("reply '%s' does not say '%s'", reply->message, fragment);
    onewindow__v1__reply__free_unpacked(reply, NULL);
}

static void test_malformed_frames(void **state)
{
    s_fixture_t *f = *state;
    void *raw = f->raw = zmq_socket(ow_loop_zctx(f->loop), ZMQ_DEALER);
    assert_int_equal(zmq_connect(raw, f->endpoint), 0);

    /* Not protobuf at all. */
    const void *garbage[1] = {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"};
    size_t garbage_len[1] = {11};
    s_expect_invalid(f, raw, garbage, garbage_len, 1, "not a valid onewindow.v1.Request");

    /* Two frames where one is expected. */
    size_t len;
    uint8_t *good = s_pack_request("r-2", "test.echo", 0, &len);
    const void *two[2] = {"", good};
    size_t two_len[2] = {0, len};
    s_expect_invalid(f, raw, two, two_len, 2, "got 2");
    free(good);

    /* A Request without a method. */
    uint8_t *nomethod = s_pack_request("r-3", "", 0, &len);
    const void *one[1] = {nomethod};
    size_t one_len[1] = {len};
    s_expect_invalid(f, raw, one, one_len, 1, "method is empty");
    free(nomethod);

    /* A method that is not text. */
    uint8_t *binary = s_pack_request("r-4", "test.\x01", 0, &len);
    one[0] = binary;
    one_len[0] = len;
    s_expect_invalid(f, raw, one, one_len, 1, "method");
    free(binary);

    assert_int_equal(f->handled, 0);
    assert_true(ow_rpc_server_malformed(f->server) == 4);

    /* The server carries on: a good request from the same raw peer is answered... */
    good = s_pack_request("r-5", "test.echo", 0, &len);
    one[0] = good;
    one_len[0] = len;
    Onewindow__V1__Reply *reply = s_raw_exchange(f, raw, one, one_len, 1);
    assert_int_equal(reply->status, OW_OK);
    assert_string_equal(reply->request_id, "r-5");
    onewindow__v1__reply__free_unpacked(reply, NULL);
    free(good);
    /* ...and so is the regular client. */
    ow_error_t err;
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 3000, NULL, NULL, &err), OW_OK);
}

static void test_expired_deadline(void **state)
{
    s_fixture_t *f = *state;
    void *raw = f->raw = zmq_socket(ow_loop_zctx(f->loop), ZMQ_DEALER);
    assert_int_equal(zmq_connect(raw, f->endpoint), 0);
    size_t len;
    uint8_t *req = s_pack_request("r-old", "test.echo", ow_clock_real_us() / 1000 - 1000, &len);
    const void *one[1] = {req};
    size_t one_len[1] = {len};
    Onewindow__V1__Reply *reply = s_raw_exchange(f, raw, one, one_len, 1);
    assert_int_equal(reply->status, OW_DEADLINE_EXCEEDED);
    assert_string_equal(reply->request_id, "r-old");
    onewindow__v1__reply__free_unpacked(reply, NULL);
    free(req);
    assert_int_equal(f->handled, 0); /* the handler never ran */
}

static void test_random_frames_do_not_stop_server(void **state)
{
    s_fixture_t *f = *state;
    void *raw = f->raw = zmq_socket(ow_loop_zctx(f->loop), ZMQ_DEALER);
    assert_int_equal(zmq_connect(raw, f->endpoint), 0);
    srand(7);
    uint8_t buf[256];
    for (int i = 0; i < 200; i++) {
        size_t len = (size_t)rand() % sizeof buf;
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rand();
        const void *one[1] = {buf};
        size_t one_len[1] = {len};
        Onewindow__V1__Reply *reply = s_raw_exchange(f, raw, one, one_len, 1);
        /* Random bytes may happen to decode into a Request; whatever it is, it is
         * answered, and never by running a handler with garbage. */
        assert_true(reply->status != OW_OK);
        onewindow__v1__reply__free_unpacked(reply, NULL);
    }
    ow_error_t err;
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 3000, NULL, NULL, &err), OW_OK);
}

static bool s_is_held(void *arg)
{
    return ((s_fixture_t *)arg)->later != NULL;
}

static void test_reply_to_gone_peer(void **state)
{
    s_fixture_t *f = *state;
    f->raw = zmq_socket(ow_loop_zctx(f->loop), ZMQ_DEALER);
    assert_int_equal(zmq_connect(f->raw, f->endpoint), 0);
    size_t len;
    uint8_t *req = s_pack_request("r-gone", "test.hold", 0, &len);
    const void *one[1] = {req};
    size_t one_len[1] = {len};
    assert_int_equal(ow_zsend(f->raw, NULL, one, one_len, 1), 0);
    free(req);
    assert_true(ow_test_loop_until(f->loop, s_is_held, f, 5.0));
    /* The client goes away before the answer: ROUTER_MANDATORY makes the send fail
     * (EHOSTUNREACH), which is logged; the call is freed all the same. */
    zmq_close(f->raw);
    f->raw = NULL;
    ow_test_loop_until(f->loop, NULL, NULL, 0.2); /* just turn it */
    ow_rpc_reply(f->later, (const uint8_t *)"too late", 8);
    f->later = NULL;
    ow_error_t err;
    assert_int_equal(
        ow_rpc_call_blocking(f->client, "test.echo", NULL, NULL, 0, 3000, NULL, NULL, &err), OW_OK);
}

static void test_bind_errors(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    /* A TCP port already in use (ipc:// would silently take over the path instead). The port
     * is chosen by the kernel, never fixed. */
    f->other = zmq_socket(ow_loop_zctx(f->loop), ZMQ_ROUTER);
    assert_int_equal(zmq_bind(f->other, "tcp://127.0.0.1:*"), 0);
    char taken[256];
    size_t size = sizeof taken;
    assert_int_equal(zmq_getsockopt(f->other, ZMQ_LAST_ENDPOINT, taken, &size), 0);
    ow_rpc_server_t *dup = ow_rpc_server_new(f->loop, taken, &err);
    if (dup)
        ow_rpc_server_destroy(&dup);
    assert_null(dup);
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_non_null(strstr(err.message, taken));
    ow_rpc_server_t *bad = ow_rpc_server_new(f->loop, "nonsense://x", &err);
    if (bad)
        ow_rpc_server_destroy(&bad);
    assert_null(bad);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "nonsense://x"));
}

/* Echoes, counting the calls of one server of several. */
static void s_count_echo(ow_rpc_call_t *call, void *arg)
{
    (*(int *)arg)++;
    size_t len;
    const uint8_t *p = ow_rpc_call_payload(call, &len);
    ow_rpc_reply(call, p, len);
}

/* n echo calls through client, one after another, each answered OK. */
static void s_echo_times(ow_rpc_client_t *client, int n)
{
    ow_error_t err;
    for (int i = 0; i < n; i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        assert_int_equal(ow_rpc_call_blocking(client, "test.echo", NULL, (const uint8_t *)"x", 1,
                                              4000, &out, &len, &err),
                         OW_OK);
        free(out);
    }
}

/* A second instance of the fixture's server (test.echo counting into *count, test.collect),
 * and in list the two endpoints, as a client is given them. */
static ow_rpc_server_t *s_second_instance(s_fixture_t *f, int *count, char *list, size_t size)
{
    ow_error_t err;
    char second[320];
    snprintf(second, sizeof second, "ipc://%s/rpc2.sock", f->dir);
    snprintf(list, size, "%s, %s", f->endpoint, second);
    ow_rpc_server_t *server2 = ow_rpc_server_new(f->loop, second, &err);
    assert_non_null(server2);
    ow_rpc_server_handle(server2, "test.echo", s_count_echo, count);
    ow_rpc_server_handle(server2, "test.collect", s_collect, f);
    return server2;
}

/* A burst of calls made as the client starts, before any connection to a list of instances
 * is up (ZeroMQ refuses them then): they go as soon as one is, not at their retry a quarter
 * of the timeout later (15 s here). */
static void test_burst_before_connections_are_up(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    char list[700];
    int on_second = 0;
    ow_rpc_server_t *server2 = s_second_instance(f, &on_second, list, sizeof list);
    ow_rpc_client_t *client = ow_rpc_client_new(f->loop, list, &err);
    assert_non_null(client);
    int64_t start = ow_clock_mono_us();
    s_numbered_calls(f, client, 500, 60000, 10);
    assert_true(ow_clock_mono_us() - start < 5000000);
    ow_rpc_client_destroy(&client);
    ow_rpc_server_destroy(&server2);
}

/* A client given two instances' endpoints deals its calls to both, and when one goes away
 * the calls (retries included) reach the other; a bad list is refused naming the entry. */
static void test_client_over_several_instances(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    char list[700];
    int on_second = 0;
    ow_rpc_server_t *server2 = s_second_instance(f, &on_second, list, sizeof list);
    ow_rpc_client_t *client = ow_rpc_client_new(f->loop, list, &err);
    assert_non_null(client);
    ow_test_loop_until(f->loop, NULL, NULL, 0.2); /* both connections up */
    s_echo_times(client, 20);
    assert_true(f->handled > 0);
    assert_true(on_second > 0);
    assert_int_equal(f->handled + on_second, 20);
    /* The second instance goes: every call is answered by the first. */
    ow_rpc_server_destroy(&server2);
    s_echo_times(client, 10);
    ow_rpc_client_destroy(&client);
    snprintf(list, sizeof list, "%s,,ipc://%s/rpc2.sock", f->endpoint, f->dir);
    assert_null(ow_rpc_client_new(f->loop, list, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "entry 2 is empty"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_error_with_violations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_accessors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_async_and_stored_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_many_calls_in_flight, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_test_clock_does_not_expire_requests, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_lost_attempt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_server_binds_after_first_send, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_cancels_pending, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_refuses_bad_calls, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_expired_deadline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_random_frames_do_not_stop_server, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reply_to_gone_peer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bind_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_over_several_instances, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_burst_before_connections_are_up, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
