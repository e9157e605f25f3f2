/* The township centres' requests (proto/onewindow/v1/gateway.proto): each admitted,
 * well-formed request (remote.c) is authorised for the sending key's own centre — as a
 * township clerk: its own centre's cases only — and forwarded to the owning service. State
 * changes carry the centre's idempotency key, namespaced by centre so that two centres'
 * keys never meet, and are answered only with the service's reply, which comes after the
 * service committed: a centre retrying after a dropped link never creates a case twice.
 *
 * Events: the gateway's own log (gateway.events, the seq of GET /v1/events) filtered to
 * the events of cases of centres the key's centre covers. remote.subscribe answers the
 * backlog and then pushes every later event (request_id "push"), checking the key before
 * every push, so a revoked key's subscription ends at once. */
#include "serve_remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "applications.h"
#include "centre_keys.h"
#include "curve_key.h"
#include "remote.h"
#include "withheld_events.h"

#define S_SUBSCRIBERS_MAX 64
#define S_PUSH_INTERVAL_S 0.2
#define S_SCAN_MAX        2000

_Static_assert(REMOTE_SUBS_MAX == ACCESS_SUBS_MAX, "an integrator key's subscriptions fit a call");

typedef struct {
    remote_call_t call; /* the peer, its key and centre; request_id "push" */
    uint64_t after;
} s_subscriber_t;

typedef struct {
    api_t *api;
    remote_t *remote;
    ow_timer_t *push_timer;
    s_subscriber_t subs[S_SUBSCRIBERS_MAX];
    size_t sub_count;
} s_remote_t;

/* One forwarded request: where the answer goes and what comes next. */
typedef struct {
    s_remote_t *r;
    remote_call_t call;
    remote_method_t method;
    char key[REMOTE_IDEM_KEY_MAX + 64];
    char caller[32];
    uint8_t *payload;
    size_t len;
} s_pending_t;

static s_remote_t *s_state(api_t *api)
{
    return (s_remote_t *)api->remote;
}

static int s_lookup(const char *public_key, char *centre, char *subscriptions, void *arg)
{
    s_remote_t *r = arg;
    ow_error_t err;
    ow_error_clear(&err);
    int found =
        centre_keys_lookup(ow_service_db(r->api->svc), public_key, centre, subscriptions, &err);
    if (found < 0)
        ow_log_kv(OW_LOG_WARN, "cannot check a centre key", "error", err.message, NULL);
    return found;
}

static void s_pending_free(s_pending_t *p)
{
    if (p) {
        free(p->payload);
        free(p);
    }
}

static void s_answer_result(s_pending_t *p, const ow_rpc_result_t *res)
{
    remote_reply_status(p->r->remote, &p->call, res->status, res->message, res->violations,
                        res->violation_count, res->payload, res->payload_len);
}

static void s_forwarded(const ow_rpc_result_t *res, void *arg)
{
    s_pending_t *p = arg;
    s_answer_result(p, res);
    s_pending_free(p);
}

static const struct {
    api_service_t service;
    const char *method;
} s_target[REMOTE_METHOD_COUNT] = {
    [REMOTE_SUBMIT] = {API_INTAKE, "intake.submit"},
    [REMOTE_CORRECT] = {API_INTAKE, "intake.correct"},
    [REMOTE_RATE] = {API_EVALUATION, "evaluation.rate"},
    [REMOTE_GET_CASE] = {API_INTAKE, "intake.get_case"},
};

static void s_forward(s_pending_t *p)
{
    api_t *api = p->r->api;
    ow_rpc_call(api->clients[s_target[p->method].service], s_target[p->method].method,
                p->key[0] ? p->key : NULL, p->caller, p->payload, p->len, API_RPC_TIMEOUT_MS,
                s_forwarded, p);
}

/* intake.get_case answered: the case must be one of the centre's own. */
static void s_case_checked(const ow_rpc_result_t *res, void *arg)
{
    s_pending_t *p = arg;
    ow_error_t err;
    Onewindow__V1__CaseReply *reply = NULL;

    ow_error_clear(&err);
    if (res->status != OW_OK) {
        s_answer_result(p, res);
        goto free;
    }
    reply = onewindow__v1__case_reply__unpack(NULL, res->payload_len, res->payload);
    if (!reply || !reply->case_) {
        ow_error_set(&err, OW_INTERNAL, "intake answered a case that does not decode");
        remote_reply(p->r->remote, &p->call, &err, NULL, 0);
        goto free;
    }
    access_principal_t clerk = {.role = ACCESS_ROLE_CLERK};
    snprintf(clerk.centre, sizeof clerk.centre, "%s", p->call.centre);
    if (!access_may_touch_case(&clerk, reply->case_->centre_id, p->r->api->default_centre)) {
        /* NOT_FOUND, not PERMISSION_DENIED: a centre does not learn which numbers exist
         * elsewhere. */
        ow_error_set(&err, OW_NOT_FOUND, "no case %s at centre %s", reply->case_->case_no,
                     p->call.centre);
        remote_reply(p->r->remote, &p->call, &err, NULL, 0);
        goto free;
    }
    if (p->method == REMOTE_GET_CASE) {
        s_answer_result(p, res);
        goto free;
    }
    onewindow__v1__case_reply__free_unpacked(reply, NULL);
    s_forward(p);
    return;
free:
    if (reply)
        onewindow__v1__case_reply__free_unpacked(reply, NULL);
    s_pending_free(p);
}

