/* remote_client — see remote_client.h. */
#include "remote_client.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "curve_key.h"
#include "ow_clock.h"
#include "ow_envelope.h"
#include "onewindow/v1/envelope.pb-c.h"

struct remote_client {
    void *ctx;
    void *sock;
    char endpoint[256];
    char centre[16];
};

remote_client_t *remote_client_new(const char *endpoint, const char *key_path, ow_error_t *err)
{
    curve_key_file_t key;
    remote_client_t *self = NULL;
    memset(&key, 0, sizeof key);
    if (curve_key_read(key_path, &key, err) != 0)
        goto fail;
    if (!key.server_key[0]) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "%s has no server-key: the gateway's remote endpoint was off when it was "
                     "made; add the line server-key = <the gateway's public key>",
                     key_path);
        goto fail;
    }
    self = calloc(1, sizeof *self);
    if (!self || !(self->ctx = zmq_ctx_new()) ||
        !(self->sock = zmq_socket(self->ctx, ZMQ_DEALER))) {
        ow_error_set(err, OW_INTERNAL, "cannot make a ZeroMQ socket");
        goto fail;
    }
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    snprintf(self->centre, sizeof self->centre, "%s", key.centre);
    int linger = 0;
    /* Queue only on a finished handshake: a frame is never held for a connection the
     * gateway refused (an unknown key), so the wait ends as "no answer". */
    int immediate = 1;
    if (zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_CURVE_SERVERKEY, key.server_key, CURVE_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_CURVE_PUBLICKEY, key.public_key, CURVE_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, key.secret_key, CURVE_KEY_Z85_LEN) != 0) {
        ow_error_set(err, OW_INTERNAL, "CURVE keys refused by libzmq: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_connect(self->sock, endpoint) != 0) {
        ow_error_set(err, OW_INTERNAL, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    memset(key.secret_key, 0, sizeof key.secret_key);
    return self;
fail:
    memset(key.secret_key, 0, sizeof key.secret_key);
    remote_client_destroy(&self);
    return NULL;
}

void remote_client_destroy(remote_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    remote_client_t *self = *self_p;
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

const char *remote_client_centre(const remote_client_t *self)
{
    return self->centre;
}

/* Copies a reply's status, message and violations into err. */
static void s_reply_error(const Onewindow__V1__Reply *reply, ow_error_t *err)
{
    ow_error_clear(err);
    for (size_t i = 0; i < reply->n_violations; i++)
        ow_error_add_violation(err, reply->violations[i]->field, "%s",
                               reply->violations[i]->description);
    if (reply->status != OW_OK)
        ow_error_set(err, (ow_status_t)reply->status, "%s",
                     reply->message && *reply->message ? reply->message
                                                       : ow_status_name(reply->status));
}

int remote_client_call(remote_client_t *self, const char *method, const char *idempotency_key,
                       const uint8_t *payload, size_t len, uint8_t **reply_payload,
                       size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    uint8_t *frame = NULL;
    char request_id[37];
    *reply_payload = NULL;
    *reply_len = 0;
    ow_uuid_v4(request_id);

    Onewindow__V1__Request req = ONEWINDOW__V1__REQUEST__INIT;
    req.request_id = request_id;
    req.method = (char *)method;
    req.idempotency_key = (char *)(idempotency_key ? idempotency_key : "");
    req.payload.data = (uint8_t *)payload;
    req.payload.len = len;
    size_t frame_len = onewindow__v1__request__get_packed_size(&req);
    if (!(frame = malloc(frame_len))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    onewindow__v1__request__pack(&req, frame);

    int64_t start = ow_clock_mono_us(), last_send = 0;
    bool sent = false;
    for (;;) {
        int64_t now = ow_clock_mono_us();
        if (now - start >= (int64_t)REMOTE_CLIENT_TIMEOUT_MS * 1000)
            break;
        if (!sent || now - last_send >= (int64_t)REMOTE_CLIENT_RESEND_MS * 1000) {
            /* EAGAIN: no finished handshake yet (ZMQ_IMMEDIATE); tried again below. */
            if (zmq_send(self->sock, frame, frame_len, ZMQ_DONTWAIT) >= 0) {
                sent = true;
                last_send = now;
            }
        }
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, sent ? 100 : 20) <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        Onewindow__V1__Reply *reply = NULL;
        if (zmq_msg_size(&msg) <= OW_FRAME_MAX)
            reply = onewindow__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        zmq_msg_close(&msg);
        if (!reply)
            continue; /* not a Reply: nothing a centre can act on */
        /* A refusal at the gateway's per-message key check carries no request id (the
         * frame of a key it no longer admits is not read): it answers this request too. */
        bool ours = strcmp(reply->request_id, request_id) == 0 ||
                    (reply->request_id[0] == '\0' && reply->status == OW_UNAUTHENTICATED);
        if (ours) {
            s_reply_error(reply, err);
            if (reply->payload.len > 0) {
                *reply_payload = malloc(reply->payload.len);
                if (!*reply_payload) {
                    onewindow__v1__reply__free_unpacked(reply, NULL);
                    ow_error_set(err, OW_INTERNAL, "out of memory");
                    goto cleanup;
                }
                memcpy(*reply_payload, reply->payload.data, reply->payload.len);
                *reply_len = reply->payload.len;
            }
            onewindow__v1__reply__free_unpacked(reply, NULL);
            rc = 0;
            goto cleanup;
        }
        onewindow__v1__reply__free_unpacked(reply, NULL); /* an earlier request's late answer */
    }
    ow_error_set(err, OW_UNAVAILABLE,
                 "no answer from %s in %d s: is the endpoint right, and the key registered and "
                 "not revoked?",
                 self->endpoint, REMOTE_CLIENT_TIMEOUT_MS / 1000);
cleanup:
    free(frame);
    return rc;
}
