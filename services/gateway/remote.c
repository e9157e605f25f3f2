#include "remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ow_log.h"
#include "zap.h"

struct remote {
    ow_loop_t *loop;
    zap_t *zap;
    void *sock;
    ow_zwatch_t *watch;
    char endpoint[256];
    char public_key[CURVE_KEY_Z85_LEN + 1];
    remote_lookup_fn *lookup;
    remote_handler_fn *handler;
    void *arg;
    uint64_t admitted, refused;
};

int remote_admit(zmq_msg_t *frame, remote_lookup_fn *lookup, void *arg, char *centre,
                 char *subscriptions, char *key, ow_error_t *err)
{
    const char *user = zmq_msg_gets(frame, "User-Id");
    if (!user || !curve_key_valid(user)) {
        ow_error_set(err, OW_UNAUTHENTICATED,
                     "the connection was not admitted by the gateway's ZAP handler");
        return 0;
    }
    memcpy(key, user, CURVE_KEY_Z85_LEN + 1);
    int found = lookup(key, centre, subscriptions, arg);
    if (found < 0) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot check the centre's key now; retry shortly");
        return -1;
    }
    if (found == 0) {
        ow_error_set(err, OW_UNAUTHENTICATED, "the centre's key is unknown or revoked");
        return 0;
    }
    return 1;
}

int remote_reply_status(remote_t *self, const remote_call_t *call, ow_status_t status,
                        const char *message, const ow_violation_t *violations, size_t count,
                        const uint8_t *payload, size_t len)
{
    Onewindow__V1__Reply reply = ONEWINDOW__V1__REPLY__INIT;
    Onewindow__V1__FieldViolation vs[OW_ERROR_VIOLATION_MAX];
    Onewindow__V1__FieldViolation *vp[OW_ERROR_VIOLATION_MAX];
    uint8_t *buf = NULL;
    int rc = -1;

    reply.request_id = (char *)call->request_id;
    reply.status = (int32_t)status;
    reply.message = (char *)(message ? message : "");
    reply.payload.data = (uint8_t *)payload;
    reply.payload.len = payload ? len : 0;
    if (count > OW_ERROR_VIOLATION_MAX)
        count = OW_ERROR_VIOLATION_MAX;
    for (size_t i = 0; i < count; i++) {
        onewindow__v1__field_violation__init(&vs[i]);
        vs[i].field = (char *)violations[i].field;
        vs[i].description = (char *)violations[i].description;
        vp[i] = &vs[i];
    }
    reply.n_violations = count;
    reply.violations = vp;
    size_t n = onewindow__v1__reply__get_packed_size(&reply);
    buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    onewindow__v1__reply__pack(&reply, buf);
    const void *frames[2] = {call->peer, buf};
    size_t sizes[2] = {call->peer_len, n};
    rc = ow_zsend(self->sock, self->watch, frames, sizes, 2);
    free(buf);
    return rc;
}

int remote_reply(remote_t *self, const remote_call_t *call, const ow_error_t *err,
                 const uint8_t *payload, size_t len)
{
    if (!err || err->code == OW_OK)
        return remote_reply_status(self, call, OW_OK, "", NULL, 0, payload, len);
    return remote_reply_status(self, call, err->code, err->message, err->violations,
                               err->violation_count, payload, len);
}

int remote_recheck(remote_t *self, const remote_call_t *call)
{
    char centre[REMOTE_CENTRE_LEN + 1], subscriptions[REMOTE_SUBS_MAX + 1];
    int found = self->lookup(call->public_key, centre, subscriptions, self->arg);
    /* A key moved to another centre, or given other event types, is a different key as far
     * as its subscription goes. */
    return found == 1 && (strcmp(centre, call->centre) != 0 ||
                          strcmp(subscriptions, call->subscriptions) != 0)
               ? 0
               : found;
}

