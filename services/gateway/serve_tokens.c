/* Tokens (administrators only, every change audited): POST /v1/admin/tokens issues one and
 * shows its secret exactly once; GET /v1/admin/tokens lists them (pages by token_id);
 * POST /v1/admin/tokens/{token_id}/revoke revokes one, effective on the next request.
 * GET /v1/me tells any caller what its token is. */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "json_fields.h"
#include "serve_admin_rows.h"
#include "token.h"
#include "token_store.h"

static const serve_admin_rows_t s_tokens = {.noun = "token",
                                            .plural = "tokens",
                                            .id_field = "token_id",
                                            .id_max = TOKEN_ID_LEN,
                                            .revoke = token_store_revoke,
                                            .page = token_store_list};

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
    serve_admin_revoke(self, ex, &s_tokens, token_id, who);
}

void serve_list_tokens(api_t *self, exchange_t *ex, const char *param,
                       const access_principal_t *who)
{
    (void)param;
    (void)who;
    serve_admin_list(self, ex, &s_tokens);
}

void serve_whoami(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    exchange_reply_json(ex, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "token_id", who->token_id, "subject",
                                  who->subject, "role", access_role_name(who->role), "centre_id",
                                  who->centre, "subscriptions", who->subscriptions));
}
