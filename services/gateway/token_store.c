#include "token_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row_list.h"
#include "json_fields.h"

#define S_TTL_DEFAULT_S (90LL * 24 * 3600)
#define S_TTL_MAX_S     (2LL * 366 * 24 * 3600)

/* The columns every statement returning a token gives, in this order. */
#define S_TOKEN_COLUMNS                                                                            \
    "token_id, subject, role, centre_id, subscriptions, issued_by, "                               \
    "to_char(issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'), "     \
    "to_char(expires_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'), "    \
    "to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"

static const ow_db_statement_t s_statements[] = {
    {"gw_token_auth",
     "SELECT token_id, subject, role, centre_id, subscriptions, "
     "revoked_at IS NOT NULL, expires_at <= now() FROM tokens WHERE token_hash = $1"},
    {"gw_token_insert",
     "INSERT INTO tokens (token_id, token_hash, subject, role, centre_id, subscriptions, "
     "issued_by, idempotency_key, expires_at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::bigint)) "
     "ON CONFLICT (idempotency_key) DO NOTHING RETURNING token_id"},
    {"gw_token_by_key", "SELECT " S_TOKEN_COLUMNS " FROM tokens WHERE idempotency_key = $1"},
    {"gw_token_revoke",
     "UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE token_id = $1 "
     "RETURNING " S_TOKEN_COLUMNS},
    {"gw_token_list",
     "SELECT " S_TOKEN_COLUMNS " FROM tokens WHERE token_id > $1 ORDER BY token_id LIMIT $2"},
    {"gw_token_bootstrap",
     "INSERT INTO tokens (token_id, token_hash, subject, role, centre_id, issued_by, expires_at) "
     "VALUES ('tk_bootstrap', $1, 'bootstrap', 'admin', $2, 'config', "
     "now() + make_interval(secs => $3::bigint)) "
     "ON CONFLICT (token_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, "
     "centre_id = EXCLUDED.centre_id, expires_at = EXCLUDED.expires_at, "
     "revoked_at = CASE WHEN tokens.token_hash = EXCLUDED.token_hash THEN tokens.revoked_at "
     "END"},
    {"gw_audit", "INSERT INTO audit (actor, action, target, detail) VALUES ($1, $2, $3, $4)"},
};

int token_store_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static void s_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

int token_store_authenticate(ow_db_t *db, const char *hash, access_principal_t *who,
                             ow_error_t *err)
{
    const char *params[] = {hash};
    int rc = -1;
    PGresult *res = ow_db_exec(db, "gw_token_auth", 1, params, err);
    if (!res)
        return -1;
    memset(who, 0, sizeof *who);
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_UNAUTHENTICATED, "the bearer token is not known");
        goto done;
    }
    if (strcmp(PQgetvalue(res, 0, 5), "t") == 0) {
        ow_error_set(err, OW_UNAUTHENTICATED, "the bearer token was revoked");
        goto done;
    }
    if (strcmp(PQgetvalue(res, 0, 6), "t") == 0) {
        ow_error_set(err, OW_UNAUTHENTICATED, "the bearer token has expired: ask for a new one");
        goto done;
    }
    s_copy(who->token_id, sizeof who->token_id, PQgetvalue(res, 0, 0));
    s_copy(who->subject, sizeof who->subject, PQgetvalue(res, 0, 1));
    who->role = access_role_parse(PQgetvalue(res, 0, 2));
    s_copy(who->centre, sizeof who->centre, PQgetvalue(res, 0, 3));
    s_copy(who->subscriptions, sizeof who->subscriptions, PQgetvalue(res, 0, 4));
    rc = 0;
done:
    PQclear(res);
    return rc;
}

int token_store_decode_issue(const json_t *body, token_request_t *req, ow_error_t *err)
{
    static const char *const allowed[] = {"subject",       "role",        "centre_id",
                                          "subscriptions", "ttl_seconds", NULL};
    int64_t ttl = S_TTL_DEFAULT_S;

    memset(req, 0, sizeof *req);
    json_fields_reject_unknown(body, "", allowed, err);
    req->subject = json_fields_string(body, "", "subject", ACCESS_SUBJECT_MAX, true, err);
    const char *role = json_fields_string(body, "", "role", 16, true, err);
    req->centre = json_fields_string(body, "", "centre_id", ACCESS_CENTRE_LEN, true, err);
    req->subscriptions = json_fields_string(body, "", "subscriptions", ACCESS_SUBS_MAX, false, err);
    json_fields_int(body, "", "ttl_seconds", 1, S_TTL_MAX_S, false, &ttl, err);
    req->ttl_s = ttl;

    if (role && *role) {
        req->role = access_role_parse(role);
        if (req->role == ACCESS_ROLE_NONE)
            ow_error_add_violation(err, "role",
                                   "must be one of integrator, clerk, supervisor, admin");
    }
    if (req->centre && *req->centre && !access_centre_valid(req->centre))
        ow_error_add_violation(err, "centre_id", "must be a 12-digit area code");
    if (req->subscriptions && !access_subscriptions_valid(req->subscriptions))
        ow_error_add_violation(err, "subscriptions",
                               "must be comma-separated event type prefixes of [a-z0-9._*]");
    else if (req->subscriptions && *req->subscriptions && req->role != ACCESS_ROLE_INTEGRATOR &&
             req->role != ACCESS_ROLE_NONE)
        ow_error_add_violation(err, "subscriptions", "are only for the integrator role");
    if (req->role == ACCESS_ROLE_INTEGRATOR && (!req->subscriptions || !*req->subscriptions))
        ow_error_add_violation(err, "subscriptions",
                               "are required for an integrator (e.g. \"case.,rating.\" or \"*\")");
    return ow_error_finish_violations(err) ? -1 : 0;
}

