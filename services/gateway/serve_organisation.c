/* The organisation and staff absences, owned by routingd (docs/contract.md "Routing
 * additions, part 3"):
 *   POST /v1/admin/organisation         routing.put_org (admin, audited)
 *   GET  /v1/organisation               routing.get_org (staff; ?department_code)
 *   POST /v1/absences                   routing.record_absence (staff)
 *   POST /v1/absences/{absence_id}/end  routing.end_absence (staff)
 * The token's subject is the caller: routingd decides who may record whose absence (the
 * person, their department's chief representative or head, a supervisor, an administrator)
 * and that put_org's caller is an active administrator. get_org answers one document of at
 * most 10,000 rows of each kind (the service's bound), not a paged list. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/routing.pb-c.h"

static const forward_spec_t s_put_org = {API_ROUTING,
                                         "routing.put_org",
                                         &onewindow__v1__organisation__descriptor,
                                         &onewindow__v1__organisation_changed__descriptor,
                                         NULL,
                                         FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                         200,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

static const forward_spec_t s_get_org = {API_ROUTING,
                                         "routing.get_org",
                                         &onewindow__v1__get_organisation__descriptor,
                                         &onewindow__v1__organisation__descriptor,
                                         NULL,
                                         0,
                                         200,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

/* What routingd sets on an absence is not the caller's to send. */
static int s_check_absence(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                           ow_error_t *err)
{
    static const char *const s_set_by_routing[] = {"absence_id", "recorded_by", "overridden_by",
                                                   "started", "ended"};
    int rc = 0;
    (void)api;
    (void)who;
    (void)caller;
    for (size_t i = 0; i < sizeof s_set_by_routing / sizeof s_set_by_routing[0]; i++)
        if (json_object_get(input, s_set_by_routing[i])) {
            ow_error_add_violation(err, s_set_by_routing[i], "is set by the service");
            json_object_del(input, s_set_by_routing[i]);
            rc = -1;
        }
    return rc;
}

static const forward_spec_t s_record_absence = {API_ROUTING,
                                                "routing.record_absence",
                                                &onewindow__v1__absence__descriptor,
                                                &onewindow__v1__absence_reply__descriptor,
                                                NULL,
                                                FORWARD_STATE_CHANGE,
                                                201,
                                                NULL,
                                                NULL,
                                                s_check_absence,
                                                NULL};

static const forward_spec_t s_end_absence = {API_ROUTING,
                                             "routing.end_absence",
                                             &onewindow__v1__end_absence__descriptor,
                                             &onewindow__v1__absence_reply__descriptor,
                                             "absence_id",
                                             FORWARD_STATE_CHANGE,
                                             200,
                                             NULL,
                                             NULL,
                                             NULL,
                                             NULL};

void serve_put_org(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_put_org);
}

void serve_get_org(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_get_org);
}

void serve_record_absence(api_t *self, exchange_t *ex, const char *param,
                          const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_record_absence);
}

void serve_end_absence(api_t *self, exchange_t *ex, const char *param,
                       const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_end_absence);
}
