/* ow_loop: timers, ZeroMQ watches (drain, fairness, poke), stop, signals, shutdown. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
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
#include "ow_loop.h"
#include "ow_test_loop.h"

typedef struct {
    ow_loop_t *loop;
    int received;
    int at_timer; /* received when the timer ran */
    ow_zwatch_t *watch;
    bool destroy_on_first;
    bool stop_on_first;
    char last[32];
} s_sink_t;

typedef struct {
    ow_loop_t *loop;
    void *a;       /* sending end */
    void *b;       /* watched end */
    s_sink_t sink; /* its watch is destroyed before the sockets close, as the contract says */
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    f->loop = ow_loop_new();
    if (!f->loop)
        return -1;
    f->sink.loop = f->loop;
    f->a = zmq_socket(ow_loop_zctx(f->loop), ZMQ_PAIR);
    f->b = zmq_socket(ow_loop_zctx(f->loop), ZMQ_PAIR);
    int unlimited = 0; /* the fairness test queues a large backlog before reading */
    zmq_setsockopt(f->a, ZMQ_SNDHWM, &unlimited, sizeof unlimited);
    zmq_setsockopt(f->b, ZMQ_RCVHWM, &unlimited, sizeof unlimited);
    if (zmq_bind(f->b, "inproc://loop-test") != 0 || zmq_connect(f->a, "inproc://loop-test") != 0)
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    ow_zwatch_destroy(&f->sink.watch);
    if (f->a)
        zmq_close(f->a);
    if (f->b)
        zmq_close(f->b);
    ow_loop_destroy(&f->loop);
    assert_null(f->loop);
    free(f);
    return 0;
}

/* ---- timers ---- */

typedef struct {
    ow_loop_t *loop;
    int fired;
    int stop_after;
    ow_timer_t *self_destroy; /* destroyed from its own callback when set */
    int64_t fired_at_us;
} s_counter_t;

static void s_count(void *arg)
{
    s_counter_t *c = arg;
    c->fired++;
    c->fired_at_us = ow_clock_mono_us();
    if (c->self_destroy)
        ow_timer_destroy(&c->self_destroy);
    if (c->stop_after && c->fired >= c->stop_after)
        ow_loop_stop(c->loop);
}

static void s_stop(void *arg)
{
    ow_loop_stop(arg);
}

static void test_timers(void **state)
{
    s_fixture_t *f = *state;
    s_counter_t once = {.loop = f->loop};
    s_counter_t rep = {.loop = f->loop};
    s_counter_t never = {.loop = f->loop};
    s_counter_t rearmed = {.loop = f->loop};
    s_counter_t suicide = {.loop = f->loop};
    int64_t start = ow_clock_mono_us();
    assert_non_null(ow_loop_timer(f->loop, 0.01, false, s_count, &once));
    assert_non_null(ow_loop_timer(f->loop, 0.02, true, s_count, &rep));
    /* Negative: created disarmed. */
    ow_timer_t *disarmed = ow_loop_timer(f->loop, -1, false, s_count, &never);
    assert_non_null(disarmed);
    /* Re-arming moves a pending one-shot later. */
    ow_timer_t *t = ow_loop_timer(f->loop, 0.01, false, s_count, &rearmed);
    ow_timer_arm(t, 0.15);
    suicide.self_destroy = ow_loop_timer(f->loop, 0.01, true, s_count, &suicide);
    assert_non_null(ow_loop_timer(f->loop, 0.3, false, s_stop, f->loop));
    assert_int_equal(ow_loop_run(f->loop), 0);
    assert_int_equal(once.fired, 1);
    assert_true(rep.fired >= 5 && rep.fired <= 16);
    assert_int_equal(never.fired, 0);
    assert_int_equal(rearmed.fired, 1);
    assert_true(rearmed.fired_at_us - start >= 140000);
    assert_int_equal(suicide.fired, 1); /* repeating, but it destroyed itself */
    assert_null(suicide.self_destroy);
    ow_timer_destroy(&disarmed);
    assert_null(disarmed);
    /* Remaining timers (rep, t, …) are freed by ow_loop_destroy in teardown. */
}

/* ---- stop and signals ---- */