static void s_on_message(void *zsock, void *arg)
{
    remote_t *self = arg;
    zmq_msg_t frames[2];
    size_t count = 0;
    int more = 1;
    ow_error_t err;
    remote_call_t call;
    remote_request_t req;

    memset(&call, 0, sizeof call);
    memset(&req, 0, sizeof req);
    ow_error_clear(&err);
    /* [routing id][request]; anything longer is read and refused */
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zsock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            goto done;
        }
        more = zmq_msg_more(&m);
        if (count < 2) {
            zmq_msg_init(&frames[count]);
            zmq_msg_move(&frames[count], &m);
        }
        count++;
        zmq_msg_close(&m);
    }
    if (count < 2)
        goto done;
    call.peer_len = zmq_msg_size(&frames[0]);
    if (call.peer_len > REMOTE_PEER_MAX)
        goto done;
    memcpy(call.peer, zmq_msg_data(&frames[0]), call.peer_len);

    /* The key is checked before a byte of the request is decoded: nothing from an
     * unadmitted sender reaches the decoder or a service. */
    if (remote_admit(&frames[1], self->lookup, self->arg, call.centre, call.subscriptions,
                     call.public_key, &err) != 1) {
        self->refused++;
        ow_log_kv(OW_LOG_WARN, "remote message refused", "reason", err.message, "public_key",
                  call.public_key[0] ? call.public_key : "-", NULL);
        remote_reply(self, &call, &err, NULL, 0);
        goto done;
    }
    if (count != 2) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "send one frame per request (got %zu)", count - 1);
        remote_reply(self, &call, &err, NULL, 0);
        goto done;
    }
    if (remote_request_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), &req, &err) !=
        0) {
        memcpy(call.request_id, req.request_id, sizeof call.request_id);
        remote_reply(self, &call, &err, NULL, 0);
        goto done;
    }
    memcpy(call.request_id, req.request_id, sizeof call.request_id);
    self->admitted++;
    self->handler(self, &call, &req, self->arg);
    remote_request_clear(&req);
done:
    for (size_t i = 0; i < count && i < 2; i++)
        zmq_msg_close(&frames[i]);
}

/* The ZAP handler's verdict uses the same lookup as the per-message check. */
static int s_zap_check(const char *key, void *arg)
{
    remote_t *self = arg;
    char centre[REMOTE_CENTRE_LEN + 1], subscriptions[REMOTE_SUBS_MAX + 1];
    return self->lookup(key, centre, subscriptions, self->arg);
}

remote_t *remote_new(ow_loop_t *loop, const char *endpoint, const char *server_secret_key,
                     const char *zap_domain, remote_lookup_fn *lookup, remote_handler_fn *handler,
                     void *arg, ow_error_t *err)
{
    remote_t *self = calloc(1, sizeof *self);
    int one = 1, zero = 0;
    size_t size;

    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    *self = (remote_t){.loop = loop, .lookup = lookup, .handler = handler, .arg = arg};
    if (!curve_key_valid(server_secret_key) ||
        zmq_curve_public(self->public_key, server_secret_key) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "the remote endpoint's secret key is not a Z85 "
                     "CURVE key (owctl centre keygen --server)");
        goto fail;
    }
    if (!zap_domain || !*zap_domain) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "remote.zap_domain must not be empty: libzmq "
                     "skips ZAP for an empty domain");
        goto fail;
    }
    /* 1. the ZAP handler, so that no handshake can ever happen without it */
    self->zap = zap_new(loop, zap_domain, s_zap_check, self, err);
    if (!self->zap)
        goto fail;
    /* 2. the CURVE server socket, with the domain set before it binds */
    self->sock = zmq_socket(ow_loop_zctx(loop), ZMQ_ROUTER);
    if (!self->sock) {
        ow_error_set(err, OW_INTERNAL, "cannot make the remote socket: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, server_secret_key, CURVE_KEY_Z85_LEN) !=
            0 ||
        zmq_setsockopt(self->sock, ZMQ_ZAP_DOMAIN, zap_domain, strlen(zap_domain)) != 0) {
        ow_error_set(err, OW_INTERNAL, "cannot make the remote socket a CURVE server: %s",
                     zmq_strerror(errno));
        goto fail;
    }
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
    /* Where libzmq offers it (draft API), it also refuses handshakes when no handler runs. */
    zmq_setsockopt(self->sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one);
#endif
    /* 3. bind */
    if (zmq_bind(self->sock, endpoint) != 0) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot bind remote.bind %s: %s", endpoint,
                     zmq_strerror(errno));
        goto fail;
    }
    size = sizeof self->endpoint;
    zmq_getsockopt(self->sock, ZMQ_LAST_ENDPOINT, self->endpoint, &size);
    self->watch = ow_loop_watch(loop, self->sock, s_on_message, self);
    if (!self->watch) {
        ow_error_set(err, OW_INTERNAL, "cannot watch the remote socket");
        goto fail;
    }
    return self;
fail:
    remote_destroy(&self);
    return NULL;
}

void remote_destroy(remote_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    remote_t *self = *self_p;
    ow_zwatch_destroy(&self->watch);
    if (self->sock)
        zmq_close(self->sock);
    zap_destroy(&self->zap); /* after the socket it guards */
    free(self);
    *self_p = NULL;
}

const char *remote_endpoint(const remote_t *self)
{
    return self->endpoint;
}

const char *remote_public_key(const remote_t *self)
{
    return self->public_key;
}

uint64_t remote_admitted(const remote_t *self)
{
    return self->admitted;
}

uint64_t remote_refused(const remote_t *self)
{
    return self->refused;
}
