/* thresholds — see thresholds.h. */
#include "thresholds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/deadline.pb-c.h"
#include "ow_idem.h"
#include "ow_log.h"

#define S_METHOD "deadline.set_thresholds"

int thresholds_prepare(ow_db_t *db, ow_error_t *err)
{
    /* The item's row sorts first, then the centre's. */
    if (ow_db_prepare(db, "deadline_thresholds_for",
                      "SELECT days, hours, percent FROM yellow_thresholds"
                      " WHERE (scope = 'item' AND key = $2) OR (scope = 'centre' AND key = $1)"
                      " ORDER BY scope = 'item' DESC LIMIT 1",
                      err) != 0)
        return -1;
    return ow_db_prepare(db, "deadline_thresholds_set",
                         "INSERT INTO yellow_thresholds (scope, key, days, hours, percent, set_by)"
                         " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO UPDATE"
                         " SET days = $3, hours = $4, percent = $5, set_by = $6,"
                         " updated_at = now()",
                         err);
}

int thresholds_for(const deadline_context_t *ctx, const char *centre_id, const char *item_code,
                   deadline_thresholds_t *out, ow_error_t *err)
{
    *out = ctx->thresholds;
    const char *params[] = {centre_id ? centre_id : "", item_code ? item_code : ""};
    PGresult *res = ow_db_exec(ctx->db, "deadline_thresholds_for", 2, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        out->days = (int32_t)atoi(PQgetvalue(res, 0, 0));
        out->hours = (int32_t)atoi(PQgetvalue(res, 0, 1));
        out->percent = (int32_t)atoi(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return 0;
}

static bool s_digits(const char *text, size_t n)
{
    if (strlen(text) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)text[i]))
            return false;
    return true;
}

int thresholds_validate(const char *scope, const char *key, int32_t days, int32_t hours,
                        int32_t percent, ow_error_t *err)
{
    bool centre = scope && strcmp(scope, "centre") == 0;
    bool item = scope && strcmp(scope, "item") == 0;
    if (!centre && !item)
        ow_error_add_violation(err, "scope", "must be centre or item");
    if (!key || !*key)
        ow_error_add_violation(err, "key", "is empty: name the centre or item");
    else if (strlen(key) > THRESHOLD_KEY_MAX)
        ow_error_add_violation(err, "key", "is longer than %d bytes", THRESHOLD_KEY_MAX);
    else if (centre && !s_digits(key, 12))
        ow_error_add_violation(err, "key", "a centre is its 12-digit area code");
    if (days < 0 || days > 60)
        ow_error_add_violation(err, "days", "%d is outside 0..60", (int)days);
    if (hours < 0 || hours > 1000)
        ow_error_add_violation(err, "hours", "%d is outside 0..1000", (int)hours);
    if (percent < 0 || percent > 100)
        ow_error_add_violation(err, "percent", "%d is outside 0..100", (int)percent);
    return ow_error_finish_violations(err);
}

void thresholds_handle_set(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *out = NULL, *packed = NULL;
    size_t len = 0, out_len = 0, packed_len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    const char *key = ow_rpc_call_idempotency_key(call);
    Onewindow__V1__SetThresholds *req = onewindow__v1__set_thresholds__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, S_METHOD ": payload is not a SetThresholds");
        goto cleanup;
    }
    if (!*key)
        ow_error_add_violation(&err, "idempotency_key", "is required for " S_METHOD);
    if (thresholds_validate(req->scope, req->key, req->days, req->hours, req->percent, &err) != 0 ||
        ow_error_finish_violations(&err) != 0)
        goto cleanup;
    if (ow_db_begin(ctx->db, &err) != 0)
        goto cleanup;
    int found = ow_idem_find(ctx->db, key, S_METHOD, payload, len, &packed, &packed_len, &err);
    if (found != 0) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    char days[16], hours[16], percent[16];
    snprintf(days, sizeof days, "%d", (int)req->days);
    snprintf(hours, sizeof hours, "%d", (int)req->hours);
    snprintf(percent, sizeof percent, "%d", (int)req->percent);
    const char *params[] = {req->scope, req->key, days, hours, percent, ow_rpc_call_caller(call)};
    PGresult *res = ow_db_exec(ctx->db, "deadline_thresholds_set", 6, params, &err);
    if (!res) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    PQclear(res);
    Onewindow__V1__SetThresholdsReply reply = ONEWINDOW__V1__SET_THRESHOLDS_REPLY__INIT;
    reply.scope = req->scope;
    reply.key = req->key;
    out_len = onewindow__v1__set_thresholds_reply__get_packed_size(&reply);
    out = malloc(out_len ? out_len : 1);
    if (!out) {
        ow_db_rollback(ctx->db);
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the reply");
        goto cleanup;
    }
    onewindow__v1__set_thresholds_reply__pack(&reply, out);
    if (ow_rpc_pack_reply(NULL, out, out_len, &packed, &packed_len) != 0 ||
        ow_idem_save(ctx->db, key, S_METHOD, payload, len, packed, packed_len, &err) != 0 ||
        ow_db_commit(ctx->db, &err) != 0) {
        if (err.code == OW_OK)
            ow_error_set(&err, OW_INTERNAL, "out of memory packing the reply");
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    ow_log_kv(OW_LOG_INFO, "yellow thresholds set", "scope", req->scope, "key", req->key, NULL);
cleanup:
    if (err.code != OW_OK)
        ow_rpc_reply_error(call, &err);
    else if (packed)
        ow_rpc_reply_packed(call, packed, packed_len);
    else
        ow_rpc_reply(call, out, out_len);
    free(out);
    free(packed);
    if (req)
        onewindow__v1__set_thresholds__free_unpacked(req, NULL);
}
