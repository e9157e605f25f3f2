/* Notifications, owned by notifyd (docs/notify.md):
 *   GET  /v1/cases/{case_no}/deliveries                 notify.case_deliveries (staff, paged)
 *   GET  /v1/admin/dead-letters                         notify.list_dead (admin)
 *   POST /v1/admin/dead-letters/{delivery_id}/resend    notify.resend (admin, audited)
 *   GET  /v1/subscriptions                              notify.list_subscriptions (paged)
 *   POST /v1/subscriptions                              notify.subscribe
 *   POST /v1/subscriptions/{subscription_id}/unsubscribe notify.unsubscribe
 *   POST /v1/preferences                                notify.set_preference (staff)
 *   POST /v1/admin/staff-contacts                       notify.set_staff_contact (admin, audited)
 *   POST /v1/supervisor-registrations                   notify.register_supervisor
 * A supervisor registers (someone) for alerts of a centre its own centre covers only; an
 * administrator for any centre.
 * An integrator's webhook subscriptions carry its token's subject as their name, may ask only
 * for event types its token subscribes to (the same rule as GET /v1/events), and it sees and
 * removes only its own; an administrator manages all. */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "onewindow/v1/notify.pb-c.h"
#include "ow_pack.h"
#include "problem.h"
#include "token_store.h"

/* True when an integrator's token covers every event a webhook pattern can match: "*" needs
 * "*", "case.*" needs a prefix of "case.", "case.accepted" a prefix of it. */
static bool s_pattern_covered(const access_principal_t *who, const char *pattern)
{
    char type[80];
    size_t n = strlen(pattern);
    if (n == 0 || n >= sizeof type)
        return false;
    if (strcmp(pattern, "*") == 0)
        snprintf(type, sizeof type, "%s", "");
    else if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        snprintf(type, sizeof type, "%.*s", (int)(n - 1), pattern);
    else
        snprintf(type, sizeof type, "%s", pattern);
    /* access_may_read_event answers for a type: a prefix subscription "case." covers the
     * pattern "case.*" exactly when it covers the text "case." itself, and only "*" covers
     * the empty text. */
    return access_may_read_event(who, type, "", "");
}

static int s_check_subscribe(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                             ow_error_t *err)
{
    (void)api;
    (void)caller;
    if (who->role != ACCESS_ROLE_INTEGRATOR)
        return 0;
    if (json_object_get(input, "name")) {
        ow_error_add_violation(err, "name", "is the token's subject (%s) for an integrator",
                               who->subject);
        return -1;
    }
    json_t *types = json_object_get(input, "event_types");
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
    {
        if (json_is_string(t) && !s_pattern_covered(who, json_string_value(t))) {
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "event_types[%zu] \"%s\" is not among the token's subscriptions (%s)", i,
                         json_string_value(t), who->subscriptions);
            return -1;
        }
    }
    json_object_set_new(input, "name", json_string(who->subject));
    return 0;
}

/* An integrator lists only its own subscriptions. */
static json_t *s_shape_subscriptions(api_t *api, const access_principal_t *who, json_t *body)
{
    (void)api;
    if (who->role == ACCESS_ROLE_ADMIN)
        return body;
    json_t *list = json_object_get(body, "subscriptions");
    for (size_t i = json_array_size(list); i > 0; i--) {
        const char *name = json_string_value(json_object_get(json_array_get(list, i - 1), "name"));
        if (!name || strcmp(name, who->subject) != 0)
            json_array_remove(list, i - 1);
    }
    return body;
}

static const forward_spec_t s_case_deliveries = {API_NOTIFY,
                                                 "notify.case_deliveries",
                                                 &onewindow__v1__notify_case_deliveries__descriptor,
                                                 &onewindow__v1__notify_delivery_list__descriptor,
                                                 "case_no",
                                                 FORWARD_CASE,
                                                 200,
                                                 "deliveries",
                                                 "delivery_id",
                                                 NULL,
                                                 NULL};

static const forward_spec_t s_list_dead = {API_NOTIFY,
                                           "notify.list_dead",
                                           &onewindow__v1__notify_list_dead__descriptor,
                                           &onewindow__v1__notify_delivery_list__descriptor,
                                           NULL,
                                           0,
                                           200,
                                           NULL,
                                           NULL,
                                           NULL,
                                           NULL};

static const forward_spec_t s_resend = {API_NOTIFY,
                                        "notify.resend",
                                        &onewindow__v1__notify_resend__descriptor,
                                        &onewindow__v1__notify_delivery_reply__descriptor,
                                        "delivery_id",
                                        FORWARD_STATE_CHANGE | FORWARD_AUDIT,
                                        200,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL};

static const forward_spec_t s_list_subscriptions = {
    API_NOTIFY,
    "notify.list_subscriptions",
    &onewindow__v1__notify_list_subscriptions__descriptor,
    &onewindow__v1__notify_subscription_list__descriptor,
    NULL,
    0,
    200,
    "subscriptions",
    "subscription_id",
    NULL,
    s_shape_subscriptions};

static const forward_spec_t s_subscribe = {API_NOTIFY,
                                           "notify.subscribe",
                                           &onewindow__v1__notify_subscribe__descriptor,
                                           &onewindow__v1__notify_subscription_reply__descriptor,
                                           NULL,
                                           FORWARD_STATE_CHANGE,
                                           201,
                                           NULL,
                                           NULL,
                                           s_check_subscribe,
                                           NULL};

