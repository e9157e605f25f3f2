/* ow_loop — one libevent event_base with ZeroMQ watches, timers, signals and shutdown
 * hooks. */
#include "ow_loop.h"
#include "ow_log.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Messages handled per wake-up of one watch before it yields to other events (timers,
 * other sockets, signals); it re-activates itself, so nothing is left behind. */
#define S_DRAIN_MAX 256

typedef struct s_hook {
    void (*fn)(void *arg);
    void *arg;
    struct s_hook *next;
} s_hook_t;

struct ow_zwatch {
    ow_loop_t *loop;
    void *zsock;
    struct event *ev;     /* ZMQ_FD readable, or poked */
    struct event *resume; /* zero-delay timer: continue a drain cut short by the bound */
    ow_zsock_fn *on_message;
    void *arg;
    void (*on_writable)(void *arg); /* one-shot, set by ow_zwatch_when_writable */
    bool *dead_p; /* set while draining: destroy marks it so the drain stops touching us */
    ow_zwatch_t *prev, *next;
};

struct ow_timer {
    ow_loop_t *loop;
    struct event *ev;
    void (*fn)(void *arg);
    void *arg;
    ow_timer_t *prev, *next;
};

struct ow_loop {
    struct event_base *base;
    void *zctx;
    struct event *sigint;
    struct event *sigterm;
    bool stopping;
    s_hook_t *hooks; /* newest first, which is the order they run in */
    ow_zwatch_t *watches;
    ow_timer_t *timers;
};

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    ow_loop_t *self = arg;
    ow_info("signal %d received: stopping", (int)sig);
    ow_loop_stop(self);
}

ow_loop_t *ow_loop_new(void)
{
    ow_loop_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* A peer that closes a connection must not kill the daemon on the next write. */
    signal(SIGPIPE, SIG_IGN);
    self->base = event_base_new();
    if (!self->base)
        goto fail;
    self->zctx = zmq_ctx_new();
    if (!self->zctx)
        goto fail;
    /* New sockets get linger 0, so closing one never waits for unsent messages and
     * zmq_ctx_term returns once every socket is closed: shutdown cannot hang on a peer that
     * went away. Delivery is made whole by retries and replay, not by linger. */
    zmq_ctx_set(self->zctx, ZMQ_BLOCKY, 0);
    self->sigint = evsignal_new(self->base, SIGINT, s_on_signal, self);
    self->sigterm = evsignal_new(self->base, SIGTERM, s_on_signal, self);
    if (!self->sigint || !self->sigterm || evsignal_add(self->sigint, NULL) != 0 ||
        evsignal_add(self->sigterm, NULL) != 0)
        goto fail;
    return self;
fail:
    ow_loop_destroy(&self);
    return NULL;
}

void ow_loop_destroy(ow_loop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_loop_t *self = *self_p;
    /* Hooks first: they close sockets and finish work while the loop and context are still
     * whole. A hook may register another hook; it runs too. */
    while (self->hooks) {
        s_hook_t *h = self->hooks;
        self->hooks = h->next;
        h->fn(h->arg);
        free(h);
    }
    if (self->watches)
        /* Their sockets are their owners' to close; if one is still open, zmq_ctx_term
         * below waits for it, so say which mistake that would be. */
        ow_warn("loop: destroyed with sockets still watched; close every socket (after "
                "ow_zwatch_destroy) in a shutdown hook, or ZeroMQ waits for it");
    while (self->watches) {
        ow_zwatch_t *w = self->watches;
        ow_zwatch_destroy(&w);
    }
    while (self->timers) {
        ow_timer_t *t = self->timers;
        ow_timer_destroy(&t);
    }
    if (self->sigint)
        event_free(self->sigint);
    if (self->sigterm)
        event_free(self->sigterm);
    if (self->zctx) {
        /* zmq_ctx_term waits for every socket of the context to be closed; with ZMQ_BLOCKY
         * off it does not wait for their messages. Retry on EINTR (a signal during
         * shutdown). */
        while (zmq_ctx_term(self->zctx) != 0 && errno == EINTR)
            ;
    }
    if (self->base)
        event_base_free(self->base);
    free(self);
    *self_p = NULL;
}

