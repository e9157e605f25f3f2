#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/http.h>

#include "admin_clock.h"
#include "applications.h"
#include "cases.h"
#include "exchange.h"
#include "json_fields.h"
#include "ow_idem.h"
#include "problem.h"
#include "ratings.h"
#include "route.h"
#include "tasks.h"

/* The services the gateway calls, in the order of s_services. */
typedef enum { S_INTAKE, S_ROUTING, S_DEADLINE, S_EVALUATION, S_NOTIFY, S_SERVICE_COUNT } s_svc_t;
static const char *const s_services[S_SERVICE_COUNT] = {"intake", "routing", "deadline",
                                                        "evaluation", "notify"};

struct api {
    ow_service_t *svc;
    ow_loop_t *loop;
    ow_metrics_t *metrics;
    struct evhttp *http;
    int port;
    ow_rpc_client_t *clients[S_SERVICE_COUNT];
    /* The highest test-clock offset this gateway has emitted. The gateway applies its own
     * clock.advanced through its inbox like every daemon, a moment after the commit; a
     * second request in that moment must build on the first, not on the stale clock. */
    int64_t issued_offset_us;
};

/* ---- single calls: one request, one service, one reply ---- */

typedef json_t *(s_render_fn)(const uint8_t *payload, size_t len, ow_error_t *err);

