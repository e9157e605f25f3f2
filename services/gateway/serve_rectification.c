/* Bad-review rectification and the roles it needs, owned by evaluationd (docs/contract.md
 * "Evaluation additions, part 4"):
 *   POST /v1/rectification-tickets/{ticket_id}/actions  evaluation.act_on_ticket (staff)
 *   GET  /v1/rectification-tickets/{ticket_id}          evaluation.get_ticket (staff)
 *   POST /v1/admin/staff-roles                          evaluation.put_staff_roles (admin)
 * The token's subject is the caller: evaluationd decides by its own staff_roles table who
 * may take which step (a handler of the department, a reviewer, a supervisor), so the
 * gateway admits staff and leaves that rule to the service that owns it. The centre is the
 * gateway's rule (FORWARD_TICKET, ticket_access.h): a centre-scoped token sees and acts on the
 * tickets of its own centre's cases only (a supervisor: also those below). */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/evaluation.pb-c.h"

static const forward_spec_t s_act_on_ticket = {API_EVALUATION,
                                               "evaluation.act_on_ticket",
                                               &onewindow__v1__act_on_ticket__descriptor,
                                               &onewindow__v1__ticket_reply__descriptor,
                                               "ticket_id",
                                               FORWARD_STATE_CHANGE | FORWARD_TICKET,
                                               200,
                                               NULL,
                                               NULL,
                                               NULL,
                                               NULL};

static const forward_spec_t s_get_ticket = {API_EVALUATION,
                                            "evaluation.get_ticket",
                                            &onewindow__v1__get_ticket__descriptor,
                                            &onewindow__v1__ticket_reply__descriptor,
                                            "ticket_id",
                                            FORWARD_TICKET,
                                            200,
                                            NULL,
                                            NULL,
                                            NULL,
                                            NULL};

static const forward_spec_t s_put_staff_roles = {API_EVALUATION,
                                                 "evaluation.put_staff_roles",
                                                 &onewindow__v1__put_staff_roles__descriptor,
                                                 &onewindow__v1__staff_roles_reply__descriptor,
                                                 NULL,
                                                 FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                                 200,
                                                 NULL,
                                                 NULL,
                                                 NULL,
                                                 NULL};

void serve_act_on_ticket(api_t *self, exchange_t *ex, const char *param,
                         const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_act_on_ticket);
}

void serve_get_ticket(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_get_ticket);
}

void serve_put_staff_roles(api_t *self, exchange_t *ex, const char *param,
                           const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_put_staff_roles);
}
