/* ow_rpc — requests and replies: a ROUTER server and a DEALER client with retries.
 *
 * Wire: one frame each way, a packed onewindow.v1.Request / onewindow.v1.Reply. Every decode
 * is bounded (frame size, string lengths, violation count) and checked; a bad frame gets an
 * INVALID_ARGUMENT reply (server) or is dropped with a log line (client), never a crash. */
#include "ow_rpc.h"
#include "ow_clock.h"
#include "ow_envelope.h"
#include "ow_log.h"
#include "ow_text.h"
#include "onewindow/v1/envelope.pb-c.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Bounds on the strings of a Request: generous for any real caller, small enough that a
 * hostile peer cannot make us log or store megabytes per request. */
#define S_METHOD_MAX     128
#define S_REQUEST_ID_MAX 64
#define S_IDEM_KEY_MAX   256
#define S_CALLER_MAX     256
/* ROUTER identities are at most 255 bytes (ZeroMQ's own limit). */
#define S_IDENTITY_MAX 255
/* Shortest retry interval: resending faster only floods a server that is merely slow. */
#define S_RETRY_MIN_MS 100

/* ---- shared: receiving a whole message ---- */

/* Receives every frame of one message, keeping at most `max` of them in frames[] (the rest
 * are read and discarded so the next message starts clean). Returns the total number of
 * frames (0 when nothing was waiting or on error). The caller closes frames[0..min(n,max)). */
static size_t s_recv_message(void *zsock, zmq_msg_t *frames, size_t max)
{
    size_t count = 0;
    for (;;) {
        zmq_msg_t scratch;
        zmq_msg_t *m = count < max ? &frames[count] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, zsock, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(m);
            if (count > 0 || e != EAGAIN)
                ow_error("rpc: receiving frame %zu failed: %s", count + 1, zmq_strerror(e));
            /* A message arrives whole; failing mid-way means the socket is going away. */
            for (size_t i = 0; i < count && i < max; i++)
                zmq_msg_close(&frames[i]);
            return 0;
        }
        count++;
        bool more = zmq_msg_more(m);
        if (m == &scratch)
            zmq_msg_close(m);
        if (!more)
            return count;
    }
}

/* ---- server ---- */

typedef struct s_route {
    char *method;
    ow_rpc_handler_fn *handler;
    void *arg;
    struct s_route *next;
} s_route_t;

struct ow_rpc_server {
    ow_loop_t *loop;
    void *sock;
    ow_zwatch_t *watch;
    char *endpoint;
    s_route_t *routes;
    ow_rpc_call_t *calls; /* handed to handlers, not yet answered */
    uint64_t requests;
    uint64_t malformed;
};

struct ow_rpc_call {
    ow_rpc_server_t *server; /* NULL once the server is gone: the answer is then dropped */
    uint8_t identity[S_IDENTITY_MAX];
    size_t identity_len;
    Onewindow__V1__Request *req;
    ow_rpc_call_t *prev, *next;
};

/* Sends [identity][reply] from the server. On failure (peer gone: EHOSTUNREACH with
 * ROUTER_MANDATORY; its queue full: EAGAIN) logs; the client's retry covers it. */
static void s_server_send(ow_rpc_server_t *self, const uint8_t *identity, size_t identity_len,
                          Onewindow__V1__Reply *reply)
{
    size_t size = onewindow__v1__reply__get_packed_size(reply);
    if (size > OW_FRAME_MAX) {
        /* The client would drop (and disconnect on) a frame over its limit: tell it
         * instead. */
        ow_error("rpc: reply to request %s is %zu bytes, over the %u-byte limit", reply->request_id,
                 size, OW_FRAME_MAX);
        Onewindow__V1__Reply small = ONEWINDOW__V1__REPLY__INIT;
        small.request_id = reply->request_id;
        small.status = OW_INTERNAL;
        small.message = "reply too large";
        s_server_send(self, identity, identity_len, &small);
        return;
    }
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        ow_error("rpc: out of memory packing a reply of %zu bytes", size);
        return;
    }
    onewindow__v1__reply__pack(reply, buf);
    const void *frames[2] = {identity, buf};
    size_t sizes[2] = {identity_len, size};
    if (ow_zsend(self->sock, self->watch, frames, sizes, 2) != 0)
        ow_warn("rpc: reply to request '%s' not sent (%s): %s", reply->request_id,
                errno == EHOSTUNREACH ? "client gone" : "send failed", zmq_strerror(errno));
    free(buf);
}

static void s_server_send_error(ow_rpc_server_t *self, const uint8_t *identity, size_t identity_len,
                                const char *request_id, ow_status_t code, const char *message)
{
    Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
    reply.request_id = (char *)request_id;
    reply.status = code;
    reply.message = (char *)message;
    s_server_send(self, identity, identity_len, &reply);
}

/* Checks a decoded Request; fills why and returns -1 when it cannot be served. Its strings
 * are logged, stored and shown, and protobuf-c does not check that they are text. */
