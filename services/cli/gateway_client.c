#include "gateway_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct gateway_client {
    char *token; /* "Bearer …" header value, or NULL */
    char *url;
    char *host;
    int port;
    char *prefix; /* path before /v1, without a trailing slash; "" when none */
};

gateway_client_t *gateway_client_new(const char *url, ow_error_t *err)
{
    gateway_client_t *self = calloc(1, sizeof *self);
    struct evhttp_uri *uri = evhttp_uri_parse(url);

    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    if (!uri || !scheme || strcmp(scheme, "http") != 0 || !host || !*host ||
        evhttp_uri_get_query(uri) || evhttp_uri_get_fragment(uri) || evhttp_uri_get_userinfo(uri)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "gateway URL '%s' is not http://host[:port][/prefix] (e.g. "
                     "http://127.0.0.1:8080)",
                     url);
        goto fail;
    }
    const char *path = evhttp_uri_get_path(uri);
    self->url = strdup(url);
    self->host = strdup(host);
    self->prefix = strdup(path ? path : "");
    self->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
    if (!self->url || !self->host || !self->prefix) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    size_t n = strlen(self->prefix);
    while (n > 0 && self->prefix[n - 1] == '/')
        self->prefix[--n] = '\0';
    evhttp_uri_free(uri);
    return self;
fail:
    if (uri)
        evhttp_uri_free(uri);
    gateway_client_destroy(&self);
    return NULL;
}

void gateway_client_destroy(gateway_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gateway_client_t *self = *self_p;
    free(self->token);
    free(self->url);
    free(self->host);
    free(self->prefix);
    free(self);
    *self_p = NULL;
}

const char *gateway_client_url(const gateway_client_t *self)
{
    return self->url;
}

/* What one request came back with; filled in the evhttp callbacks. */
typedef struct {
    struct event_base *base;
    bool answered;
    int status;
    char *body;
    size_t body_len;
    bool timed_out;
    int sys_errno; /* errno when the connection failed */
} s_outcome_t;

static void s_on_error(enum evhttp_request_error error, void *arg)
{
    s_outcome_t *o = arg;
    if (error == EVREQ_HTTP_TIMEOUT)
        o->timed_out = true;
}

static void s_on_done(struct evhttp_request *req, void *arg)
{
    s_outcome_t *o = arg;
    o->sys_errno = errno;
    /* libevent reports a failed connection as no request or a response code of 0. */
    if (req && evhttp_request_get_response_code(req) != 0) {
        o->answered = true;
        o->status = evhttp_request_get_response_code(req);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        o->body = malloc(n + 1);
        if (o->body) {
            o->body_len = (size_t)evbuffer_remove(in, o->body, n);
            o->body[o->body_len] = '\0';
        }
    }
    event_base_loopbreak(o->base);
}

int gateway_client_set_token(gateway_client_t *self, const char *token)
{
    free(self->token);
    self->token = NULL;
    if (!token || !*token)
        return 0;
    if (asprintf(&self->token, "Bearer %s", token) < 0) {
        self->token = NULL;
        return -1;
    }
    return 0;
}

int gateway_client_request(gateway_client_t *self, const char *method, const char *path,
                           const char *idempotency_key, const json_t *body, int *status,
                           json_t **reply, ow_error_t *err)
{
    s_outcome_t o = {0};
    struct evhttp_connection *conn = NULL;
    struct evhttp_request *req = NULL;
    char *text = NULL;
    char target[1024];
    char host_header[300];
    int rc = -1;

    *reply = NULL;
    o.base = event_base_new();
    if (!o.base) {
        ow_error_set(err, OW_INTERNAL, "cannot create an event loop");
        goto done;
    }
    conn = evhttp_connection_base_new(o.base, NULL, self->host, (ev_uint16_t)self->port);
    if (!conn) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot reach the gateway at %s: cannot resolve %s",
                     self->url, self->host);
        goto done;
    }
    evhttp_connection_set_timeout(conn, GATEWAY_CLIENT_TIMEOUT_S);
    evhttp_connection_set_retries(conn, 0);
    evhttp_connection_set_max_body_size(conn, GATEWAY_CLIENT_MAX_BODY);
    evhttp_connection_set_max_headers_size(conn, GATEWAY_CLIENT_MAX_HEADERS);

    req = evhttp_request_new(s_on_done, &o);
    if (!req) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    evhttp_request_set_error_cb(req, s_on_error);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (self->port == 80)
        snprintf(host_header, sizeof host_header, "%s", self->host);
    else
        snprintf(host_header, sizeof host_header, strchr(self->host, ':') ? "[%s]:%d" : "%s:%d",
                 self->host, self->port);
    evhttp_add_header(headers, "Host", host_header);
    evhttp_add_header(headers, "Accept", "application/json, application/problem+json");
    evhttp_add_header(headers, "User-Agent", "owctl");
    evhttp_add_header(headers, "Connection", "close");
    if (idempotency_key)
        evhttp_add_header(headers, "Idempotency-Key", idempotency_key);
    if (self->token)
        evhttp_add_header(headers, "Authorization", self->token);
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto done;
        }
        evhttp_add_header(headers, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
    }
    snprintf(target, sizeof target, "%s%s", self->prefix, path);

    enum evhttp_cmd_type type = strcmp(method, "POST") == 0 ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
    /* evhttp owns req from here and frees it after s_on_done. On failure libevent 2.1 may or
     * may not have freed it already (it depends on where the connect failed): leaking one
     * request in a process about to exit beats freeing it twice. */
    if (evhttp_make_request(conn, req, type, target) != 0) {
        req = NULL;
        ow_error_set(err, OW_UNAVAILABLE, "cannot reach the gateway at %s: cannot send", self->url);
        goto done;
    }
    req = NULL;
    event_base_dispatch(o.base);

    if (!o.answered) {
        if (o.timed_out)
            ow_error_set(err, OW_DEADLINE_EXCEEDED, "the gateway at %s did not answer within %d s",
                         self->url, GATEWAY_CLIENT_TIMEOUT_S);
        else if (o.sys_errno == ECONNREFUSED || o.sys_errno == ENOTCONN)
            /* libevent closes the failed socket before telling us, which turns the refusal
             * into ENOTCONN: either way nothing accepted the connection. */
            ow_error_set(err, OW_UNAVAILABLE,
                         "cannot reach the gateway at %s: connection refused (is gatewayd "
                         "running and listening there?)",
                         self->url);
        else if (o.sys_errno)
            ow_error_set(err, OW_UNAVAILABLE, "cannot reach the gateway at %s: %s", self->url,
                         strerror(o.sys_errno));
        else
            ow_error_set(err, OW_UNAVAILABLE,
                         "cannot reach the gateway at %s: the connection failed", self->url);
        goto done;
    }
    *status = o.status;
    if (o.body && o.body_len > 0)
        *reply = json_loadb(o.body, o.body_len, 0, NULL);
    rc = 0;
done:
    if (req)
        evhttp_request_free(req);
    if (conn)
        evhttp_connection_free(conn);
    if (o.base)
        event_base_free(o.base);
    free(o.body);
    free(text);
    return rc;
}
