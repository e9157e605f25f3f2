/* exchange — one HTTP request of the API in flight, from evhttp's callback to the reply.
 *
 * The gateway answers most requests after asynchronous calls to other services, so the
 * client may be gone by then. evhttp frees or detaches a request whose connection closes, so
 * the exchange watches the connection (evhttp_connection_set_closecb) and remembers: a reply
 * to a vanished client is dropped, never written into freed memory. Every request gets
 * exactly one reply call, which also counts it in the metrics (route × status) and frees the
 * exchange. */
#ifndef GATEWAY_EXCHANGE_H
#define GATEWAY_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/http.h>
#include <jansson.h>
#include "ow_ops_http.h"
#include "ow_status.h"

typedef struct exchange exchange_t;

/* Takes charge of req (from the evhttp request callback) until a reply call. metrics may be
 * NULL. Returns NULL when out of memory: the caller then answers req itself. */
exchange_t *exchange_new(struct evhttp_request *req, ow_metrics_t *metrics);

/* Names the route for the metrics label (a static string, e.g. "GET /v1/tasks"). */
void exchange_set_route(exchange_t *self, const char *route);

/* True once the client has disconnected: work for it may stop early. */
bool exchange_gone(const exchange_t *self);

/* The request's method as text ("GET", "POST", …; "OTHER" for the rest). */
const char *exchange_method(const exchange_t *self);

/* The request path (still percent-encoded) and query (NULL when none). Owned by the
 * exchange. */
const char *exchange_path(const exchange_t *self);
const char *exchange_query(const exchange_t *self);

/* A request header's value, or NULL. Owned by the request; valid until the reply. */
const char *exchange_header(const exchange_t *self, const char *name);

/* The client's address ("127.0.0.1"), or "" when unknown. */
/* The size of the request's headers as sent (names, values, separators). */
size_t exchange_header_bytes(const exchange_t *self);

const char *exchange_peer(const exchange_t *self);

/* The request body (evhttp bounds it by the server's max body size) as contiguous bytes
 * owned by the request, and its length. Returns "" with *len 0 for an empty body. */
const char *exchange_body(exchange_t *self, size_t *len);

/* Replies status with body as application/json (or problem+json when is_problem), takes
 * ownership of body, counts the request, and frees the exchange. A NULL body (out of memory
 * upstream) becomes a 500 problem. */
void exchange_reply_json(exchange_t *self, int status, json_t *body);

/* Replies with a problem document (takes ownership) and frees the exchange. */
void exchange_reply_problem(exchange_t *self, int status, json_t *problem);

/* Replies err as a problem (status from its code) and frees the exchange. */
void exchange_reply_error(exchange_t *self, const ow_error_t *err);

/* ---- streamed replies (Server-Sent Events) ---- */

/* Called once when the client of a stream hangs up; the owner then calls
 * exchange_stream_end (not from inside this callback's caller's reply path: any time later). */
typedef void(exchange_closed_fn)(void *arg);

/* Starts a 200 reply of content_type whose body is sent piece by piece (chunked), counts
 * the request, and calls on_close(arg) if the client leaves. Instead of a reply call: the
 * exchange lives until exchange_stream_end. Returns -1 (and answers nothing) when the client
 * is already gone: the caller then calls exchange_stream_end. */
int exchange_stream_start(exchange_t *self, const char *content_type, exchange_closed_fn *on_close,
                          void *arg);

/* Sends len bytes of the body now (copied). Nothing when the client is gone. */
void exchange_stream_send(exchange_t *self, const char *data, size_t len);

/* Bytes sent but not yet taken by the client's connection (0 when gone): a slow reader is
 * not sent more until it catches up. */
size_t exchange_stream_backlog(const exchange_t *self);

/* Ends the stream (or cleans up after a client that left) and frees the exchange. */
void exchange_stream_end(exchange_t *self);

/* Adds a response header (e.g. Allow on 405) before the reply call. */
void exchange_add_header(exchange_t *self, const char *name, const char *value);

#endif
