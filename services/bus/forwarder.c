/* forwarder — see forwarder.h.
 *
 * Frames are moved as zmq_msg_t, so a forwarded message is never copied; only the Envelope
 * is decoded once to check it. Both sockets are watched by the loop; since ZMQ_FD is
 * edge-triggered and a send can make a socket readable without a new edge, every send is
 * followed by a poke of the watch of the socket sent on. */
#include "forwarder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ow_clock.h"
#include "ow_envelope.h"
#include "ow_log.h"

/* Large enough to absorb a burst of a whole batch of relays without dropping; XPUB drops
 * for a subscriber past it (replay closes the gap), XSUB stops reading from publishers. */
#define S_HWM 100000

/* A valid message has exactly two frames; a third is only received to be discarded. */
#define S_FRAMES_KEPT 3

/* Malformed messages are logged at most this often per second: a broken publisher must
 * not flood the log. The counter still counts every one. */
#define S_LOG_PER_SECOND 10

typedef enum {
    S_DROP_FRAMES,         /* not exactly [topic][Envelope] */
    S_DROP_TOO_LARGE,      /* topic or Envelope over its bound */
    S_DROP_ENVELOPE,       /* Envelope does not decode or is invalid */
    S_DROP_TOPIC_MISMATCH, /* topic differs from the Envelope's type */
    S_DROP_SEND_FAILED,    /* the XPUB refused it */
    S_DROP_COUNT
} s_drop_t;

static const char *const s_drop_names[S_DROP_COUNT] = {"frames", "too_large", "envelope",
                                                       "topic_mismatch", "send_failed"};

struct bus_forwarder {
    ow_loop_t *loop;
    void *xsub;
    void *xpub;
    ow_zwatch_t *xsub_watch;
    ow_zwatch_t *xpub_watch;
    char publish[256];
    char subscribe[256];
    uint64_t *forwarded;
    uint64_t *subscriptions;
    uint64_t *dropped[S_DROP_COUNT];
    int64_t log_window_us;
    int log_count;
    long log_suppressed;
};

static void s_log_drop(bus_forwarder_t *self, s_drop_t reason, const char *detail)
{
    int64_t now = ow_clock_mono_us();
    if (now - self->log_window_us >= 1000000) {
        if (self->log_suppressed > 0)
            ow_warn("bus: %ld more malformed messages dropped without a log line",
                    self->log_suppressed);
        self->log_window_us = now;
        self->log_count = 0;
        self->log_suppressed = 0;
    }
    if (self->log_count >= S_LOG_PER_SECOND) {
        self->log_suppressed++;
        return;
    }
    self->log_count++;
    ow_log_kv(OW_LOG_WARN, "malformed message dropped", "reason", s_drop_names[reason], "detail",
              detail, NULL);
}

static void s_drop(bus_forwarder_t *self, s_drop_t reason, const char *detail)
{
    (*self->dropped[reason])++;
    s_log_drop(self, reason, detail);
}

/* Decides whether [topic][envelope] may pass. Returns S_DROP_COUNT when it may, else the
 * reason, with a human-readable detail in detail. */
static s_drop_t s_check(zmq_msg_t *frames, size_t count, char *detail, size_t size)
{
    if (count != 2) {
        snprintf(detail, size, "%zu frames, expected [topic][Envelope]", count);
        return S_DROP_FRAMES;
    }
    size_t topic_len = zmq_msg_size(&frames[0]);
    size_t env_len = zmq_msg_size(&frames[1]);
    if (topic_len > OW_EVENT_TYPE_MAX || env_len > OW_FRAME_MAX) {
        snprintf(detail, size, "topic of %zu bytes or Envelope of %zu bytes over the limit",
                 topic_len, env_len);
        return S_DROP_TOO_LARGE;
    }
    ow_event_t ev;
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_envelope_unpack(zmq_msg_data(&frames[1]), env_len, &ev, &err) != 0) {
        snprintf(detail, size, "%s", err.message);
        return S_DROP_ENVELOPE;
    }
    s_drop_t verdict = S_DROP_COUNT;
    if (strlen(ev.type) != topic_len || memcmp(ev.type, zmq_msg_data(&frames[0]), topic_len)) {
        snprintf(detail, size, "topic '%.*s' but Envelope type '%s' (source %s, seq %llu)",
                 (int)topic_len, (const char *)zmq_msg_data(&frames[0]), ev.type, ev.source,
                 (unsigned long long)ev.seq);
        verdict = S_DROP_TOPIC_MISMATCH;
    }
    ow_event_clear(&ev);
    return verdict;
}

/* Receives the frames of one message into frames[0..S_FRAMES_KEPT), discarding any beyond.
 * Returns the total frame count (0 when nothing could be read). Every returned frame up to
 * min(count, S_FRAMES_KEPT) is initialised and must be closed. */
static size_t s_recv(void *sock, zmq_msg_t *frames)
{
    size_t count = 0;
    int more = 1;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *msg = count < S_FRAMES_KEPT ? &frames[count] : &scratch;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(msg);
            break; /* the rest of a message is always there once its first frame is */
        }
        more = zmq_msg_more(msg);
        if (msg == &scratch)
            zmq_msg_close(msg);
        count++;
    }
    return count;
}

static void s_close_frames(zmq_msg_t *frames, size_t count)
{
    for (size_t i = 0; i < count && i < S_FRAMES_KEPT; i++)
        zmq_msg_close(&frames[i]);
}

/* Sends frames whole to sock. Returns 0 or -1 (errno from ZeroMQ). */
static int s_send(void *sock, zmq_msg_t *frames, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < count ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send(&frames[i], sock, flags) < 0)
            return -1; /* only the first frame can fail: ZeroMQ queues the rest whole */
    }
    return 0;
}

