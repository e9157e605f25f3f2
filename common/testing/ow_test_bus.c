/* ow_test_bus — see ow_test_bus.h. */
#include "ow_test_bus.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

#define S_CONTROL "inproc://ow-test-bus-control"

struct ow_test_bus {
    char dir[256];
    char pub[300]; /* the XSUB's endpoint */
    char sub[300]; /* the XPUB's endpoint */
    void *ctx;
    void *xsub, *xpub;
    void *control; /* TERMINATE here stops the proxy */
    pthread_t thread;
    bool running;
};

static void *s_run(void *arg)
{
    ow_test_bus_t *self = arg;
    void *ctl = zmq_socket(self->ctx, ZMQ_PAIR);
    zmq_connect(ctl, S_CONTROL);
    zmq_proxy_steerable(self->xsub, self->xpub, NULL, ctl);
    zmq_close(ctl);
    return NULL;
}

ow_test_bus_t *ow_test_bus_new(const char *dir, ow_error_t *err)
{
    ow_test_bus_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    snprintf(self->pub, sizeof self->pub, "ipc://%s/pub", dir);
    snprintf(self->sub, sizeof self->sub, "ipc://%s/sub", dir);
    self->ctx = zmq_ctx_new();
    self->xsub = self->ctx ? zmq_socket(self->ctx, ZMQ_XSUB) : NULL;
    self->xpub = self->ctx ? zmq_socket(self->ctx, ZMQ_XPUB) : NULL;
    self->control = self->ctx ? zmq_socket(self->ctx, ZMQ_PAIR) : NULL;
    if (!self->xsub || !self->xpub || !self->control || zmq_bind(self->xsub, self->pub) != 0 ||
        zmq_bind(self->xpub, self->sub) != 0 || zmq_bind(self->control, S_CONTROL) != 0) {
        ow_error_set(err, OW_INTERNAL, "test bus in %s: %s", dir, zmq_strerror(zmq_errno()));
        ow_test_bus_destroy(&self);
        return NULL;
    }
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        ow_error_set(err, OW_INTERNAL, "test bus: cannot start its thread");
        ow_test_bus_destroy(&self);
        return NULL;
    }
    self->running = true;
    return self;
}

void ow_test_bus_destroy(ow_test_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_test_bus_t *self = *self_p;
    if (self->running) {
        zmq_send(self->control, "TERMINATE", 9, 0);
        pthread_join(self->thread, NULL);
    }
    if (self->xsub)
        zmq_close(self->xsub);
    if (self->xpub)
        zmq_close(self->xpub);
    if (self->control)
        zmq_close(self->control);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    char path[300];
    snprintf(path, sizeof path, "%s/pub", self->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", self->dir);
    unlink(path);
    free(self);
    *self_p = NULL;
}

const char *ow_test_bus_pub(const ow_test_bus_t *self)
{
    return self->pub;
}

const char *ow_test_bus_sub(const ow_test_bus_t *self)
{
    return self->sub;
}