/* ---- events ---- */

/* True when the key of call may read an event of this type and centre: a centre's key the
 * events of the centres it covers, an integrator's key (no centre) the types it subscribed
 * to, as an integrator's token over HTTP (access_may_read_event). */
static bool s_may_read(s_remote_t *r, const remote_call_t *call, const char *type,
                       const char *ev_centre)
{
    /* First: a batch of pushes names no centre, which would read as the default centre's. */
    if (withheld_event(type)) /* never to an integrator or a centre, whatever it asked for */
        return false;
    if (call->centre[0])
        return access_centre_covers(call->centre, *ev_centre ? ev_centre : r->api->default_centre);
    access_principal_t integrator = {.role = ACCESS_ROLE_INTEGRATOR};
    snprintf(integrator.subscriptions, sizeof integrator.subscriptions, "%s", call->subscriptions);
    return access_may_read_event(&integrator, type, ev_centre, r->api->default_centre);
}

/* Packs up to limit events after `after` that the key of call may read into a
 * RemoteEvents. Returns 0 with *out (caller frees) and *next, or -1 with err. */
static int s_pack_events(s_remote_t *r, const remote_call_t *call, uint64_t after, uint32_t limit,
                         uint8_t **out, size_t *out_len, uint64_t *next, size_t *count,
                         ow_error_t *err)
{
    char after_text[24], scan_text[16];
    PGresult *res = NULL;
    Onewindow__V1__RemoteEvents reply = ONEWINDOW__V1__REMOTE_EVENTS__INIT;
    Onewindow__V1__RemoteEvent *items = NULL, **ptrs = NULL;
    uint8_t **bufs = NULL;
    size_t n = 0;
    int rc = -1;

    snprintf(after_text, sizeof after_text, "%llu", (unsigned long long)after);
    snprintf(scan_text, sizeof scan_text, "%d", S_SCAN_MAX);
    const char *params[] = {after_text, scan_text};
    res = ow_db_exec(ow_service_db(r->api->svc), "gw_remote_events", 2, params, err);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    items = calloc((size_t)rows + 1, sizeof *items);
    ptrs = calloc((size_t)rows + 1, sizeof *ptrs);
    bufs = calloc((size_t)rows + 1, sizeof *bufs);
    if (!items || !ptrs || !bufs)
        goto oom;
    uint64_t cursor = after;
    for (int i = 0; i < rows && n < limit; i++) {
        cursor = strtoull(PQgetvalue(res, i, 0), NULL, 10);
        const char *ev_centre = PQgetvalue(res, i, 6);
        if (!s_may_read(r, call, PQgetvalue(res, i, 4), ev_centre))
            continue;
        Onewindow__V1__Envelope env = ONEWINDOW__V1__ENVELOPE__INIT;
        size_t plen = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 8), &plen);
        if (!payload)
            goto oom;
        env.event_id = PQgetvalue(res, i, 1);
        env.source = PQgetvalue(res, i, 2);
        env.seq = strtoull(PQgetvalue(res, i, 3), NULL, 10);
        env.type = PQgetvalue(res, i, 4);
        env.case_no = PQgetvalue(res, i, 5);
        env.centre_id = PQgetvalue(res, i, 6);
        env.time_us = strtoll(PQgetvalue(res, i, 7), NULL, 10);
        env.payload.data = payload;
        env.payload.len = plen;
        size_t elen = onewindow__v1__envelope__get_packed_size(&env);
        bufs[n] = malloc(elen ? elen : 1);
        if (!bufs[n]) {
            PQfreemem(payload);
            goto oom;
        }
        onewindow__v1__envelope__pack(&env, bufs[n]);
        PQfreemem(payload);
        onewindow__v1__remote_event__init(&items[n]);
        items[n].seq = cursor;
        items[n].envelope.data = bufs[n];
        items[n].envelope.len = elen;
        ptrs[n] = &items[n];
        n++;
    }
    reply.n_events = n;
    reply.events = ptrs;
    reply.next_after = cursor;
    *next = cursor;
    *count = n;
    *out_len = onewindow__v1__remote_events__get_packed_size(&reply);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out)
        goto oom;
    onewindow__v1__remote_events__pack(&reply, *out);
    rc = 0;
    goto done;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory");
