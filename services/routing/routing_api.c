#include "routing_api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "absence_store.h"
#include "act.h"
#include "audit_history.h"
#include "decide.h"
#include "decision.h"
#include "delivery.h"
#include "first_task.h"
#include "org_store.h"
#include "ow_clock.h"
#include "ow_service.h"
#include "ow_text.h"
#include "supply_store.h"
#include "task_store.h"
#include "workflow_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_QUERY_MAX_BYTES 1024
/* Decisions applied per transaction: what arrived together is committed together
 * (ARCHITECTURE "Inside a daemon": drain, apply, commit, reply). */
#define S_DECIDE_BATCH_MAX 256

/* The commands and reads that need nothing but the request: one table, one handler. A
 * command writes under its idempotency key and answers a packed Reply (the relay is kicked);
 * a read answers its message or the error. */
typedef int (*s_command_fn)(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                            size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err);
/* A command that also moves open work between A and B (routing.return_on_comeback). */
typedef int (*s_keeping_fn)(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                            size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                            ow_error_t *err);
typedef uint8_t *(*s_read_fn)(ow_db_t *db, const uint8_t *request, size_t len, size_t *out_len,
                              ow_error_t *err);

typedef struct {
    const char *method;
    s_command_fn command; /* exactly one of the three */
    s_keeping_fn keeping;
    s_read_fn read;
} s_route_t;

#define S_ROUTES 8 /* rows of s_routes */

typedef struct routing_api routing_api_t;

/* One row of s_routes bound to the daemon: what ow_rpc hands s_on_route. */
typedef struct {
    routing_api_t *self;
    const s_route_t *route;
} s_bound_route_t;

struct routing_api {
    ow_db_t *db;
    ow_relay_t *relay;
    ow_timer_t *decide_flush;                   /* fires after the socket's drain */
    ow_rpc_call_t *pending[S_DECIDE_BATCH_MAX]; /* decisions waiting for the flush */
    size_t n_pending;
    uint64_t *decide_ok;
    uint64_t *decide_refused;
    uint64_t *decide_failed;
    uint64_t *decide_batches;
    bool keep_until_done;             /* routing.return_on_comeback = false */
    ow_timer_t *absence_sweep;        /* applies absences recorded ahead of time */
    ow_rpc_client_t *deadline;        /* deadline.schedule_timer for the delivery timers */
    size_t timers_in_flight;          /* schedule_timer calls not yet answered */
    s_bound_route_t routes[S_ROUTES]; /* s_routes bound to this daemon (ow_rpc's handler args) */
};

/* One delivery timer on its way to deadlined. */
typedef struct {
    routing_api_t *api;
    char case_no[OW_CASE_NO_MAX + 1];
} s_timer_call_t;

static void s_free(void *arg)
{
    routing_api_t *self = arg;
    /* Pending timer calls are cancelled (their callbacks run) before self goes. */
    ow_rpc_client_destroy(&self->deadline);
    free(self);
}

/* Answers with tasks as a TaskList (next_after may be NULL), or with err when tasks is NULL. */
static void s_reply_tasks(ow_rpc_call_t *call, routing_tasks_t *tasks, const char *next_after,
                          ow_error_t *err)
{
    if (!tasks) {
        ow_rpc_reply_error(call, err);
        return;
    }
    Onewindow__V1__TaskList list = ONEWINDOW__V1__TASK_LIST__INIT;
    list.n_tasks = routing_tasks_count(tasks);
    list.tasks = routing_tasks_array(tasks);
    list.next_after = (char *)(next_after ? next_after : "");
    size_t len = onewindow__v1__task_list__get_packed_size(&list);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing tasks");
        ow_rpc_reply_error(call, err);
        return;
    }
    onewindow__v1__task_list__pack(&list, buf);
    ow_rpc_reply(call, buf, len);
    free(buf);
}