/* Publisher → subscribers. */
static void s_on_publish(void *sock, void *arg)
{
    bus_forwarder_t *self = arg;
    zmq_msg_t frames[S_FRAMES_KEPT];
    size_t count = s_recv(sock, frames);
    if (count == 0)
        return;
    char detail[OW_ERROR_MESSAGE_MAX + 128];
    s_drop_t verdict = s_check(frames, count, detail, sizeof detail);
    if (verdict != S_DROP_COUNT) {
        s_drop(self, verdict, detail);
    } else if (s_send(self->xpub, frames, count) != 0) {
        snprintf(detail, sizeof detail, "XPUB send: %s", zmq_strerror(errno));
        s_drop(self, S_DROP_SEND_FAILED, detail);
    } else {
        (*self->forwarded)++;
    }
    ow_zwatch_poke(self->xpub_watch);
    s_close_frames(frames, count);
}

/* Subscribers → publishers: (un)subscriptions, passed on as they are. */
static void s_on_subscribe(void *sock, void *arg)
{
    bus_forwarder_t *self = arg;
    zmq_msg_t frames[S_FRAMES_KEPT];
    size_t count = s_recv(sock, frames);
    if (count == 0)
        return;
    if (count > S_FRAMES_KEPT)
        ow_warn("bus: subscription message of %zu frames not passed on", count);
    else if (s_send(self->xsub, frames, count) != 0)
        ow_warn("bus: subscription not passed on: %s", zmq_strerror(errno));
    else
        (*self->subscriptions)++;
    ow_zwatch_poke(self->xsub_watch);
    s_close_frames(frames, count);
}

/* Creates a socket of type with large HWMs, bound at endpoint; writes the bound endpoint
 * into bound. Returns NULL with err. */
static void *s_bind(ow_loop_t *loop, int type, const char *endpoint, char *bound, size_t size,
                    ow_error_t *err)
{
    void *sock = zmq_socket(ow_loop_zctx(loop), type);
    if (!sock) {
        ow_error_set(err, OW_INTERNAL, "cannot create a socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int hwm = S_HWM;
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(sock, endpoint) != 0) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot bind %s: %s (is another busd running?)", endpoint,
                     zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    size_t len = size;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &len) != 0)
        snprintf(bound, size, "%s", endpoint);
    return sock;
}

bus_forwarder_t *bus_forwarder_new(ow_loop_t *loop, const char *publish, const char *subscribe,
                                   ow_metrics_t *metrics, ow_error_t *err)
{
    bus_forwarder_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    self->loop = loop;
    self->forwarded = ow_metrics_counter(metrics, "bus_messages_forwarded_total", NULL,
                                         "Published messages forwarded to subscribers.");
    self->subscriptions =
        ow_metrics_counter(metrics, "bus_subscriptions_forwarded_total", NULL,
                           "Subscription changes passed from subscribers to publishers.");
    if (!self->forwarded || !self->subscriptions) {
        ow_error_set(err, OW_INTERNAL, "out of memory registering bus metrics");
        goto fail;
    }
    for (int i = 0; i < S_DROP_COUNT; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "reason=\"%s\"", s_drop_names[i]);
        self->dropped[i] =
            ow_metrics_counter(metrics, "bus_messages_dropped_total", labels,
                               "Published messages dropped instead of forwarded, by reason.");
        if (!self->dropped[i]) {
            ow_error_set(err, OW_INTERNAL, "out of memory registering bus metrics");
            goto fail;
        }
    }
    self->xsub = s_bind(loop, ZMQ_XSUB, publish, self->publish, sizeof self->publish, err);
    if (!self->xsub)
        goto fail;
    self->xpub = s_bind(loop, ZMQ_XPUB, subscribe, self->subscribe, sizeof self->subscribe, err);
    if (!self->xpub)
        goto fail;
    self->xsub_watch = ow_loop_watch(loop, self->xsub, s_on_publish, self);
    self->xpub_watch = ow_loop_watch(loop, self->xpub, s_on_subscribe, self);
    if (!self->xsub_watch || !self->xpub_watch) {
        ow_error_set(err, OW_INTERNAL, "cannot watch the bus sockets on the loop");
        goto fail;
    }
    return self;
fail:
    bus_forwarder_destroy(&self);
    return NULL;
}

void bus_forwarder_destroy(bus_forwarder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_forwarder_t *self = *self_p;
    /* Watches before sockets: a watch must never see a closed socket. */
    ow_zwatch_destroy(&self->xsub_watch);
    ow_zwatch_destroy(&self->xpub_watch);
    if (self->xsub)
        zmq_close(self->xsub);
    if (self->xpub)
        zmq_close(self->xpub);
    free(self);
    *self_p = NULL;
}

const char *bus_forwarder_publish_endpoint(const bus_forwarder_t *self)
{
    return self->publish;
}

const char *bus_forwarder_subscribe_endpoint(const bus_forwarder_t *self)
{
    return self->subscribe;
}

uint64_t bus_forwarder_forwarded(const bus_forwarder_t *self)
{
    return *self->forwarded;
}

uint64_t bus_forwarder_dropped(const bus_forwarder_t *self)
{
    uint64_t n = 0;
    for (int i = 0; i < S_DROP_COUNT; i++)
        n += *self->dropped[i];
    return n;
}

bool bus_forwarder_ready(void *arg, char *why, size_t size)
{
    bus_forwarder_t *self = arg;
    if (!self || !self->xsub || !self->xpub) {
        snprintf(why, size, "bus sockets not bound");
        return false;
    }
    return true;
}
