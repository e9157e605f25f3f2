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
#include "serve_admin_rows.h"
#include "serve_remote.h"

static const serve_admin_rows_t s_keys = {.noun = "key",
                                          .plural = "keys",
                                          .id_field = "key_id",
                                          .id_max = 32,
                                          .revoke = centre_keys_revoke,
                                          .page = centre_keys_list};

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
    serve_admin_revoke(self, ex, &s_keys, key_id, who);
}

void serve_list_centre_keys(api_t *self, exchange_t *ex, const char *param,
                            const access_principal_t *who)
{
    (void)param;
    (void)who;
    serve_admin_list(self, ex, &s_keys);
}
