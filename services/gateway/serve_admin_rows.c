#include "serve_admin_rows.h"

#include <stdlib.h>

#include "api_internal.h"
#include "json_fields.h"
#include "ow_log.h"

#define S_LIST_LIMIT_DEFAULT 50
#define S_LIST_LIMIT_MAX     500

void serve_admin_revoke(api_t *self, exchange_t *ex, const serve_admin_rows_t *rows, const char *id,
                        const access_principal_t *who)
{
    ow_error_t err;
    json_t *out = NULL;
    const char *key = exchange_header(ex, "Idempotency-Key");

    ow_error_clear(&err);
    if (!key || !api_idempotency_key_valid(key)) {
        ow_error_add_violation(&err, "Idempotency-Key",
                               "header is required on POST: 1 to %d visible ASCII characters",
                               API_IDEM_KEY_MAX);
        ow_error_finish_violations(&err);
        exchange_reply_error(ex, &err);
        return;
    }
    if (rows->revoke(ow_service_db(self->svc), id, who, &out, &err) != 0) {
        exchange_reply_error(ex, &err);
        return;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "%s revoked", rows->noun);
    ow_log_kv(OW_LOG_INFO, msg, rows->id_field, id, "by", who->token_id, NULL);
    exchange_reply_json(ex, 200, json_pack("{s:o}", rows->noun, out));
}

void serve_admin_list(api_t *self, exchange_t *ex, const serve_admin_rows_t *rows)
{
    static const char *const allowed[] = {"after", "limit", NULL};
    ow_error_t err;
    int64_t limit = S_LIST_LIMIT_DEFAULT;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query)
        goto fail;
    json_fields_reject_unknown(query, "", allowed, &err);
    const char *after = json_fields_string(query, "", "after", rows->id_max, false, &err);
    const char *limit_text = json_fields_string(query, "", "limit", 10, false, &err);
    if (limit_text && *limit_text) {
        char *end = NULL;
        long v = strtol(limit_text, &end, 10);
        if (*end || v < 1 || v > S_LIST_LIMIT_MAX)
            ow_error_add_violation(&err, "limit", "must be an integer from 1 to %d",
                                   S_LIST_LIMIT_MAX);
        else
            limit = v;
    }
    if (ow_error_finish_violations(&err))
        goto fail;
    json_t *list = rows->page(ow_service_db(self->svc), after, (int)limit, &err);
    if (!list)
        goto fail;
    size_t n = json_array_size(list);
    const char *next =
        n == (size_t)limit
            ? json_string_value(json_object_get(json_array_get(list, n - 1), rows->id_field))
            : "";
    exchange_reply_json(
        ex, 200, json_pack("{s:o, s:s}", rows->plural, list, "next_after", next ? next : ""));
    json_decref(query);
    return;
fail:
    json_decref(query);
    exchange_reply_error(ex, &err);
}
