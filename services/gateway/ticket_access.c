/* ticket_access — see ticket_access.h. */
#include "ticket_access.h"

#include <stdlib.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "problem.h"

typedef struct {
    api_t *api;
    exchange_t *ex;
    access_principal_t who;
    api_case_next_fn *next;
    void (*release)(void *);
    void *arg;
} s_check_t;

static void s_checked(const ow_rpc_result_t *result, void *arg)
{
    s_check_t *c = arg;
    Onewindow__V1__TicketReply *reply = NULL;
    if (result->status != OW_OK) {
        int status = 500;
        json_t *problem = problem_from_result(result, "evaluation", &status);
        exchange_reply_problem(c->ex, status, problem);
        goto release;
    }
    reply = onewindow__v1__ticket_reply__unpack(NULL, result->payload_len, result->payload);
    if (!reply || !reply->ticket) {
        ow_error_t err;
        ow_error_clear(&err);
        ow_error_set(&err, OW_INTERNAL, "evaluation answered a ticket that does not decode");
        exchange_reply_error(c->ex, &err);
        goto release;
    }
    /* The ticket's centre is its case's ("" = the default centre, as for cases). */
    if (!access_may_touch_case(&c->who, reply->ticket->centre_id, c->api->default_centre)) {
        api_deny(c->ex, "the ticket belongs to another centre's case");
        goto release;
    }
    c->next(c->api, c->ex, c->arg);
    goto done;
release:
    if (c->release)
        c->release(c->arg);
done:
    if (reply)
        onewindow__v1__ticket_reply__free_unpacked(reply, NULL);
    free(c);
}

void ticket_access_check(api_t *self, exchange_t *ex, const access_principal_t *who,
                         const char *ticket_id, api_case_next_fn *next, void (*release)(void *),
                         void *arg)
{
    Onewindow__V1__GetTicket req = ONEWINDOW__V1__GET_TICKET__INIT;
    req.ticket_id = (char *)(ticket_id ? ticket_id : ""); /* only read while packing */
    size_t len = onewindow__v1__get_ticket__get_packed_size(&req);
    uint8_t *payload = malloc(len ? len : 1);
    s_check_t *c = calloc(1, sizeof *c);
    if (!c || !payload) {
        free(c);
        free(payload);
        if (release)
            release(arg);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    onewindow__v1__get_ticket__pack(&req, payload);
    *c = (s_check_t){self, ex, *who, next, release, arg};
    /* As the caller: evaluationd's own rule (a rectification role) applies to the look-up too. */
    ow_rpc_call(self->clients[API_EVALUATION], "evaluation.get_ticket", NULL, who->subject, payload,
                len, API_RPC_TIMEOUT_MS, s_checked, c);
    free(payload);
}