static void test_stop_before_run(void **state)
{
    s_fixture_t *f = *state;
    assert_false(ow_loop_stopping(f->loop));
    ow_loop_stop(f->loop);
    assert_true(ow_loop_stopping(f->loop));
    /* Returns at once even though a timer would keep it busy for a long time. */
    s_counter_t c = {.loop = f->loop};
    ow_loop_timer(f->loop, 60, false, s_count, &c);
    int64_t start = ow_clock_mono_us();
    assert_int_equal(ow_loop_run(f->loop), 0);
    assert_true(ow_clock_mono_us() - start < 1000000);
}

static void s_raise_term(void *arg)
{
    (void)arg;
    raise(SIGTERM);
}

static void test_signal_stops(void **state)
{
    s_fixture_t *f = *state;
    s_counter_t guard = {.loop = f->loop};
    ow_loop_timer(f->loop, 0.01, false, s_raise_term, NULL);
    /* If the signal did not stop the loop this would: the test then fails on `stopping`'s
     * source below (guard fired). */
    ow_loop_timer(f->loop, 5, false, s_count, &guard);
    guard.stop_after = 1;
    assert_int_equal(ow_loop_run(f->loop), 0);
    assert_true(ow_loop_stopping(f->loop));
    assert_int_equal(guard.fired, 0);
    /* SIGPIPE is ignored: raising it does not kill the test. */
    raise(SIGPIPE);
}

/* ---- watches ---- */

static void s_on_msg(void *zsock, void *arg)
{
    s_sink_t *s = arg;
    char buf[32];
    int n = zmq_recv(zsock, buf, sizeof buf - 1, ZMQ_DONTWAIT);
    assert_true(n >= 0);
    buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = '\0';
    snprintf(s->last, sizeof s->last, "%s", buf);
    s->received++;
    if (s->destroy_on_first && s->received == 1)
        ow_zwatch_destroy(&s->watch);
    if (s->stop_on_first && s->received == 1)
        ow_loop_stop(s->loop);
}

static void s_note_timer(void *arg)
{
    s_sink_t *s = arg;
    s->at_timer = s->received;
}

static void s_send_n(void *sock, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[16];
        int len = snprintf(buf, sizeof buf, "m%d", i);
        assert_int_equal(zmq_send(sock, buf, (size_t)len, 0), len);
    }
}

static void test_drain_is_bounded_and_fair(void **state)
{
    s_fixture_t *f = *state;
    s_sink_t *sink = &f->sink;
    sink->at_timer = -1;
    /* Queued before the watch exists: their wake-up is already gone, the watch must look
     * on its own. */
    s_send_n(f->a, 20000);
    sink->watch = ow_loop_watch(f->loop, f->b, s_on_msg, sink);
    assert_non_null(sink->watch);
    /* Due 1 ms after the drain starts: a watch that kept the loop to itself (for instance
     * by re-activating itself with event_active, which libevent runs again in the same
     * pass) would only let it run after the whole backlog. */
    ow_loop_timer(f->loop, 0.001, false, s_note_timer, sink);
    ow_loop_timer(f->loop, 2, false, s_stop, f->loop);
    ow_loop_run(f->loop);
    assert_int_equal(sink->received, 20000);
    assert_string_equal(sink->last, "m19999");
    if (sink->at_timer < 0 || sink->at_timer >= 20000)
        fail_msg("the timer ran after %d of 20000 messages", sink->at_timer);
}

static void s_send_and_consume_edge(s_fixture_t *f, s_sink_t *sink)
{
    assert_int_equal(zmq_send(f->a, "late", 4, 0), 4);
    /* Reading ZMQ_EVENTS ourselves consumes the ZMQ_FD edge for this message, exactly as
     * a send on the watched socket can: afterwards only a poke makes the watch look. */
    int64_t until = ow_clock_mono_us() + 2000000;
    int events = 0;
    size_t size = sizeof events;
    do {
        zmq_getsockopt(f->b, ZMQ_EVENTS, &events, &size);
    } while (!(events & ZMQ_POLLIN) && ow_clock_mono_us() < until);
    assert_true(events & ZMQ_POLLIN);
    (void)sink;
}

typedef struct {
    s_fixture_t *f;
    s_sink_t *sink;
    bool poke;
} s_poke_case_t;

