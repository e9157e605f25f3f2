/* api_internal — what api.c shares with the endpoint handlers (serve_*.c): the API's state
 * and the steps every handler repeats (forward one call, read a POST, check a case's centre).
 * Private to the gateway: nothing outside services/gateway includes it. */
#ifndef GATEWAY_API_INTERNAL_H
#define GATEWAY_API_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <event2/http.h>
#include <jansson.h>

#include "access.h"
#include "api.h"
#include "exchange.h"
#include "rate_limit.h"
#include "route.h"

/* The services the gateway calls, in the order of api_service_names. */
typedef enum {
    API_INTAKE,
    API_ROUTING,
    API_DEADLINE,
    API_EVALUATION,
    API_NOTIFY,
    API_SERVICE_COUNT
} api_service_t;

extern const char *const api_service_names[API_SERVICE_COUNT];

typedef struct events_feed events_feed_t;

struct api {
    ow_service_t *svc;
    ow_loop_t *loop;
    ow_metrics_t *metrics;
    struct evhttp *http;
    int port;
    ow_rpc_client_t *clients[API_SERVICE_COUNT];
    /* The centre of cases submitted without one (config centre_id, as intaked). */
    const char *default_centre;
    rate_limit_t *limiter;
    events_feed_t *events; /* the integrators' event log and SSE streams (serve_events.c) */
    /* The township centres' CURVE endpoint (serve_remote.c); NULL when remote.bind is off. */
    struct remote_service *remote;
    /* The highest test-clock offset this gateway has emitted. The gateway applies its own
     * clock.advanced through its inbox like every daemon, a moment after the commit; a
     * second request in that moment must build on the first, not on the stale clock. */
    int64_t issued_offset_us;
};

/* Turns a service's OK reply into the JSON answer, or NULL with err. */
typedef json_t *(api_render_fn)(const uint8_t *payload, size_t len, ow_error_t *err);

/* Calls method on service with payload (copied) and answers the exchange with
 * render(reply) and ok_status, or with the service's error as a problem. Frees payload. */
void api_forward(api_t *self, exchange_t *ex, api_service_t svc, const char *method,
                 const char *idempotency_key, const char *caller, uint8_t *payload, size_t len,
                 api_render_fn *render, int ok_status);

/* For a state change: checks the Idempotency-Key header and parses the body, collecting
 * both kinds of problem in err (err is cleared first). Returns the body object (caller
 * json_decref()s) or NULL when it is not a JSON object; *key is the header (owned by the
 * request) or NULL. The caller answers err when either went wrong. */
json_t *api_read_post(exchange_t *ex, const char **key, ow_error_t *err);

/* Runs next(self, ex, arg) once intake confirms that case_no exists and who may touch it
 * (access_may_touch_case); otherwise answers 404 / 403 / the intake failure itself and
 * calls release(arg) (may be NULL) so the caller's context is freed. */
typedef void(api_case_next_fn)(api_t *self, exchange_t *ex, void *arg);
void api_with_case(api_t *self, exchange_t *ex, const access_principal_t *who, const char *case_no,
                   api_case_next_fn *next, void (*release)(void *), void *arg);

/* Answers 403 PERMISSION_DENIED with message. */
void api_deny(exchange_t *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