static const forward_spec_t s_unsubscribe = {API_NOTIFY,
                                             "notify.unsubscribe",
                                             &onewindow__v1__notify_unsubscribe__descriptor,
                                             &onewindow__v1__notify_subscription_reply__descriptor,
                                             "subscription_id",
                                             FORWARD_STATE_CHANGE,
                                             200,
                                             NULL,
                                             NULL,
                                             NULL,
                                             NULL};

static const forward_spec_t s_set_preference = {API_NOTIFY,
                                                "notify.set_preference",
                                                &onewindow__v1__notify_set_preference__descriptor,
                                                &onewindow__v1__notify_preference_reply__descriptor,
                                                NULL,
                                                FORWARD_STATE_CHANGE,
                                                200,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL};

static int s_check_supervisor(api_t *api, const access_principal_t *who, json_t *input,
                              char *caller, ow_error_t *err)
{
    (void)api;
    (void)caller;
    const char *centre = json_string_value(json_object_get(input, "centre_id"));
    if (who->role == ACCESS_ROLE_ADMIN || !centre || !access_centre_valid(centre) ||
        access_centre_covers(who->centre, centre))
        return 0; /* a missing or malformed centre is the service's violation */
    ow_error_set(err, OW_PERMISSION_DENIED, "centre %s is not covered by the token's centre %s",
                 centre, who->centre);
    return -1;
}

static const forward_spec_t s_set_staff_contact = {
    API_NOTIFY,
    "notify.set_staff_contact",
    &onewindow__v1__notify_set_staff_contacts__descriptor,
    &onewindow__v1__notify_staff_contacts_reply__descriptor,
    NULL,
    FORWARD_STATE_CHANGE | FORWARD_AUDIT,
    200,
    NULL,
    NULL,
    NULL,
    NULL};

static const forward_spec_t s_register_supervisor = {
    API_NOTIFY,
    "notify.register_supervisor",
    &onewindow__v1__notify_register_supervisor__descriptor,
    &onewindow__v1__notify_supervisor_reply__descriptor,
    NULL,
    FORWARD_STATE_CHANGE,
    200,
    NULL,
    NULL,
    s_check_supervisor,
    NULL};

void serve_set_staff_contact(api_t *self, exchange_t *ex, const char *param,
                             const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_set_staff_contact);
}

void serve_register_supervisor(api_t *self, exchange_t *ex, const char *param,
                               const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_register_supervisor);
}

void serve_case_deliveries(api_t *self, exchange_t *ex, const char *case_no,
                           const access_principal_t *who)
{
    forward_serve(self, ex, case_no, who, &s_case_deliveries);
}

void serve_list_dead(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_list_dead);
}

void serve_resend(api_t *self, exchange_t *ex, const char *delivery_id,
                  const access_principal_t *who)
{
    forward_serve(self, ex, delivery_id, who, &s_resend);
}

void serve_list_subscriptions(api_t *self, exchange_t *ex, const char *param,
                              const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_list_subscriptions);
}

void serve_subscribe(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_subscribe);
}

void serve_set_preference(api_t *self, exchange_t *ex, const char *param,
                          const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_set_preference);
}

/* ---- unsubscribe: an integrator's own subscription only ---- */

typedef struct {
    api_t *api;
    exchange_t *ex;
    access_principal_t who;
    char id[ROUTE_PARAM_MAX + 1];
} s_owner_check_t;

static void s_owner_checked(const ow_rpc_result_t *result, void *arg)
{
    s_owner_check_t *c = arg;
    Onewindow__V1__NotifySubscriptionList *list = NULL;
    bool found = false, mine = false;

    if (result->status != OW_OK) {
        int status = 500;
        exchange_reply_problem(c->ex, status, problem_from_result(result, "notify", &status));
        goto done;
    }
    list =
        onewindow__v1__notify_subscription_list__unpack(NULL, result->payload_len, result->payload);
    for (size_t i = 0; list && i < list->n_subscriptions; i++)
        if (strcmp(list->subscriptions[i]->subscription_id, c->id) == 0) {
            found = true;
            mine = strcmp(list->subscriptions[i]->name, c->who.subject) == 0;
        }
    if (!found || !mine) {
        /* Another's subscription is as unknown as a missing one: nothing to learn by asking. */
        ow_error_t err;
        ow_error_clear(&err);
        ow_error_set(&err, OW_NOT_FOUND, "no active subscription %s of %s", c->id, c->who.subject);
        exchange_reply_error(c->ex, &err);
        goto done;
    }
    forward_serve(c->api, c->ex, c->id, &c->who, &s_unsubscribe);
done:
    if (list)
        onewindow__v1__notify_subscription_list__free_unpacked(list, NULL);
    free(c);
}

void serve_unsubscribe(api_t *self, exchange_t *ex, const char *subscription_id,
                       const access_principal_t *who)
{
    if (who->role == ACCESS_ROLE_ADMIN) {
        forward_serve(self, ex, subscription_id, who, &s_unsubscribe);
        return;
    }
    s_owner_check_t *c = calloc(1, sizeof *c);
    uint8_t *payload = NULL;
    size_t len = 0;
    ow_error_t err;
    Onewindow__V1__NotifyListSubscriptions msg = ONEWINDOW__V1__NOTIFY_LIST_SUBSCRIPTIONS__INIT;

    ow_error_clear(&err);
    if (!c || ow_pack(&msg.base, &payload, &len, &err) != 0) {
        free(c);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    *c = (s_owner_check_t){self, ex, *who, ""};
    snprintf(c->id, sizeof c->id, "%s", subscription_id);
    ow_rpc_call(self->clients[API_NOTIFY], "notify.list_subscriptions", NULL, NULL, payload, len,
                API_RPC_TIMEOUT_MS, s_owner_checked, c);
    free(payload);
}
