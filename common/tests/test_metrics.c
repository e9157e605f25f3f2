/* ow_metrics rendering (Prometheus text format 0.0.4) and the ops HTTP port answering
 * /healthz, /readyz (503 with the reason) and /metrics on a real loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <math.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "ow_ops_http.h"

static void test_render_format(void **state)
{
    (void)state;
    ow_metrics_t *m = ow_metrics_new("intaked");
    assert_non_null(m);

    uint64_t *ok = ow_metrics_counter(m, "rpc_requests_total", "method=\"intake.submit\"",
                                      "Requests received.");
    uint64_t *bad = ow_metrics_counter(m, "rpc_requests_total", "method=\"intake.get_case\"",
                                       "ignored: the first help text wins");
    double *lag = ow_metrics_gauge(m, "relay_last_seq", NULL, "Highest seq.");
    double *ratio = ow_metrics_gauge(m, "ratio", NULL, NULL);
    assert_non_null(ok);
    assert_non_null(bad);
    assert_non_null(lag);
    assert_non_null(ratio);
    /* The same (name, labels) is the same slot. */
    assert_ptr_equal(ok,
                     ow_metrics_counter(m, "rpc_requests_total", "method=\"intake.submit\"", NULL));
    *ok = 41;
    (*ok)++;
    *bad = 18446744073709551615ull; /* counters are full 64-bit */
    *lag = 12;
    *ratio = 0.1;

    char *text = ow_metrics_render(m);
    assert_non_null(text);
    assert_string_equal(text, "# HELP onewindow_rpc_requests_total Requests received.\n"
                              "# TYPE onewindow_rpc_requests_total counter\n"
                              "onewindow_rpc_requests_total{service=\"intaked\","
                              "method=\"intake.submit\"} 42\n"
                              "onewindow_rpc_requests_total{service=\"intaked\","
                              "method=\"intake.get_case\"} 18446744073709551615\n"
                              "# HELP onewindow_relay_last_seq Highest seq.\n"
                              "# TYPE onewindow_relay_last_seq gauge\n"
                              "onewindow_relay_last_seq{service=\"intaked\"} 12\n"
                              "# TYPE onewindow_ratio gauge\n"
                              "onewindow_ratio{service=\"intaked\"} 0.1\n");
    free(text);
    ow_metrics_destroy(&m);
    assert_null(m);
    ow_metrics_destroy(&m); /* harmless twice */
}

static void test_render_escapes_and_special_values(void **state)
{
    (void)state;
    ow_metrics_t *m = ow_metrics_new("we\"ird\\svc");
    double *g = ow_metrics_gauge(m, "g", "k=\"a\"", "line one\nline \\two");
    *g = NAN;
    *ow_metrics_gauge(m, "g", "k=\"b\"", NULL) = INFINITY;
    *ow_metrics_gauge(m, "g", "k=\"c\"", NULL) = -INFINITY;
    *ow_metrics_gauge(m, "g", "k=\"d\"", NULL) = 1.0 / 3.0;
    char *text = ow_metrics_render(m);
    assert_string_equal(text, "# HELP onewindow_g line one\\nline \\\\two\n"
                              "# TYPE onewindow_g gauge\n"
                              "onewindow_g{service=\"we\\\"ird\\\\svc\",k=\"a\"} NaN\n"
                              "onewindow_g{service=\"we\\\"ird\\\\svc\",k=\"b\"} +Inf\n"
                              "onewindow_g{service=\"we\\\"ird\\\\svc\",k=\"c\"} -Inf\n"
                              "onewindow_g{service=\"we\\\"ird\\\\svc\",k=\"d\"} "
                              "0.33333333333333331\n");
    free(text);
    ow_metrics_destroy(&m);
}

static void s_refresh(ow_metrics_t *m, void *arg)
{
    int *calls = arg;
    (*calls)++;
    *ow_metrics_gauge(m, "scrapes", NULL, NULL) = *calls;
}

static void test_scrape_hook_refreshes(void **state)
{
    (void)state;
    ow_metrics_t *m = ow_metrics_new("busd");
    int calls = 0;
    ow_metrics_on_scrape(m, s_refresh, &calls);
    char *text = ow_metrics_render(m);
    assert_non_null(strstr(text, "onewindow_scrapes{service=\"busd\"} 1\n"));
    free(text);
    text = ow_metrics_render(m);
    assert_non_null(strstr(text, "onewindow_scrapes{service=\"busd\"} 2\n"));
    free(text);
    assert_int_equal(calls, 2);
    ow_metrics_destroy(&m);
}