static int s_request_check(const Onewindow__V1__Request *req, char *why, size_t why_size)
{
    struct {
        const char *name;
        const char *value;
        size_t max;
    } fields[] = {
        {"request_id", req->request_id, S_REQUEST_ID_MAX},
        {"method", req->method, S_METHOD_MAX},
        {"idempotency_key", req->idempotency_key, S_IDEM_KEY_MAX},
        {"caller", req->caller, S_CALLER_MAX},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = strlen(fields[i].value);
        if (n > fields[i].max) {
            snprintf(why, why_size, "request %s is %zu bytes long, at most %zu allowed",
                     fields[i].name, n, fields[i].max);
            return -1;
        }
        if (!ow_text_valid_n(fields[i].value, n)) {
            snprintf(why, why_size, "request %s is not UTF-8 text (or has control characters)",
                     fields[i].name);
            return -1;
        }
    }
    if (req->method[0] == '\0') {
        snprintf(why, why_size, "request method is empty");
        return -1;
    }
    return 0;
}

static void s_malformed(ow_rpc_server_t *self, const uint8_t *identity, size_t identity_len,
                        const char *why)
{
    self->malformed++;
    ow_warn("rpc %s: malformed request: %s", self->endpoint, why);
    s_server_send_error(self, identity, identity_len, "", OW_INVALID_ARGUMENT, why);
}

static void s_server_on_message(void *zsock, void *arg)
{
    ow_rpc_server_t *self = arg;
    zmq_msg_t frames[2];
    Onewindow__V1__Request *req = NULL;
    size_t count = s_recv_message(zsock, frames, 2);
    if (count == 0)
        return;
    self->requests++;
    size_t kept = count < 2 ? count : 2;
    const uint8_t *identity = zmq_msg_data(&frames[0]);
    size_t identity_len = zmq_msg_size(&frames[0]);
    char why[256];
    if (identity_len > S_IDENTITY_MAX) {
        /* Cannot happen with ZeroMQ's ROUTER; and we could not answer it anyway. */
        self->malformed++;
        ow_warn("rpc %s: identity of %zu bytes dropped", self->endpoint, identity_len);
        goto cleanup;
    }
    if (count != 2) {
        snprintf(why, sizeof why, "expected one frame (a onewindow.v1.Request), got %zu",
                 count - 1);
        s_malformed(self, identity, identity_len, why);
        goto cleanup;
    }
    size_t len = zmq_msg_size(&frames[1]);
    if (len > OW_FRAME_MAX) {
        snprintf(why, sizeof why, "request frame of %zu bytes exceeds the %u-byte limit", len,
                 OW_FRAME_MAX);
        s_malformed(self, identity, identity_len, why);
        goto cleanup;
    }
    req = onewindow__v1__request__unpack(NULL, len, zmq_msg_data(&frames[1]));
    if (!req) {
        snprintf(why, sizeof why, "request frame (%zu bytes) is not a valid onewindow.v1.Request",
                 len);
        s_malformed(self, identity, identity_len, why);
        goto cleanup;
    }
    if (s_request_check(req, why, sizeof why) != 0) {
        s_malformed(self, identity, identity_len, why);
        goto cleanup;
    }
    /* Real time, not the test clock: the client set the deadline from its real clock, and
     * an advanced test clock must not make every request look expired. */
    if (req->deadline_unix_ms != 0 && req->deadline_unix_ms < ow_clock_real_us() / 1000) {
        snprintf(why, sizeof why, "deadline passed %lld ms before the request was served",
                 (long long)(ow_clock_real_us() / 1000 - req->deadline_unix_ms));
        ow_info("rpc %s: %s %s: %s", self->endpoint, req->method, req->request_id, why);
        s_server_send_error(self, identity, identity_len, req->request_id, OW_DEADLINE_EXCEEDED,
                            why);
        goto cleanup;
    }
    s_route_t *route = self->routes;
    while (route && strcmp(route->method, req->method) != 0)
        route = route->next;
    if (!route) {
        snprintf(why, sizeof why, "unknown method '%s'", req->method);
        s_server_send_error(self, identity, identity_len, req->request_id, OW_UNIMPLEMENTED, why);
        goto cleanup;
    }
    ow_rpc_call_t *call = calloc(1, sizeof *call);
    if (!call) {
        s_server_send_error(self, identity, identity_len, req->request_id, OW_INTERNAL,
                            "out of memory");
        goto cleanup;
    }
    call->server = self;
    memcpy(call->identity, identity, identity_len);
    call->identity_len = identity_len;
    call->req = req;
    req = NULL; /* the call owns it now */
    call->next = self->calls;
    if (self->calls)
        self->calls->prev = call;
    self->calls = call;
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&frames[i]);
    kept = 0;
    /* Last: the handler may answer (freeing the call) or even destroy the server. */
    route->handler(call, route->arg);
cleanup:
    if (req)
        onewindow__v1__request__free_unpacked(req, NULL);
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&frames[i]);
}

