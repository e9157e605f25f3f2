#include "zap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ow_log.h"

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_FRAMES_MAX   8

struct zap {
    void *sock;
    ow_zwatch_t *watch;
    char *domain;
    zap_check_fn *check;
    void *arg;
    uint64_t admitted, refused;
};

static bool s_frame_is(const zmq_msg_t *m, const char *text)
{
    size_t n = strlen(text);
    return zmq_msg_size((zmq_msg_t *)m) == n && memcmp(zmq_msg_data((zmq_msg_t *)m), text, n) == 0;
}

static void s_on_request(void *zsock, void *arg)
{
    zap_t *self = arg;
    zmq_msg_t frames[S_FRAMES_MAX];
    size_t count = 0;
    int more = 1;
    const char *code = "400", *text = "refused";
    char key[41] = "";

    /* ZAP request: version, request id, domain, address, routing id, mechanism, credentials */
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zsock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            goto release; /* woken with nothing to read */
        }
        more = zmq_msg_more(&m);
        if (count < S_FRAMES_MAX) {
            zmq_msg_init(&frames[count]);
            zmq_msg_move(&frames[count++], &m);
        }
        zmq_msg_close(&m); /* frames past the bound are read and dropped */
    }
    if (count < 6 || !s_frame_is(&frames[0], "1.0")) {
        code = "500";
        text = "malformed ZAP request";
    } else if (!s_frame_is(&frames[2], self->domain)) {
        text = "unknown ZAP domain";
    } else if (!s_frame_is(&frames[5], "CURVE") || count != 7 || zmq_msg_size(&frames[6]) != 32) {
        text = "only CURVE clients are admitted";
    } else {
        zmq_z85_encode(key, zmq_msg_data(&frames[6]), 32);
        int verdict = self->check(key, self->arg);
        if (verdict == 1) {
            code = "200";
            text = "OK";
        } else if (verdict < 0) {
            code = "500";
            text = "cannot check the key now";
        } else {
            text = "unknown or revoked key";
        }
    }
    if (code[0] == '2') {
        self->admitted++;
    } else {
        self->refused++;
        ow_log_kv(OW_LOG_WARN, "remote client refused", "reason", text, "public_key",
                  key[0] ? key : "-", NULL);
    }
    if (count >= 2) {
        const char *user = code[0] == '2' ? key : "";
        const void *out[6] = {"1.0", zmq_msg_data(&frames[1]), code, text, user, ""};
        size_t sizes[6] = {3, zmq_msg_size(&frames[1]), 3, strlen(text), strlen(user), 0};
        ow_zsend(zsock, self->watch, out, sizes, 6);
    }
release:
    for (size_t i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

zap_t *zap_new(ow_loop_t *loop, const char *domain, zap_check_fn *check, void *arg, ow_error_t *err)
{
    zap_t *self = calloc(1, sizeof *self);
    int linger = 0;
    if (!self || !(self->domain = strdup(domain))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    self->check = check;
    self->arg = arg;
    self->sock = zmq_socket(ow_loop_zctx(loop), ZMQ_REP);
    if (!self->sock) {
        ow_error_set(err, OW_INTERNAL, "cannot make the ZAP socket: %s", zmq_strerror(errno));
        goto fail;
    }
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->sock, S_ZAP_ENDPOINT) != 0) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot bind the ZAP handler at %s: %s", S_ZAP_ENDPOINT,
                     zmq_strerror(errno));
        goto fail;
    }
    self->watch = ow_loop_watch(loop, self->sock, s_on_request, self);
    if (!self->watch) {
        ow_error_set(err, OW_INTERNAL, "cannot watch the ZAP socket");
        goto fail;
    }
    return self;
fail:
    zap_destroy(&self);
    return NULL;
}

void zap_destroy(zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zap_t *self = *self_p;
    ow_zwatch_destroy(&self->watch);
    if (self->sock)
        zmq_close(self->sock);
    free(self->domain);
    free(self);
    *self_p = NULL;
}

uint64_t zap_admitted(const zap_t *self)
{
    return self->admitted;
}

uint64_t zap_refused(const zap_t *self)
{
    return self->refused;
}