static void s_on_list_tasks(ow_rpc_call_t *call, void *arg)
{
    routing_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    routing_tasks_t *tasks = NULL;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__ListTasks *req = NULL;
    if (len > S_QUERY_MAX_BYTES || !(req = onewindow__v1__list_tasks__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.ListTasks");
        ow_rpc_reply_error(call, &err);
        return;
    }
    /* The contract: an empty state means open tasks; an empty assignee everyone's. */
    const char *state = req->state[0] ? req->state : "open";
    if (req->assignee[0] && !routing_id_valid(req->assignee))
        ow_error_add_violation(&err, "assignee",
                               "must be a staff id (1-%d letters, digits, "
                               "'-', '_' or '.')",
                               ROUTING_ID_MAX);
    if (strcmp(state, "open") != 0 && strcmp(state, "done") != 0)
        ow_error_add_violation(&err, "state", "must be open or done");
    if (req->limit > ROUTING_LIST_MAX)
        ow_error_add_violation(&err, "limit", "must be at most %d", ROUTING_LIST_MAX);
    if (req->after_task_id[0] && !routing_uuid_valid(req->after_task_id))
        ow_error_add_violation(&err, "after_task_id", "must be a task id (a UUID)");
    if (ow_error_finish_violations(&err) < 0) {
        ow_rpc_reply_error(call, &err);
        goto done;
    }
    bool more = false;
    tasks = routing_task_list(self->db, req->assignee, state,
                              req->after_task_id[0] ? req->after_task_id : NULL,
                              req->limit ? req->limit : ROUTING_LIST_DEFAULT, &more, &err);
    const char *next = NULL;
    if (tasks && more && routing_tasks_count(tasks) > 0)
        next = routing_tasks_get(tasks, routing_tasks_count(tasks) - 1)->task_id;
    s_reply_tasks(call, tasks, next, &err);
done:
    routing_tasks_destroy(&tasks);
    onewindow__v1__list_tasks__free_unpacked(req, NULL);
}

static void s_on_case_tasks(ow_rpc_call_t *call, void *arg)
{
    routing_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__CaseTasks *req = NULL;
    if (len > S_QUERY_MAX_BYTES || !(req = onewindow__v1__case_tasks__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.CaseTasks");
        ow_rpc_reply_error(call, &err);
        return;
    }
    if (!ow_text_graphic(req->case_no, OW_CASE_NO_MAX)) {
        ow_error_add_violation(&err, "case_no", "must be 1-%d printable ASCII characters",
                               OW_CASE_NO_MAX);
        ow_error_finish_violations(&err);
        ow_rpc_reply_error(call, &err);
    } else {
        routing_tasks_t *tasks = routing_task_list_case(self->db, req->case_no, &err);
        s_reply_tasks(call, tasks, NULL, &err);
        routing_tasks_destroy(&tasks);
    }
    onewindow__v1__case_tasks__free_unpacked(req, NULL);
}

/* routing.work_list: open tasks of a scope in work order (DOMAIN §4). */
static void s_on_work_list(ow_rpc_call_t *call, void *arg)
{
    routing_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__WorkList *req = NULL;
    if (len > S_QUERY_MAX_BYTES || !(req = onewindow__v1__work_list__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.WorkList");
        ow_rpc_reply_error(call, &err);
        return;
    }
    bool overdue = strcmp(req->scope, "overdue") == 0;
    if (strcmp(req->scope, "mine") != 0 && strcmp(req->scope, "post") != 0 &&
        strcmp(req->scope, "department") != 0 && !overdue)
        ow_error_add_violation(&err, "scope", "must be mine, post, department or overdue");
    if ((req->key[0] || !overdue) && !routing_id_valid(req->key))
        ow_error_add_violation(&err, "key",
                               "must be a staff id, post or department code (1-%d letters, "
                               "digits, '-', '_' or '.')",
                               ROUTING_ID_MAX);
    if (req->limit > ROUTING_LIST_MAX)
        ow_error_add_violation(&err, "limit", "must be at most %d", ROUTING_LIST_MAX);
    if (ow_error_finish_violations(&err) < 0) {
        ow_rpc_reply_error(call, &err);
    } else {
        routing_tasks_t *tasks = routing_work_list(self->db, req->scope, req->key,
                                                   req->limit ? req->limit : ROUTING_LIST_DEFAULT,
                                                   ow_clock_now_us(), &err);
        s_reply_tasks(call, tasks, NULL, &err);
        routing_tasks_destroy(&tasks);
    }
    onewindow__v1__work_list__free_unpacked(req, NULL);
}

/* routing.case_history: the case's audit trail in order. */
static void s_on_case_history(ow_rpc_call_t *call, void *arg)
{
    routing_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__CaseHistory *req = NULL;
    if (len > S_QUERY_MAX_BYTES ||
        !(req = onewindow__v1__case_history__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.CaseHistory");
        ow_rpc_reply_error(call, &err);
        return;
    }
    if (!ow_text_graphic(req->case_no, OW_CASE_NO_MAX)) {
        ow_error_add_violation(&err, "case_no", "must be 1-%d printable ASCII characters",
                               OW_CASE_NO_MAX);
        ow_error_finish_violations(&err);
        ow_rpc_reply_error(call, &err);
    } else {
        size_t out_len = 0;
        uint8_t *out = routing_case_history(self->db, req->case_no, &out_len, &err);
        if (out)
            ow_rpc_reply(call, out, out_len);
        else
            ow_rpc_reply_error(call, &err);
        free(out);
    }
    onewindow__v1__case_history__free_unpacked(req, NULL);
}

/* routing.act: the decisions beyond approve/refuse (act.h). */
/* Answers a command's packed reply (kicking the relay) or its error. */
static void s_reply_command(routing_api_t *self, ow_rpc_call_t *call, const char *method, int rc,
                            uint8_t *reply, size_t reply_len, const ow_error_t *err)
{
    if (rc == 0) {
        ow_relay_kick(self->relay);
        ow_rpc_reply_packed(call, reply, reply_len);
    } else {
        if (err->code == OW_INTERNAL || err->code == OW_UNAVAILABLE)
            ow_log_kv(OW_LOG_ERROR, "routing command failed", "method", method, "code",
                      ow_status_name(err->code), "error", err->message, NULL);
        ow_rpc_reply_error(call, err);
    }
    free(reply);
}

/* The commands and reads that need nothing but the request (types above). */
static const s_route_t s_routes[S_ROUTES] = {
    {"routing.act", routing_act, NULL, NULL},         /* act.h */
    {"routing.put_org", NULL, routing_org_put, NULL}, /* org_store.h, all or nothing */
    {"routing.get_org", NULL, NULL, routing_org_get}, /* org_store.h */
    {"routing.record_absence", NULL, routing_absence_record, NULL}, /* absence_store.h */
    {"routing.end_absence", NULL, routing_absence_end, NULL},
    {"routing.put_workflow", routing_workflow_put, NULL, NULL}, /* workflow_store.h */
    {"routing.get_workflow", NULL, NULL, routing_workflow_get},
    {"routing.deliver", routing_deliver, NULL, NULL}, /* delivery.h */
};

static void s_on_route(ow_rpc_call_t *call, void *arg)
{
    const s_bound_route_t *bound = arg;
    routing_api_t *self = bound->self;
    const s_route_t *r = bound->route;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0, reply_len = 0;
    uint8_t *reply = NULL;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    if (r->read) {
        reply = r->read(self->db, payload, len, &reply_len, &err);
        if (reply)
            ow_rpc_reply(call, reply, reply_len);
        else
            ow_rpc_reply_error(call, &err);
        free(reply);
        return;
    }
    const char *key = ow_rpc_call_idempotency_key(call), *actor = ow_rpc_call_caller(call);
    int rc = r->keeping ? r->keeping(self->db, key, actor, payload, len, self->keep_until_done,
                                     &reply, &reply_len, &err)
                        : r->command(self->db, key, actor, payload, len, &reply, &reply_len, &err);
    s_reply_command(self, call, r->method, rc, reply, reply_len, &err);
}

/* deadlined answered a delivery timer: confirmed (or it exists already) → scheduled. */
static void s_timer_scheduled(const ow_rpc_result_t *result, void *arg)
{
    s_timer_call_t *tc = arg;
    routing_api_t *self = tc->api;
    self->timers_in_flight--;
    ow_error_t err;
    ow_error_clear(&err);
    if (result->status == OW_OK || result->status == OW_FAILED_PRECONDITION) {
        if (routing_delivery_mark_scheduled(self->db, tc->case_no, &err) < 0)
            ow_log_kv(OW_LOG_ERROR, "delivery timer not marked", "case_no", tc->case_no, "error",
                      err.message, NULL);
    } else if (result->status != OW_DEADLINE_EXCEEDED && result->status != OW_UNAVAILABLE &&
               result->status != OW_CANCELLED) {
        ow_log_kv(OW_LOG_ERROR, "deadline.schedule_timer refused", "case_no", tc->case_no, "code",
                  ow_status_name(result->status), "error", result->message, NULL);
    }
    free(tc);
}

/* Asks deadlined for the 10-day timers of approvals not yet confirmed (delivery.h); runs on
 * the sweep and after decisions, one round at a time; a lost answer is asked again (the
 * timer key makes it idempotent). */
static void s_schedule_delivery_timers(routing_api_t *self)
{
    if (!self->deadline || self->timers_in_flight > 0)
        return;
    routing_delivery_timer_t due[32];
    ow_error_t err;
    ow_error_clear(&err);
    int n = routing_delivery_unscheduled(self->db, due, 32, &err);
    for (int i = 0; i < n; i++) {
        uint8_t *req = NULL;
        size_t len = 0;
        s_timer_call_t *tc = calloc(1, sizeof *tc);
        if (!tc || routing_delivery_timer_request(&due[i], &req, &len, &err) < 0) {
            free(tc);
            break;
        }
        tc->api = self;
        /* Same size, NUL-terminated (routing_delivery_timer_t). */
        memcpy(tc->case_no, due[i].case_no, sizeof tc->case_no);
        self->timers_in_flight++;
        ow_rpc_call(self->deadline, "deadline.schedule_timer", due[i].timer_key, "routingd", req,
                    len, 5000, s_timer_scheduled, tc);
        free(req);
    }
}

/* Absences recorded ahead of time take effect when their start and end come (test-clock
 * aware: the sweep asks ow_clock_now_us). */
static void s_absence_sweep(void *arg)
{
    routing_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    s_schedule_delivery_timers(self);
    int n = routing_absence_sweep(self->db, ow_clock_now_us(), self->keep_until_done, &err);
    if (n > 0)
        ow_relay_kick(self->relay);
    else if (n < 0 && err.code != OW_UNAVAILABLE)
        ow_log_kv(OW_LOG_ERROR, "absence sweep failed", "code", ow_status_name(err.code), "error",
                  err.message, NULL);
}

/* Applies the queued decisions in one transaction, then answers each. */
static void s_decide_flush(void *arg)
{
    routing_api_t *self = arg;
    size_t n = self->n_pending;
    if (n == 0)
        return;
    routing_decide_item_t items[S_DECIDE_BATCH_MAX];
    memset(items, 0, sizeof items);
    for (size_t i = 0; i < n; i++) {
        ow_rpc_call_t *call = self->pending[i];
        items[i].idempotency_key = ow_rpc_call_idempotency_key(call);
        items[i].actor = ow_rpc_call_caller(call);
        items[i].request = ow_rpc_call_payload(call, &items[i].len);
    }
    routing_decide_batch(self->db, items, n);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        ow_rpc_call_t *call = self->pending[i];
        if (items[i].rc == 0) {
            any = true;
            (*self->decide_ok)++;
            ow_rpc_reply_packed(call, items[i].reply, items[i].reply_len);
        } else {
            switch (items[i].err.code) {
            case OW_INVALID_ARGUMENT:
            case OW_NOT_FOUND:
            case OW_PERMISSION_DENIED:
            case OW_FAILED_PRECONDITION:
                (*self->decide_refused)++;
                break;
            default:
                (*self->decide_failed)++;
                ow_log_kv(OW_LOG_ERROR, "routing.decide failed", "code",
                          ow_status_name(items[i].err.code), "error", items[i].err.message, NULL);
            }
            ow_rpc_reply_error(call, &items[i].err);
        }
        free(items[i].reply);
    }
    self->n_pending = 0;
    (*self->decide_batches)++;
    if (any) {
        ow_relay_kick(self->relay);
        s_schedule_delivery_timers(self);
    }
}

/* routing.decide: queued; the flush runs once the socket's ready requests are drained (a
 * zero timer fires after the current wake-up), or at once when the batch is full. */
static void s_on_decide(ow_rpc_call_t *call, void *arg)
{
    routing_api_t *self = arg;
    self->pending[self->n_pending++] = call;
    if (self->n_pending == S_DECIDE_BATCH_MAX)
        s_decide_flush(self);
    else
        ow_timer_arm(self->decide_flush, 0);
}

int routing_api_attach(ow_service_t *svc, ow_error_t *err)
{
    ow_db_t *db = ow_service_db(svc);
    if (routing_first_task_prepare(db, err) < 0 || routing_decide_prepare(db, err) < 0 ||
        routing_act_prepare(db, err) < 0 || routing_audit_history_prepare(db, err) < 0 ||
        routing_org_store_prepare(db, err) < 0 || routing_workflow_store_prepare(db, err) < 0 ||
        routing_delivery_prepare(db, err) < 0 || routing_supply_prepare(db, err) < 0)
        return -1;
    /* DOMAIN §4: when A returns, unfinished work is handed back — or, configured, stays with
     * the substitute until done. */
    bool return_on_comeback = true;
    long sweep_ms = 1000, cosign_days = ROUTING_COSIGN_DAYS_DEFAULT;
    ow_config_t *cfg = ow_service_config(svc);
    if (ow_config_get_bool(cfg, "routing.return_on_comeback", true, &return_on_comeback, err) < 0 ||
        ow_config_get_int(cfg, "routing.absence_sweep_ms", 1000, &sweep_ms, err) < 0 ||
        ow_config_get_int(cfg, "routing.cosign_working_days", ROUTING_COSIGN_DAYS_DEFAULT,
                          &cosign_days, err) < 0)
        return -1;
    /* DOMAIN §4: co-signing departments answer within 7 working days by default. */
    if (cosign_days < 1 || cosign_days > 60) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "routing.cosign_working_days must be 1-60");
        return -1;
    }
    routing_workflow_set_cosign_days((int)cosign_days);
    if (sweep_ms < 10 || sweep_ms > 3600000) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "routing.absence_sweep_ms must be 10-3600000");
        return -1;
    }
    /* intake's case.accepted; deadline's timer.fired (the delivery timers). */
    if (ow_service_follow(svc, "intake", err) < 0 || ow_service_follow(svc, "deadline", err) < 0)
        return -1;
    routing_api_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    self->db = db;
    self->relay = ow_service_relay(svc);
    ow_metrics_t *m = ow_service_metrics(svc);
    static const char help[] = "routing.decide requests by result";
    self->decide_ok = ow_metrics_counter(m, "routing_decisions_total", "result=\"ok\"", help);
    self->decide_refused =
        ow_metrics_counter(m, "routing_decisions_total", "result=\"refused\"", help);
    self->decide_failed =
        ow_metrics_counter(m, "routing_decisions_total", "result=\"error\"", help);
    self->decide_batches = ow_metrics_counter(m, "routing_decision_batches_total", NULL,
                                              "transactions that applied routing.decide requests");
    self->decide_flush = ow_loop_timer(ow_service_loop(svc), -1, false, s_decide_flush, self);
    self->keep_until_done = !return_on_comeback;
    self->absence_sweep =
        ow_loop_timer(ow_service_loop(svc), sweep_ms / 1000.0, true, s_absence_sweep, self);
    self->deadline =
        ow_rpc_client_new(ow_service_loop(svc), ow_service_endpoint(svc, "deadline"), err);
    if (!self->deadline) {
        free(self);
        return -1;
    }
    if (!self->decide_ok || !self->decide_refused || !self->decide_failed ||
        !self->decide_batches || !self->decide_flush || !self->absence_sweep) {
        ow_rpc_client_destroy(&self->deadline);
        free(self);
        ow_error_set(err, OW_INTERNAL, "out of memory registering metrics");
        return -1;
    }
    ow_loop_on_shutdown(ow_service_loop(svc), s_free, self);

    ow_rpc_server_t *rpc = ow_service_rpc(svc);
    ow_rpc_server_handle(rpc, "routing.list_tasks", s_on_list_tasks, self);
    ow_rpc_server_handle(rpc, "routing.case_tasks", s_on_case_tasks, self);
    ow_rpc_server_handle(rpc, "routing.decide", s_on_decide, self);
    ow_rpc_server_handle(rpc, "routing.work_list", s_on_work_list, self);
    ow_rpc_server_handle(rpc, "routing.case_history", s_on_case_history, self);
    for (size_t i = 0; i < S_ROUTES; i++) {
        self->routes[i] = (s_bound_route_t){.self = self, .route = &s_routes[i]};
        ow_rpc_server_handle(rpc, s_routes[i].method, s_on_route, &self->routes[i]);
    }
    /* No ow_inbox_on_commit here: ow_service owns that hook (it moves the test clock) and
     * already kicks the relay after every inbox commit, which publishes task.created. */
    ow_inbox_on(ow_service_inbox(svc), "case.accepted", routing_apply_case_accepted, NULL);
    ow_inbox_on(ow_service_inbox(svc), "timer.fired", routing_apply_timer_fired, NULL);
    /* 容缺 (supply_store.h): the supply completing decides a waiting approval (12); the supply
     * deadline lapsing closes the case's work. */
    ow_inbox_on(ow_service_inbox(svc), "case.materials_supplied", routing_apply_materials_supplied,
                NULL);
    ow_inbox_on(ow_service_inbox(svc), "case.terminated", routing_apply_case_terminated, NULL);
    /* 撤回 (DOMAIN §3): the applicant's withdrawal closes the case's work the same way. */
    ow_inbox_on(ow_service_inbox(svc), "case.withdrawn", routing_apply_case_withdrawn, NULL);
    return 0;
}
