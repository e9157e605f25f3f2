/* ow_rpc — requests and replies between daemons.
 *
 * A service binds a ROUTER socket (ZMQ_ROUTER_MANDATORY set, so an unroutable reply is an
 * error we log rather than a silent drop). Clients connect a DEALER. Each message is one
 * frame: a packed onewindow.v1.Request, answered by one onewindow.v1.Reply with the same
 * request_id. A frame that is not a valid Request is answered INVALID_ARGUMENT with an empty
 * request_id; the daemon carries on. A request whose deadline has passed is answered
 * DEADLINE_EXCEEDED without running the handler; an unknown method UNIMPLEMENTED.
 *
 * The client retries an unanswered request with the same request_id (and idempotency key)
 * until its deadline, so servers must treat commands idempotently (see ow_idem.h). */
#ifndef OW_RPC_H
#define OW_RPC_H

#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_status.h"

typedef struct ow_rpc_server ow_rpc_server_t;
typedef struct ow_rpc_call ow_rpc_call_t;
typedef struct ow_rpc_client ow_rpc_client_t;

/* ---- server ---- */

/* Runs for one request. The handler must eventually answer with exactly one of
 * ow_rpc_reply / ow_rpc_reply_error, which frees the call (it may do so later, after an
 * asynchronous step). */
typedef void(ow_rpc_handler_fn)(ow_rpc_call_t *call, void *arg);

/* Binds a ROUTER socket at endpoint (e.g. "tcp://127.0.0.1:7110") on the loop. Returns NULL
 * with err on failure (address in use, bad endpoint). The caller owns the server. */
ow_rpc_server_t *ow_rpc_server_new(ow_loop_t *loop, const char *endpoint, ow_error_t *err);

/* Closes the socket; calls still pending are dropped. Sets *self_p to NULL. */
void ow_rpc_server_destroy(ow_rpc_server_t **self_p);

/* Routes `method` to handler. A later registration of the same method replaces it. */
void ow_rpc_server_handle(ow_rpc_server_t *self, const char *method, ow_rpc_handler_fn *handler,
                          void *arg);

/* Counters for /metrics. */
uint64_t ow_rpc_server_requests(const ow_rpc_server_t *self);
uint64_t ow_rpc_server_malformed(const ow_rpc_server_t *self);

/* Accessors; strings are owned by the call and valid until it is answered. */
const char *ow_rpc_call_method(const ow_rpc_call_t *call);
const char *ow_rpc_call_request_id(const ow_rpc_call_t *call);
const char *ow_rpc_call_idempotency_key(const ow_rpc_call_t *call); /* "" when absent */
const char *ow_rpc_call_caller(const ow_rpc_call_t *call);          /* "" when absent */
int64_t ow_rpc_call_deadline_ms(const ow_rpc_call_t *call);         /* 0 when absent */
const uint8_t *ow_rpc_call_payload(const ow_rpc_call_t *call, size_t *len);

/* Answers OK with payload (copied; may be NULL/0) and frees the call. */
void ow_rpc_reply(ow_rpc_call_t *call, const uint8_t *payload, size_t len);

/* Answers with err's code, message and violations, and frees the call. */
void ow_rpc_reply_error(ow_rpc_call_t *call, const ow_error_t *err);

/* Answers with an already packed onewindow.v1.Reply body (status, message, payload,
 * violations) — used to return a stored idempotent answer verbatim. The request_id is
 * replaced by this call's. Frees the call. */
void ow_rpc_reply_packed(ow_rpc_call_t *call, const uint8_t *reply, size_t len);

/* Packs a Reply (request_id empty) from status/err and payload into a new buffer (caller
 * frees *out), for ow_idem_save. err may be NULL for OK. */
int ow_rpc_pack_reply(const ow_error_t *err, const uint8_t *payload, size_t len, uint8_t **out,
                      size_t *out_len);

/* ---- client ---- */

typedef struct {
    ow_status_t status;     /* DEADLINE_EXCEEDED when no reply came in time */
    const char *message;    /* never NULL */
    const uint8_t *payload; /* valid only during the callback */
    size_t payload_len;
    size_t violation_count;
    const ow_violation_t *violations;
} ow_rpc_result_t;

typedef void(ow_rpc_done_fn)(const ow_rpc_result_t *result, void *arg);

/* Longest single endpoint of a client's list. */
#define OW_RPC_ENDPOINT_MAX 300

/* Connects a DEALER to endpoint, or to every endpoint of a comma-separated list (several
 * instances of one service: requests are dealt round-robin among the instances that are up,
 * and a retry reaches a live one). Returns NULL with err on failure (INVALID_ARGUMENT names a
 * bad entry). */
ow_rpc_client_t *ow_rpc_client_new(ow_loop_t *loop, const char *endpoint, ow_error_t *err);

/* Fails every pending call with CANCELLED (callbacks run), closes the socket, frees. */
void ow_rpc_client_destroy(ow_rpc_client_t **self_p);

/* Sends a request; done(result, arg) runs exactly once, on the loop, with the reply or with
 * DEADLINE_EXCEEDED after timeout_ms. Unanswered attempts are resent (same request_id)
 * every retry interval (timeout_ms / 4, at least 100 ms). idempotency_key and caller may be
 * NULL. The payload is copied. */
void ow_rpc_call(ow_rpc_client_t *self, const char *method, const char *idempotency_key,
                 const char *caller, const uint8_t *payload, size_t len, int timeout_ms,
                 ow_rpc_done_fn *done, void *arg);

/* Runs the loop until that one call is answered — for command-line tools and tests, never
 * inside a daemon's handlers. Copies the reply payload into *payload_out (caller frees;
 * may be NULL) and the status/message into err. Returns the status. */
ow_status_t ow_rpc_call_blocking(ow_rpc_client_t *self, const char *method,
                                 const char *idempotency_key, const uint8_t *payload, size_t len,
                                 int timeout_ms, uint8_t **payload_out, size_t *payload_len,
                                 ow_error_t *err);

#endif
