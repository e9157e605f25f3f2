/* forward — an endpoint that is one call to one service, described by a spec: the method,
 * its request and reply messages (decoded and rendered by pb_json), where the path parameter
 * goes, and the steps every such endpoint shares — the Idempotency-Key of a state change,
 * the centre of the case in the path, paging a list the service returns whole, auditing an
 * administrator's action. A handler in serve_<resource>.c is then one call to forward_serve,
 * plus a check for the rules only it has (who may act as whom, which centre). */
#ifndef GATEWAY_FORWARD_H
#define GATEWAY_FORWARD_H

#include <stdbool.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "api_internal.h"
#include "pb_json.h"

#define FORWARD_STATE_CHANGE 1u  /* POST: body + Idempotency-Key; else GET: the query */
#define FORWARD_CASE         2u  /* the path parameter is a case number: check its centre */
#define FORWARD_AUDIT        4u  /* an administrator's action: audited when it succeeds */
#define FORWARD_RAW_BODY     8u  /* the body is passed as the request's one string field */
#define FORWARD_TICKET       16u /* the path parameter is a rectification ticket: its centre */

#define FORWARD_PAGE_DEFAULT 100
#define FORWARD_PAGE_MAX     500

/* The caller's rule for one endpoint, run on the input before it is decoded: may change
 * input (e.g. take "actor" out of it) and caller (the acting staff id, who->subject at
 * first; FORWARD_ID_MAX + 1 bytes). Returns 0 to go on, or -1 with err: violations are
 * reported with the decoder's; a PERMISSION_DENIED is answered only when the request is
 * otherwise well formed (a malformed one is a 400 first). */
#define FORWARD_ID_MAX 64
typedef int(forward_check_fn)(api_t *api, const access_principal_t *who, json_t *input,
                              char *caller, ow_error_t *err);

/* The caller's shaping of a successful answer (e.g. only an integrator's own
 * subscriptions): takes body, returns what to send (may be body). */
typedef json_t *(forward_shape_fn)(api_t *api, const access_principal_t *who, json_t *body);

typedef struct {
    api_service_t service;
    const char *method; /* "intake.withdraw" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *reply;
    const char *param_field; /* request field set from the path parameter; NULL when none */
    unsigned flags;
    int ok_status;
    /* Paging in the gateway of a list the service returns whole (a case's documents): the
     * reply's array member and each item's member that is the cursor; NULL when the service
     * pages itself or the answer is not a list. Adds ?limit and ?after, and next_after. */
    const char *page_array;
    const char *page_key;
    forward_check_fn *check; /* may be NULL */
    forward_shape_fn *shape; /* may be NULL */
} forward_spec_t;

/* Answers ex by spec (exactly once, now or after the call): 400 with every invalid field
 * (query, body, header), 403 when check or the case's centre refuses, the service's error as
 * a problem, or ok_status with the rendered reply. who is copied. */
void forward_serve(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who,
                   const forward_spec_t *spec);

/* Pages items (a JSON array, borrowed) by the string or integer member key: the items after
 * the one whose key is after ("" = from the start), at most limit. Returns a new array and
 * sets *next to the key of the last item returned when more follow, else "" (caller frees
 * *next). NULL when out of memory. Exposed for tests. */
json_t *forward_page(const json_t *items, const char *key, const char *after, size_t limit,
                     char **next);

#endif