done:
    for (size_t i = 0; bufs && i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(ptrs);
    free(items);
    PQclear(res);
    return rc;
}

static void s_drop_subscriber(s_remote_t *r, size_t i, const char *why)
{
    ow_log_kv(OW_LOG_INFO, "remote subscription ended", "centre",
              r->subs[i].call.centre[0] ? r->subs[i].call.centre : "-", "public_key",
              r->subs[i].call.public_key, "reason", why, NULL);
    r->subs[i] = r->subs[--r->sub_count];
}

static void s_push(void *arg)
{
    s_remote_t *r = arg;
    for (size_t i = 0; i < r->sub_count;) {
        s_subscriber_t *s = &r->subs[i];
        ow_error_t err;
        uint8_t *buf = NULL;
        size_t len = 0;
        uint64_t next = s->after;
        size_t count = 0;

        ow_error_clear(&err);
        /* The key again, before anything is sent: revocation ends a subscription at once. */
        int live = remote_recheck(r->remote, &s->call);
        if (live == 0) {
            ow_error_set(&err, OW_UNAUTHENTICATED, "the key was revoked");
            remote_reply(r->remote, &s->call, &err, NULL, 0);
            s_drop_subscriber(r, i, "key revoked");
            continue;
        }
        if (live < 0 || s_pack_events(r, &s->call, s->after, REMOTE_EVENTS_LIMIT, &buf, &len, &next,
                                      &count, &err) != 0) {
            i++; /* the database is away: try again next turn */
            continue;
        }
        /* Nothing new for this centre: only the cursor moves (events of other centres). */
        if (count > 0 && remote_reply(r->remote, &s->call, NULL, buf, len) != 0) {
            free(buf);
            s_drop_subscriber(r, i, "peer gone");
            continue;
        }
        free(buf);
        s->after = next;
        i++;
    }
}

static void s_subscribe(s_remote_t *r, const remote_call_t *call, uint64_t after)
{
    size_t i = 0;
    for (; i < r->sub_count; i++)
        if (r->subs[i].call.peer_len == call->peer_len &&
            memcmp(r->subs[i].call.peer, call->peer, call->peer_len) == 0)
            break;
    if (i == r->sub_count) {
        if (r->sub_count == S_SUBSCRIBERS_MAX)
            return; /* the caller was told */
        r->sub_count++;
    }
    r->subs[i].call = *call;
    snprintf(r->subs[i].call.request_id, sizeof r->subs[i].call.request_id, "push");
    r->subs[i].after = after;
}

static void s_events(s_remote_t *r, const remote_call_t *call, const remote_request_t *req)
{
    ow_error_t err;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t next = 0;
    size_t count = 0;

    ow_error_clear(&err);
    if (req->method == REMOTE_SUBSCRIBE && r->sub_count == S_SUBSCRIBERS_MAX) {
        bool known = false;
        for (size_t i = 0; i < r->sub_count; i++)
            known |= r->subs[i].call.peer_len == call->peer_len &&
                     memcmp(r->subs[i].call.peer, call->peer, call->peer_len) == 0;
        if (!known) {
            ow_error_set(&err, OW_RESOURCE_EXHAUSTED,
                         "%d subscriptions already: use remote.events to poll", S_SUBSCRIBERS_MAX);
            remote_reply(r->remote, call, &err, NULL, 0);
            return;
        }
    }
    if (s_pack_events(r, call, req->after, req->limit, &buf, &len, &next, &count, &err) != 0) {
        remote_reply(r->remote, call, &err, NULL, 0);
        return;
    }
    remote_reply(r->remote, call, NULL, buf, len);
    free(buf);
    if (req->method == REMOTE_SUBSCRIBE)
        s_subscribe(r, call, next);
}

/* ---- dispatch ---- */

