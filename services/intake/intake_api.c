#include "intake_api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "case_decided.h"
#include "case_number.h"
#include "case_store.h"
#include "catalogue.h"
#include "catalogue_import.h"
#include "catalogue_store.h"
#include "documents.h"
#include "hall_api.h"
#include "ow_clock.h"
#include "ow_service.h"
#include "ow_text.h"
#include "receive.h"
#include "submit.h"
#include "timer_commands.h"
#include "timer_fired.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

/* How long a command waits for deadlined's promised date before going on without it. */
#define S_COMPUTE_DUE_TIMEOUT_MS 2000

#define S_GET_CASE_MAX_BYTES 1024

/* A request waiting for the group commit: the call holds the payload and key the job
 * borrows until it is answered. */
typedef struct s_queued {
    ow_rpc_call_t *call;
    intake_job_t job;
    struct s_queued *next;
} s_queued_t;

#define S_CATALOGUE_ROUTES 8 /* rows of s_catalogue_routes */

typedef struct intake_api intake_api_t;
struct s_catalogue_route;

/* One catalogue method bound to the daemon: what ow_rpc hands s_on_catalogue. */
typedef struct {
    intake_api_t *self;
    const struct s_catalogue_route *route;
} s_catalogue_bound_t;

struct intake_api {
    ow_db_t *db;
    ow_relay_t *relay;
    ow_rpc_client_t *deadline;
    ow_timer_sender_t *timers; /* deadline.schedule_timer / cancel_timer, as committed */
    intake_settings_t settings;
    uint64_t *submit_ok;
    uint64_t *submit_invalid;
    uint64_t *submit_failed;
    uint64_t *batches;
    uint64_t *batched;
    intake_batch_memory_t *memory; /* the predicted path's (batch.h) */
    uint64_t *predicted;
    uint64_t *predicted_refused;
    /* The batch being gathered (batch.h), oldest first, and the zero-delay timer that
     * applies it once the loop has drained what was ready. */
    s_queued_t *head;
    s_queued_t **tail;
    size_t queued;
    ow_timer_t *flush;
    s_catalogue_bound_t catalogue[S_CATALOGUE_ROUTES];
};

/* Applies the gathered batch in one transaction, publishes its events, then answers every
 * request (ARCHITECTURE "Inside a daemon"). */
static void s_flush(void *arg)
{
    intake_api_t *self = arg;
    s_queued_t *list = self->head;
    size_t n = self->queued;
    self->head = NULL;
    self->tail = &self->head;
    self->queued = 0;
    if (n == 0)
        return;
    intake_job_t *jobs[INTAKE_BATCH_MAX] = {0};
    size_t i = 0;
    for (s_queued_t *q = list; q; q = q->next)
        jobs[i++] = &q->job;
    /* The batch numbers its own events before COMMIT and publishes them after it: no
     * relay pass (a second transaction) between two batches. */
    size_t ok =
        intake_batch_run_predicted(self->db, self->relay, &self->settings, self->memory, jobs, n);
    (*self->batches)++;
    *self->batched += n;
    intake_batch_memory_counts(self->memory, self->predicted, self->predicted_refused);
    bool receives = false;
    for (size_t j = 0; j < n; j++)
        receives = receives || jobs[j]->kind == INTAKE_JOB_RECEIVE;
    if (ok > 0 && receives) /* a receive may have asked for a timer; submits never do */
        ow_timer_sender_kick(self->timers);
    while (list) {
        s_queued_t *q = list;
        list = q->next;
        intake_job_t *job = &q->job;
        bool submit = job->kind == INTAKE_JOB_SUBMIT;
        if (job->rc == 0) {
            if (submit)
                (*self->submit_ok)++;
            ow_rpc_reply_packed(q->call, job->reply, job->reply_len);
        } else {
            ow_status_t code = job->err.code;
            bool refused = code == OW_INVALID_ARGUMENT || code == OW_FAILED_PRECONDITION ||
                           code == OW_NOT_FOUND;
            if (submit)
                (*(refused ? self->submit_invalid : self->submit_failed))++;
            if (!refused)
                ow_log_kv(OW_LOG_ERROR, "intake command failed", "method",
                          ow_rpc_call_method(q->call), "code", ow_status_name(code), "error",
                          job->err.message, NULL);
            ow_rpc_reply_error(q->call, &job->err);
        }
        free(job->reply);
        free(q);
    }
}

/* Adds a request to the batch; it is applied when the loop has drained what is ready (the
 * zero-delay timer runs after the socket's drain), or at once when the batch is full. */