typedef struct {
    exchange_t *ex;
    const char *service;
    s_render_fn *render;
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

/* Calls method on service with payload (copied) and answers the exchange with
 * render(reply) and ok_status, or with the service's error. Frees payload. */
static void s_forward(api_t *self, exchange_t *ex, s_svc_t svc, const char *method,
                      const char *idempotency_key, const char *caller, uint8_t *payload, size_t len,
                      s_render_fn *render, int ok_status)
{
    s_forward_t *f = malloc(sizeof *f);
    if (!f) {
        free(payload);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    *f = (s_forward_t){ex, s_services[svc], render, ok_status};
    ow_rpc_call(self->clients[svc], method, idempotency_key, caller, payload, len,
                API_RPC_TIMEOUT_MS, s_forward_done, f);
    free(payload);
}

static json_t *s_render_rating(const uint8_t *payload, size_t len, ow_error_t *err)
{
    json_t *rating = ratings_rating_reply_json(payload, len, err);
    return rating ? json_pack("{s:o}", "rating", rating) : NULL;
}

/* ---- request prelude ---- */

bool api_idempotency_key_valid(const char *key)
{
    size_t n = 0;
    for (; key[n]; n++)
        if (key[n] < 0x21 || key[n] > 0x7e)
            return false;
    return n >= 1 && n <= API_IDEM_KEY_MAX;
}

/* For a POST: checks the Idempotency-Key header and parses the body, collecting both kinds
 * of problem in err (err is cleared first). Returns the body object (caller json_decref()s)
 * or NULL when it is not a JSON object; *key is the header (owned by the request) or NULL. */
static json_t *s_read_post(exchange_t *ex, const char **key, ow_error_t *err)
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
    return json_fields_parse_object(text, len, err);
}

/* ---- handlers ---- */

static void s_submit_application(api_t *self, exchange_t *ex)
{
    ow_error_t err;
    const char *key = NULL;
    uint8_t *payload = NULL;
    size_t len = 0;
    json_t *body = s_read_post(ex, &key, &err);

    if (!body || applications_pack_submit(body, &payload, &len, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    s_forward(self, ex, S_INTAKE, "intake.submit", key, NULL, payload, len,
              applications_case_reply_json, 201);
done:
    json_decref(body);
}

static void s_decide_task(api_t *self, exchange_t *ex, const char *task_id)
{
    ow_error_t err;
    const char *key = NULL;
    uint8_t *payload = NULL;
    size_t len = 0;
    char actor[TASKS_ID_MAX + 1];
    json_t *body = s_read_post(ex, &key, &err);

    if (!body || tasks_pack_decide(body, task_id, &payload, &len, actor, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    /* The actor goes as the caller: routing lets only the assignee decide, and audits who. */
    s_forward(self, ex, S_ROUTING, "routing.decide", key, actor, payload, len,
              tasks_task_reply_json, 200);
done:
    json_decref(body);
}

static void s_rate_case(api_t *self, exchange_t *ex)
{
    ow_error_t err;
    const char *key = NULL;
    uint8_t *payload = NULL;
    size_t len = 0;
    json_t *body = s_read_post(ex, &key, &err);

    if (!body || ratings_pack_rate(body, &payload, &len, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    s_forward(self, ex, S_EVALUATION, "evaluation.rate", key, NULL, payload, len, s_render_rating,
              201);
done:
    json_decref(body);
}

static void s_list_tasks(api_t *self, exchange_t *ex)
{
    ow_error_t err;
    uint8_t *payload = NULL;
    size_t len = 0;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query || tasks_pack_list(query, &payload, &len, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    s_forward(self, ex, S_ROUTING, "routing.list_tasks", NULL, NULL, payload, len,
              tasks_task_list_json, 200);
done:
    json_decref(query);
}

/* GET /v1/cases/{case_no}: four calls at once, one answer when the last is back. */
typedef struct s_case_fetch s_case_fetch_t;
typedef struct {
    s_case_fetch_t *fetch;
    cases_part_t part;
} s_case_part_t;

struct s_case_fetch {
    exchange_t *ex;
    case_view_t *view;
    int pending;
    s_case_part_t parts[CASES_PART_COUNT];
};

static void s_case_part_done(const ow_rpc_result_t *result, void *arg)
{
    s_case_part_t *p = arg;
    s_case_fetch_t *fetch = p->fetch;

    case_view_take(fetch->view, p->part, result);
    if (--fetch->pending > 0)
        return;
    json_t *body = NULL;
    int status = case_view_render(fetch->view, &body);
    exchange_reply_json(fetch->ex, status, body);
    case_view_destroy(&fetch->view);
    free(fetch);
}

static void s_get_case(api_t *self, exchange_t *ex, const char *case_no)
{
    static const s_svc_t part_service[CASES_PART_COUNT] = {S_INTAKE, S_ROUTING, S_DEADLINE,
                                                           S_EVALUATION};
    s_case_fetch_t *fetch = calloc(1, sizeof *fetch);
    if (!fetch || !(fetch->view = case_view_new())) {
        free(fetch);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    fetch->ex = ex;
    /* Counted before the first call: a callback may run before the last call is made. */
    fetch->pending = CASES_PART_COUNT;
    for (int i = 0; i < CASES_PART_COUNT; i++) {
        s_case_part_t *p = &fetch->parts[i];
        uint8_t *payload = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        *p = (s_case_part_t){fetch, (cases_part_t)i};
        if (cases_pack_request(p->part, case_no, &payload, &len, &err) != 0) {
            ow_rpc_result_t failed = {.status = err.code, .message = err.message};
            s_case_part_done(&failed, p);
            continue;
        }
        ow_rpc_call(self->clients[part_service[i]], cases_part_method(p->part), NULL, NULL, payload,
                    len, API_RPC_TIMEOUT_MS, s_case_part_done, p);
        free(payload);
    }
}

/* GET /v1/admin/clock: every daemon's view of the system time, asked at once. */
typedef struct s_clock_survey s_clock_survey_t;
typedef struct {
    s_clock_survey_t *survey;
    s_svc_t svc;
} s_clock_ask_t;

struct s_clock_survey {
    exchange_t *ex;
    json_t *body;     /* {"now","offset_seconds","services":{…},"degraded":[…]} */
    json_t *services; /* borrowed from body */
    json_t *degraded; /* borrowed from body */
    int pending;
    s_clock_ask_t asks[S_SERVICE_COUNT];
};

static void s_clock_answer(const ow_rpc_result_t *result, void *arg)
{
    s_clock_ask_t *ask = arg;
    s_clock_survey_t *survey = ask->survey;
    const char *name = s_services[ask->svc];
    json_t *reading = NULL;
    ow_error_t err;

    ow_error_clear(&err);
    if (result->status == OW_OK)
        reading = admin_clock_reply_json(result->payload, result->payload_len, &err);
    if (reading)
        json_object_set_new(survey->services, name, reading);
    else
        json_array_append_new(survey->degraded, json_string(name));

    if (--survey->pending > 0)
        return;
    exchange_reply_json(survey->ex, 200, survey->body);
    free(survey);
}

static void s_get_clock(api_t *self, exchange_t *ex)
{
    s_clock_survey_t *survey = calloc(1, sizeof *survey);
    int64_t offset = ow_clock_offset_us();

    if (!survey)
        goto oom;
    survey->ex = ex;
    survey->body = admin_clock_json(ow_clock_now_us(), offset);
    survey->services = json_object();
    survey->degraded = json_array();
    json_t *mine = admin_clock_json(ow_clock_now_us(), offset);
    if (!survey->body || !survey->services || !survey->degraded || !mine ||
        json_object_set_new(survey->services, "gateway", mine) != 0 ||
        json_object_set_new(survey->body, "test_clock", json_boolean(ow_clock_test_enabled())) ||
        json_object_set(survey->body, "services", survey->services) != 0 ||
        json_object_set(survey->body, "degraded", survey->degraded) != 0) {
        json_decref(survey->services);
        json_decref(survey->degraded);
        json_decref(survey->body);
        free(survey);
        goto oom;
    }
    /* body holds its own references now. */
    json_decref(survey->services);
    json_decref(survey->degraded);

    survey->pending = S_SERVICE_COUNT;
    for (int i = 0; i < S_SERVICE_COUNT; i++) {
        survey->asks[i] = (s_clock_ask_t){survey, (s_svc_t)i};
        ow_rpc_call(self->clients[i], "_clock", NULL, NULL, NULL, 0, API_RPC_TIMEOUT_MS,
                    s_clock_answer, &survey->asks[i]);
    }
    return;
oom:
    exchange_reply_json(ex, 500, NULL);
}

/* POST /v1/admin/clock: one transaction on the gateway's own schema writes the
 * clock.advanced event and the answer under the idempotency key; the relay publishes it and
 * every daemon (this one included) applies it through its inbox. */
static void s_set_clock(api_t *self, exchange_t *ex)
{
    static const char method[] = "gateway.set_clock";
    ow_db_t *db = ow_service_db(self->svc);
    ow_error_t err;
    const char *key = NULL;
    json_t *body = NULL;
    char *canonical = NULL;
    uint8_t *stored = NULL, *event = NULL, *answer = NULL, *reply = NULL;
    size_t stored_len = 0, event_len = 0, answer_len = 0, reply_len = 0;
    int64_t new_offset = 0;

    ow_error_clear(&err);
    if (!ow_clock_test_enabled()) {
        ow_error_set(&err, OW_FAILED_PRECONDITION,
                     "the test clock is off: start every daemon with test_clock = true "
                     "(refused in production mode)");
        goto fail;
    }
    body = s_read_post(ex, &key, &err);
    int64_t current = ow_clock_offset_us();
    if (self->issued_offset_us > current)
        current = self->issued_offset_us;
    int64_t real_now = ow_clock_real_us();
    if (!body || admin_clock_decode(body, real_now, current, &new_offset, &err) != 0)
        goto fail;

    /* The key's request hash covers the body's meaning, not its spacing or key order. */
    canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canonical) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (ow_db_begin(db, &err) != 0)
        goto fail;
    int found = ow_idem_find(db, key, method, (const uint8_t *)canonical, strlen(canonical),
                             &stored, &stored_len, &err);
    if (found != 0) {
        ow_db_rollback(db); /* nothing to write: the key was seen */
        if (found < 0)
            goto fail;
        json_t *first = admin_clock_stored_reply_json(stored, stored_len, &err);
        if (!first)
            goto fail;
        exchange_reply_json(ex, 200, first);
        goto done;
    }

    char set_by[96];
    snprintf(set_by, sizeof set_by, "http:%s", exchange_peer(ex));
    if (admin_clock_pack_advanced(new_offset, set_by, &event, &event_len, &err) != 0 ||
        ow_outbox_add(db, "clock.advanced", NULL, NULL, ow_clock_now_us(), event, event_len,
                      &err) != 0 ||
        admin_clock_pack_reply(real_now + new_offset, new_offset, &answer, &answer_len, &err) !=
            0 ||
        ow_rpc_pack_reply(NULL, answer, answer_len, &reply, &reply_len) != 0 ||
        ow_idem_save(db, key, method, (const uint8_t *)canonical, strlen(canonical), reply,
                     reply_len, &err) != 0) {
        if (err.code == OW_OK)
            ow_error_set(&err, OW_INTERNAL, "could not pack the answer");
        goto fail;
    }
    if (ow_db_commit(db, &err) != 0)
        goto fail;
    self->issued_offset_us = new_offset;
    ow_relay_kick(ow_service_relay(self->svc));

    char offset_text[32];
    snprintf(offset_text, sizeof offset_text, "%lld", (long long)(new_offset / 1000000));
    ow_log_kv(OW_LOG_INFO, "test clock moved", "offset_seconds", offset_text, "by", set_by, NULL);
    exchange_reply_json(ex, 200, admin_clock_json(real_now + new_offset, new_offset));
    goto done;
fail:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    exchange_reply_error(ex, &err);
done:
    json_decref(body);
    free(canonical);
    free(stored);
    free(event);
    free(answer);
    free(reply);
}

/* ---- dispatch ---- */

static void s_on_request(struct evhttp_request *req, void *arg)
{
    api_t *self = arg;
    ow_error_t err;
    route_t route;

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
    int status = route_match(exchange_method(ex), exchange_path(ex), &route, &err);
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
    switch (route.id) {
    case ROUTE_SUBMIT_APPLICATION:
        s_submit_application(self, ex);
        break;
    case ROUTE_GET_CASE:
        s_get_case(self, ex, route.param);
        break;
    case ROUTE_LIST_TASKS:
        s_list_tasks(self, ex);
        break;
    case ROUTE_DECIDE_TASK:
        s_decide_task(self, ex, route.param);
        break;
    case ROUTE_RATE_CASE:
        s_rate_case(self, ex);
        break;
    case ROUTE_SET_CLOCK:
        s_set_clock(self, ex);
        break;
    case ROUTE_GET_CLOCK:
        s_get_clock(self, ex);
        break;
    default:
        exchange_reply_problem(ex, 404, problem_new(404, "NOT_FOUND", "no such resource"));
        break;
    }
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
    char host[256];
    int port = 0;

    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->loop = ow_service_loop(svc);
    self->metrics = ow_service_metrics(svc);
    if (s_parse_bind(bind, host, sizeof host, &port, err) != 0)
        goto fail;

    for (int i = 0; i < S_SERVICE_COUNT; i++) {
        self->clients[i] =
            ow_rpc_client_new(self->loop, ow_service_endpoint(svc, s_services[i]), err);
        if (!self->clients[i])
            goto fail;
    }

    self->http = evhttp_new(ow_loop_base(self->loop));
    if (!self->http) {
        ow_error_set(err, OW_INTERNAL, "cannot create the HTTP server");
        goto fail;
    }
    /* evhttp has no limits by default (ARCHITECTURE, known pitfalls). */
    evhttp_set_max_headers_size(self->http, API_MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(self->http, API_MAX_BODY_SIZE);
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
    for (int i = 0; i < S_SERVICE_COUNT; i++)
        ow_rpc_client_destroy(&self->clients[i]);
    if (self->http)
        evhttp_free(self->http);
    free(self);
    *self_p = NULL;
}

int api_port(const api_t *self)
{
    return self->port;
}
