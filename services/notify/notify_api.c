/* notify_api — see notify_api.h. */
#include "notify_api.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "deliveries.h"
#include "onewindow/v1/notify.pb-c.h"
#include "ow_clock.h"
#include "ow_idem.h"
#include "staff_directory.h"
#include "staff_rules.h"
#include "subscription_rules.h"
#include "subscriptions.h"

typedef struct {
    ow_db_t *db;
    sender_t *sender;
} s_api_t;

static s_api_t s_api; /* one notifyd, one API: the registration's borrowed pointers */

/* A command's work inside its transaction: fills *out (packed reply payload, caller frees). */
typedef int(s_command_fn)(ow_db_t *db, const uint8_t *req, size_t len, uint8_t **out,
                          size_t *out_len, ow_error_t *err);

static bool s_is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* Runs fn once per idempotency key: a repeated key answers the first reply verbatim. */
static void s_command(ow_rpc_call_t *call, s_command_fn *fn)
{
    ow_db_t *db = s_api.db;
    const char *method = ow_rpc_call_method(call);
    const char *key = ow_rpc_call_idempotency_key(call);
    size_t len = 0;
    const uint8_t *req = ow_rpc_call_payload(call, &len);
    uint8_t *stored = NULL, *payload = NULL, *reply = NULL;
    size_t stored_len = 0, payload_len = 0, reply_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    if (!*key) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        goto fail;
    }
    if (ow_db_begin(db, &err) != 0)
        goto fail;
    int found = ow_idem_find(db, key, method, req, len, &stored, &stored_len, &err);
    if (found < 0)
        goto fail;
    if (found == 1) {
        ow_db_rollback(db);
        ow_rpc_reply_packed(call, stored, stored_len);
        goto cleanup;
    }
    if (fn(db, req, len, &payload, &payload_len, &err) != 0)
        goto fail;
    if (ow_rpc_pack_reply(NULL, payload, payload_len, &reply, &reply_len) != 0) {
        ow_error_set(&err, OW_INTERNAL, "could not pack the reply");
        goto fail;
    }
    if (ow_idem_save(db, key, method, req, len, reply, reply_len, &err) != 0 ||
        ow_db_commit(db, &err) != 0)
        goto fail;
    /* Decided before replying: the reply frees the call, and with it `method`. */
    bool resend = strcmp(method, "notify.resend") == 0;
    ow_rpc_reply_packed(call, reply, reply_len);
    if (resend)
        sender_kick(s_api.sender);
    goto cleanup;
fail:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    ow_rpc_reply_error(call, &err);
cleanup:
    free(stored);
    free(payload);
    free(reply);
}

/* ---- deliveries ---- */

static void s_fill_delivery(Onewindow__V1__NotifyDelivery *d, PGresult *res, int i)
{
    onewindow__v1__notify_delivery__init(d);
    d->delivery_id = PQgetvalue(res, i, ROW_COL_ID);
    d->event_id = PQgetvalue(res, i, ROW_COL_EVENT_ID);
    d->case_no = PQgetvalue(res, i, ROW_COL_CASE_NO);
    d->kind = PQgetvalue(res, i, ROW_COL_KIND);
    d->channel = PQgetvalue(res, i, ROW_COL_CHANNEL);
    d->recipient = PQgetvalue(res, i, ROW_COL_RECIPIENT);
    d->target = PQgetvalue(res, i, ROW_COL_TARGET);
    d->state = PQgetvalue(res, i, ROW_COL_STATE);
    d->attempts = atoi(PQgetvalue(res, i, ROW_COL_ATTEMPTS));
    d->last_error = PQgetvalue(res, i, ROW_COL_LAST_ERROR);
    d->queued_at_us = strtoll(PQgetvalue(res, i, ROW_COL_QUEUED_AT), NULL, 10);
    d->sent_at_us = strtoll(PQgetvalue(res, i, ROW_COL_SENT_AT), NULL, 10);
    d->next_attempt_at_us = strtoll(PQgetvalue(res, i, ROW_COL_NEXT_AT), NULL, 10);
    d->dead_at_us = strtoll(PQgetvalue(res, i, ROW_COL_DEAD_AT), NULL, 10);
    d->resent_count = atoi(PQgetvalue(res, i, ROW_COL_RESENT));
}