/* Batching services drain hundreds of requests per turn and answer them in one burst; at
 * libzmq's default high-water mark of 1,000 a burst overflows the queue, and a ROUTER with
 * ROUTER_MANDATORY then refuses the replies (the clients only recover by retrying). Room for
 * OW_RPC_HWM messages per peer in each direction costs memory only while they are queued. */
#define OW_RPC_HWM 100000

static void s_set_hwm(void *sock)
{
    int hwm = OW_RPC_HWM;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
}

ow_rpc_server_t *ow_rpc_server_new(ow_loop_t *loop, const char *endpoint, ow_error_t *err)
{
    ow_rpc_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->endpoint = strdup(endpoint);
    self->sock = zmq_socket(ow_loop_zctx(loop), ZMQ_ROUTER);
    if (!self->endpoint || !self->sock) {
        ow_error_set(err, OW_INTERNAL, "cannot create ROUTER socket: %s", zmq_strerror(errno));
        goto fail;
    }
    int one = 1, zero = 0;
    int64_t max = OW_FRAME_MAX;
    zmq_setsockopt(self->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    s_set_hwm(self->sock);
    if (zmq_bind(self->sock, endpoint) != 0) {
        int e = errno;
        ow_error_set(err, e == EADDRINUSE ? OW_UNAVAILABLE : OW_INVALID_ARGUMENT,
                     "cannot bind request socket to %s: %s", endpoint, zmq_strerror(e));
        goto fail;
    }
    self->watch = ow_loop_watch(loop, self->sock, s_server_on_message, self);
    if (!self->watch) {
        ow_error_set(err, OW_INTERNAL, "cannot watch request socket %s", endpoint);
        goto fail;
    }
    return self;
fail:
    ow_rpc_server_destroy(&self);
    return NULL;
}

void ow_rpc_server_destroy(ow_rpc_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_rpc_server_t *self = *self_p;
    /* Calls still held by handlers stay valid (their answer is dropped): freeing them here
     * would leave the handlers with dangling pointers. */
    for (ow_rpc_call_t *c = self->calls; c; c = c->next)
        c->server = NULL;
    ow_zwatch_destroy(&self->watch);
    if (self->sock)
        zmq_close(self->sock);
    while (self->routes) {
        s_route_t *r = self->routes;
        self->routes = r->next;
        free(r->method);
        free(r);
    }
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

void ow_rpc_server_handle(ow_rpc_server_t *self, const char *method, ow_rpc_handler_fn *handler,
                          void *arg)
{
    for (s_route_t *r = self->routes; r; r = r->next) {
        if (strcmp(r->method, method) == 0) {
            r->handler = handler;
            r->arg = arg;
            return;
        }
    }
    s_route_t *r = calloc(1, sizeof *r);
    if (!r || !(r->method = strdup(method))) {
        free(r);
        ow_error("rpc: out of memory registering method %s", method);
        return;
    }
    r->handler = handler;
    r->arg = arg;
    r->next = self->routes;
    self->routes = r;
}

uint64_t ow_rpc_server_requests(const ow_rpc_server_t *self)
{
    return self->requests;
}

uint64_t ow_rpc_server_malformed(const ow_rpc_server_t *self)
{
    return self->malformed;
}

const char *ow_rpc_call_method(const ow_rpc_call_t *call)
{
    return call->req->method;
}

const char *ow_rpc_call_request_id(const ow_rpc_call_t *call)
{
    return call->req->request_id;
}

const char *ow_rpc_call_idempotency_key(const ow_rpc_call_t *call)
{
    return call->req->idempotency_key;
}

const char *ow_rpc_call_caller(const ow_rpc_call_t *call)
{
    return call->req->caller;
}

int64_t ow_rpc_call_deadline_ms(const ow_rpc_call_t *call)
{
    return call->req->deadline_unix_ms;
}

const uint8_t *ow_rpc_call_payload(const ow_rpc_call_t *call, size_t *len)
{
    *len = call->req->payload.len;
    return call->req->payload.data;
}

static void s_call_free(ow_rpc_call_t *call)
{
    ow_rpc_server_t *server = call->server;
    if (server) {
        if (call->prev)
            call->prev->next = call->next;
        else
            server->calls = call->next;
        if (call->next)
            call->next->prev = call->prev;
    }
    onewindow__v1__request__free_unpacked(call->req, NULL);
    free(call);
}

/* Sends reply (its request_id set to the call's) and frees the call. */
static void s_call_answer(ow_rpc_call_t *call, Onewindow__V1__Reply *reply)
{
    reply->request_id = call->req->request_id;
    if (call->server)
        s_server_send(call->server, call->identity, call->identity_len, reply);
    else
        ow_info("rpc: answer to %s %s dropped: server closed", call->req->method,
                call->req->request_id);
    s_call_free(call);
}

/* Fills reply from err (NULL = OK); the strings point into err, violations into the
 * caller's arrays vbuf/vptr (at least OW_ERROR_VIOLATION_MAX each). */
static void s_reply_from_error(Onewindow__V1__Reply *reply, const ow_error_t *err,
                               Onewindow__V1__FieldViolation *vbuf,
                               Onewindow__V1__FieldViolation **vptr)
{
    if (!err)
        return;
    reply->status = err->code;
    reply->message = (char *)err->message;
    size_t n = err->violation_count;
    if (n > OW_ERROR_VIOLATION_MAX)
        n = OW_ERROR_VIOLATION_MAX;
    for (size_t i = 0; i < n; i++) {
        onewindow__v1__field_violation__init(&vbuf[i]);
        vbuf[i].field = (char *)err->violations[i].field;
        vbuf[i].description = (char *)err->violations[i].description;
        vptr[i] = &vbuf[i];
    }
    reply->n_violations = n;
    reply->violations = n ? vptr : NULL;
}

void ow_rpc_reply(ow_rpc_call_t *call, const uint8_t *payload, size_t len)
{
    Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
    reply.status = OW_OK;
    reply.payload.data = (uint8_t *)payload;
    reply.payload.len = payload ? len : 0;
    s_call_answer(call, &reply);
}

void ow_rpc_reply_error(ow_rpc_call_t *call, const ow_error_t *err)
{
    Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
    Onewindow__V1__FieldViolation vbuf[OW_ERROR_VIOLATION_MAX];
    Onewindow__V1__FieldViolation *vptr[OW_ERROR_VIOLATION_MAX];
    s_reply_from_error(&reply, err, vbuf, vptr);
    if (!err) {
        ow_error("rpc: %s answered with a NULL error", call->req->method);
        reply.status = OW_INTERNAL;
        reply.message = "internal error";
    } else if (err->code == OW_OK) {
        /* Answering "error" with OK would tell the client its command worked. */
        ow_error("rpc: %s answered with an error object holding OK", call->req->method);
        reply.status = OW_INTERNAL;
    }
    s_call_answer(call, &reply);
}

void ow_rpc_reply_packed(ow_rpc_call_t *call, const uint8_t *packed, size_t len)
{
    Onewindow__V1__Reply *stored = NULL;
    if (len <= OW_FRAME_MAX)
        stored = onewindow__v1__reply__unpack(NULL, len, packed);
    if (!stored) {
        ow_error("rpc: stored reply for %s %s (%zu bytes) does not decode", call->req->method,
                 call->req->request_id, len);
        Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
        reply.status = OW_INTERNAL;
        reply.message = "stored reply is unreadable";
        s_call_answer(call, &reply);
        return;
    }
    /* s_call_answer overwrites request_id with a pointer into the call; the stored one
     * must still be freed by free_unpacked, so keep it aside. */
    char *stored_id = stored->request_id;
    s_call_answer(call, stored);
    stored->request_id = stored_id;
    onewindow__v1__reply__free_unpacked(stored, NULL);
}

int ow_rpc_pack_reply(const ow_error_t *err, const uint8_t *payload, size_t len, uint8_t **out,
                      size_t *out_len)
{
    Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
    Onewindow__V1__FieldViolation vbuf[OW_ERROR_VIOLATION_MAX];
    Onewindow__V1__FieldViolation *vptr[OW_ERROR_VIOLATION_MAX];
    s_reply_from_error(&reply, err, vbuf, vptr);
    reply.payload.data = (uint8_t *)payload;
    reply.payload.len = payload ? len : 0;
    *out = NULL;
    *out_len = 0;
    size_t size = onewindow__v1__reply__get_packed_size(&reply);
    if (size > OW_FRAME_MAX)
        return -1;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return -1;
    onewindow__v1__reply__pack(&reply, buf);
    *out = buf;
    *out_len = size;
    return 0;
}

/* ---- client ---- */

typedef struct s_pending {
    ow_rpc_client_t *client;
    char request_id[37];
    char method[S_METHOD_MAX + 1];
    uint8_t *frame; /* the packed Request, resent as is */
    size_t frame_len;
    int64_t deadline_mono_us;
    int64_t retry_us;
    ow_timer_t *timer;
    ow_rpc_done_fn *done;
    void *arg;
    /* A call refused before it was sent (bad arguments) is answered from its timer, so
     * done() always runs on the loop, never inside ow_rpc_call. */
    ow_status_t refused;
    char refused_msg[256];
    struct s_pending *prev, *next; /* every pending call, newest first */
    /* Calls ZeroMQ has not taken yet, oldest first (see s_client_send). */
    struct s_pending *unsent_prev, *unsent_next;
    bool unsent;
    struct s_pending *same_bucket; /* the next in this call's bucket of the index */
} s_pending_t;

struct ow_rpc_client {
    ow_loop_t *loop;
    void *sock;
    ow_zwatch_t *watch;
    char *endpoint;
    s_pending_t *pending;
    /* Pending calls by request id: a reply finds its call in O(1). A list walk per reply made
     * a client with thousands of calls in flight (the gateway under load) quadratic. */
    s_pending_t **buckets;
    size_t n_buckets; /* a power of two, or 0 before the first call */
    size_t n_pending;
    s_pending_t *unsent_head, *unsent_tail;
    bool destroying;
};

/* FNV-1a over the request id (a random UUID: any bits would do, all are cheap). */
static size_t s_bucket_of(const ow_rpc_client_t *c, const char *request_id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *q = (const unsigned char *)request_id; *q; q++)
        h = (h ^ *q) * 1099511628211ULL;
    return (size_t)h & (c->n_buckets - 1);
}

/* Doubles the index when it holds more calls than buckets; on failure keeps the old one
 * (longer chains, still correct). */
static void s_index_grow(ow_rpc_client_t *c)
{
    if (c->n_pending < c->n_buckets)
        return;
    size_t n = c->n_buckets ? 2 * c->n_buckets : 64;
    s_pending_t **b = calloc(n, sizeof *b);
    if (!b)
        return;
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
    for (s_pending_t *p = c->pending; p; p = p->next) {
        size_t k = s_bucket_of(c, p->request_id);
        p->same_bucket = b[k];
        b[k] = p;
    }
}

static s_pending_t *s_pending_find(const ow_rpc_client_t *c, const char *request_id)
{
    if (!c->n_buckets)
        return NULL;
    s_pending_t *p = c->buckets[s_bucket_of(c, request_id)];
    while (p && strcmp(p->request_id, request_id) != 0)
        p = p->same_bucket;
    return p;
}

/* Adds p (its request id set) to the list and the index. */
static void s_pending_link(ow_rpc_client_t *c, s_pending_t *p)
{
    c->n_pending++;
    s_index_grow(c); /* before p is listed: the rehash must not take p twice */
    p->next = c->pending;
    if (c->pending)
        c->pending->prev = p;
    c->pending = p;
    if (c->n_buckets) {
        size_t k = s_bucket_of(c, p->request_id);
        p->same_bucket = c->buckets[k];
        c->buckets[k] = p;
    }
}

static void s_unsent_append(ow_rpc_client_t *c, s_pending_t *p)
{
    p->unsent = true;
    p->unsent_next = NULL;
    p->unsent_prev = c->unsent_tail;
    if (c->unsent_tail)
        c->unsent_tail->unsent_next = p;
    else
        c->unsent_head = p;
    c->unsent_tail = p;
}

static void s_unsent_remove(ow_rpc_client_t *c, s_pending_t *p)
{
    if (!p->unsent)
        return;
    if (p->unsent_prev)
        p->unsent_prev->unsent_next = p->unsent_next;
    else
        c->unsent_head = p->unsent_next;
    if (p->unsent_next)
        p->unsent_next->unsent_prev = p->unsent_prev;
    else
        c->unsent_tail = p->unsent_prev;
    p->unsent_prev = p->unsent_next = NULL;
    p->unsent = false;
}

static void s_pending_unlink(s_pending_t *p)
{
    ow_rpc_client_t *c = p->client;
    s_unsent_remove(c, p);
    if (p->prev)
        p->prev->next = p->next;
    else
        c->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    if (c->n_buckets) {
        s_pending_t **at = &c->buckets[s_bucket_of(c, p->request_id)];
        while (*at && *at != p)
            at = &(*at)->same_bucket;
        if (*at)
            *at = p->same_bucket;
    }
    p->same_bucket = NULL;
    c->n_pending--;
}

/* Removes p, frees it, then runs its done() with result: done may destroy the client or
 * start new calls, so nothing of p or the client is touched afterwards. */
static void s_pending_finish(s_pending_t *p, const ow_rpc_result_t *result)
{
    ow_rpc_done_fn *done = p->done;
    void *arg = p->arg;
    s_pending_unlink(p);
    ow_timer_destroy(&p->timer);
    free(p->frame);
    free(p);
    if (done)
        done(result, arg);
}

/* message may point into p (refused_msg): it is copied before p is freed. */
static void s_pending_fail(s_pending_t *p, ow_status_t status, const char *message)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", message);
    ow_rpc_result_t result = {.status = status, .message = copy};
    s_pending_finish(p, &result);
}