struct event_base *ow_loop_base(ow_loop_t *self)
{
    return self->base;
}

void *ow_loop_zctx(ow_loop_t *self)
{
    return self->zctx;
}

int ow_loop_run(ow_loop_t *self)
{
    /* A stop asked before the loop ran still counts (libevent forgets a loopbreak made
     * while not running). */
    if (self->stopping)
        return 0;
    event_base_dispatch(self->base);
    return 0;
}

void ow_loop_stop(ow_loop_t *self)
{
    self->stopping = true;
    event_base_loopbreak(self->base);
}

bool ow_loop_stopping(ow_loop_t *self)
{
    return self->stopping;
}

void ow_loop_on_shutdown(ow_loop_t *self, void (*fn)(void *arg), void *arg)
{
    s_hook_t *h = calloc(1, sizeof *h);
    if (!h) {
        ow_error("loop: out of memory registering a shutdown hook");
        return;
    }
    h->fn = fn;
    h->arg = arg;
    h->next = self->hooks;
    self->hooks = h;
}

/* Drains the socket while ZMQ_EVENTS says readable. ZMQ_FD is edge-triggered, so stopping
 * while a message is still queued would lose the wake-up for it: when we stop early (the
 * bound, or a stop request) we schedule ourselves again. */
static void s_drain(ow_zwatch_t *w)
{
    bool dead = false;
    w->dead_p = &dead;
    int handled = 0;
    bool more = false;
    for (;;) {
        int events = 0;
        size_t size = sizeof events;
        if (zmq_getsockopt(w->zsock, ZMQ_EVENTS, &events, &size) != 0) {
            ow_error("loop: ZMQ_EVENTS failed: %s", zmq_strerror(errno));
            break;
        }
        if (w->on_writable && (events & ZMQ_POLLOUT)) {
            void (*fn)(void *arg) = w->on_writable;
            w->on_writable = NULL;
            fn(w->arg);
            if (dead)
                return;
            continue; /* what fn sent may have changed the events */
        }
        if (!(events & ZMQ_POLLIN))
            break;
        if (handled == S_DRAIN_MAX || w->loop->stopping) {
            more = true;
            break;
        }
        w->on_message(w->zsock, w->arg);
        handled++;
        if (dead)
            return; /* the handler destroyed this watch: it is freed */
    }
    w->dead_p = NULL;
    if (more) {
        /* Come back through a zero-delay timer, not event_active(): libevent runs an event
         * activated from its own callback again in the same pass, before it looks at timers
         * or other file descriptors, so a busy socket would starve everything else. A
         * timer is only due on the next pass, after the other ready events. */
        static const struct timeval zero = {0, 0};
        evtimer_add(w->resume, &zero);
    }
}

static void s_on_zsock(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_drain(arg);
}

ow_zwatch_t *ow_loop_watch(ow_loop_t *self, void *zsock, ow_zsock_fn *on_message, void *arg)
{
    int fd = -1;
    size_t size = sizeof fd;
    if (zmq_getsockopt(zsock, ZMQ_FD, &fd, &size) != 0) {
        ow_error("loop: ZMQ_FD failed: %s", zmq_strerror(errno));
        return NULL;
    }
    ow_zwatch_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->loop = self;
    w->zsock = zsock;
    w->on_message = on_message;
    w->arg = arg;
    w->ev = event_new(self->base, fd, EV_READ | EV_PERSIST, s_on_zsock, w);
    w->resume = evtimer_new(self->base, s_on_zsock, w);
    if (!w->ev || !w->resume || event_add(w->ev, NULL) != 0) {
        if (w->ev)
            event_free(w->ev);
        if (w->resume)
            event_free(w->resume);
        free(w);
        return NULL;
    }
    w->next = self->watches;
    if (self->watches)
        self->watches->prev = w;
    self->watches = w;
    /* Messages may already be waiting (queued before the watch existed) and their edge is
     * gone: look once right away. */
    event_active(w->ev, EV_READ, 0);
    return w;
}