static void s_late_send(void *arg)
{
    s_poke_case_t *c = arg;
    s_send_and_consume_edge(c->f, c->sink);
    if (c->poke)
        ow_zwatch_poke(c->sink->watch);
}

static void test_poke(void **state)
{
    s_fixture_t *f = *state;
    s_sink_t *sink = &f->sink;
    sink->watch = ow_loop_watch(f->loop, f->b, s_on_msg, sink);
    /* Without a poke the message sits there unseen: the edge-triggered pitfall. */
    s_poke_case_t no_poke = {f, sink, false};
    ow_loop_timer(f->loop, 0.01, false, s_late_send, &no_poke);
    ow_timer_t *stop = ow_loop_timer(f->loop, 0.2, false, s_stop, f->loop);
    ow_loop_run(f->loop);
    assert_int_equal(sink->received, 0);
    ow_timer_destroy(&stop);
}

static void test_poke_delivers(void **state)
{
    s_fixture_t *f = *state;
    s_sink_t *sink = &f->sink;
    sink->watch = ow_loop_watch(f->loop, f->b, s_on_msg, sink);
    s_poke_case_t with_poke = {f, sink, true};
    ow_loop_timer(f->loop, 0.01, false, s_late_send, &with_poke);
    ow_loop_timer(f->loop, 0.2, false, s_stop, f->loop);
    ow_loop_run(f->loop);
    assert_int_equal(sink->received, 1);
    assert_string_equal(sink->last, "late");
}

static void test_handler_destroys_its_watch(void **state)
{
    s_fixture_t *f = *state;
    s_sink_t *sink = &f->sink;
    sink->destroy_on_first = true;
    s_send_n(f->a, 5);
    sink->watch = ow_loop_watch(f->loop, f->b, s_on_msg, sink);
    ow_loop_timer(f->loop, 0.1, false, s_stop, f->loop);
    ow_loop_run(f->loop);
    assert_int_equal(sink->received, 1);
    assert_null(sink->watch);
}

static void test_handler_stops_loop(void **state)
{
    s_fixture_t *f = *state;
    s_sink_t *sink = &f->sink;
    sink->stop_on_first = true;
    s_send_n(f->a, 5);
    sink->watch = ow_loop_watch(f->loop, f->b, s_on_msg, sink);
    ow_loop_run(f->loop);
    /* Stopping means no new work: the drain ends after the current message. */
    assert_int_equal(sink->received, 1);
    /* The watch stays with the loop and is freed by ow_loop_destroy. */
}

/* ---- ow_zsend ---- */

