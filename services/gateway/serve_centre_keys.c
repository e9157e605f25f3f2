/* Township centres' CURVE keys (administrators only, every change audited):
 * POST /v1/admin/centre-keys registers a public key for a centre (owctl centre keygen does
 * it and writes the secret into a 0600 file) and answers the gateway's own public key and
 * endpoint, which the centre's client needs; GET lists them; POST …/{key_id}/revoke revokes
 * one, which stops even a connection that is open (remote.c checks every message). */
#include "serve.h"

#include <stdlib.h>

#include "api_internal.h"
#include "centre_keys.h"
#include "json_fields.h"
#include "serve_remote.h"

#define S_LIST_LIMIT_DEFAULT 50
#define S_LIST_LIMIT_MAX     500

void serve_register_centre_key(api_t *self, exchange_t *ex, const char *param,
                               const access_principal_t *who)
{
    ow_error_t err;
    const char *key = NULL;
    centre_keys_request_t req = {0};
    json_t *out = NULL;
    json_t *body = api_read_post(ex, &key, &err);

    if (!body || centre_keys_decode(body, &req, &err) != 0)
        goto fail;
    int rc = centre_keys_register(ow_service_db(self->svc), &req, key, who, &out, &err);
    if (rc < 0)
        goto fail;
    const char *server_key = serve_remote_public_key(self);
    const char *endpoint = serve_remote_endpoint(self);
    ow_log_kv(OW_LOG_INFO, "centre key registered", "centre",
              req.centre && *req.centre ? req.centre : "-", "integrator",
              req.integrator && *req.integrator ? req.integrator : "-", "by", who->token_id, NULL);
    exchange_reply_json(ex, rc == 1 ? 200 : 201,
                        json_pack("{s:o, s:o, s:o}", "key", out, "server_public_key",
                                  server_key ? json_string(server_key) : json_null(), "endpoint",
                                  endpoint ? json_string(endpoint) : json_null()));
    goto done;
fail:
    exchange_reply_error(ex, &err);
done:
    json_decref(body);
}

void serve_revoke_centre_key(api_t *self, exchange_t *ex, const char *key_id,
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
    if (centre_keys_revoke(ow_service_db(self->svc), key_id, who, &out, &err) != 0) {
        exchange_reply_error(ex, &err);
        return;
    }
    ow_log_kv(OW_LOG_INFO, "centre key revoked", "key_id", key_id, "by", who->token_id, NULL);
    exchange_reply_json(ex, 200, json_pack("{s:o}", "key", out));
}

void serve_list_centre_keys(api_t *self, exchange_t *ex, const char *param,
                            const access_principal_t *who)
{
    static const char *const allowed[] = {"after", "limit", NULL};
    ow_error_t err;
    int64_t limit = S_LIST_LIMIT_DEFAULT;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query)
        goto fail;
    json_fields_reject_unknown(query, "", allowed, &err);
    const char *after = json_fields_string(query, "", "after", 32, false, &err);
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
    json_t *list = centre_keys_list(ow_service_db(self->svc), after, (int)limit, &err);
    if (!list)
        goto fail;
    size_t n = json_array_size(list);
    const char *next =
        n == (size_t)limit
            ? json_string_value(json_object_get(json_array_get(list, n - 1), "key_id"))
            : "";
    exchange_reply_json(ex, 200, json_pack("{s:o, s:s}", "keys", list, "next_after", next));
    json_decref(query);
    return;
fail:
    json_decref(query);
    exchange_reply_error(ex, &err);
}
