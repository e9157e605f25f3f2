/* Tokens (administrators only, every change audited): POST /v1/admin/tokens issues one and
 * shows its secret exactly once; GET /v1/admin/tokens lists them (pages by token_id);
 * POST /v1/admin/tokens/{token_id}/revoke revokes one, effective on the next request.
 * GET /v1/me tells any caller what its token is. */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "json_fields.h"
#include "token.h"
#include "token_store.h"

#define S_LIST_LIMIT_DEFAULT 50
#define S_LIST_LIMIT_MAX     500

void serve_issue_token(api_t *self, exchange_t *ex, const char *param,
                       const access_principal_t *who)
{
    ow_db_t *db = ow_service_db(self->svc);
    ow_error_t err;
    const char *key = NULL;
    token_request_t req;
    char text[TOKEN_TEXT_LEN + 1] = "";
    char id[TOKEN_ID_LEN + 1];
    char hash[TOKEN_HASH_LEN + 1];
    json_t *existing = NULL;
    json_t *body = api_read_post(ex, &key, &err);

    if (!body || token_store_decode_issue(body, &req, &err) != 0)
        goto fail;
    req.idempotency_key = key;
    if (token_generate(text, id, &err) != 0)
        goto fail;
    if (token_hash(text, strlen(text), hash) != 0) {
        ow_error_set(&err, OW_INTERNAL, "cannot hash the token (OpenSSL)");
        goto fail;
    }
    int rc = token_store_issue(db, &req, id, hash, who, &existing, &err);
    if (rc < 0)
        goto fail;
    if (rc == 1) {
        /* A retry: the token was issued by the first request; its secret is not kept. */
        exchange_reply_json(ex, 200, json_pack("{s:n, s:o}", "token", "issued", existing));
        goto done;
    }
    ow_log_kv(OW_LOG_INFO, "token issued", "token_id", id, "role", access_role_name(req.role), "by",
              who->token_id, NULL);
    exchange_reply_json(ex, 201,
                        json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "token", text, "issued",
                                  "token_id", id, "subject", req.subject, "role",
                                  access_role_name(req.role), "centre_id", req.centre,
                                  "subscriptions", req.subscriptions ? req.subscriptions : ""));
    goto done;
fail:
    exchange_reply_error(ex, &err);
done:
    memset(text, 0, sizeof text);
    json_decref(body);
}

void serve_revoke_token(api_t *self, exchange_t *ex, const char *token_id,
                        const access_principal_t *who)
{
    ow_error_t err;
    json_t *out = NULL;
    const char *key = exchange_header(ex, "Idempotency-Key");

    ow_error_clear(&err);
    /* Revoking twice changes nothing, but the key is still required: the contract asks it of
     * every state change, and clients need not know which ones are naturally idempotent. */
    if (!key || !api_idempotency_key_valid(key)) {
        ow_error_add_violation(&err, "Idempotency-Key",
                               "header is required on POST: 1 to %d visible ASCII characters",
                               API_IDEM_KEY_MAX);
        ow_error_finish_violations(&err);
        exchange_reply_error(ex, &err);
        return;
    }
    if (token_store_revoke(ow_service_db(self->svc), token_id, who, &out, &err) != 0) {
        exchange_reply_error(ex, &err);
        return;
    }
    ow_log_kv(OW_LOG_INFO, "token revoked", "token_id", token_id, "by", who->token_id, NULL);
    exchange_reply_json(ex, 200, json_pack("{s:o}", "token", out));
}

void serve_list_tokens(api_t *self, exchange_t *ex, const char *param,
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
    const char *after = json_fields_string(query, "", "after", TOKEN_ID_LEN, false, &err);
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
    json_t *list = token_store_list(ow_service_db(self->svc), after, (int)limit, &err);
    if (!list)
        goto fail;
    size_t n = json_array_size(list);
    const char *next =
        n == (size_t)limit
            ? json_string_value(json_object_get(json_array_get(list, n - 1), "token_id"))
            : "";
    exchange_reply_json(ex, 200, json_pack("{s:o, s:s}", "tokens", list, "next_after", next));
    json_decref(query);
    return;
fail:
    json_decref(query);
    exchange_reply_error(ex, &err);
}

void serve_whoami(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    exchange_reply_json(ex, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "token_id", who->token_id, "subject",
                                  who->subject, "role", access_role_name(who->role), "centre_id",
                                  who->centre, "subscriptions", who->subscriptions));
}