static void s_on_request(remote_t *remote, const remote_call_t *call, const remote_request_t *req,
                         void *arg)
{
    s_remote_t *r = arg;
    ow_error_t err;
    s_pending_t *p = NULL;

    ow_error_clear(&err);
    if (ow_loop_stopping(r->api->loop)) {
        ow_error_set(&err, OW_UNAVAILABLE, "the gateway is shutting down; retry shortly");
        goto refuse;
    }
    if (req->method == REMOTE_EVENTS || req->method == REMOTE_SUBSCRIBE) {
        s_events(r, call, req);
        return;
    }
    if (!call->centre[0]) {
        /* issue 8: "an integrator only reads events it subscribed to" */
        ow_error_set(&err, OW_PERMISSION_DENIED,
                     "an integrator's key may only read its events (remote.events, "
                     "remote.subscribe)");
        goto refuse;
    }
    Onewindow__V1__SubmitApplication *app = NULL;
    char *orig_centre = NULL, *orig_channel = NULL;
    if (req->method == REMOTE_SUBMIT) {
        app = (Onewindow__V1__SubmitApplication *)req->payload;
        if (*app->centre_id && strcmp(app->centre_id, call->centre) != 0) {
            ow_error_set(&err, OW_PERMISSION_DENIED, "centre %s may not submit for centre %s",
                         call->centre, app->centre_id);
            goto refuse;
        }
        /* Set for the packing below only: the decoded strings are freed by protobuf-c,
         * which must see its own pointers again. */
        orig_centre = app->centre_id;
        orig_channel = app->channel;
        app->centre_id = (char *)call->centre;
        if (!*app->channel)
            app->channel = "township";
    }
    p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    p->r = r;
    p->call = *call;
    p->method = req->method;
    snprintf(p->caller, sizeof p->caller, "centre:%s", call->centre);
    if (req->idempotency_key[0])
        snprintf(p->key, sizeof p->key, "remote:%s:%s", call->centre, req->idempotency_key);
    p->len = protobuf_c_message_get_packed_size(req->payload);
    p->payload = malloc(p->len ? p->len : 1);
    if (!p->payload)
        goto oom;
    protobuf_c_message_pack(req->payload, p->payload);
    if (app) {
        app->centre_id = orig_centre;
        app->channel = orig_channel;
        s_forward(p);
        return;
    }
    /* The others name a case: it must be the centre's own. */
    Onewindow__V1__GetCase get = ONEWINDOW__V1__GET_CASE__INIT;
    get.case_no = (char *)req->case_no;
    uint8_t buf[128];
    size_t len = onewindow__v1__get_case__pack(&get, buf); /* case_no ≤ 64: fits */
    ow_rpc_call(r->api->clients[API_INTAKE], "intake.get_case", NULL, p->caller, buf, len,
                API_RPC_TIMEOUT_MS, s_case_checked, p);
    return;
oom:
    if (app) {
        app->centre_id = orig_centre;
        app->channel = orig_channel;
    }
    s_pending_free(p);
    ow_error_set(&err, OW_INTERNAL, "out of memory");
refuse:
    remote_reply(remote, call, &err, NULL, 0);
}

int serve_remote_setup(api_t *self, ow_error_t *err)
{
    ow_config_t *cfg = ow_service_config(self->svc);
    ow_db_t *db = ow_service_db(self->svc);
    const char *bind = ow_config_get(cfg, "remote.bind", "");
    const char *key_path = ow_config_get(cfg, "remote.secret_key_file", "");
    const char *domain = ow_config_get(cfg, "remote.zap_domain", "onewindow");
    curve_key_file_t key;
    s_remote_t *r = NULL;

    if (centre_keys_prepare(db, err) != 0 ||
        ow_db_prepare(db, "gw_remote_events",
                      "SELECT seq, event_id, source, source_seq, type, case_no, centre_id, "
                      "time_us, payload FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                      err) != 0)
        return -1;
    if (!*bind)
        return 0;
    if (!*key_path) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "remote.bind is set but remote.secret_key_file is not: make the gateway's "
                     "key pair with owctl centre keygen --server --out FILE");
        return -1;
    }
    if (curve_key_read(key_path, &key, err) != 0)
        return -1;
    r = calloc(1, sizeof *r);
    if (!r) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    r->api = self;
    r->remote =
        remote_new(self->loop, bind, key.secret_key, domain, s_lookup, s_on_request, r, err);
    if (!r->remote)
        goto fail;
    r->push_timer = ow_loop_timer(self->loop, S_PUSH_INTERVAL_S, true, s_push, r);
    if (!r->push_timer) {
        ow_error_set(err, OW_INTERNAL, "cannot make the push timer");
        goto fail;
    }
    memset(key.secret_key, 0, sizeof key.secret_key);
    self->remote = (struct remote_service *)r;
    ow_log_kv(OW_LOG_INFO, "remote listening", "endpoint", remote_endpoint(r->remote), "public_key",
              remote_public_key(r->remote), "zap_domain", domain, NULL);
    return 0;
fail:
    memset(key.secret_key, 0, sizeof key.secret_key);
    if (r) {
        remote_destroy(&r->remote);
        free(r);
    }
    return -1;
}

void serve_remote_teardown(api_t *self)
{
    s_remote_t *r = s_state(self);
    if (!r)
        return;
    ow_timer_destroy(&r->push_timer);
    remote_destroy(&r->remote);
    free(r);
    self->remote = NULL;
}

const char *serve_remote_endpoint(api_t *self)
{
    return s_state(self) ? remote_endpoint(s_state(self)->remote) : NULL;
}

const char *serve_remote_public_key(api_t *self)
{
    return s_state(self) ? remote_public_key(s_state(self)->remote) : NULL;
}
