/* token_store — the gateway's tokens and audit trail in its own schema (migrations/
 * 0001_access.sql): look a token up by its hash on every request, issue, revoke, list, and
 * record administrative actions.
 *
 * Every call is one synchronous round trip on the gateway's connection (ow_db), so a
 * revocation committed by any gateway is seen by the next request. Functions return 0 (or a
 * count) and -1 with err on failure; nothing is half-written: an issue or a revocation and
 * its audit row are one transaction. */
#ifndef GATEWAY_TOKEN_STORE_H
#define GATEWAY_TOKEN_STORE_H

#include <stdint.h>
#include <jansson.h>
#include "access.h"
#include "ow_db.h"
#include "row_list.h"

/* Prepares the statements on db. -1 with err when the server refuses one. */
int token_store_prepare(ow_db_t *db, ow_error_t *err);

/* Finds the live token with this hash and fills *who. Returns 0 when found; -1 with err
 * UNAUTHENTICATED when no token has it, or it expired or was revoked (the message says
 * which); -1 with err UNAVAILABLE/INTERNAL when the database failed. */
int token_store_authenticate(ow_db_t *db, const char *hash, access_principal_t *who,
                             ow_error_t *err);

typedef struct {
    const char *subject;
    access_role_t role;
    const char *centre;
    const char *subscriptions;
    int64_t ttl_s;
    const char *idempotency_key;
} token_request_t;

/* Decodes an issue body {"subject","role","centre_id","subscriptions","ttl_seconds"} into
 * *req (strings borrowed from body), listing every invalid field in err (INVALID_ARGUMENT).
 * ttl_seconds defaults to 90 days and is at most 2 years; subscriptions only for
 * integrators. */
int token_store_decode_issue(const json_t *body, token_request_t *req, ow_error_t *err);

/* Stores a new token (its hash) issued by `by` and audits it. When idempotency_key was used
 * before, nothing is stored and 1 is returned with *existing = the earlier token's JSON
 * (without a secret). Returns 0 on a new token with *existing NULL. */
int token_store_issue(ow_db_t *db, const token_request_t *req, const char *id, const char *hash,
                      const access_principal_t *by, json_t **existing, ow_error_t *err);

/* Revokes token id (already revoked: no change, still 0) and audits it. NOT_FOUND for an
 * unknown id. On success *out is the token's JSON (caller json_decref()s). */
int token_store_revoke(ow_db_t *db, const char *id, const access_principal_t *by, json_t **out,
                       ow_error_t *err);

/* Up to limit tokens with id > after ("" = from the start), ordered by id, as a JSON array
 * (caller json_decref()s). */
json_t *token_store_list(ow_db_t *db, const char *after, int limit, ow_error_t *err);

/* Installs the development bootstrap admin token (config api.bootstrap_token_sha256) as
 * token "tk_bootstrap", valid for ttl_s; a restart with the same hash keeps a revocation.
 * Audited. */
int token_store_bootstrap(ow_db_t *db, const char *hash, const char *centre, int64_t ttl_s,
                          ow_error_t *err);

/* Appends an audit row in the caller's transaction (or on its own). */
/* The revoke of one credential row, audited, in one transaction: runs statement (its $1 the
 * id, returning the row, or nothing when there is no such id: NOT_FOUND "no <noun> '<id>'"),
 * renders the row into *out and appends `action` to the audit trail. Shared by tokens and
 * centre keys. Returns 0, or -1 with err and nothing changed. */
int token_store_revoke_row(ow_db_t *db, const char *statement, const char *id, const char *noun,
                           row_list_render_fn *render, const char *action,
                           const access_principal_t *by, json_t **out, ow_error_t *err);

int token_store_audit(ow_db_t *db, const access_principal_t *by, const char *action,
                      const char *target, const char *detail, ow_error_t *err);

#endif