static void s_enqueue(intake_api_t *self, ow_rpc_call_t *call, intake_job_kind_t kind,
                      int64_t now_us, int64_t promised_due_us)
{
    s_queued_t *q = calloc(1, sizeof *q);
    if (!q) {
        ow_error_t err;
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        ow_rpc_reply_error(call, &err);
        return;
    }
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    q->call = call;
    q->job.kind = kind;
    q->job.key = ow_rpc_call_idempotency_key(call);
    q->job.request = payload;
    q->job.len = len;
    q->job.now_us = now_us;
    q->job.promised_due_us = promised_due_us;
    *self->tail = q;
    self->tail = &q->next;
    if (++self->queued >= INTAKE_BATCH_MAX)
        s_flush(self);
    else
        ow_timer_arm(self->flush, 0);
}

static void s_free(void *arg)
{
    intake_api_t *self = arg;
    /* Clean shutdown finishes the batch: what was taken in is answered. */
    s_flush(self);
    ow_timer_destroy(&self->flush);
    intake_batch_memory_destroy(&self->memory);
    /* The client first: its calls in flight are cancelled into the sender, which still lives. */
    ow_rpc_client_destroy(&self->deadline);
    ow_timer_sender_destroy(&self->timers);
    free(self);
}

/* ---- commands that need the promised date (intake.receive, intake.correct) ----
 * The date is calendar arithmetic that deadlined owns (working days, holidays, 调休): we ask
 * deadline.compute_due first and run the command's transaction in its answer. When deadlined
 * does not answer the command goes on with 0 ("not computed") rather than fail at the
 * window; 容缺, whose ceiling is that date, is then refused (receive.c). */

typedef enum { S_RECEIVE, S_CORRECT, S_DECIDE } s_command_t;

typedef struct {
    intake_api_t *api;
    ow_rpc_call_t *call;
    s_command_t command;
    int64_t now_us;
} s_pending_t;

