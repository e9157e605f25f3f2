#include "centre_keys.h"

#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>

#include "row_list.h"
#include "curve_key.h"
#include "json_fields.h"
#include "token_store.h"

#define S_COLUMNS                                                                                  \
    "key_id, centre_id, public_key, label, registered_by, "                                        \
    "to_char(registered_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'), " \
    "to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'), "    \
    "integrator, subscriptions"

static const ow_db_statement_t s_statements[] = {
    {"gw_ck_lookup", "SELECT coalesce(centre_id, ''), subscriptions FROM centre_keys "
                     "WHERE public_key = $1 AND revoked_at IS NULL"},
    {"gw_ck_insert",
     "INSERT INTO centre_keys (key_id, centre_id, public_key, label, registered_by, "
     "idempotency_key, integrator, subscriptions) VALUES ($1, nullif($2, ''), $3, $4, $5, $6, "
     "nullif($7, ''), $8) "
     "ON CONFLICT (idempotency_key) DO NOTHING RETURNING " S_COLUMNS},
    {"gw_ck_by_idem", "SELECT " S_COLUMNS " FROM centre_keys WHERE idempotency_key = $1"},
    {"gw_ck_revoke",
     "UPDATE centre_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1 "
     "RETURNING " S_COLUMNS},
    {"gw_ck_list",
     "SELECT " S_COLUMNS " FROM centre_keys WHERE key_id > $1 ORDER BY key_id LIMIT $2"},
};

int centre_keys_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

