/* busd, run as the real binary: a valid event reaches a subscriber, malformed messages are
 * dropped and counted while busd stays up, the ops port answers, SIGTERM stops it cleanly,
 * and a production configuration with the test clock is refused.
 *
 * Endpoints are ipc:// sockets in a fresh temporary directory and the ops port is chosen
 * by the kernel (http.bind port 0, read back from busd's "started" log line), so runs never
 * collide. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "ow_clock.h"
#include "ow_envelope.h"

typedef struct {
    char dir[64];
    char log[128];
    char publish[128];
    char subscribe[128];
    pid_t pid;
    int ops_port;
} s_busd_t;

static void s_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* Starts busd with extra --set options (NULL-terminated); stderr goes to the log file. */
static void s_start(s_busd_t *b, ...)
{
    snprintf(b->dir, sizeof b->dir, "/tmp/owbusd-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    snprintf(b->log, sizeof b->log, "%s/busd.log", b->dir);
    snprintf(b->publish, sizeof b->publish, "ipc://%s/pub", b->dir);
    snprintf(b->subscribe, sizeof b->subscribe, "ipc://%s/sub", b->dir);

    char set_pub[192], set_sub[192];
    snprintf(set_pub, sizeof set_pub, "bus.publish=%s", b->publish);
    snprintf(set_sub, sizeof set_sub, "bus.subscribe=%s", b->subscribe);
    char *argv[32] = {
        BUSD_PATH, "--set", set_pub, "--set", set_sub, "--set", "http.bind=127.0.0.1:0"};
    int argc = 7;
    va_list ap;
    va_start(ap, b);
    const char *extra;
    while ((extra = va_arg(ap, const char *)) != NULL && argc < 30) {
        argv[argc++] = "--set";
        argv[argc++] = (char *)extra;
    }
    va_end(ap);
    argv[argc] = NULL;

    b->pid = fork();
    assert_true(b->pid >= 0);
    if (b->pid == 0) {
        int fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(127);
        /* stdout too: a busd left behind by a failing test must not hold the runner's pipe. */
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        unsetenv("OW_CONFIG"); /* only what this test sets */
        execv(argv[0], argv);
        _exit(127);
    }
}

/* Reads busd's log; returns a malloc'd string (caller frees). */
static char *s_read_log(const s_busd_t *b)
{
    FILE *f = fopen(b->log, "r");
    if (!f)
        return strdup("");
    char *text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Waits for the "started" line and takes the ops port from it. */
static void s_wait_started(s_busd_t *b)
{
    int64_t deadline = ow_clock_mono_us() + 10 * 1000000;
    while (ow_clock_mono_us() < deadline) {
        char *text = s_read_log(b);
        char *p = strstr(text, "\"ops_port\":\"");
        if (p && strstr(text, "\"started\"")) {
            b->ops_port = atoi(p + strlen("\"ops_port\":\""));
            free(text);
            assert_true(b->ops_port > 0);
            return;
        }
        free(text);
        int status;
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            char *log = s_read_log(b);
            print_error("busd exited during start-up:\n%s\n", log);
            free(log);
            fail();
        }
        s_sleep_ms(20);
    }
    fail_msg("busd did not log \"started\" within 10 s");
}

/* Sends SIGTERM and returns the exit status (or -1 when it did not exit within 10 s). */
static int s_stop(s_busd_t *b)
{
    int rc = -1;
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        int64_t deadline = ow_clock_mono_us() + 10 * 1000000;
        int status = 0;
        while (ow_clock_mono_us() < deadline) {
            if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
                rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            s_sleep_ms(20);
        }
        if (rc == -1) {
            kill(b->pid, SIGKILL);
            waitpid(b->pid, NULL, 0);
        }
        b->pid = 0;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    if (system(cmd) != 0)
        print_error("could not remove %s\n", b->dir);
    return rc;
}

/* A plain HTTP/1.0 GET; returns the status and copies the body into body (size bytes). */
static int s_http_get(int port, const char *path, char *body, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    static char resp[1 << 16];
    size_t got = 0;
    ssize_t r;
    while ((r = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)r;
    close(fd);
    resp[got] = '\0';
    int status = 0;
    assert_int_equal(sscanf(resp, "HTTP/1.%*d %d", &status), 1);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, size, "%s", b ? b + 4 : "");
    return status;
}

/* The value of one series in a metrics text, or -1 when absent. */
static long long s_metric(const char *text, const char *series)
{
    const char *p = text;
    size_t n = strlen(series);
    while ((p = strstr(p, series)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return atoll(p + n + 1);
        p += n;
    }
    return -1;
}

static void s_pack(const char *type, uint64_t seq, uint8_t **out, size_t *len)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    ow_uuid_v4(ev.event_id);
    snprintf(ev.source, sizeof ev.source, "intake");
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.case_no, sizeof ev.case_no, "330122-20261122-0001");
    ev.seq = seq;
    ev.time_us = ow_clock_now_us();
    ev.payload = (uint8_t *)"x";
    ev.payload_len = 1;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_envelope_pack(&ev, out, len, &err), 0);
}

static void s_send(void *sock, const void *topic, size_t topic_len, const void *env, size_t env_len)
{
    assert_true(zmq_send(sock, topic, topic_len, env ? ZMQ_SNDMORE : 0) >= 0);
    if (env)
        assert_true(zmq_send(sock, env, env_len, 0) >= 0);
}

/* Receives one message with a timeout; returns its seq after checking it is a valid
 * [topic][Envelope] with topic == type, or 0 on timeout. */