/* ---- the HTTP port on a real loop, queried by libevent's HTTP client on the same loop ---- */

typedef struct {
    int status;
    char body[8192];
} s_fetch_t;

static void s_on_response(struct evhttp_request *req, void *arg)
{
    s_fetch_t *f = arg;
    f->status = req ? evhttp_request_get_response_code(req) : -1;
    f->body[0] = '\0';
    if (req) {
        struct evbuffer *buf = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(buf);
        if (n >= sizeof f->body)
            n = sizeof f->body - 1;
        evbuffer_remove(buf, f->body, n);
        f->body[n] = '\0';
    }
}

static int s_fetch_with(ow_loop_t *loop, int port, const char *path, const char *header,
                        s_fetch_t *f)
{
    /* Turns the loop's event_base until the answer is in: server and client share it. */
    struct event_base *base = ow_loop_base(loop);
    struct evhttp_connection *conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
    assert_non_null(conn);
    f->status = 0;
    struct evhttp_request *req = evhttp_request_new(s_on_response, f);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
    if (header)
        evhttp_add_header(evhttp_request_get_output_headers(req), "X-Big", header);
    assert_int_equal(evhttp_make_request(conn, req, EVHTTP_REQ_GET, path), 0);
    while (f->status == 0)
        event_base_loop(base, EVLOOP_ONCE);
    evhttp_connection_free(conn);
    return f->status;
}

static int s_fetch(ow_loop_t *loop, int port, const char *path, s_fetch_t *f)
{
    return s_fetch_with(loop, port, path, NULL, f);
}

static bool s_ready_flag(void *arg, char *why, size_t size)
{
    bool *ready = arg;
    if (!*ready)
        snprintf(why, size, "database unreachable");
    return *ready;
}

static void test_http_port(void **state)
{
    (void)state;
    ow_loop_t *loop = ow_loop_new();
    ow_metrics_t *m = ow_metrics_new("routingd");
    *ow_metrics_counter(m, "tasks_created_total", NULL, "Tasks created.") = 7;
    bool ready = false;
    ow_error_t err;
    ow_error_clear(&err);
    ow_ops_http_t *ops = ow_ops_http_new(loop, "127.0.0.1:0", m, s_ready_flag, &ready, &err);
    assert_non_null(ops);
    int port = ow_ops_http_port(ops);
    assert_true(port > 0);

    static s_fetch_t f;
    assert_int_equal(s_fetch(loop, port, "/healthz", &f), 200);
    assert_int_equal(s_fetch(loop, port, "/readyz", &f), 503);
    assert_non_null(strstr(f.body, "database unreachable"));
    ready = true;
    assert_int_equal(s_fetch(loop, port, "/readyz", &f), 200);
    assert_int_equal(s_fetch(loop, port, "/metrics", &f), 200);
    assert_non_null(strstr(f.body, "onewindow_tasks_created_total{service=\"routingd\"} 7\n"));
    assert_int_equal(s_fetch(loop, port, "/metrics?x=1", &f), 200);
    assert_int_equal(s_fetch(loop, port, "/other", &f), 404);

    /* Headers past the limit are refused, not buffered (evhttp has no limit by default). */
    char *big = malloc(64 * 1024);
    memset(big, 'a', 64 * 1024 - 1);
    big[64 * 1024 - 1] = '\0';
    int status = s_fetch_with(loop, port, "/healthz", big, &f);
    free(big);
    assert_true(status != 200);
    assert_int_equal(s_fetch(loop, port, "/healthz", &f), 200); /* and the port lives on */

    /* A second port on the same address is refused with a message naming it. */
    char bind[32];
    snprintf(bind, sizeof bind, "127.0.0.1:%d", port);
    ow_ops_http_t *clash = ow_ops_http_new(loop, bind, m, NULL, NULL, &err);
    assert_null(clash);
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_non_null(strstr(err.message, bind));

    ow_error_clear(&err);
    assert_null(ow_ops_http_new(loop, "no-port", m, NULL, NULL, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    ow_ops_http_destroy(&ops);
    assert_null(ops);
    ow_metrics_destroy(&m);
    ow_loop_destroy(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_format),
        cmocka_unit_test(test_render_escapes_and_special_values),
        cmocka_unit_test(test_scrape_hook_refreshes),
        cmocka_unit_test(test_http_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