/* Answers a NotifyDeliveryList of res's rows; next_after set when the page is full. */
static void s_reply_list(ow_rpc_call_t *call, PGresult *res, int limit)
{
    int n = PQntuples(res);
    Onewindow__V1__NotifyDelivery *items = calloc((size_t)n + 1, sizeof *items);
    Onewindow__V1__NotifyDelivery **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    uint8_t *buf = NULL;
    if (!items || !ptrs) {
        ow_error_t err;
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        ow_rpc_reply_error(call, &err);
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        s_fill_delivery(&items[i], res, i);
        ptrs[i] = &items[i];
    }
    Onewindow__V1__NotifyDeliveryList list = ONEWINDOW__V1__NOTIFY_DELIVERY_LIST__INIT;
    list.n_deliveries = (size_t)n;
    list.deliveries = ptrs;
    list.next_after = (limit > 0 && n == limit) ? PQgetvalue(res, n - 1, ROW_COL_ID) : "";
    size_t len = onewindow__v1__notify_delivery_list__get_packed_size(&list);
    buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_t err;
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        ow_rpc_reply_error(call, &err);
        goto cleanup;
    }
    onewindow__v1__notify_delivery_list__pack(&list, buf);
    ow_rpc_reply(call, buf, len);
cleanup:
    free(buf);
    free(items);
    free(ptrs);
}

static void s_case_deliveries(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    size_t len = 0;
    const uint8_t *p = ow_rpc_call_payload(call, &len);
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__NotifyCaseDeliveries *req =
        onewindow__v1__notify_case_deliveries__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "payload is not a NotifyCaseDeliveries");
        ow_rpc_reply_error(call, &err);
        return;
    }
    if (!*req->case_no || strlen(req->case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(&err, "case_no", "must be 1 to %d bytes", OW_CASE_NO_MAX);
    PGresult *res = NULL;
    if (ow_error_finish_violations(&err) != 0 ||
        !(res = deliveries_case(s_api.db, req->case_no, &err)))
        ow_rpc_reply_error(call, &err);
    else
        s_reply_list(call, res, 0);
    PQclear(res);
    onewindow__v1__notify_case_deliveries__free_unpacked(req, NULL);
}

static void s_list_dead(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    size_t len = 0;
    const uint8_t *p = ow_rpc_call_payload(call, &len);
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__NotifyListDead *req = onewindow__v1__notify_list_dead__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "payload is not a NotifyListDead");
        ow_rpc_reply_error(call, &err);
        return;
    }
    int limit = req->limit ? (int)req->limit : 100;
    if (req->limit > 500)
        ow_error_add_violation(&err, "limit", "must be at most 500");
    if (*req->after_delivery_id && !s_is_uuid(req->after_delivery_id))
        ow_error_add_violation(&err, "after_delivery_id", "must be a delivery id (UUID)");
    PGresult *res = NULL;
    if (ow_error_finish_violations(&err) != 0 ||
        !(res = deliveries_dead(s_api.db, req->after_delivery_id, limit, &err)))
        ow_rpc_reply_error(call, &err);
    else
        s_reply_list(call, res, limit);
    PQclear(res);
    onewindow__v1__notify_list_dead__free_unpacked(req, NULL);
}

static int s_pack_delivery_reply(PGresult *res, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__NotifyDelivery d;
    s_fill_delivery(&d, res, 0);
    Onewindow__V1__NotifyDeliveryReply r = ONEWINDOW__V1__NOTIFY_DELIVERY_REPLY__INIT;
    r.delivery = &d;
    *out_len = onewindow__v1__notify_delivery_reply__get_packed_size(&r);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    onewindow__v1__notify_delivery_reply__pack(&r, *out);
    return 0;
}

static int s_resend_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out, size_t *out_len,
                         ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    Onewindow__V1__NotifyResend *req = onewindow__v1__notify_resend__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifyResend");
        return -1;
    }
    if (!s_is_uuid(req->delivery_id)) {
        ow_error_add_violation(err, "delivery_id", "must be a delivery id (UUID)");
        ow_error_finish_violations(err);
        goto cleanup;
    }
    res = deliveries_resend(db, req->delivery_id, ow_clock_now_us(), err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        PQclear(res);
        res = deliveries_get(db, req->delivery_id, err);
        if (!res)
            goto cleanup;
        if (PQntuples(res) == 0)
            ow_error_set(err, OW_NOT_FOUND, "no delivery %s", req->delivery_id);
        else
            ow_error_set(err, OW_FAILED_PRECONDITION,
                         "delivery %s is %s, not dead: only dead letters are resent",
                         req->delivery_id, PQgetvalue(res, 0, ROW_COL_STATE));
        goto cleanup;
    }
    rc = s_pack_delivery_reply(res, out, out_len, err);
