/* The calendar and timers, owned by deadlined (docs/deadline.md), for administrators:
 *   POST /v1/admin/calendars  deadline.load_calendar  the body is one year's calendar record
 *   GET  /v1/admin/due        deadline.compute_due    ?start_at&amount&unit&centre_id
 *   POST /v1/admin/timers     deadline.schedule_timer
 * Changes are audited with the token that made them. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/deadline.pb-c.h"

static const forward_spec_t s_load_calendar = {API_DEADLINE,
                                               "deadline.load_calendar",
                                               &onewindow__v1__load_calendar__descriptor,
                                               &onewindow__v1__load_calendar_reply__descriptor,
                                               NULL,
                                               FORWARD_STATE_CHANGE | FORWARD_RAW_BODY |
                                                   FORWARD_AUDIT,
                                               200,
                                               NULL,
                                               NULL,
                                               NULL,
                                               NULL};

static const forward_spec_t s_compute_due = {API_DEADLINE,
                                             "deadline.compute_due",
                                             &onewindow__v1__compute_due__descriptor,
                                             &onewindow__v1__compute_due_reply__descriptor,
                                             NULL,
                                             0,
                                             200,
                                             NULL,
                                             NULL,
                                             NULL,
                                             NULL};

static const forward_spec_t s_schedule_timer = {API_DEADLINE,
                                                "deadline.schedule_timer",
                                                &onewindow__v1__schedule_timer__descriptor,
                                                &onewindow__v1__timer_reply__descriptor,
                                                NULL,
                                                FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                                201,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL};

void serve_load_calendar(api_t *self, exchange_t *ex, const char *param,
                         const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_load_calendar);
}

void serve_compute_due(api_t *self, exchange_t *ex, const char *param,
                       const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_compute_due);
}

void serve_schedule_timer(api_t *self, exchange_t *ex, const char *param,
                          const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_schedule_timer);
}
