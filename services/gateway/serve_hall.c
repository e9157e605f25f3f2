/* Appointments (预约) and the hall queue (排号叫号), owned by intake (docs/intake.md
 * "Appointments and the hall queue"):
 *   POST /v1/admin/slots                               intake.put_slots        (administrators)
 *   GET  /v1/slots?centre_id=…                         intake.list_slots       free slots
 *   POST /v1/appointments                              intake.book
 *   POST /v1/appointments/{appointment_id}/cancel      intake.cancel_appointment
 *   POST /v1/appointments/{appointment_id}/arrival     intake.arrive           (gives a ticket)
 *   POST /v1/queue/tickets                             intake.take_ticket      (walk-in)
 *   POST /v1/queue/windows/{window}/call               intake.call_next
 *   POST /v1/queue/tickets/{ticket_id}/missed|serving|done
 *   GET  /v1/reports/hall?centre_id=…&from=…&to=…      intake.hall_statistics  (supervisors)
 * Staff act for the centres they may touch (access.h): the gateway puts the caller's scope
 * (access_centre_scope) into the request's scope_centre and intake refuses a slot,
 * appointment, ticket or window of a centre outside it (403), since only intake knows the
 * centre of an appointment or ticket id. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/hall.pb-c.h"

static int s_scope(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                   ow_error_t *err)
{
    (void)api;
    (void)caller;
    char scope[ACCESS_CENTRE_LEN + 1];
    if (json_object_get(input, "scope_centre"))
        ow_error_add_violation(err, "scope_centre", "is set by the gateway from the token");
    if (!access_centre_scope(who, scope, sizeof scope)) {
        if (err->code == OW_OK)
            ow_error_set(err, OW_PERMISSION_DENIED, "a %s acts for no centre",
                         access_role_name(who->role));
        return -1;
    }
    if (json_object_set_new(input, "scope_centre", json_string(scope)) != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    return err->violation_count ? -1 : 0;
}

#define S_SPEC(name, method, req, rep, param, flags, status, check)                                \
    static const forward_spec_t name = {API_INTAKE,                                                \
                                        method,                                                    \
                                        &onewindow__v1__##req##__descriptor,                       \
                                        &onewindow__v1__##rep##__descriptor,                       \
                                        param,                                                     \
                                        flags,                                                     \
                                        status,                                                    \
                                        NULL,                                                      \
                                        NULL,                                                      \
                                        check,                                                     \
                                        NULL}

S_SPEC(s_put_slots, "intake.put_slots", put_slots, slot_list, NULL,
       FORWARD_STATE_CHANGE | FORWARD_AUDIT, 200, NULL);
S_SPEC(s_list_slots, "intake.list_slots", list_slots, slot_list, NULL, 0, 200, NULL);
S_SPEC(s_book, "intake.book", book_appointment, appointment_reply, NULL, FORWARD_STATE_CHANGE, 201,
       s_scope);
S_SPEC(s_cancel, "intake.cancel_appointment", appointment_action, appointment_reply,
       "appointment_id", FORWARD_STATE_CHANGE, 200, s_scope);
S_SPEC(s_arrive, "intake.arrive", appointment_action, appointment_reply, "appointment_id",
       FORWARD_STATE_CHANGE, 200, s_scope);
S_SPEC(s_take, "intake.take_ticket", take_ticket, queue_ticket_reply, NULL, FORWARD_STATE_CHANGE,
       201, s_scope);
S_SPEC(s_call, "intake.call_next", call_next, queue_ticket_reply, "window", FORWARD_STATE_CHANGE,
       200, s_scope);
S_SPEC(s_missed, "intake.ticket_missed", queue_ticket_action, queue_ticket_reply, "ticket_id",
       FORWARD_STATE_CHANGE, 200, s_scope);
S_SPEC(s_serving, "intake.ticket_serving", queue_ticket_action, queue_ticket_reply, "ticket_id",
       FORWARD_STATE_CHANGE, 200, s_scope);
S_SPEC(s_done, "intake.ticket_done", queue_ticket_action, queue_ticket_reply, "ticket_id",
       FORWARD_STATE_CHANGE, 200, s_scope);

/* A supervisor reads the figures of a centre it covers. */
static int s_check_statistics(api_t *api, const access_principal_t *who, json_t *input,
                              char *caller, ow_error_t *err)
{
    (void)api;
    (void)caller;
    const char *centre = json_string_value(json_object_get(input, "centre_id"));
    if (who->role == ACCESS_ROLE_ADMIN || !centre || access_centre_covers(who->centre, centre))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED, "a supervisor of centre %s reads its own centres",
                 who->centre);
    return -1;
}

S_SPEC(s_statistics, "intake.hall_statistics", hall_statistics, hall_statistics_reply, NULL, 0, 200,
       s_check_statistics);

#define S_SERVE(fn, spec)                                                                          \
    void fn(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)         \
    {                                                                                              \
        forward_serve(self, ex, param, who, &spec);                                                \
    }

S_SERVE(serve_put_slots, s_put_slots)
S_SERVE(serve_list_slots, s_list_slots)
S_SERVE(serve_book_appointment, s_book)
S_SERVE(serve_cancel_appointment, s_cancel)
S_SERVE(serve_arrive, s_arrive)
S_SERVE(serve_take_ticket, s_take)
S_SERVE(serve_call_next, s_call)
S_SERVE(serve_ticket_missed, s_missed)
S_SERVE(serve_ticket_serving, s_serving)
S_SERVE(serve_ticket_done, s_done)
S_SERVE(serve_hall_statistics, s_statistics)
