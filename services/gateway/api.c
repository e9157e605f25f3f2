#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/http.h>

#include "api_internal.h"
#include "applications.h"
#include "cases.h"
#include "endpoints.h"
#include "json_fields.h"
#include "problem.h"
#include "serve_events.h"
#include "serve_remote.h"
#include "token.h"
#include "token_store.h"

const char *const api_service_names[API_SERVICE_COUNT] = {"intake", "routing", "deadline",
                                                          "evaluation", "notify"};

/* ---- shared steps of the handlers ---- */

typedef struct {
    exchange_t *ex;
    const char *service;
    api_render_fn *render;
    int ok_status;
} s_forward_t;

static void s_forward_done(const ow_rpc_result_t *result, void *arg)
{
    s_forward_t *f = arg;
    if (result->status == OW_OK) {
        ow_error_t err;
        ow_error_clear(&err);
        json_t *body = f->render(result->payload, result->payload_len, &err);
        if (body)
            exchange_reply_json(f->ex, f->ok_status, body);
        else
            exchange_reply_error(f->ex, &err);
    } else {
        int status = 500;
        json_t *problem = problem_from_result(result, f->service, &status);
        if (status >= 500)
            ow_log_kv(OW_LOG_WARN, "service call failed", "service", f->service, "status",
                      ow_status_name(result->status), NULL);
        exchange_reply_problem(f->ex, status, problem);
    }
    free(f);
}