static int s_client_send_now(s_pending_t *p)
{
    const void *frames[1] = {p->frame};
    size_t sizes[1] = {p->frame_len};
    return ow_zsend(p->client->sock, p->client->watch, frames, sizes, 1);
}

/* Sends the calls ZeroMQ refused earlier, oldest first, until it refuses again; then waits
 * for the socket to become writable. */
static void s_client_flush(void *arg)
{
    ow_rpc_client_t *c = arg;
    while (c->unsent_head) {
        s_pending_t *p = c->unsent_head;
        if (s_client_send_now(p) != 0) {
            ow_zwatch_when_writable(c->watch, s_client_flush);
            return;
        }
        s_unsent_remove(c, p);
    }
}

/* ZeroMQ refuses a send (EAGAIN) when the DEALER has no pipe with room: before the first
 * connection is up with ZMQ_IMMEDIATE (an endpoint list), or at the high-water mark. Such a
 * call waits in the unsent queue and goes as soon as the socket is writable, not at its
 * next retry: the retry interval is a quarter of the timeout, and a client that starts with
 * a burst of calls (the gateway at start-up) had them all held that long. Calls keep their
 * order: a new one queues behind those waiting. */
static void s_client_send(s_pending_t *p)
{
    ow_rpc_client_t *c = p->client;
    if (p->unsent || c->unsent_head) {
        if (!p->unsent)
            s_unsent_append(c, p);
        s_client_flush(c);
        return;
    }
    if (s_client_send_now(p) != 0) {
        ow_debug("rpc %s: %s %s waits for the socket: %s", c->endpoint, p->method, p->request_id,
                 zmq_strerror(errno));
        s_unsent_append(c, p);
        ow_zwatch_when_writable(c->watch, s_client_flush);
    }
}

