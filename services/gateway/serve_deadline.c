/* The calendar and timers, owned by deadlined (docs/deadline.md), for administrators:
 *   POST /v1/admin/calendars  deadline.load_calendar  the body is one year's calendar record
 *   GET  /v1/admin/due        deadline.compute_due    ?start_at&amount&unit&centre_id
 *   POST /v1/admin/timers     deadline.schedule_timer
 *   POST /v1/admin/timers/cancellation  deadline.cancel_timer (the key in the body: timer
 *                                        keys hold ':', which a path segment does not)
 *   POST /v1/admin/thresholds deadline.set_thresholds
 *   GET  /v1/reports/deadlines deadline.statistics (supervisors too; rows paged by key)
 * Changes are audited with the token that made them. A supervisor whose centre does not
 * cover the county centre reads the statistics of a centre_id it covers only. */
#include "serve.h"

#include <string.h>

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

static const forward_spec_t s_cancel_timer = {API_DEADLINE,
                                              "deadline.cancel_timer",
                                              &onewindow__v1__cancel_timer__descriptor,
                                              &onewindow__v1__timer_reply__descriptor,
                                              NULL,
                                              FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                              200,
                                              NULL,
                                              NULL,
                                              NULL,
                                              NULL};

static const forward_spec_t s_set_thresholds = {API_DEADLINE,
                                                "deadline.set_thresholds",
                                                &onewindow__v1__set_thresholds__descriptor,
                                                &onewindow__v1__set_thresholds_reply__descriptor,
                                                NULL,
                                                FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                                200,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL};

static int s_check_statistics(api_t *api, const access_principal_t *who, json_t *input,
                              char *caller, ow_error_t *err)
{
    (void)caller;
    if (who->role == ACCESS_ROLE_ADMIN || access_centre_covers(who->centre, api->default_centre))
        return 0;
    const char *centre = json_string_value(json_object_get(input, "centre_id"));
    if (centre && access_centre_covers(who->centre, centre))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED,
                 "a supervisor of centre %s reads centre_id=<a centre it covers>", who->centre);
    return -1;
}

static const forward_spec_t s_statistics = {API_DEADLINE,
                                            "deadline.statistics",
                                            &onewindow__v1__statistics__descriptor,
                                            &onewindow__v1__statistics_reply__descriptor,
                                            NULL,
                                            0,
                                            200,
                                            "rows",
                                            "key",
                                            s_check_statistics,
                                            NULL};

void serve_cancel_timer(api_t *self, exchange_t *ex, const char *param,
                        const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_cancel_timer);
}

void serve_set_thresholds(api_t *self, exchange_t *ex, const char *param,
                          const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_set_thresholds);
}

void serve_deadline_statistics(api_t *self, exchange_t *ex, const char *param,
                               const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_statistics);
}

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