void api_forward(api_t *self, exchange_t *ex, api_service_t svc, const char *method,
                 const char *idempotency_key, const char *caller, uint8_t *payload, size_t len,
                 api_render_fn *render, int ok_status)
{
    s_forward_t *f = malloc(sizeof *f);
    if (!f) {
        free(payload);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    *f = (s_forward_t){ex, api_service_names[svc], render, ok_status};
    ow_rpc_call(self->clients[svc], method, idempotency_key, caller, payload, len,
                API_RPC_TIMEOUT_MS, s_forward_done, f);
    free(payload);
}

bool api_idempotency_key_valid(const char *key)
{
    size_t n = 0;
    for (; key[n]; n++)
        if (key[n] < 0x21 || key[n] > 0x7e)
            return false;
    return n >= 1 && n <= API_IDEM_KEY_MAX;
}

json_t *api_read_post(exchange_t *ex, const char **key, ow_error_t *err)
{
    size_t len = 0;
    ow_error_clear(err);
    *key = exchange_header(ex, "Idempotency-Key");
    if (!*key || !**key)
        ow_error_add_violation(err, "Idempotency-Key",
                               "header is required on POST: a unique value for this change, "
                               "sent again only to retry it");
    else if (!api_idempotency_key_valid(*key))
        ow_error_add_violation(err, "Idempotency-Key",
                               "header must be 1 to %d visible ASCII characters", API_IDEM_KEY_MAX);
    const char *text = exchange_body(ex, &len);
    json_t *body = json_fields_parse_object(text, len, err);
    if (body && err->violation_count > 0) {
        ow_error_finish_violations(err);
        json_decref(body);
        return NULL;
    }
    return body;
}

void api_deny(exchange_t *ex, const char *fmt, ...)
{
    ow_error_t err;
    char msg[OW_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ow_error_clear(&err);
    ow_error_set(&err, OW_PERMISSION_DENIED, "%s", msg);
    exchange_reply_error(ex, &err);
}

typedef struct {
    api_t *api;
    exchange_t *ex;
    access_principal_t who;
    api_case_next_fn *next;
    void (*release)(void *);
    void *arg;
} s_case_check_t;

static void s_case_checked(const ow_rpc_result_t *result, void *arg)
{
    s_case_check_t *c = arg;
    ow_error_t err;
    json_t *found = NULL;

    ow_error_clear(&err);
    if (result->status != OW_OK) {
        int status = 500;
        json_t *problem = problem_from_result(result, "intake", &status);
        exchange_reply_problem(c->ex, status, problem);
        goto release;
    }
    found = applications_case_reply_json(result->payload, result->payload_len, &err);
    if (!found) {
        exchange_reply_error(c->ex, &err);
        goto release;
    }
    const char *centre =
        json_string_value(json_object_get(json_object_get(found, "case"), "centre_id"));
    if (!access_may_touch_case(&c->who, centre, c->api->default_centre)) {
        api_deny(c->ex, "the case belongs to another centre");
        goto release;
    }
    c->next(c->api, c->ex, c->arg);
    goto done;
release:
    if (c->release)
        c->release(c->arg);
done:
    json_decref(found);
    free(c);
}

void api_with_case(api_t *self, exchange_t *ex, const access_principal_t *who, const char *case_no,
                   api_case_next_fn *next, void (*release)(void *), void *arg)
{
    ow_error_t err;
    uint8_t *payload = NULL;
    size_t len = 0;
    s_case_check_t *c = calloc(1, sizeof *c);

    ow_error_clear(&err);
    if (!c ||
        cases_pack_request(CASES_PART_CASE, case_no ? case_no : "", &payload, &len, &err) != 0) {
        free(c);
        if (release)
            release(arg);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    *c = (s_case_check_t){self, ex, *who, next, release, arg};
    ow_rpc_call(self->clients[API_INTAKE], "intake.get_case", NULL, NULL, payload, len,
                API_RPC_TIMEOUT_MS, s_case_checked, c);
    free(payload);
}

/* ---- dispatch ---- */

/* Who is calling: the bearer token's principal, or an answer already sent (401, 429, 503)
 * and -1. */
static int s_authenticate(api_t *self, exchange_t *ex, access_principal_t *who)
{
    ow_error_t err;
    size_t len = 0;
    char hash[TOKEN_HASH_LEN + 1];

    ow_error_clear(&err);
    const char *token = token_from_authorization(exchange_header(ex, "Authorization"), &len);
    if (!token) {
        ow_error_set(&err, OW_UNAUTHENTICATED,
                     "send 'Authorization: Bearer <token>' (owctl token issue makes one)");
        goto refuse;
    }
    if (token_hash(token, len, hash) != 0) {
        ow_error_set(&err, OW_INTERNAL, "cannot hash the token (OpenSSL)");
        goto refuse;
    }
    if (token_store_authenticate(ow_service_db(self->svc), hash, who, &err) != 0)
        goto refuse;
    int wait = rate_limit_take(self->limiter, who->token_id, ow_clock_real_us());
    if (wait > 0) {
        char text[16];
        snprintf(text, sizeof text, "%d", wait);
        exchange_add_header(ex, "Retry-After", text);
        ow_error_set(&err, OW_RESOURCE_EXHAUSTED,
                     "more than %s requests per second for this token: retry after %d s",
                     "the allowed", wait);
        goto refuse;
    }
    return 0;
refuse:
    if (err.code == OW_UNAUTHENTICATED)
        exchange_add_header(ex, "WWW-Authenticate", "Bearer realm=\"onewindow\"");
    exchange_reply_error(ex, &err);
    return -1;
}

static void s_on_request(struct evhttp_request *req, void *arg)
{
    api_t *self = arg;
    ow_error_t err;
    route_t route;
    access_principal_t who;

    exchange_t *ex = exchange_new(req, self->metrics);
    if (!ex) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (ow_loop_stopping(self->loop)) {
        ow_error_set(&err, OW_UNAVAILABLE, "the gateway is shutting down; retry shortly");
        exchange_reply_error(ex, &err);
        return;
    }
    /* Our own limits, before anything reads the request: a problem document says which. */
    size_t header_bytes = exchange_header_bytes(ex), body_bytes = 0;
    exchange_body(ex, &body_bytes);
    if (header_bytes > API_MAX_HEADERS_SIZE || body_bytes > API_MAX_BODY_SIZE) {
        bool headers = header_bytes > API_MAX_HEADERS_SIZE;
        char detail[160];
        snprintf(detail, sizeof detail, "the request's %s are %zu bytes: at most %d",
                 headers ? "headers" : "body", headers ? header_bytes : body_bytes,
                 headers ? API_MAX_HEADERS_SIZE : API_MAX_BODY_SIZE);
        exchange_set_route(ex, "oversized");
        int status = headers ? 431 : 413;
        exchange_reply_problem(
            ex, status,
            problem_new(status, headers ? "REQUEST_HEADER_FIELDS_TOO_LARGE" : "PAYLOAD_TOO_LARGE",
                        detail));
        return;
    }
    int status = route_match(endpoints, endpoints_count, exchange_method(ex), exchange_path(ex),
                             &route, &err);
    exchange_set_route(ex, route.name);
    if (status != 0) {
        if (status == 405)
            exchange_add_header(ex, "Allow", route.allow);
        const char *title = status == 405   ? "METHOD_NOT_ALLOWED"
                            : status == 404 ? "NOT_FOUND"
                                            : "INVALID_ARGUMENT";
        if (status == 400) {
            exchange_reply_error(ex, &err);
        } else {
            exchange_reply_problem(ex, status, problem_new(status, title, err.message));
        }
        return;
    }
    const route_def_t *def = route.def;
    if (def->roles == ACCESS_PUBLIC) {
        def->handler(self, ex, route.param, NULL);
        return;
    }
    if (s_authenticate(self, ex, &who) != 0)
        return;
    if (!(def->roles & (unsigned)who.role)) {
        api_deny(ex, "the %s role may not use %s", access_role_name(who.role), def->name);
        return;
    }
    def->handler(self, ex, route.param, &who);
}

/* ---- lifecycle ---- */

/* Splits "host:port" or "[v6]:port" into host (size bytes) and port. */
static int s_parse_bind(const char *bind, char *host, size_t size, int *port, ow_error_t *err)
{
    const char *colon = strrchr(bind, ':');
    const char *h = bind;
    size_t hlen;
    char *end = NULL;

    if (!colon)
        goto bad;
    hlen = (size_t)(colon - bind);
    if (bind[0] == '[') {
        if (hlen < 2 || bind[hlen - 1] != ']')
            goto bad;
        h = bind + 1;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= size)
        goto bad;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || p < 0 || p > 65535)
        goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
bad:
    ow_error_set(err, OW_INVALID_ARGUMENT,
                 "api.bind '%s' is not host:port (e.g. 127.0.0.1:8080; port 0 picks one)", bind);
    return -1;
}

api_t *api_new(ow_service_t *svc, ow_error_t *err)
{
    api_t *self = calloc(1, sizeof *self);
    const char *bind = ow_config_get(ow_service_config(svc), "api.bind", "127.0.0.1:8080");
    ow_config_t *cfg = ow_service_config(svc);
    ow_db_t *db = ow_service_db(svc);
    char host[256];
    int port = 0;
    long rate = 0, burst = 0, bootstrap_ttl = 0;

    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->loop = ow_service_loop(svc);
    self->metrics = ow_service_metrics(svc);
    if (s_parse_bind(bind, host, sizeof host, &port, err) != 0)
        goto fail;

    self->default_centre = ow_config_get(cfg, "centre_id", "330122000000");
    if (!access_centre_valid(self->default_centre)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "centre_id '%s' is not a 12-digit area code",
                     self->default_centre);
        goto fail;
    }
    if (ow_config_get_int(cfg, "api.rate_per_s", 100, &rate, err) != 0 ||
        ow_config_get_int(cfg, "api.rate_burst", 200, &burst, err) != 0 ||
        ow_config_get_int(cfg, "api.bootstrap_token_ttl_s", 86400, &bootstrap_ttl, err) != 0)
        goto fail;
    if (rate < 1 || burst < 1 || bootstrap_ttl < 60) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "api.rate_per_s and api.rate_burst must be at least 1, "
                     "api.bootstrap_token_ttl_s at least 60");
        goto fail;
    }
    self->limiter = rate_limit_new((double)rate, (double)burst);
    if (!self->limiter) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (token_store_prepare(db, err) != 0 || serve_events_setup(self, err) != 0)
        goto fail;
    /* Development bootstrap: the configuration names the SHA-256 of an admin token (never
     * the token itself); scripts/run and the system tests make one at start-up. */
    const char *boot = ow_config_get(cfg, "api.bootstrap_token_sha256", "");
    if (*boot) {
        if (!token_hash_valid(boot)) {
            ow_error_set(err, OW_INVALID_ARGUMENT,
                         "api.bootstrap_token_sha256 must be 64 lower-case hex digits "
                         "(sha256sum of the token)");
            goto fail;
        }
        if (token_store_bootstrap(db, boot, self->default_centre, bootstrap_ttl, err) != 0)
            goto fail;
        ow_log_kv(OW_LOG_INFO, "bootstrap admin token installed", "token_id", "tk_bootstrap", NULL);
    }

    for (int i = 0; i < API_SERVICE_COUNT; i++) {
        self->clients[i] =
            ow_rpc_client_new(self->loop, ow_service_endpoint(svc, api_service_names[i]), err);
        if (!self->clients[i])
            goto fail;
    }
    if (serve_remote_setup(self, err) != 0)
        goto fail;

    self->http = evhttp_new(ow_loop_base(self->loop));
    if (!self->http) {
        ow_error_set(err, OW_INTERNAL, "cannot create the HTTP server");
        goto fail;
    }
    /* evhttp has no limits by default (ARCHITECTURE, known pitfalls). */
    evhttp_set_max_headers_size(self->http, API_EVHTTP_HEADERS_SIZE);
    evhttp_set_max_body_size(self->http, API_EVHTTP_BODY_SIZE);
    evhttp_set_timeout(self->http, API_TIMEOUT_S);
    /* Accept every method evhttp knows so that a wrong one gets our 405 problem document. */
    evhttp_set_allowed_methods(self->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                               EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                               EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(self->http, s_on_request, self);

    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(self->http, host, port);
    if (!sock) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot listen on api.bind %s: %s", bind,
                     strerror(errno));
        goto fail;
    }
    struct sockaddr_storage addr;
    socklen_t alen = sizeof addr;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&addr, &alen) == 0)
        self->port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                      : ((struct sockaddr_in *)&addr)->sin_port);

    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", self->port);
    ow_log_kv(OW_LOG_INFO, "api listening", "bind", bind, "port", port_text, NULL);
    return self;
fail:
    api_destroy(&self);
    return NULL;
}

void api_destroy(api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    api_t *self = *self_p;
    /* Clients first: their pending calls fail with CANCELLED, which answers the waiting
     * exchanges while evhttp still owns their requests. */
    for (int i = 0; i < API_SERVICE_COUNT; i++)
        ow_rpc_client_destroy(&self->clients[i]);
    /* After the clients: their cancelled calls answer centres through it. */
    serve_remote_teardown(self);
    serve_events_teardown(self);
    if (self->http)
        evhttp_free(self->http);
    rate_limit_destroy(&self->limiter);
    free(self);
    *self_p = NULL;
}

int api_port(const api_t *self)
{
    return self->port;
}