static json_t *s_token_json(PGresult *res, int row)
{
    const char *revoked = PQgetisnull(res, row, 8) ? NULL : PQgetvalue(res, row, 8);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "token_id",
                     PQgetvalue(res, row, 0), "subject", PQgetvalue(res, row, 1), "role",
                     PQgetvalue(res, row, 2), "centre_id", PQgetvalue(res, row, 3), "subscriptions",
                     PQgetvalue(res, row, 4), "issued_by", PQgetvalue(res, row, 5), "issued_at",
                     PQgetvalue(res, row, 6), "expires_at", PQgetvalue(res, row, 7), "revoked_at",
                     revoked ? json_string(revoked) : json_null());
}

static void s_actor(const access_principal_t *by, char *out, size_t size)
{
    if (by)
        snprintf(out, size, "%s/%s", by->token_id, by->subject);
    else
        snprintf(out, size, "config");
}

int token_store_audit(ow_db_t *db, const access_principal_t *by, const char *action,
                      const char *target, const char *detail, ow_error_t *err)
{
    char actor[ACCESS_TOKEN_ID_MAX + ACCESS_SUBJECT_MAX + 2];
    s_actor(by, actor, sizeof actor);
    const char *params[] = {actor, action, target, detail ? detail : ""};
    PGresult *res = ow_db_exec(db, "gw_audit", 4, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int token_store_issue(ow_db_t *db, const token_request_t *req, const char *id, const char *hash,
                      const access_principal_t *by, json_t **existing, ow_error_t *err)
{
    char ttl[24];
    char actor[ACCESS_TOKEN_ID_MAX + ACCESS_SUBJECT_MAX + 2];
    char detail[ACCESS_SUBJECT_MAX + 64];
    PGresult *res = NULL;
    int rc = -1;

    *existing = NULL;
    snprintf(ttl, sizeof ttl, "%lld", (long long)req->ttl_s);
    s_actor(by, actor, sizeof actor);
    const char *params[] = {id,           hash,
                            req->subject, access_role_name(req->role),
                            req->centre,  req->subscriptions ? req->subscriptions : "",
                            actor,        req->idempotency_key,
                            ttl};
    if (ow_db_begin(db, err) != 0)
        return -1;
    res = ow_db_exec(db, "gw_token_insert", 9, params, err);
    if (!res)
        goto done;
    if (PQntuples(res) == 0) {
        /* The key was used before: that token stands, and its secret is not kept. */
        PQclear(res);
        const char *key[] = {req->idempotency_key};
        res = ow_db_exec(db, "gw_token_by_key", 1, key, err);
        if (!res)
            goto done;
        if (PQntuples(res) != 1) {
            ow_error_set(err, OW_ABORTED, "a concurrent issue with this key: retry");
            goto done;
        }
        *existing = s_token_json(res, 0);
        ow_db_rollback(db);
        rc = 1;
        goto done;
    }
    snprintf(detail, sizeof detail, "role=%s centre=%s subject=%s", access_role_name(req->role),
             req->centre, req->subject);
    if (token_store_audit(db, by, "token.issue", id, detail, err) != 0 ||
        ow_db_commit(db, err) != 0)
        goto done;
    rc = 0;
done:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    PQclear(res);
    return rc;
}

int token_store_revoke_row(ow_db_t *db, const char *statement, const char *id, const char *noun,
                           row_list_render_fn *render, const char *action,
                           const access_principal_t *by, json_t **out, ow_error_t *err)
{
    const char *params[] = {id};
    PGresult *res = NULL;
    int rc = -1;

    *out = NULL;
    if (ow_db_begin(db, err) != 0)
        return -1;
    res = ow_db_exec(db, statement, 1, params, err);
    if (!res)
        goto done;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "no %s '%s'", noun, id);
        goto done;
    }
    *out = render(res, 0);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    if (token_store_audit(db, by, action, id, "", err) != 0 || ow_db_commit(db, err) != 0)
        goto done;
    rc = 0;
done:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    if (rc != 0) {
        json_decref(*out);
        *out = NULL;
    }
    PQclear(res);
    return rc;
}

int token_store_revoke(ow_db_t *db, const char *id, const access_principal_t *by, json_t **out,
                       ow_error_t *err)
{
    return token_store_revoke_row(db, "gw_token_revoke", id, "token", s_token_json, "token.revoke",
                                  by, out, err);
}

json_t *token_store_list(ow_db_t *db, const char *after, int limit, ow_error_t *err)
{
    return row_list(db, "gw_token_list", after, limit, s_token_json, err);
}

int token_store_bootstrap(ow_db_t *db, const char *hash, const char *centre, int64_t ttl_s,
                          ow_error_t *err)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    const char *params[] = {hash, centre, ttl};
    PGresult *res = NULL;
    int rc = -1;

    if (ow_db_begin(db, err) != 0)
        return -1;
    res = ow_db_exec(db, "gw_token_bootstrap", 3, params, err);
    if (!res ||
        token_store_audit(db, NULL, "token.bootstrap", "tk_bootstrap", "api.bootstrap_token_sha256",
                          err) != 0 ||
        ow_db_commit(db, err) != 0)
        goto done;
    rc = 0;
done:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    PQclear(res);
    return rc;
}