static void test_zsend(void **state)
{
    s_fixture_t *f = *state;
    const void *frames[3] = {"one", "", "three"};
    size_t sizes[3] = {3, 0, 5};
    assert_int_equal(ow_zsend(f->a, NULL, frames, sizes, 3), 0);
    char buf[8];
    int more = 0;
    size_t msize = sizeof more;
    assert_int_equal(zmq_recv(f->b, buf, sizeof buf, 0), 3);
    zmq_getsockopt(f->b, ZMQ_RCVMORE, &more, &msize);
    assert_true(more);
    assert_int_equal(zmq_recv(f->b, buf, sizeof buf, 0), 0);
    assert_int_equal(zmq_recv(f->b, buf, sizeof buf, 0), 5);
    zmq_getsockopt(f->b, ZMQ_RCVMORE, &more, &msize);
    assert_false(more);
    errno = 0;
    assert_int_equal(ow_zsend(f->a, NULL, frames, sizes, 0), -1);
    assert_int_equal(errno, EINVAL);
    /* An unknown ROUTER peer is an error, not a silent drop. */
    void *router = zmq_socket(ow_loop_zctx(f->loop), ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    const void *rf[2] = {"nobody", "x"};
    size_t rs[2] = {6, 1};
    assert_int_equal(ow_zsend(router, NULL, rf, rs, 2), -1);
    assert_int_equal(errno, EHOSTUNREACH);
    zmq_close(router);
}

/* ---- when writable ---- */

static void s_ignore(void *zsock, void *arg)
{
    (void)arg;
    char buf[8];
    zmq_recv(zsock, buf, sizeof buf, ZMQ_DONTWAIT);
}

static void s_writable(void *arg)
{
    (*(int *)arg)++;
}

static bool s_once(void *arg)
{
    return *(int *)arg > 0;
}

/* A DEALER with ZMQ_IMMEDIATE refuses sends until a connection is up; the hook runs once,
 * when the peer appears, and not before (the rpc client's unsent queue relies on it). */
static void test_when_writable(void **state)
{
    s_fixture_t *f = *state;
    const char *tmp = getenv("TMPDIR");
    char dir[200], endpoint[240];
    snprintf(dir, sizeof dir, "%s/ow-loop-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(endpoint, sizeof endpoint, "ipc://%s/w.sock", dir);
    void *dealer = zmq_socket(ow_loop_zctx(f->loop), ZMQ_DEALER);
    int on = 1, zero = 0;
    zmq_setsockopt(dealer, ZMQ_IMMEDIATE, &on, sizeof on);
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(dealer, endpoint), 0);
    int ran = 0;
    ow_zwatch_t *watch = ow_loop_watch(f->loop, dealer, s_ignore, &ran);
    assert_non_null(watch);
    assert_int_equal(zmq_send(dealer, "x", 1, ZMQ_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    ow_zwatch_when_writable(watch, s_writable);
    assert_false(ow_test_loop_until(f->loop, s_once, &ran, 0.3));
    void *router = zmq_socket(ow_loop_zctx(f->loop), ZMQ_ROUTER);
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(router, endpoint), 0);
    assert_true(ow_test_loop_until(f->loop, s_once, &ran, 5.0));
    assert_int_equal(zmq_send(dealer, "x", 1, ZMQ_DONTWAIT), 1);
    ow_test_loop_until(f->loop, NULL, NULL, 0.1);
    assert_int_equal(ran, 1); /* one-shot */
    ow_zwatch_destroy(&watch);
    zmq_close(dealer);
    zmq_close(router);
    char path[240];
    snprintf(path, sizeof path, "%s/w.sock", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- shutdown ---- */

static int s_order[4];
static int s_order_n;

static void s_hook(void *arg)
{
    s_order[s_order_n++] = (int)(intptr_t)arg;
}

typedef struct {
    ow_zwatch_t *watch;
    void *sock;
} s_owner_t;

static void s_close_owner(void *arg)
{
    s_owner_t *o = arg;
    ow_zwatch_destroy(&o->watch);
    zmq_close(o->sock);
    s_order[s_order_n++] = 9;
}

static void test_shutdown_hooks_reverse(void **state)
{
    (void)state;
    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    s_order_n = 0;
    /* A component that owns a socket closes it from its hook, so the context can end. */
    s_owner_t owner = {.sock = zmq_socket(ow_loop_zctx(loop), ZMQ_DEALER)};
    zmq_connect(owner.sock, "inproc://nobody-listens");
    const void *fr[1] = {"queued"};
    size_t sz[1] = {6};
    ow_zsend(owner.sock, NULL, fr, sz, 1); /* unsent message: linger must not block */
    s_sink_t sink = {.loop = loop};
    owner.watch = ow_loop_watch(loop, owner.sock, s_on_msg, &sink);
    ow_loop_on_shutdown(loop, s_close_owner, &owner);
    ow_loop_on_shutdown(loop, s_hook, (void *)1);
    ow_loop_on_shutdown(loop, s_hook, (void *)2);
    ow_loop_on_shutdown(loop, s_hook, (void *)3);
    ow_loop_timer(loop, 10, true, s_count, &(s_counter_t){0});
    int64_t start = ow_clock_mono_us();
    ow_loop_destroy(&loop);
    assert_null(loop);
    assert_true(ow_clock_mono_us() - start < 1000000);
    assert_int_equal(s_order_n, 4);
    assert_int_equal(s_order[0], 3);
    assert_int_equal(s_order[1], 2);
    assert_int_equal(s_order[2], 1);
    assert_int_equal(s_order[3], 9);
    ow_loop_destroy(&loop); /* harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stop_before_run, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_signal_stops, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_drain_is_bounded_and_fair, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_poke, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_poke_delivers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_handler_destroys_its_watch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_handler_stops_loop, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_zsend, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_when_writable, s_setup, s_teardown),
        cmocka_unit_test(test_shutdown_hooks_reverse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
