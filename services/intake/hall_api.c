/* hall_api — see hall_api.h. */
#include "hall_api.h"

#include <stdlib.h>
#include "hall.h"
#include "hall_store.h"
#include "ow_clock.h"
#include "ow_service.h"

/* One method: its function, and whether it writes (reads kick nothing). */
typedef struct {
    const char *method;
    intake_hall_fn *fn;
    bool writes;
} s_method_t;

static const s_method_t s_methods[] = {
    {"intake.put_slots", intake_put_slots, true},
    {"intake.list_slots", intake_list_slots, false},
    {"intake.book", intake_book, true},
    {"intake.cancel_appointment", intake_cancel_appointment, true},
    {"intake.arrive", intake_arrive, true},
    {"intake.take_ticket", intake_take_ticket, true},
    {"intake.call_next", intake_call_next, true},
    {"intake.ticket_missed", intake_ticket_missed, true},
    {"intake.ticket_serving", intake_ticket_serving, true},
    {"intake.ticket_done", intake_ticket_done, true},
    {"intake.hall_statistics", intake_hall_statistics, false},
};
#define S_METHODS (sizeof s_methods / sizeof s_methods[0])

typedef struct {
    const s_method_t *method;
    intake_hall_api_t *api;
} s_handler_t;

struct intake_hall_api {
    ow_db_t *db;
    ow_relay_t *relay;
    ow_timer_sender_t *timers;
    intake_hall_policy_t policy;
    s_handler_t handlers[S_METHODS];
};

static void s_on_call(ow_rpc_call_t *call, void *arg)
{
    s_handler_t *h = arg;
    const s_method_t *m = h->method;
    intake_hall_api_t *self = h->api;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (m->fn(self->db, &self->policy, ow_rpc_call_idempotency_key(call), ow_rpc_call_caller(call),
              payload, len, ow_clock_now_us(), &reply, &reply_len, &err) == 0) {
        if (m->writes) {
            ow_relay_kick(self->relay);
            ow_timer_sender_kick(self->timers);
        }
        ow_rpc_reply_packed(call, reply, reply_len);
    } else {
        if (err.code != OW_INVALID_ARGUMENT && err.code != OW_FAILED_PRECONDITION &&
            err.code != OW_NOT_FOUND && err.code != OW_PERMISSION_DENIED)
            ow_log_kv(OW_LOG_ERROR, "intake hall command failed", "method", m->method, "code",
                      ow_status_name(err.code), "error", err.message, NULL);
        ow_rpc_reply_error(call, &err);
    }
    free(reply);
}

static void s_free(void *arg)
{
    free(arg);
}

int intake_hall_prepare(ow_db_t *db, ow_error_t *err)
{
    if (hall_store_prepare(db, err) < 0 || hall_slots_prepare(db, err) < 0 ||
        hall_appointments_prepare(db, err) < 0 || hall_queue_prepare(db, err) < 0)
        return -1;
    return 0;
}

intake_hall_api_t *intake_hall_attach(ow_service_t *svc, ow_timer_sender_t *timers, ow_error_t *err)
{
    intake_hall_policy_t policy;
    if (intake_hall_policy_load(ow_service_config(svc), &policy, err) < 0)
        return NULL;
    if (intake_hall_prepare(ow_service_db(svc), err) < 0)
        return NULL;
    intake_hall_api_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->db = ow_service_db(svc);
    self->relay = ow_service_relay(svc);
    self->timers = timers;
    self->policy = policy;
    ow_loop_on_shutdown(ow_service_loop(svc), s_free, self);
    for (size_t i = 0; i < S_METHODS; i++) {
        self->handlers[i] = (s_handler_t){&s_methods[i], self};
        ow_rpc_server_handle(ow_service_rpc(svc), s_methods[i].method, s_on_call,
                             &self->handlers[i]);
    }
    return self;
}

const intake_hall_policy_t *intake_hall_policy(const intake_hall_api_t *self)
{
    return &self->policy;
}