/* A poke from inside this watch's own drain is not needed (the drain re-reads ZMQ_EVENTS
 * after every message) and would make libevent run the watch again in the same pass. */
void ow_zwatch_poke(ow_zwatch_t *watch)
{
    if (watch && !watch->dead_p)
        event_active(watch->ev, EV_READ, 0);
}

void ow_zwatch_when_writable(ow_zwatch_t *watch, void (*fn)(void *arg))
{
    if (!watch)
        return;
    watch->on_writable = fn;
    /* The socket may have become writable before this call, its edge already consumed. */
    ow_zwatch_poke(watch);
}

void ow_zwatch_destroy(ow_zwatch_t **watch_p)
{
    if (!watch_p || !*watch_p)
        return;
    ow_zwatch_t *w = *watch_p;
    if (w->dead_p)
        *w->dead_p = true;
    event_free(w->ev);
    event_free(w->resume);
    if (w->prev)
        w->prev->next = w->next;
    else
        w->loop->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    free(w);
    *watch_p = NULL;
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ow_timer_t *t = arg;
    /* fn may destroy the timer: touch nothing after it. */
    t->fn(t->arg);
}

static struct timeval s_timeval(double seconds)
{
    if (!(seconds > 0) || isnan(seconds))
        seconds = 0;
    if (seconds > 1e9)
        seconds = 1e9;
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    return tv;
}

/* A negative `seconds` creates the timer disarmed: ow_timer_arm starts it later. */
ow_timer_t *ow_loop_timer(ow_loop_t *self, double seconds, bool repeat, void (*fn)(void *arg),
                          void *arg)
{
    ow_timer_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->loop = self;
    t->fn = fn;
    t->arg = arg;
    t->ev = event_new(self->base, -1, repeat ? EV_PERSIST : 0, s_on_timer, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    if (seconds >= 0) {
        struct timeval tv = s_timeval(seconds);
        if (event_add(t->ev, &tv) != 0) {
            event_free(t->ev);
            free(t);
            return NULL;
        }
    }
    t->next = self->timers;
    if (self->timers)
        self->timers->prev = t;
    self->timers = t;
    return t;
}

/* Re-adding a pending timer reschedules it. For a repeating timer the new delay also
 * becomes its period. */
void ow_timer_arm(ow_timer_t *timer, double seconds)
{
    struct timeval tv = s_timeval(seconds);
    if (event_add(timer->ev, &tv) != 0)
        ow_error("loop: cannot arm timer");
}

void ow_timer_destroy(ow_timer_t **timer_p)
{
    if (!timer_p || !*timer_p)
        return;
    ow_timer_t *t = *timer_p;
    event_free(t->ev);
    if (t->prev)
        t->prev->next = t->next;
    else
        t->loop->timers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    free(t);
    *timer_p = NULL;
}

int ow_zsend(void *zsock, ow_zwatch_t *watch, const void *const *frames, const size_t *sizes,
             size_t count)
{
    int rc = 0;
    int saved = 0;
    if (count == 0) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < count ? ZMQ_SNDMORE : 0);
        if (zmq_send(zsock, frames[i], sizes[i], flags) < 0) {
            /* Only the first frame can fail (HWM or unroutable): ZeroMQ queues a message
             * whole once its first part is accepted. */
            saved = errno;
            rc = -1;
            break;
        }
    }
    /* A send may make the socket readable without an edge on ZMQ_FD. */
    ow_zwatch_poke(watch);
    if (rc != 0)
        errno = saved;
    return rc;
}