/* Retry timer: resend until the deadline, then give up with DEADLINE_EXCEEDED. */
static void s_on_retry(void *arg)
{
    s_pending_t *p = arg;
    if (p->refused != OW_OK) {
        s_pending_fail(p, p->refused, p->refused_msg);
        return;
    }
    int64_t left = p->deadline_mono_us - ow_clock_mono_us();
    if (left <= 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "no reply to %s from %s in time", p->method, p->client->endpoint);
        s_pending_fail(p, OW_DEADLINE_EXCEEDED, msg);
        return;
    }
    s_client_send(p);
    int64_t next = left < p->retry_us ? left : p->retry_us;
    ow_timer_arm(p->timer, (double)next / 1e6);
}

/* Decodes and checks a Reply into result (strings bounded and copied into err, which holds
 * the violations). Returns the unpacked reply (caller frees) or NULL with why filled. */
static Onewindow__V1__Reply *s_reply_decode(const uint8_t *data, size_t len, ow_error_t *err,
                                            ow_rpc_result_t *result, char *why, size_t why_size)
{
    if (len > OW_FRAME_MAX) {
        snprintf(why, why_size, "reply frame of %zu bytes exceeds the %u-byte limit", len,
                 OW_FRAME_MAX);
        return NULL;
    }
    Onewindow__V1__Reply *reply = onewindow__v1__reply__unpack(NULL, len, data);
    if (!reply) {
        snprintf(why, why_size, "reply frame (%zu bytes) is not a valid onewindow.v1.Reply", len);
        return NULL;
    }
    size_t id_len = strlen(reply->request_id);
    if (id_len > S_REQUEST_ID_MAX || !ow_text_valid_n(reply->request_id, id_len)) {
        snprintf(why, why_size, "reply request_id is not a short text");
        onewindow__v1__reply__free_unpacked(reply, NULL);
        return NULL;
    }
    ow_error_clear(err);
    /* A status outside the enum (a newer server) is reported as UNKNOWN, never passed on
     * as a value our switch statements do not expect. */
    err->code = strcmp(ow_status_name(reply->status), "UNKNOWN") == 0 ? OW_UNKNOWN
                                                                      : (ow_status_t)reply->status;
    /* Replies end up in JSON answers (jansson refuses invalid UTF-8), and a sender's message
     * may have been cut mid-character by snprintf. */
    ow_text_copy(err->message, sizeof err->message, reply->message);
    size_t n = reply->n_violations;
    if (n > OW_ERROR_VIOLATION_MAX)
        n = OW_ERROR_VIOLATION_MAX;
    for (size_t i = 0; i < n; i++) {
        ow_violation_t *v = &err->violations[i];
        const Onewindow__V1__FieldViolation *fv = reply->violations[i];
        ow_text_copy(v->field, sizeof v->field, fv->field);
        ow_text_copy(v->description, sizeof v->description, fv->description);
    }
    err->violation_count = n;
    result->status = err->code;
    result->message = err->message;
    result->payload = reply->payload.data;
    result->payload_len = reply->payload.len;
    result->violation_count = n;
    result->violations = err->violations;
    return reply;
}

