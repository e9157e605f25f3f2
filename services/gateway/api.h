/* api — gatewayd's HTTP/JSON API (docs/contract.md, "HTTP API"): an evhttp server on the
 * service's loop, bound at config api.bind, that turns each request into asynchronous calls
 * to the services that own the answer and renders their replies.
 *
 * Limits: request headers 8 KiB (larger → 431), body 1 MiB (larger → 413), both answered
 * as problem+json by the gateway itself (evhttp's own limits are set a little above ours, so
 * only a request far over them meets evhttp's bare 400/413), 30 s to read a
 * request or write a reply, 5 s per call to a service. POSTs need an Idempotency-Key header,
 * passed on as the call's idempotency key, so a retried POST returns the first answer. */
#ifndef GATEWAY_API_H
#define GATEWAY_API_H

#include "ow_service.h"

#define API_MAX_HEADERS_SIZE (8 * 1024)
#define API_MAX_BODY_SIZE    (1024 * 1024)
/* evhttp's limits: ours plus room, so that ours are the ones a client meets. */
#define API_EVHTTP_HEADERS_SIZE (API_MAX_HEADERS_SIZE * 4)
#define API_EVHTTP_BODY_SIZE    (API_MAX_BODY_SIZE + 64 * 1024)
#define API_TIMEOUT_S           30
#define API_RPC_TIMEOUT_MS      5000
#define API_IDEM_KEY_MAX        128

typedef struct api api_t;

/* Binds the API on svc's loop (config api.bind, default 127.0.0.1:8080; port 0 picks a free
 * one, logged and given by api_port) and connects a request client to every service. On
 * failure (address in use, malformed api.bind) returns NULL with err saying what to fix.
 * svc must outlive the API. Caller owns it. */
api_t *api_new(ow_service_t *svc, ow_error_t *err);

/* Answers requests still waiting on services (503, the gateway is stopping), closes the
 * listener and frees. Call before destroying the service. Sets *self_p to NULL. */
void api_destroy(api_t **self_p);

/* The port the API listens on. */
int api_port(const api_t *self);

/* True when key is an acceptable Idempotency-Key: 1 to API_IDEM_KEY_MAX visible ASCII
 * characters (it is stored and compared byte for byte, and echoed in logs). */
bool api_idempotency_key_valid(const char *key);

#endif