int centre_keys_lookup(ow_db_t *db, const char *public_key, char *centre, char *subscriptions,
                       ow_error_t *err)
{
    const char *params[] = {public_key};
    PGresult *res = ow_db_exec(db, "gw_ck_lookup", 1, params, err);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(centre, ACCESS_CENTRE_LEN + 1, "%s", PQgetvalue(res, 0, 0));
        snprintf(subscriptions, ACCESS_SUBS_MAX + 1, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

static json_t *s_nullable(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static json_t *s_key_json(PGresult *res, int row)
{
    return json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o}", "key_id",
                     PQgetvalue(res, row, 0), "centre_id", s_nullable(res, row, 1), "integrator",
                     s_nullable(res, row, 7), "subscriptions", PQgetvalue(res, row, 8),
                     "public_key", PQgetvalue(res, row, 2), "label", PQgetvalue(res, row, 3),
                     "registered_by", PQgetvalue(res, row, 4), "registered_at",
                     PQgetvalue(res, row, 5), "revoked_at",
                     PQgetisnull(res, row, 6) ? json_null() : json_string(PQgetvalue(res, row, 6)));
}

int centre_keys_decode(const json_t *body, centre_keys_request_t *req, ow_error_t *err)
{
    static const char *const allowed[] = {"centre_id",  "integrator", "subscriptions",
                                          "public_key", "label",      NULL};
    json_fields_reject_unknown(body, "", allowed, err);
    const char **centre = &req->centre, **public_key = &req->public_key, **label = &req->label;
    req->integrator = json_fields_string(body, "", "integrator", ACCESS_SUBJECT_MAX, false, err);
    req->subscriptions = json_fields_string(body, "", "subscriptions", ACCESS_SUBS_MAX, false, err);
    bool integrator = req->integrator && *req->integrator;
    *centre = json_fields_string(body, "", "centre_id", ACCESS_CENTRE_LEN, !integrator, err);
    if (integrator && *centre && **centre)
        ow_error_add_violation(err, "centre_id",
                               "a key belongs to a centre or to an integrator, not both");
    else if (*centre && (**centre || !integrator) && !access_centre_valid(*centre))
        ow_error_add_violation(err, "centre_id", "must be a 12-digit area code");
    if (integrator && (!req->subscriptions || !*req->subscriptions))
        ow_error_add_violation(err, "subscriptions",
                               "are required for an integrator (e.g. \"case.,rating.\" or \"*\")");
    else if (req->subscriptions && *req->subscriptions && !integrator)
        ow_error_add_violation(err, "subscriptions", "are only for an integrator's key");
    else if (req->subscriptions && !access_subscriptions_valid(req->subscriptions))
        ow_error_add_violation(err, "subscriptions",
                               "must be comma-separated event type prefixes of [a-z0-9._*]");
    *public_key = json_fields_string(body, "", "public_key", CURVE_KEY_Z85_LEN, true, err);
    if (*public_key && !curve_key_valid(*public_key))
        ow_error_add_violation(
            err, "public_key",
            "must be a Z85 CURVE public key (40 characters; owctl centre keygen)");
    *label = json_fields_string(body, "", "label", CENTRE_KEYS_LABEL_MAX, false, err);
    return ow_error_finish_violations(err);
}

static void s_actor(const access_principal_t *by, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", by->token_id, by->subject);
}

int centre_keys_register(ow_db_t *db, const centre_keys_request_t *req, const char *idempotency_key,
                         const access_principal_t *by, json_t **out, ow_error_t *err)
{
    const char *centre = req->centre ? req->centre : "", *label = req->label;
    const char *integrator = req->integrator ? req->integrator : "";
    unsigned char raw[8];
    char id[8 + 2 * sizeof raw], actor[ACCESS_TOKEN_ID_MAX + ACCESS_SUBJECT_MAX + 2];
    PGresult *res = NULL;
    int rc = -1;

    *out = NULL;
    if (RAND_bytes(raw, sizeof raw) != 1) {
        ow_error_set(err, OW_INTERNAL, "no randomness for a key id (OpenSSL)");
        return -1;
    }
    int n = snprintf(id, sizeof id, "ck_");
    for (size_t i = 0; i < sizeof raw; i++)
        n += snprintf(id + n, sizeof id - (size_t)n, "%02x", raw[i]);
    s_actor(by, actor, sizeof actor);
    const char *params[] = {
        id,    centre,          req->public_key, label ? label : "",
        actor, idempotency_key, integrator,      req->subscriptions ? req->subscriptions : ""};
    if (ow_db_begin(db, err) != 0)
        return -1;
    res = ow_db_exec(db, "gw_ck_insert", 8, params, err);
    if (!res) {
        if (err->code == OW_ALREADY_EXISTS)
            ow_error_set(err, OW_ALREADY_EXISTS,
                         "this public key is registered already: make a new key pair");
        goto done;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        const char *key[] = {idempotency_key};
        res = ow_db_exec(db, "gw_ck_by_idem", 1, key, err);
        if (!res)
            goto done;
        if (PQntuples(res) != 1) {
            ow_error_set(err, OW_ABORTED, "a concurrent registration with this key: retry");
            goto done;
        }
        *out = s_key_json(res, 0);
        ow_db_rollback(db);
        rc = *out ? 1 : -1;
        goto done;
    }
    *out = s_key_json(res, 0);
    char detail[ACCESS_SUBJECT_MAX + 32];
    if (*integrator)
        snprintf(detail, sizeof detail, "integrator=%s", integrator);
    else
        snprintf(detail, sizeof detail, "centre=%s", centre);
    if (!*out || token_store_audit(db, by, "centre_key.register", id, detail, err) != 0 ||
        ow_db_commit(db, err) != 0)
        goto done;
    rc = 0;
done:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        if (err->code == OW_OK)
            ow_error_set(err, OW_INTERNAL, "out of memory");
    }
    PQclear(res);
    return rc;
}

int centre_keys_revoke(ow_db_t *db, const char *key_id, const access_principal_t *by, json_t **out,
                       ow_error_t *err)
{
    return token_store_revoke_row(db, "gw_ck_revoke", key_id, "centre key", s_key_json,
                                  "centre_key.revoke", by, out, err);
}

json_t *centre_keys_list(ow_db_t *db, const char *after, int limit, ow_error_t *err)
{
    return row_list(db, "gw_ck_list", after, limit, s_key_json, err);
}
