/* exchange: an HTTP request answered later, after its client may have gone. Runs a real
 * evhttp server on an ephemeral port with plain sockets as clients. */
#include "test_support.h"

#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/http.h>

#include "exchange.h"
#include "ow_ops_http.h"

typedef struct {
    struct event_base *base;
    struct evhttp *http;
    int port;
    ow_metrics_t *metrics;
    exchange_t *pending; /* the request waiting for its (late) reply */
} s_server_t;

static void s_on_request(struct evhttp_request *req, void *arg)
{
    s_server_t *s = arg;
    s->pending = exchange_new(req, s->metrics);
    assert_non_null(s->pending);
    exchange_set_route(s->pending, "GET /test");
}

static void s_reply_later(evutil_socket_t fd, short what, void *arg)
{
    s_server_t *s = arg;
    if (s->pending)
        exchange_reply_json(s->pending, 200, json_pack("{s:s}", "ok", "yes"));
    s->pending = NULL;
}

static s_server_t *s_server_new(void)
{
    s_server_t *s = calloc(1, sizeof *s);
    s->base = event_base_new();
    s->http = evhttp_new(s->base);
    s->metrics = ow_metrics_new("test");
    evhttp_set_gencb(s->http, s_on_request, s);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    assert_non_null(sock);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&addr, &len),
                     0);
    s->port = ntohs(addr.sin_port);
    return s;
}

static void s_server_free(s_server_t *s)
{
    if (s->http)
        evhttp_free(s->http);
    ow_metrics_destroy(&s->metrics);
    event_base_free(s->base);
    free(s);
}

/* Runs the loop for ms milliseconds. */
static void s_run(s_server_t *s, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(s->base, &tv);
    event_base_dispatch(s->base);
}

static int s_connect_and_send(int port, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
    return fd;
}

static void test_reply_after_the_client_left(void **state)
{
    s_server_t *s = s_server_new();
    struct event *later = evtimer_new(s->base, s_reply_later, s);

    /* The client asks and hangs up before the answer. */
    int fd = s_connect_and_send(s->port, "GET /test HTTP/1.1\r\nHost: x\r\n\r\n");
    s_run(s, 50);
    assert_non_null(s->pending);
    close(fd);
    s_run(s, 50);
    struct timeval soon = {0, 10000};
    evtimer_add(later, &soon);
    s_run(s, 100); /* the reply goes to a closed socket: no crash, nothing leaked */
    assert_null(s->pending);

    /* The server still answers the next client, with JSON. */
    fd = s_connect_and_send(s->port, "GET /test HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s_run(s, 50);
    evtimer_add(later, &soon);
    s_run(s, 100);
    char buf[1024] = {0};
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    close(fd);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "Content-Type: application/json"));
    assert_non_null(strstr(buf, "{\"ok\":\"yes\"}"));

    /* Both requests were counted under their route and status. */
    char *text = ow_metrics_render(s->metrics);
    assert_non_null(strstr(text, "route=\"GET /test\",status=\"200\"} 2"));
    free(text);
    event_free(later);
    s_server_free(s);
}

static void test_reply_after_the_server_closed(void **state)
{
    s_server_t *s = s_server_new();
    int fd = s_connect_and_send(s->port, "GET /test HTTP/1.1\r\nHost: x\r\n\r\n");
    s_run(s, 50);
    assert_non_null(s->pending);
    assert_false(exchange_gone(s->pending));

    /* Shutting the server down frees the request with its connection; the exchange must
     * notice and not touch it when the late reply comes. */
    evhttp_free(s->http);
    s->http = NULL;
    assert_true(exchange_gone(s->pending));
    exchange_reply_json(s->pending, 200, json_pack("{s:s}", "ok", "late"));
    s->pending = NULL;
    close(fd);
    s_server_free(s);
}

static void test_problem_replies(void **state)
{
    s_server_t *s = s_server_new();
    int fd =
        s_connect_and_send(s->port, "GET /test HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s_run(s, 50);
    assert_non_null(s->pending);
    ow_error_t err;
    ow_error_clear(&err);
    ow_error_add_violation(&err, "grade", "must be an integer");
    ow_error_finish_violations(&err);
    exchange_reply_error(s->pending, &err);
    s->pending = NULL;
    s_run(s, 50);
    char buf[2048] = {0};
    assert_true(recv(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    assert_non_null(strstr(buf, "HTTP/1.1 400"));
    assert_non_null(strstr(buf, "Content-Type: application/problem+json"));
    assert_non_null(strstr(buf, "\"invalid_params\":[{\"name\":\"grade\""));
    s_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_after_the_client_left),
        cmocka_unit_test(test_reply_after_the_server_closed),
        cmocka_unit_test(test_problem_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
