/* calendar_store — see calendar_store.h. */
#include "calendar_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/deadline.pb-c.h"
#include "ow_idem.h"
#include "ow_log.h"

#define S_METHOD "deadline.load_calendar"

static const ow_db_statement_t s_statements[] = {
    {"deadline_calendar_seed",
     "INSERT INTO calendars (scope, year, body, loaded_by) VALUES ($1, $2, $3, 'shipped')"
     " ON CONFLICT (scope, year) DO NOTHING RETURNING year"},
    {"deadline_calendar_upsert",
     "INSERT INTO calendars (scope, year, body, loaded_by) VALUES ($1, $2, $3, $4)"
     " ON CONFLICT (scope, year) DO UPDATE SET body = EXCLUDED.body,"
     " loaded_by = EXCLUDED.loaded_by, loaded_at = now()"},
    {"deadline_calendar_bump", "SELECT nextval('calendar_version')"},
    {"deadline_calendar_version",
     "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM calendar_version"},
    /* National records first, so a centre's override finds its year's national record. */
    {"deadline_calendar_all", "SELECT scope, year, body FROM calendars ORDER BY scope, year"},
};

int calendar_store_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

int calendar_store_seed(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_begin(db, err) != 0)
        return -1;
    bool added = false;
    for (size_t i = 0; i < deadline_shipped_calendar_count; i++) {
        deadline_calendar_t *scratch = deadline_calendar_new();
        int year = 0;
        char centre[CALENDAR_CENTRE_MAX + 1];
        const char *body = deadline_shipped_calendars[i];
        int parsed =
            scratch ? deadline_calendar_load_json(scratch, body, strlen(body), &year, centre, err)
                    : -1;
        deadline_calendar_destroy(&scratch);
        if (parsed != 0) {
            ow_error_set(err, OW_INTERNAL, "shipped calendar %zu does not parse: %s", i,
                         err->message);
            goto fail;
        }
        char y[8];
        snprintf(y, sizeof y, "%d", year);
        const char *params[] = {centre, y, body};
        PGresult *res = ow_db_exec(db, "deadline_calendar_seed", 3, params, err);
        if (!res)
            goto fail;
        added = added || PQntuples(res) == 1;
        PQclear(res);
    }
    if (added) {
        PGresult *res = ow_db_exec(db, "deadline_calendar_bump", 0, NULL, err);
        if (!res)
            goto fail;
        PQclear(res);
    }
    return ow_db_commit(db, err);
fail:
    ow_db_rollback(db);
    return -1;
}

int calendar_store_reload(deadline_context_t *ctx, ow_error_t *err)
{
    int rc = -1;
    deadline_calendar_t *fresh = NULL;
    PGresult *res = ow_db_exec(ctx->db, "deadline_calendar_version", 0, NULL, err);
    if (!res)
        goto cleanup;
    int64_t version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    res = NULL;
    if (ctx->cal && version == ctx->calendar_version) {
        rc = 0;
        goto cleanup;
    }
    res = ow_db_exec(ctx->db, "deadline_calendar_all", 0, NULL, err);
    if (!res)
        goto cleanup;
    fresh = deadline_calendar_new();
    if (!fresh) {
        ow_error_set(err, OW_INTERNAL, "out of memory building the calendar");
        goto cleanup;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        ow_error_t bad;
        ow_error_clear(&bad);
        const char *body = PQgetvalue(res, i, 2);
        if (deadline_calendar_load_json(fresh, body, strlen(body), NULL, NULL, &bad) != 0)
            ow_log_kv(OW_LOG_ERROR, "stored calendar does not parse; skipped", "scope",
                      PQgetvalue(res, i, 0), "year", PQgetvalue(res, i, 1), "error", bad.message,
                      NULL);
    }
    deadline_calendar_destroy(&ctx->cal);
    ctx->cal = fresh;
    fresh = NULL;
    ctx->calendar_version = version;
    rc = 1;
cleanup:
    deadline_calendar_destroy(&fresh);
    PQclear(res);
    return rc;
}

int calendar_store_save(ow_db_t *db, const char *json, size_t len, const char *loaded_by, int *year,
                        char *centre, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    char *body = NULL;
    deadline_calendar_t *scratch = deadline_calendar_new();
    if (!scratch) {
        ow_error_set(err, OW_INTERNAL, "out of memory checking the calendar");
        goto cleanup;
    }
    if (deadline_calendar_load_json(scratch, json, len, year, centre, err) != 0)
        goto cleanup;
    body = malloc(len + 1);
    if (!body) {
        ow_error_set(err, OW_INTERNAL, "out of memory storing the calendar");
        goto cleanup;
    }
    memcpy(body, json, len);
    body[len] = '\0';
    char y[8];
    snprintf(y, sizeof y, "%d", *year);
    const char *params[] = {centre, y, body, loaded_by ? loaded_by : ""};
    res = ow_db_exec(db, "deadline_calendar_upsert", 4, params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    res = ow_db_exec(db, "deadline_calendar_bump", 0, NULL, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    free(body);
    deadline_calendar_destroy(&scratch);
    return rc;
}

void calendar_store_handle_load(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    uint8_t *out = NULL, *packed = NULL;
    size_t len = 0, out_len = 0, packed_len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    const char *key = ow_rpc_call_idempotency_key(call);
    Onewindow__V1__LoadCalendar *req = onewindow__v1__load_calendar__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, S_METHOD ": payload is not a LoadCalendar");
        goto cleanup;
    }
    if (!*key) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, S_METHOD " needs an idempotency key");
        goto cleanup;
    }
    if (ow_db_begin(ctx->db, &err) != 0)
        goto cleanup;
    int found = ow_idem_find(ctx->db, key, S_METHOD, payload, len, &packed, &packed_len, &err);
    if (found != 0) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    Onewindow__V1__LoadCalendarReply reply = ONEWINDOW__V1__LOAD_CALENDAR_REPLY__INIT;
    char centre[CALENDAR_CENTRE_MAX + 1] = "";
    int year = 0;
    if (calendar_store_save(ctx->db, req->body, strlen(req->body), ow_rpc_call_caller(call), &year,
                            centre, &err) != 0) {
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    reply.year = year;
    reply.centre_id = centre;
    out_len = onewindow__v1__load_calendar_reply__get_packed_size(&reply);
    out = malloc(out_len ? out_len : 1);
    if (!out) {
        ow_db_rollback(ctx->db);
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the reply");
        goto cleanup;
    }
    onewindow__v1__load_calendar_reply__pack(&reply, out);
    if (ow_rpc_pack_reply(NULL, out, out_len, &packed, &packed_len) != 0 ||
        ow_idem_save(ctx->db, key, S_METHOD, payload, len, packed, packed_len, &err) != 0 ||
        ow_db_commit(ctx->db, &err) != 0) {
        if (err.code == OW_OK)
            ow_error_set(&err, OW_INTERNAL, "out of memory packing the reply");
        ow_db_rollback(ctx->db);
        goto cleanup;
    }
    char year_text[8];
    snprintf(year_text, sizeof year_text, "%d", year);
    ow_log_kv(OW_LOG_INFO, "calendar loaded", "year", year_text, "centre", centre, NULL);
    ow_error_t ignore;
    ow_error_clear(&ignore);
    calendar_store_reload(ctx, &ignore);
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
        onewindow__v1__load_calendar__free_unpacked(req, NULL);
}