static void s_client_on_message(void *zsock, void *arg)
{
    ow_rpc_client_t *self = arg;
    zmq_msg_t frame;
    size_t count = s_recv_message(zsock, &frame, 1);
    if (count == 0)
        return;
    char why[256];
    ow_error_t *err = NULL;
    Onewindow__V1__Reply *reply = NULL;
    if (count != 1) {
        ow_warn("rpc %s: reply of %zu frames dropped (expected one)", self->endpoint, count);
        goto cleanup;
    }
    err = malloc(sizeof *err);
    if (!err) {
        ow_error("rpc %s: out of memory reading a reply", self->endpoint);
        goto cleanup;
    }
    ow_rpc_result_t result;
    reply =
        s_reply_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), err, &result, why, sizeof why);
    if (!reply) {
        ow_warn("rpc %s: %s: dropped", self->endpoint, why);
        goto cleanup;
    }
    s_pending_t *p = s_pending_find(self, reply->request_id);
    if (!p) {
        /* A duplicate answer to a retried request, or one that came after the deadline. */
        ow_debug("rpc %s: reply for unknown request '%s' dropped", self->endpoint,
                 reply->request_id);
        goto cleanup;
    }
    s_pending_finish(p, &result);
cleanup:
    if (reply)
        onewindow__v1__reply__free_unpacked(reply, NULL);
    free(err);
    zmq_msg_close(&frame);
}