static void s_run(s_pending_t *p, int64_t promised_due_us)
{
    intake_api_t *self = p->api;
    if (p->command == S_RECEIVE) {
        s_enqueue(self, p->call, INTAKE_JOB_RECEIVE, p->now_us, promised_due_us);
        free(p);
        return;
    }
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(p->call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    const char *key = ow_rpc_call_idempotency_key(p->call);
    int rc = p->command == S_DECIDE
                 ? intake_decide_receipt(self->db, key, payload, len, p->now_us, promised_due_us,
                                         &reply, &reply_len, &err)
                 : intake_correct(self->db, key, payload, len, p->now_us, promised_due_us, &reply,
                                  &reply_len, &err);
    if (rc == 0) {
        ow_relay_kick(self->relay);
        ow_timer_sender_kick(self->timers);
        ow_rpc_reply_packed(p->call, reply, reply_len);
    } else {
        if (err.code != OW_INVALID_ARGUMENT && err.code != OW_FAILED_PRECONDITION &&
            err.code != OW_NOT_FOUND)
            ow_log_kv(OW_LOG_ERROR, "intake command failed", "method", ow_rpc_call_method(p->call),
                      "error", err.message, NULL);
        ow_rpc_reply_error(p->call, &err);
    }
    free(reply);
    free(p);
}

static void s_on_due(const ow_rpc_result_t *result, void *arg)
{
    int64_t due = 0;
    if (result->status == OW_OK) {
        Onewindow__V1__ComputeDueReply *r =
            onewindow__v1__compute_due_reply__unpack(NULL, result->payload_len, result->payload);
        if (r) {
            due = r->due_at_us;
            onewindow__v1__compute_due_reply__free_unpacked(r, NULL);
        }
    } else {
        ow_log_kv(OW_LOG_WARN, "deadline.compute_due did not answer", "status",
                  ow_status_name(result->status), NULL);
    }
    s_run(arg, due);
}

/* Asks deadlined for the end of `amount` `unit` from now at centre, then runs p. */
static void s_with_due(s_pending_t *p, int amount, const char *unit, const char *centre)
{
    if (amount <= 0 || !p->api->deadline) {
        s_run(p, 0);
        return;
    }
    Onewindow__V1__ComputeDue q = ONEWINDOW__V1__COMPUTE_DUE__INIT;
    q.start_at_us = p->now_us;
    q.amount = amount;
    q.unit = (char *)unit;
    q.centre_id = (char *)centre;
    uint8_t buf[256];
    size_t n = onewindow__v1__compute_due__get_packed_size(&q);
    if (n > sizeof buf) {
        s_run(p, 0);
        return;
    }
    onewindow__v1__compute_due__pack(&q, buf);
    ow_rpc_call(p->api->deadline, "deadline.compute_due", NULL, "intake", buf, n,
                S_COMPUTE_DUE_TIMEOUT_MS, s_on_due, p);
}

static s_pending_t *s_pending(intake_api_t *self, ow_rpc_call_t *call, s_command_t command)
{
    s_pending_t *p = calloc(1, sizeof *p);
    if (!p) {
        ow_error_t err;
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        ow_rpc_reply_error(call, &err);
        return NULL;
    }
    *p = (s_pending_t){self, call, command, ow_clock_now_us()};
    return p;
}

static void s_on_receive(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    s_pending_t *p = s_pending(self, call, S_RECEIVE);
    if (!p)
        return;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__ReceiveApplication *req = intake_receive_unpack(payload, len, &err);
    intake_item_t *item = NULL;
    if (req && req->application->item_code[0])
        item = intake_catalogue_find(self->db, req->application->item_code, &err);
    if (!item || strcmp(item->handling_kind, "promised") != 0) {
        /* No item (receive reports it with every other problem) or a 即办件: no date. */
        s_run(p, 0);
    } else {
        const char *centre = req->deciding_centre_id[0]       ? req->deciding_centre_id
                             : req->application->centre_id[0] ? req->application->centre_id
                                                              : self->settings.centre_id;
        s_with_due(p, item->promised_limit, item->limit_unit, centre);
    }
    intake_item_destroy(&item);
    if (req)
        onewindow__v1__receive_application__free_unpacked(req, NULL);
}

/* A command on an existing case whose answer needs the case's promised date from now (a
 * correction dated per art. 32, a later acceptance): asks deadlined for it, or runs at once
 * when the case cannot be read (the command itself then reports what is wrong). */
static void s_with_case_due(intake_api_t *self, s_pending_t *p, const char *case_no)
{
    ow_error_t err;
    ow_error_clear(&err);
    intake_case_t *kase = case_no && intake_case_no_valid(case_no)
                              ? intake_case_load(self->db, case_no, false, &err)
                              : NULL;
    if (!kase) {
        s_run(p, 0);
        return;
    }
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    s_with_due(p, c->promised_limit, c->limit_unit, c->deciding_centre_id);
    intake_case_destroy(&kase);
}

static void s_on_correct(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    s_pending_t *p = s_pending(self, call, S_CORRECT);
    if (!p)
        return;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__CorrectCase *req =
        len <= 16384 ? onewindow__v1__correct_case__unpack(NULL, len, payload) : NULL;
    s_with_case_due(self, p, req ? req->case_no : NULL);
    if (req)
        onewindow__v1__correct_case__free_unpacked(req, NULL);
}

/* intake.decide_receipt: the promised date counts from the decision (accepted now). */
static void s_on_decide_receipt(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    s_pending_t *p = s_pending(self, call, S_DECIDE);
    if (!p)
        return;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__DecideReceipt *req =
        len <= INTAKE_SUBMIT_MAX_BYTES ? onewindow__v1__decide_receipt__unpack(NULL, len, payload)
                                       : NULL;
    s_with_case_due(self, p, req ? req->case_no : NULL);
    if (req)
        onewindow__v1__decide_receipt__free_unpacked(req, NULL);
}

static void s_on_withdraw(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (intake_withdraw(self->db, ow_rpc_call_idempotency_key(call), payload, len,
                        ow_clock_now_us(), &reply, &reply_len, &err) == 0) {
        ow_relay_kick(self->relay);
        ow_timer_sender_kick(self->timers);
        ow_rpc_reply_packed(call, reply, reply_len);
    } else {
        ow_rpc_reply_error(call, &err);
    }
    free(reply);
}

static void s_on_list_documents(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (intake_documents_list(self->db, payload, len, &reply, &reply_len, &err) == 0)
        ow_rpc_reply_packed(call, reply, reply_len);
    else
        ow_rpc_reply_error(call, &err);
    free(reply);
}

static void s_on_submit(ow_rpc_call_t *call, void *arg)
{
    s_enqueue(arg, call, INTAKE_JOB_SUBMIT, ow_clock_now_us(), 0);
}

static void s_on_get_case(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__GetCase *req = NULL;
    intake_case_t *kase = NULL;
    uint8_t *out = NULL;

    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    if (len > S_GET_CASE_MAX_BYTES ||
        !(req = onewindow__v1__get_case__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.GetCase");
        goto fail;
    }
    /* Any printable number is looked up (an unknown one is NOT_FOUND, per the contract);
     * only text that cannot be a number at all is refused. */
    if (!ow_text_graphic(req->case_no, OW_CASE_NO_MAX)) {
        ow_error_add_violation(&err, "case_no", "must be 1-%d printable ASCII characters",
                               OW_CASE_NO_MAX);
        ow_error_finish_violations(&err);
        goto fail;
    }
    kase = intake_case_load(self->db, req->case_no, false, &err);
    if (!kase)
        goto fail;
    Onewindow__V1__CaseReply reply = ONEWINDOW__V1__CASE_REPLY__INIT;
    reply.case_ = (Onewindow__V1__CaseSummary *)intake_case_summary(kase);
    size_t out_len = onewindow__v1__case_reply__get_packed_size(&reply);
    out = malloc(out_len ? out_len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory packing case %s", req->case_no);
        goto fail;
    }
    onewindow__v1__case_reply__pack(&reply, out);
    ow_rpc_reply(call, out, out_len);
    goto done;
fail:
    ow_rpc_reply_error(call, &err);
done:
    free(out);
    intake_case_destroy(&kase);
    if (req)
        onewindow__v1__get_case__free_unpacked(req, NULL);
}

/* ---- the catalogue (catalogue_store.h, catalogue_import.h): one transaction each ---- */

typedef int(s_catalogue_write_fn)(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                                  int64_t now_us, uint8_t **reply, size_t *reply_len,
                                  ow_error_t *err);
typedef int(s_catalogue_read_fn)(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                                 size_t *reply_len, ow_error_t *err);

static void s_catalogue_answer(intake_api_t *self, ow_rpc_call_t *call, int rc, uint8_t *reply,
                               size_t reply_len, ow_error_t *err, bool write)
{
    if (rc == 0) {
        /* a write's answer is the Reply its idempotency record keeps; a read's the message */
        if (write) {
            ow_relay_kick(self->relay);
            ow_rpc_reply_packed(call, reply, reply_len);
        } else {
            ow_rpc_reply(call, reply, reply_len);
        }
    } else {
        if (err->code != OW_INVALID_ARGUMENT && err->code != OW_FAILED_PRECONDITION &&
            err->code != OW_NOT_FOUND)
            ow_log_kv(OW_LOG_ERROR, "intake catalogue command failed", "method",
                      ow_rpc_call_method(call), "error", err->message, NULL);
        ow_rpc_reply_error(call, err);
    }
    free(reply);
}

/* One catalogue method: a write (idempotent, one transaction) or a read. */
typedef struct s_catalogue_route {
    const char *method;
    s_catalogue_write_fn *write; /* exactly one of the two */
    s_catalogue_read_fn *read;
} s_catalogue_route_t;

static const s_catalogue_route_t s_catalogue_routes[S_CATALOGUE_ROUTES] = {
    {"intake.put_items", intake_catalogue_put, NULL},
    {"intake.get_item", NULL, intake_catalogue_get},
    {"intake.list_items", NULL, intake_catalogue_list},
    {"intake.export_catalogue", NULL, intake_catalogue_export},
    {"intake.begin_import", intake_import_begin, NULL},
    {"intake.import_rows", intake_import_rows, NULL},
    {"intake.commit_import", intake_import_commit, NULL},
    {"intake.get_import", NULL, intake_import_get},
};

static void s_on_catalogue(ow_rpc_call_t *call, void *arg)
{
    const s_catalogue_bound_t *bound = arg;
    const s_catalogue_route_t *r = bound->route;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0, reply_len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    int rc = r->write ? r->write(bound->self->db, ow_rpc_call_idempotency_key(call), payload, len,
                                 ow_clock_now_us(), &reply, &reply_len, &err)
                      : r->read(bound->self->db, payload, len, &reply, &reply_len, &err);
    s_catalogue_answer(bound->self, call, rc, reply, reply_len, &err, r->write != NULL);
}

static void s_on_inbox_commit(void *arg)
{
    intake_api_t *self = arg;
    ow_timer_sender_kick(self->timers);
}

static bool s_digits(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

int intake_api_attach(ow_service_t *svc, ow_error_t *err)
{
    ow_config_t *config = ow_service_config(svc);
    const char *county = ow_config_get(config, "county_code", "330122");
    const char *centre = ow_config_get(config, "centre_id", "330122000000");
    if (!s_digits(county, 6)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "county_code '%s' must be 6 digits", county);
        return -1;
    }
    if (!s_digits(centre, 12)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "centre_id '%s' must be a 12-digit area code (区划代码)", centre);
        return -1;
    }
    if (intake_submit_prepare(ow_service_db(svc), err) < 0 ||
        intake_receive_prepare(ow_service_db(svc), err) < 0 ||
        intake_catalogue_store_prepare(ow_service_db(svc), err) < 0 ||
        intake_import_prepare(ow_service_db(svc), err) < 0)
        return -1;
    if (ow_service_follow(svc, "routing", err) < 0 || ow_service_follow(svc, "deadline", err) < 0)
        return -1;

    intake_api_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    self->db = ow_service_db(svc);
    self->relay = ow_service_relay(svc);
    self->deadline =
        ow_rpc_client_new(ow_service_loop(svc), ow_service_endpoint(svc, "deadline"), err);
    if (!self->deadline) {
        free(self);
        return -1;
    }
    self->settings.county_code = county;
    self->settings.centre_id = centre;
    ow_metrics_t *m = ow_service_metrics(svc);
    static const char help[] = "intake.submit requests by result";
    self->submit_ok = ow_metrics_counter(m, "intake_submits_total", "result=\"ok\"", help);
    self->submit_invalid =
        ow_metrics_counter(m, "intake_submits_total", "result=\"refused\"", help);
    self->submit_failed = ow_metrics_counter(m, "intake_submits_total", "result=\"error\"", help);
    self->batches = ow_metrics_counter(m, "intake_batches_total", NULL,
                                       "transactions of the group commit (submit and receive)");
    self->batched = ow_metrics_counter(m, "intake_batched_requests_total", NULL,
                                       "requests applied by the group commit");
    self->predicted =
        ow_metrics_counter(m, "intake_batches_predicted_total", NULL,
                           "group commit transactions sent whole on what the daemon knew");
    self->predicted_refused =
        ow_metrics_counter(m, "intake_batches_prediction_refused_total", NULL,
                           "predicted transactions refused (a guess was wrong), then read");
    self->memory = intake_batch_memory_new();
    self->tail = &self->head;
    self->flush = ow_loop_timer(ow_service_loop(svc), -1, false, s_flush, self);
    ow_error_t terr;
    ow_error_clear(&terr);
    self->timers = ow_timer_sender_new(ow_service_loop(svc), self->db, self->deadline,
                                       INTAKE_TIMER_OWNER, &terr);
    if (!self->submit_ok || !self->submit_invalid || !self->submit_failed || !self->batches ||
        !self->batched || !self->predicted || !self->predicted_refused || !self->memory ||
        !self->flush || !self->timers) {
        s_free(self);
        ow_error_set(err, OW_INTERNAL, "out of memory registering metrics");
        return -1;
    }
    ow_loop_on_shutdown(ow_service_loop(svc), s_free, self);

    ow_rpc_server_handle(ow_service_rpc(svc), "intake.submit", s_on_submit, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.get_case", s_on_get_case, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.receive", s_on_receive, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.correct", s_on_correct, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.withdraw", s_on_withdraw, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.list_documents", s_on_list_documents, self);
    ow_rpc_server_t *rpc = ow_service_rpc(svc);
    for (size_t i = 0; i < S_CATALOGUE_ROUTES; i++) {
        self->catalogue[i] = (s_catalogue_bound_t){.self = self, .route = &s_catalogue_routes[i]};
        ow_rpc_server_handle(rpc, s_catalogue_routes[i].method, s_on_catalogue,
                             &self->catalogue[i]);
    }
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.decide_receipt", s_on_decide_receipt, self);
    ow_inbox_on(ow_service_inbox(svc), "case.decided", intake_apply_case_decided, NULL);
    ow_inbox_on(ow_service_inbox(svc), "case.awaiting_materials", intake_apply_case_awaiting, NULL);
    /* Appointments and the hall queue (hall.h); the no-show timer needs their policy. */
    intake_hall_api_t *hall = intake_hall_attach(svc, self->timers, err);
    if (!hall)
        return -1;
    ow_inbox_on(ow_service_inbox(svc), "timer.fired", intake_apply_timer_fired,
                (void *)intake_hall_policy(hall));
    /* A fired timer may cancel others (a terminated case's): send them after its commit. */
    ow_inbox_on_commit(ow_service_inbox(svc), s_on_inbox_commit, self);
    return 0;
}