cleanup:
    PQclear(res);
    onewindow__v1__notify_resend__free_unpacked(req, NULL);
    return rc;
}

static void s_resend(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_resend_work);
}

/* ---- subscriptions ---- */

static void s_fill_sub(Onewindow__V1__NotifySubscription *s, PGresult *res, int i, char ***types)
{
    onewindow__v1__notify_subscription__init(s);
    s->subscription_id = PQgetvalue(res, i, SUB_COL_ID);
    s->name = PQgetvalue(res, i, SUB_COL_NAME);
    s->url = PQgetvalue(res, i, SUB_COL_URL);
    s->active = PQgetvalue(res, i, SUB_COL_ACTIVE)[0] == 't';
    s->created_at_us = strtoll(PQgetvalue(res, i, SUB_COL_CREATED_AT), NULL, 10);
    s->removed_at_us = strtoll(PQgetvalue(res, i, SUB_COL_REMOVED_AT), NULL, 10);
    /* Split the comma-separated patterns in place (the PGresult owns the text). */
    char *list = PQgetvalue(res, i, SUB_COL_TYPES);
    size_t n = *list ? 1 : 0;
    for (char *c = list; *c; c++)
        n += *c == ',';
    *types = calloc(n + 1, sizeof **types);
    if (!*types)
        return;
    size_t k = 0;
    for (char *tok = strtok(list, ","); tok && k < n; tok = strtok(NULL, ","))
        (*types)[k++] = tok;
    s->n_event_types = k;
    s->event_types = *types;
}

static int s_pack_sub_reply(PGresult *res, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__NotifySubscription s;
    char **types = NULL;
    s_fill_sub(&s, res, 0, &types);
    Onewindow__V1__NotifySubscriptionReply r = ONEWINDOW__V1__NOTIFY_SUBSCRIPTION_REPLY__INIT;
    r.subscription = &s;
    *out_len = onewindow__v1__notify_subscription_reply__get_packed_size(&r);
    *out = malloc(*out_len ? *out_len : 1);
    if (*out)
        onewindow__v1__notify_subscription_reply__pack(&r, *out);
    free(types);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

static int s_subscribe_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out,
                            size_t *out_len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    Onewindow__V1__NotifySubscribe *req = onewindow__v1__notify_subscribe__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifySubscribe");
        return -1;
    }
    subscription_check(req->name, req->url, (const char *const *)req->event_types,
                       req->n_event_types, req->secret, err);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    res = subscriptions_create(db, req->name, req->url, (const char *const *)req->event_types,
                               req->n_event_types, req->secret, ow_clock_now_us(), err);
    if (!res)
        goto cleanup;
    rc = s_pack_sub_reply(res, out, out_len, err);
cleanup:
    PQclear(res);
    onewindow__v1__notify_subscribe__free_unpacked(req, NULL);
    return rc;
}

static int s_unsubscribe_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out,
                              size_t *out_len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    Onewindow__V1__NotifyUnsubscribe *req = onewindow__v1__notify_unsubscribe__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifyUnsubscribe");
        return -1;
    }
    if (!s_is_uuid(req->subscription_id)) {
        ow_error_add_violation(err, "subscription_id", "must be a subscription id (UUID)");
        ow_error_finish_violations(err);
        goto cleanup;
    }
    res = subscriptions_remove(db, req->subscription_id, ow_clock_now_us(), err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_NOT_FOUND, "no subscription %s", req->subscription_id);
        goto cleanup;
    }
    rc = s_pack_sub_reply(res, out, out_len, err);
cleanup:
    PQclear(res);
    onewindow__v1__notify_unsubscribe__free_unpacked(req, NULL);
    return rc;
}

static void s_subscribe(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_subscribe_work);
}

static void s_unsubscribe(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_unsubscribe_work);
}