/* Connects sock to each endpoint of the comma-separated list. With several, a request goes
 * to only those instances whose connection is up (ZMQ_IMMEDIATE): the DEALER deals requests
 * round-robin among them, and a retry finds a live one when another has gone. Until one is
 * up ZeroMQ refuses every send; the unsent queue holds those calls (s_client_send). */
static int s_connect_all(void *sock, const char *list, ow_error_t *err)
{
    char one[OW_RPC_ENDPOINT_MAX + 1];
    int count = 0;
    if (strchr(list, ',')) {
        int on = 1;
        zmq_setsockopt(sock, ZMQ_IMMEDIATE, &on, sizeof on);
    }
    for (const char *at = list;;) {
        at += strspn(at, " ");
        size_t len = strcspn(at, ",");
        while (len > 0 && at[len - 1] == ' ')
            len--;
        if (len == 0 || len > OW_RPC_ENDPOINT_MAX) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "endpoint list '%s': entry %d is %s", list,
                         count + 1, len ? "too long" : "empty");
            return -1;
        }
        memcpy(one, at, len);
        one[len] = '\0';
        if (zmq_connect(sock, one) != 0) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "cannot connect to %s: %s", one,
                         zmq_strerror(errno));
            return -1;
        }
        count++;
        at += strcspn(at, ",");
        if (*at != ',')
            return 0;
        at++;
    }
}

ow_rpc_client_t *ow_rpc_client_new(ow_loop_t *loop, const char *endpoint, ow_error_t *err)
{
    ow_rpc_client_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->endpoint = strdup(endpoint);
    self->sock = zmq_socket(ow_loop_zctx(loop), ZMQ_DEALER);
    if (!self->endpoint || !self->sock) {
        ow_error_set(err, OW_INTERNAL, "cannot create DEALER socket: %s", zmq_strerror(errno));
        goto fail;
    }
    int zero = 0;
    int64_t max = OW_FRAME_MAX;
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    s_set_hwm(self->sock);
    if (s_connect_all(self->sock, endpoint, err) != 0)
        goto fail;
    self->watch = ow_loop_watch(loop, self->sock, s_client_on_message, self);
    if (!self->watch) {
        ow_error_set(err, OW_INTERNAL, "cannot watch request socket for %s", endpoint);
        goto fail;
    }
    return self;
fail:
    ow_rpc_client_destroy(&self);
    return NULL;
}

void ow_rpc_client_destroy(ow_rpc_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_rpc_client_t *self = *self_p;
    *self_p = NULL;
    if (self->destroying)
        return; /* a done() callback run below destroyed it again */
    self->destroying = true;
    while (self->pending)
        s_pending_fail(self->pending, OW_CANCELLED, "request cancelled: client closed");
    ow_zwatch_destroy(&self->watch);
    if (self->sock)
        zmq_close(self->sock);
    free(self->endpoint);
    free(self->buckets);
    free(self);
}

static bool s_method_ok(const char *method)
{
    size_t n = method ? strlen(method) : 0;
    return n > 0 && n <= S_METHOD_MAX && ow_text_valid_n(method, n);
}

/* Creates and queues a pending call; returns it, or NULL when even that failed (done has
 * then run with the failure). */
