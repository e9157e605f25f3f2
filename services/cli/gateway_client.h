/* gateway_client — owctl's HTTP exchange with gatewayd, one blocking request at a time over
 * libevent's evhttp client (the library every daemon already links; no new dependency).
 *
 * Only plain http:// is spoken: the gateway's HTTP API is served on the trusted network (a
 * TLS-terminating proxy in front of it is the deployment's business). */
#ifndef OWCTL_GATEWAY_CLIENT_H
#define OWCTL_GATEWAY_CLIENT_H

#include <jansson.h>
#include "ow_status.h"

#define GATEWAY_CLIENT_TIMEOUT_S   30
#define GATEWAY_CLIENT_MAX_BODY    (16 * 1024 * 1024)
#define GATEWAY_CLIENT_MAX_HEADERS (64 * 1024)

typedef struct gateway_client gateway_client_t;

/* Prepares requests to the gateway at url ("http://host[:port][/prefix]"). Nothing is
 * connected yet. Returns NULL with err INVALID_ARGUMENT naming the URL when it is not such
 * a URL. Caller owns the client. */
gateway_client_t *gateway_client_new(const char *url, ow_error_t *err);

void gateway_client_destroy(gateway_client_t **self_p);

/* Sends "Authorization: Bearer token" with every request from now on (token copied; NULL
 * or "" sends none). Returns -1 only when out of memory. */
int gateway_client_set_token(gateway_client_t *self, const char *token);

/* The URL given to gateway_client_new. */
const char *gateway_client_url(const gateway_client_t *self);

/* Sends one request (method "GET" or "POST"; path from "/v1/…"; body may be NULL;
 * idempotency_key may be NULL) and waits for the answer, at most GATEWAY_CLIENT_TIMEOUT_S.
 * Returns 0 with the HTTP status in *status and the answer's JSON in *reply (caller
 * json_decref()s; NULL when the answer was not JSON). Returns -1 with err when no answer
 * came: UNAVAILABLE (the message names the URL and the reason, e.g. connection refused),
 * DEADLINE_EXCEEDED (no answer in time). */
int gateway_client_request(gateway_client_t *self, const char *method, const char *path,
                           const char *idempotency_key, const json_t *body, int *status,
                           json_t **reply, ow_error_t *err);

#endif
