/* Workflows and delivery, owned by routingd (docs/contract.md "Routing additions, part 4"):
 *   POST /v1/admin/workflows             routing.put_workflow (admin, audited)
 *   GET  /v1/workflows/{item_code}       routing.get_workflow (staff; ?item_version)
 *   POST /v1/cases/{case_no}/delivery    routing.deliver (staff of a centre covering the case)
 * The token's subject is the caller: routingd checks that put_workflow's caller is an active
 * administrator and deliver's an active staff member. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/routing.pb-c.h"

/* Drops and names the members the service sets itself, so a client cannot forge them. */
static int s_refuse_members(json_t *input, const char *const *members, size_t n, ow_error_t *err)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (json_object_get(input, members[i])) {
            ow_error_add_violation(err, members[i], "is set by the service");
            json_object_del(input, members[i]);
            rc = -1;
        }
    return rc;
}

static int s_check_workflow(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                            ow_error_t *err)
{
    static const char *const s_set_by_routing[] = {"defined_by", "defined_at"};
    (void)api, (void)who, (void)caller;
    return s_refuse_members(input, s_set_by_routing, 2, err);
}

static int s_check_delivery(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                            ow_error_t *err)
{
    static const char *const s_set_by_routing[] = {"state", "approved_at", "delivered_at",
                                                   "delivered_by", "overdue_at"};
    (void)api, (void)who, (void)caller;
    return s_refuse_members(input, s_set_by_routing, 5, err);
}

static const forward_spec_t s_put_workflow = {API_ROUTING,
                                              "routing.put_workflow",
                                              &onewindow__v1__workflow__descriptor,
                                              &onewindow__v1__workflow__descriptor,
                                              NULL,
                                              FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                              200,
                                              NULL,
                                              NULL,
                                              s_check_workflow,
                                              NULL};

static const forward_spec_t s_get_workflow = {API_ROUTING,
                                              "routing.get_workflow",
                                              &onewindow__v1__get_workflow__descriptor,
                                              &onewindow__v1__workflow__descriptor,
                                              "item_code",
                                              0,
                                              200,
                                              NULL,
                                              NULL,
                                              NULL,
                                              NULL};

static const forward_spec_t s_deliver = {API_ROUTING,
                                         "routing.deliver",
                                         &onewindow__v1__delivery__descriptor,
                                         &onewindow__v1__delivery__descriptor,
                                         "case_no",
                                         FORWARD_STATE_CHANGE | FORWARD_CASE,
                                         200,
                                         NULL,
                                         NULL,
                                         s_check_delivery,
                                         NULL};

void serve_put_workflow(api_t *self, exchange_t *ex, const char *param,
                        const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_put_workflow);
}

void serve_get_workflow(api_t *self, exchange_t *ex, const char *param,
                        const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_get_workflow);
}

void serve_deliver(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_deliver);
}