static s_pending_t *s_call_start(ow_rpc_client_t *self, const char *method,
                                 const char *idempotency_key, const char *caller,
                                 const uint8_t *payload, size_t len, int timeout_ms,
                                 ow_rpc_done_fn *done, void *arg)
{
    s_pending_t *p = calloc(1, sizeof *p);
    if (!p) {
        ow_rpc_result_t result = {.status = OW_INTERNAL, .message = "out of memory"};
        if (done)
            done(&result, arg);
        return NULL;
    }
    p->client = self;
    p->done = done;
    p->arg = arg;
    ow_uuid_v4(p->request_id);
    ow_text_copy(p->method, sizeof p->method, method ? method : "");
    s_pending_link(self, p);
    p->timer = ow_loop_timer(self->loop, -1, false, s_on_retry, p);
    if (!p->timer) {
        s_pending_fail(p, OW_INTERNAL, "out of memory");
        return NULL;
    }
    if (self->destroying) {
        p->refused = OW_CANCELLED;
        snprintf(p->refused_msg, sizeof p->refused_msg, "request cancelled: client closed");
    } else if (!s_method_ok(method)) {
        p->refused = OW_INVALID_ARGUMENT;
        snprintf(p->refused_msg, sizeof p->refused_msg, "method must be 1 to %d bytes of text",
                 S_METHOD_MAX);
    } else if (timeout_ms <= 0) {
        p->refused = OW_INVALID_ARGUMENT;
        snprintf(p->refused_msg, sizeof p->refused_msg, "timeout_ms must be positive, got %d",
                 timeout_ms);
    } else if ((idempotency_key && strlen(idempotency_key) > S_IDEM_KEY_MAX) ||
               (caller && strlen(caller) > S_CALLER_MAX)) {
        p->refused = OW_INVALID_ARGUMENT;
        snprintf(p->refused_msg, sizeof p->refused_msg,
                 "idempotency key or caller longer than %d bytes", S_IDEM_KEY_MAX);
    }
    if (p->refused != OW_OK) {
        ow_timer_arm(p->timer, 0);
        return p;
    }
    Onewindow__V1__Request req = ONEWINDOW__V1__REQUEST__INIT;
    req.request_id = p->request_id;
    req.method = (char *)method;
    req.idempotency_key = (char *)(idempotency_key ? idempotency_key : "");
    req.caller = (char *)(caller ? caller : "");
    /* The server compares the deadline with its real clock (not the test clock). */
    req.deadline_unix_ms = ow_clock_real_us() / 1000 + timeout_ms;
    req.payload.data = (uint8_t *)payload;
    req.payload.len = payload ? len : 0;
    size_t size = onewindow__v1__request__get_packed_size(&req);
    if (size > OW_FRAME_MAX) {
        p->refused = OW_INVALID_ARGUMENT;
        snprintf(p->refused_msg, sizeof p->refused_msg,
                 "request of %zu bytes exceeds the %u-byte frame limit", size, OW_FRAME_MAX);
        ow_timer_arm(p->timer, 0);
        return p;
    }
    p->frame = malloc(size ? size : 1);
    if (!p->frame) {
        p->refused = OW_INTERNAL;
        snprintf(p->refused_msg, sizeof p->refused_msg, "out of memory");
        ow_timer_arm(p->timer, 0);
        return p;
    }
    onewindow__v1__request__pack(&req, p->frame);
    p->frame_len = size;
    p->deadline_mono_us = ow_clock_mono_us() + (int64_t)timeout_ms * 1000;
    int64_t retry_ms = timeout_ms / 4 > S_RETRY_MIN_MS ? timeout_ms / 4 : S_RETRY_MIN_MS;
    p->retry_us = retry_ms * 1000;
    int64_t first =
        p->retry_us < (int64_t)timeout_ms * 1000 ? p->retry_us : (int64_t)timeout_ms * 1000;
    ow_timer_arm(p->timer, (double)first / 1e6);
    s_client_send(p);
    return p;
}

void ow_rpc_call(ow_rpc_client_t *self, const char *method, const char *idempotency_key,
                 const char *caller, const uint8_t *payload, size_t len, int timeout_ms,
                 ow_rpc_done_fn *done, void *arg)
{
    s_call_start(self, method, idempotency_key, caller, payload, len, timeout_ms, done, arg);
}

typedef struct {
    bool finished;
    ow_status_t status;
    uint8_t *payload;
    size_t payload_len;
    bool copy_payload;
    ow_error_t *err;
} s_blocking_t;

static void s_blocking_done(const ow_rpc_result_t *result, void *arg)
{
    s_blocking_t *b = arg;
    b->finished = true;
    b->status = result->status;
    if (b->err) {
        ow_error_clear(b->err);
        b->err->code = result->status;
        ow_text_copy(b->err->message, sizeof b->err->message, result->message);
        size_t n = result->violation_count;
        if (n > OW_ERROR_VIOLATION_MAX)
            n = OW_ERROR_VIOLATION_MAX;
        if (n > 0)
            memcpy(b->err->violations, result->violations, n * sizeof *result->violations);
        b->err->violation_count = n;
    }
    if (b->copy_payload && result->payload_len > 0) {
        b->payload = malloc(result->payload_len);
        if (!b->payload) {
            b->status = OW_INTERNAL;
            if (b->err)
                ow_error_set(b->err, OW_INTERNAL, "out of memory copying a %zu-byte reply",
                             result->payload_len);
            return;
        }
        memcpy(b->payload, result->payload, result->payload_len);
        b->payload_len = result->payload_len;
    }
}

ow_status_t ow_rpc_call_blocking(ow_rpc_client_t *self, const char *method,
                                 const char *idempotency_key, const uint8_t *payload, size_t len,
                                 int timeout_ms, uint8_t **payload_out, size_t *payload_len,
                                 ow_error_t *err)
{
    s_blocking_t b = {.err = err, .copy_payload = payload_out != NULL};
    if (payload_out)
        *payload_out = NULL;
    if (payload_len)
        *payload_len = 0;
    s_pending_t *p = s_call_start(self, method, idempotency_key, NULL, payload, len, timeout_ms,
                                  s_blocking_done, &b);
    struct event_base *base = ow_loop_base(self->loop);
    while (!b.finished) {
        if (ow_loop_stopping(self->loop)) {
            /* SIGINT at the command line: give up now rather than wait for the deadline. */
            s_pending_fail(p, OW_CANCELLED, "request cancelled: stopping");
            break;
        }
        if (event_base_loop(base, EVLOOP_ONCE) < 0) {
            s_pending_fail(p, OW_INTERNAL, "event loop failed");
            break;
        }
    }
    if (payload_out) {
        *payload_out = b.payload;
        if (payload_len)
            *payload_len = b.payload_len;
    } else {
        free(b.payload);
    }
    return b.status;
}