static void s_list_subscriptions(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = subscriptions_list(s_api.db, &err);
    if (!res) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    int n = PQntuples(res);
    Onewindow__V1__NotifySubscription *items = calloc((size_t)n + 1, sizeof *items);
    Onewindow__V1__NotifySubscription **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    char ***types = calloc((size_t)n + 1, sizeof *types);
    uint8_t *buf = NULL;
    if (!items || !ptrs || !types)
        goto oom;
    for (int i = 0; i < n; i++) {
        s_fill_sub(&items[i], res, i, &types[i]);
        ptrs[i] = &items[i];
    }
    Onewindow__V1__NotifySubscriptionList list = ONEWINDOW__V1__NOTIFY_SUBSCRIPTION_LIST__INIT;
    list.n_subscriptions = (size_t)n;
    list.subscriptions = ptrs;
    size_t len = onewindow__v1__notify_subscription_list__get_packed_size(&list);
    buf = malloc(len ? len : 1);
    if (!buf)
        goto oom;
    onewindow__v1__notify_subscription_list__pack(&list, buf);
    ow_rpc_reply(call, buf, len);
    goto cleanup;
oom:
    ow_error_set(&err, OW_INTERNAL, "out of memory");
    ow_rpc_reply_error(call, &err);
cleanup:
    for (int i = 0; types && i < n; i++)
        free(types[i]);
    free(types);
    free(items);
    free(ptrs);
    free(buf);
    PQclear(res);
}

/* ---- preferences ---- */

static int s_preference_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out,
                             size_t *out_len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    Onewindow__V1__NotifySetPreference *req =
        onewindow__v1__notify_set_preference__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifySetPreference");
        return -1;
    }
    if (!*req->contact || strlen(req->contact) > 254)
        ow_error_add_violation(err, "contact",
                               "must be a phone number or e-mail address (1–254 bytes)");
    if (strcmp(req->channel, "sms") != 0 && strcmp(req->channel, "email") != 0 &&
        strcmp(req->channel, "none") != 0)
        ow_error_add_violation(err, "channel", "must be sms, email or none");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    char at[24];
    int64_t now = ow_clock_now_us();
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *params[] = {req->contact, req->channel, at};
    res = ow_db_exec(db, "notify_pref_set", 3, params, err);
    if (!res)
        goto cleanup;
    Onewindow__V1__NotifyPreferenceReply r = ONEWINDOW__V1__NOTIFY_PREFERENCE_REPLY__INIT;
    r.contact = req->contact;
    r.channel = req->channel;
    r.updated_at_us = now;
    *out_len = onewindow__v1__notify_preference_reply__get_packed_size(&r);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    onewindow__v1__notify_preference_reply__pack(&r, *out);
    rc = 0;
cleanup:
    PQclear(res);
    onewindow__v1__notify_set_preference__free_unpacked(req, NULL);
    return rc;
}

static void s_set_preference(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_preference_work);
}

/* ---- staff directory and supervisors (issue 7) ---- */

#define S_STAFF_BULK_MAX 1000

static int s_staff_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out, size_t *out_len,
                        ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__NotifySetStaffContacts *req =
        onewindow__v1__notify_set_staff_contacts__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifySetStaffContacts");
        return -1;
    }
    /* Every problem of every entry at once; nothing is written unless all are good. */
    if (req->n_contacts == 0 || req->n_contacts > S_STAFF_BULK_MAX)
        ow_error_add_violation(err, "contacts", "must hold 1–%d entries", S_STAFF_BULK_MAX);
    for (size_t i = 0; i < req->n_contacts && i < S_STAFF_BULK_MAX; i++) {
        const Onewindow__V1__NotifyStaffContact *c = req->contacts[i];
        staff_contact_t v = {c->staff_id, c->name,      c->phone,          c->email,
                             c->channel,  c->centre_id, c->department_code};
        char prefix[32];
        snprintf(prefix, sizeof prefix, "contacts[%zu]", i);
        staff_contact_check(&v, prefix, err);
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->contacts[j]->staff_id, c->staff_id) == 0) {
                char field[48];
                snprintf(field, sizeof field, "%s.staff_id", prefix);
                ow_error_add_violation(err, field, "repeats contacts[%zu]", j);
                break;
            }
    }
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    int64_t now = ow_clock_now_us();
    for (size_t i = 0; i < req->n_contacts; i++) {
        const Onewindow__V1__NotifyStaffContact *c = req->contacts[i];
        staff_contact_t v = {c->staff_id, c->name,      c->phone,          c->email,
                             c->channel,  c->centre_id, c->department_code};
        if (staff_directory_set(db, &v, now, err) != 0)
            goto cleanup;
    }
    Onewindow__V1__NotifyStaffContactsReply r = ONEWINDOW__V1__NOTIFY_STAFF_CONTACTS_REPLY__INIT;
    r.written = (uint32_t)req->n_contacts;
    r.updated_at_us = now;
    *out_len = onewindow__v1__notify_staff_contacts_reply__get_packed_size(&r);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    onewindow__v1__notify_staff_contacts_reply__pack(&r, *out);
    rc = 0;
