#include "exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "ow_log.h"
#include "problem.h"

struct exchange {
    struct evhttp_request *req;     /* NULL once evhttp freed it with its connection */
    struct evhttp_connection *conn; /* NULL once closed */
    bool gone;
    ow_metrics_t *metrics;
    const char *route;
    exchange_closed_fn *on_close; /* streams only */
    void *on_close_arg;
    bool streaming;
    char *path; /* decoded from the URI at creation */
    char *query;
};

static void s_on_close(struct evhttp_connection *conn, void *arg)
{
    exchange_t *self = arg;
    self->gone = true;
    self->conn = NULL;
    /* evhttp calls this before it frees the connection's queued requests. A request it has
     * already detached (the client hung up while we were working: evcon set to NULL) stays
     * ours to free; one still attached is about to be freed with the connection. */
    if (self->req && evhttp_request_get_connection(self->req) == conn)
        self->req = NULL;
    if (self->on_close)
        self->on_close(self->on_close_arg);
}

exchange_t *exchange_new(struct evhttp_request *req, ow_metrics_t *metrics)
{
    exchange_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->req = req;
    self->metrics = metrics;
    self->route = "unmatched";

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    self->path = strdup(path && *path ? path : "/");
    self->query = query ? strdup(query) : NULL;
    if (!self->path || (query && !self->query)) {
        free(self->path);
        free(self->query);
        free(self);
        return NULL;
    }

    self->conn = evhttp_request_get_connection(req);
    if (self->conn)
        evhttp_connection_set_closecb(self->conn, s_on_close, self);
    return self;
}

void exchange_set_route(exchange_t *self, const char *route)
{
    self->route = route;
}

bool exchange_gone(const exchange_t *self)
{
    return self->gone;
}

const char *exchange_method(const exchange_t *self)
{
    if (!self->req)
        return "OTHER";
    switch (evhttp_request_get_command(self->req)) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

const char *exchange_path(const exchange_t *self)
{
    return self->path;
}

const char *exchange_query(const exchange_t *self)
{
    return self->query;
}

const char *exchange_header(const exchange_t *self, const char *name)
{
    if (!self->req)
        return NULL;
    return evhttp_find_header(evhttp_request_get_input_headers(self->req), name);
}

size_t exchange_header_bytes(const exchange_t *self)
{
    size_t n = 0;
    struct evkeyval *h;
    if (!self->req)
        return 0;
    /* "Name: value\r\n" for each, as on the wire (evhttp counts the same way) */
    TAILQ_FOREACH(h, evhttp_request_get_input_headers(self->req), next)
    n += strlen(h->key) + strlen(h->value) + 4;
    return n;
}

const char *exchange_peer(const exchange_t *self)
{
    const char *host = NULL;
    ev_uint16_t port = 0;
    if (self->conn)
        evhttp_connection_get_peer(self->conn, (char **)&host, &port);
    return host ? host : "";
}

const char *exchange_body(exchange_t *self, size_t *len)
{
    *len = 0;
    if (!self->req)
        return "";
    struct evbuffer *in = evhttp_request_get_input_buffer(self->req);
    size_t n = evbuffer_get_length(in);
    if (n == 0)
        return "";
    const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    if (!data)
        return "";
    *len = n;
    return data;
}

void exchange_add_header(exchange_t *self, const char *name, const char *value)
{
    if (self->req)
        evhttp_add_header(evhttp_request_get_output_headers(self->req), name, value);
}

static void s_count(exchange_t *self, int status)
{
    if (!self->metrics)
        return;
    char labels[160];
    snprintf(labels, sizeof labels, "route=\"%s\",status=\"%d\"", self->route, status);
    uint64_t *n = ow_metrics_counter(self->metrics, "gateway_http_requests_total", labels,
                                     "HTTP API requests answered, by route and status");
    if (n)
        (*n)++;
}

static void s_free(exchange_t *self)
{
    free(self->path);
    free(self->query);
    free(self);
}

static void s_reply(exchange_t *self, int status, json_t *body, const char *content_type)
{
    char *text = NULL;
    struct evbuffer *out = NULL;

    if (!body) {
        status = 500;
        content_type = PROBLEM_CONTENT_TYPE;
        body = problem_new(500, "INTERNAL", "out of memory while building the answer");
    }
    s_count(self, status);
    if (self->gone) {
        /* Nobody to answer. A request evhttp detached is still ours to free. */
        if (self->req)
            evhttp_request_free(self->req);
        ow_log_kv(OW_LOG_INFO, "client left before the reply", "route", self->route, NULL);
        goto done;
    }
    /* The connection may carry the next request: stop watching it for this one. */
    if (self->conn)
        evhttp_connection_set_closecb(self->conn, NULL, NULL);

    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    out = evbuffer_new();
    if (!text || !out) {
        evhttp_send_error(self->req, 500, "out of memory");
        goto done;
    }
    evbuffer_add(out, text, strlen(text));
    evbuffer_add(out, "\n", 1);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(self->req);
    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evhttp_send_reply(self->req, status, NULL, out);
done:
    if (out)
        evbuffer_free(out);
    free(text);
    json_decref(body);
    s_free(self);
}

void exchange_reply_json(exchange_t *self, int status, json_t *body)
{
    s_reply(self, status, body, status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json");
}

void exchange_reply_problem(exchange_t *self, int status, json_t *problem)
{
    s_reply(self, status, problem, PROBLEM_CONTENT_TYPE);
}

void exchange_reply_error(exchange_t *self, const ow_error_t *err)
{
    int status = 500;
    json_t *problem = problem_from_error(err, &status);
    s_reply(self, status, problem, PROBLEM_CONTENT_TYPE);
}

int exchange_stream_start(exchange_t *self, const char *content_type, exchange_closed_fn *on_close,
                          void *arg)
{
    s_count(self, 200);
    self->streaming = true;
    if (self->gone || !self->req)
        return -1;
    self->on_close = on_close;
    self->on_close_arg = arg;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(self->req);
    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evhttp_send_reply_start(self->req, 200, "OK");
    return 0;
}

void exchange_stream_send(exchange_t *self, const char *data, size_t len)
{
    if (self->gone || !self->req)
        return;
    struct evbuffer *out = evbuffer_new();
    if (!out)
        return;
    evbuffer_add(out, data, len);
    evhttp_send_reply_chunk(self->req, out);
    evbuffer_free(out);
}

size_t exchange_stream_backlog(const exchange_t *self)
{
    if (self->gone || !self->conn)
        return 0;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(self->conn);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void exchange_stream_end(exchange_t *self)
{
    if (!self)
        return;
    if (!self->gone && self->req) {
        if (self->conn)
            evhttp_connection_set_closecb(self->conn, NULL, NULL);
        if (self->streaming)
            evhttp_send_reply_end(self->req);
        else
            evhttp_send_error(self->req, 503, NULL);
    } else if (self->gone && self->req) {
        evhttp_request_free(self->req);
    }
    s_free(self);
}