static uint64_t s_recv_event(void *sub, int timeout_ms)
{
    zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return 0;
    char topic[128];
    int tn = zmq_recv(sub, topic, sizeof topic - 1, 0);
    assert_true(tn > 0);
    topic[tn] = '\0';
    int more = 0;
    size_t ms = sizeof more;
    zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ms);
    assert_true(more);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    assert_true(zmq_msg_recv(&msg, sub, 0) >= 0);
    assert_false(zmq_msg_more(&msg));
    ow_event_t ev;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_envelope_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &ev, &err), 0);
    assert_string_equal(ev.type, topic);
    uint64_t seq = ev.seq;
    ow_event_clear(&ev);
    zmq_msg_close(&msg);
    return seq;
}

/* Whatever happens in a test, teardown stops its busd and removes its directory. */
static int s_setup(void **state)
{
    *state = calloc(1, sizeof(s_busd_t));
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    s_busd_t *b = *state;
    if (b->dir[0])
        s_stop(b);
    free(b);
    return 0;
}

static void test_forwards_valid_and_drops_malformed(void **state)
{
    s_busd_t *b = *state;
    s_start(b, NULL);
    s_wait_started(b);

    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(pub, b->publish), 0);
    assert_int_equal(zmq_connect(sub, b->subscribe), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "case.", 5), 0);

    uint8_t *first, *marker, *mismatched;
    size_t first_len, marker_len, mismatched_len;
    s_pack("case.accepted", 1, &first, &first_len);
    s_pack("case.accepted", 2, &marker, &marker_len);
    s_pack("case.accepted", 3, &mismatched, &mismatched_len);

    /* The subscription has to travel SUB → busd → PUB before anything flows (ZeroMQ's
     * slow joiner): publish until the first event arrives. */
    uint64_t seq = 0;
    for (int i = 0; i < 100 && seq == 0; i++) {
        s_send(pub, "case.accepted", 13, first, first_len);
        seq = s_recv_event(sub, 100);
    }
    assert_int_equal(seq, 1);

    /* Malformed: one frame; garbage Envelope; topic not the Envelope's type; three frames. */
    s_send(pub, "case.accepted", 13, NULL, 0);
    s_send(pub, "case.accepted", 13, "\xff\xff\xff\xff garbage", 12);
    s_send(pub, "case.decided", 12, mismatched, mismatched_len);
    assert_true(zmq_send(pub, "case.accepted", 13, ZMQ_SNDMORE) >= 0);
    assert_true(zmq_send(pub, marker, marker_len, ZMQ_SNDMORE) >= 0);
    assert_true(zmq_send(pub, "extra", 5, 0) >= 0);
    /* Then a valid one: everything before it on this connection has been judged. */
    s_send(pub, "case.accepted", 13, marker, marker_len);

    for (;;) {
        seq = s_recv_event(sub, 5000);
        assert_true(seq == 1 || seq == 2); /* extra copies of the first, then the marker */
        if (seq == 2)
            break;
    }
    /* Nothing else may follow: the malformed ones were dropped. */
    assert_int_equal(s_recv_event(sub, 200), 0);

    int status;
    assert_int_equal(waitpid(b->pid, &status, WNOHANG), 0); /* still up */

    static char body[1 << 16];
    assert_int_equal(s_http_get(b->ops_port, "/metrics", body, sizeof body), 200);
    assert_int_equal(
        s_metric(body, "onewindow_bus_messages_dropped_total{service=\"busd\",reason=\"frames\"}"),
        2);
    assert_int_equal(s_metric(body, "onewindow_bus_messages_dropped_total{service=\"busd\","
                                    "reason=\"envelope\"}"),
                     1);
    assert_int_equal(s_metric(body, "onewindow_bus_messages_dropped_total{service=\"busd\","
                                    "reason=\"topic_mismatch\"}"),
                     1);
    assert_true(s_metric(body, "onewindow_bus_messages_forwarded_total{service=\"busd\"}") >= 2);
    assert_true(s_metric(body, "onewindow_bus_subscriptions_forwarded_total{service=\"busd\"}") >=
                1);
    assert_non_null(strstr(body, "# TYPE onewindow_bus_messages_dropped_total counter\n"));

    assert_int_equal(s_http_get(b->ops_port, "/healthz", body, sizeof body), 200);
    assert_int_equal(s_http_get(b->ops_port, "/readyz", body, sizeof body), 200);
    assert_int_equal(s_http_get(b->ops_port, "/nothing", body, sizeof body), 404);

    char *log = s_read_log(b);
    assert_non_null(strstr(log, "malformed message dropped"));
    free(log);

    free(first);
    free(marker);
    free(mismatched);
    zmq_close(pub);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    assert_int_equal(s_stop(b), 0); /* SIGTERM: clean exit */
    b->dir[0] = '\0';
}

static void test_production_refuses_test_clock(void **state)
{
    s_busd_t *b = *state;
    s_start(b, "mode=production", "test_clock=true", NULL);
    int status = 0;
    int64_t deadline = ow_clock_mono_us() + 10 * 1000000;
    pid_t done = 0;
    while (done == 0 && ow_clock_mono_us() < deadline) {
        done = waitpid(b->pid, &status, WNOHANG);
        if (done == 0)
            s_sleep_ms(20);
    }
    assert_int_equal(done, b->pid);
    b->pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    char *log = s_read_log(b);
    assert_non_null(strstr(log, "test_clock = true is refused with mode = production"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forwards_valid_and_drops_malformed, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_production_refuses_test_clock, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
