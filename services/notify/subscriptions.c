/* subscriptions — see subscriptions.h. */
#include "subscriptions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deliveries.h"
#include "outbound.h"
#include "ow_clock.h"
#include "subscription_rules.h"

#define S_COLS                                                                                     \
    "subscription_id, name, url, array_to_string(event_types, ','), active, created_at_us,"        \
    " COALESCE(removed_at_us, 0)"

static const ow_db_statement_t s_statements[] = {
    {"notify_sub_create",
     "INSERT INTO webhook_subscriptions (name, url, event_types, secret, created_at_us)"
     " VALUES ($1, $2, string_to_array($3, ','), $4, $5) RETURNING " S_COLS},
    {"notify_sub_remove",
     "UPDATE webhook_subscriptions SET active = false,"
     " removed_at_us = COALESCE(removed_at_us, $2) WHERE subscription_id = $1 RETURNING " S_COLS},
    {"notify_sub_list",
     "SELECT " S_COLS " FROM webhook_subscriptions WHERE active ORDER BY created_at_us,"
     " subscription_id"},
};

int subscriptions_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

PGresult *subscriptions_create(ow_db_t *db, const char *name, const char *url,
                               const char *const *types, size_t count, const char *secret,
                               int64_t now_us, ow_error_t *err)
{
    /* Patterns are checked ([a-z0-9._*]), so joining them with commas is unambiguous. */
    size_t len = 1;
    for (size_t i = 0; i < count; i++)
        len += strlen(types[i]) + 1;
    char *joined = calloc(1, len);
    if (!joined) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, types[i]);
    }
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[] = {name ? name : "", url, joined, secret, at};
    PGresult *res = ow_db_exec(db, "notify_sub_create", 5, params, err);
    free(joined);
    return res;
}

PGresult *subscriptions_remove(ow_db_t *db, const char *id, int64_t now_us, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[] = {id, at};
    return ow_db_exec(db, "notify_sub_remove", 2, params, err);
}

PGresult *subscriptions_list(ow_db_t *db, ow_error_t *err)
{
    return ow_db_exec(db, "notify_sub_list", 0, NULL, err);
}

char *subscriptions_event_json(const ow_event_t *ev)
{
    char when[40];
    char *payload =
        outbound_base64(ev->payload ? ev->payload : (const uint8_t *)"", ev->payload_len);
    if (!payload)
        return NULL;
    ow_clock_format_local(ev->time_us, when, sizeof when);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "event_id", ev->event_id, "type",
                  ev->type, "source", ev->source, "seq", (json_int_t)ev->seq, "occurred_at", when,
                  "case_no", ev->case_no, "centre_id", ev->centre_id, "payload", payload);
    free(payload);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

int subscriptions_queue_event(ow_db_t *db, const ow_event_t *ev, int64_t now_us, ow_error_t *err)
{
    int rc = -1, queued = 0;
    char *body = NULL;
    PGresult *res = subscriptions_list(db, err);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        if (!subscription_list_matches(PQgetvalue(res, i, SUB_COL_TYPES), ev->type))
            continue;
        if (!body && !(body = subscriptions_event_json(ev))) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
        const char *id = PQgetvalue(res, i, SUB_COL_ID);
        delivery_t d = {
            .event_id = ev->event_id,
            .kind = ev->type,
            .recipient = id,
            .channel = DELIVERY_CHANNEL_WEBHOOK,
            .case_no = ev->case_no,
            .text = body,
            .template_kind = "event_json",
            .template_version = 1,
            .target = PQgetvalue(res, i, SUB_COL_URL),
            .subscription_id = id,
            .event_type = ev->type,
        };
        int n = deliveries_queue(db, &d, now_us, err);
        if (n < 0)
            goto cleanup;
        queued += n;
    }
    rc = queued;
cleanup:
    free(body);
    PQclear(res);
    return rc;
}