cleanup:
    onewindow__v1__notify_set_staff_contacts__free_unpacked(req, NULL);
    return rc;
}

static void s_set_staff_contact(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_staff_work);
}

static int s_supervisor_work(ow_db_t *db, const uint8_t *p, size_t len, uint8_t **out,
                             size_t *out_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__NotifyRegisterSupervisor *req =
        onewindow__v1__notify_register_supervisor__unpack(NULL, len, p);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is not a NotifyRegisterSupervisor");
        return -1;
    }
    staff_contact_t who = {.staff_id = req->staff_id};
    staff_contact_check(&who, "supervisor", err);
    if (strlen(req->centre_id) != 12 || strspn(req->centre_id, "0123456789") != 12)
        ow_error_add_violation(err, "centre_id", "must be the centre's 12-digit area code");
    char kinds[256] = "{";
    for (size_t i = 0; i < req->n_kinds; i++) {
        char field[32];
        snprintf(field, sizeof field, "kinds[%zu]", i);
        if (!staff_supervisor_kind_valid(req->kinds[i]))
            ow_error_add_violation(err, field,
                                   "must be red_card, bad_review or overdue_rectification");
        else if (!strstr(kinds, req->kinds[i])) /* the three names do not contain each other */
            snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s",
                     strlen(kinds) > 1 ? "," : "", req->kinds[i]);
    }
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    strcat(kinds, "}");
    int64_t now = ow_clock_now_us();
    if (staff_supervisors_set(db, req->staff_id, req->centre_id, kinds, now, err) != 0)
        goto cleanup;
    Onewindow__V1__NotifySupervisorReply r = ONEWINDOW__V1__NOTIFY_SUPERVISOR_REPLY__INIT;
    r.staff_id = req->staff_id;
    r.centre_id = req->centre_id;
    r.n_kinds = req->n_kinds;
    r.kinds = req->kinds;
    r.updated_at_us = now;
    *out_len = onewindow__v1__notify_supervisor_reply__get_packed_size(&r);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    onewindow__v1__notify_supervisor_reply__pack(&r, *out);
    rc = 0;
cleanup:
    onewindow__v1__notify_register_supervisor__free_unpacked(req, NULL);
    return rc;
}

static void s_register_supervisor(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    s_command(call, s_supervisor_work);
}

int notify_api_register(ow_rpc_server_t *rpc, ow_db_t *db, sender_t *sender, ow_error_t *err)
{
    s_api.db = db;
    s_api.sender = sender;
    if (ow_db_prepare(db, "notify_pref_set",
                      "INSERT INTO applicant_preferences (contact, channel, updated_at_us)"
                      " VALUES ($1, $2, $3) ON CONFLICT (contact) DO UPDATE SET"
                      " channel = EXCLUDED.channel, updated_at_us = EXCLUDED.updated_at_us",
                      err) != 0 ||
        subscriptions_prepare(db, err) != 0 || staff_directory_prepare(db, err) != 0)
        return -1;
    ow_rpc_server_handle(rpc, "notify.case_deliveries", s_case_deliveries, NULL);
    ow_rpc_server_handle(rpc, "notify.list_dead", s_list_dead, NULL);
    ow_rpc_server_handle(rpc, "notify.resend", s_resend, NULL);
    ow_rpc_server_handle(rpc, "notify.subscribe", s_subscribe, NULL);
    ow_rpc_server_handle(rpc, "notify.unsubscribe", s_unsubscribe, NULL);
    ow_rpc_server_handle(rpc, "notify.list_subscriptions", s_list_subscriptions, NULL);
    ow_rpc_server_handle(rpc, "notify.set_preference", s_set_preference, NULL);
    ow_rpc_server_handle(rpc, "notify.set_staff_contact", s_set_staff_contact, NULL);
    ow_rpc_server_handle(rpc, "notify.register_supervisor", s_register_supervisor, NULL);
    return 0;
}
