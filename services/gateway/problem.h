/* problem — errors as RFC 9457 problem details (application/problem+json):
 *   {"type":"about:blank","title":"INVALID_ARGUMENT","status":400,"detail":"…",
 *    "invalid_params":[{"name":"applicant.id_number","reason":"…"}]}
 * The title is the status name every service uses (ow_status.h), the HTTP status comes from
 * ow_status_http(), so a client sees the same code whether the gateway or a service refused
 * the request. Plain functions: no evhttp. */
#ifndef GATEWAY_PROBLEM_H
#define GATEWAY_PROBLEM_H

#include <jansson.h>
#include "ow_rpc.h"
#include "ow_status.h"

#define PROBLEM_CONTENT_TYPE "application/problem+json"

/* A problem for a condition with no ow_status_t (404 unknown path, 405 wrong method).
 * Returns a new object (caller json_decref()s), NULL only when out of memory. */
json_t *problem_new(int http_status, const char *title, const char *detail);

/* The problem for err: status ow_status_http(err->code), title its name, detail the message,
 * invalid_params one per violation. Sets *http_status. Caller owns the result (NULL only when
 * out of memory). */
json_t *problem_from_error(const ow_error_t *err, int *http_status);

/* Copies an RPC result into err. When the service did not answer (DEADLINE_EXCEEDED,
 * UNAVAILABLE) the message starts with the service's name, so the client knows which part
 * of the system is down; CANCELLED (only at the gateway's own shutdown) becomes
 * UNAVAILABLE. */
void problem_error_from_result(const ow_rpc_result_t *result, const char *service, ow_error_t *err);

/* problem_error_from_result + problem_from_error. */
json_t *problem_from_result(const ow_rpc_result_t *result, const char *service, int *http_status);

#endif
