/* centre_keys — the registered CURVE public keys of township centres and of integrators, in the
 * gateway's own schema (migrations/0002_centre_keys.sql): register, revoke, list, and the lookup
 * that the ZAP handler and the per-message check both use.
 *
 * Each call is one synchronous round trip on the gateway's connection, so a revocation
 * committed by any gateway is seen by the very next message of a live connection. A
 * registration or revocation and its audit row are one transaction: nothing half-written.
 * Functions return 0 and -1 with err on failure. */
#ifndef GATEWAY_CENTRE_KEYS_H
#define GATEWAY_CENTRE_KEYS_H

#include <jansson.h>
#include "access.h"
#include "ow_db.h"

#define CENTRE_KEYS_LABEL_MAX 100

/* Prepares the statements on db. */
int centre_keys_prepare(ow_db_t *db, ow_error_t *err);

/* A registration: a centre's key (centre set) or an integrator's (integrator and
 * subscriptions set, centre NULL or ""). Strings are borrowed. */
typedef struct {
    const char *centre;
    const char *integrator;
    const char *subscriptions;
    const char *public_key;
    const char *label;
} centre_keys_request_t;

/* 1 when public_key is registered and not revoked, with centre (ACCESS_CENTRE_LEN + 1
 * bytes; "" for an integrator's key) and subscriptions (ACCESS_SUBS_MAX + 1 bytes; "" for a
 * centre's key); 0 when unknown or revoked; -1 with err when the database cannot tell. */
int centre_keys_lookup(ow_db_t *db, const char *public_key, char *centre, char *subscriptions,
                       ow_error_t *err);

/* Decodes a registration body {"centre_id" | "integrator","subscriptions"; "public_key",
 * "label"} into req, listing every invalid field in err. Strings are borrowed from body. */
int centre_keys_decode(const json_t *body, centre_keys_request_t *req, ow_error_t *err);

/* Registers a key under a new id, audited as `by`. The same idempotency key returns the
 * first registration (1, *out = it); a public key registered before is ALREADY_EXISTS.
 * Returns 0 on a new key. *out is the key's JSON (caller json_decref()s). */
int centre_keys_register(ow_db_t *db, const centre_keys_request_t *req, const char *idempotency_key,
                         const access_principal_t *by, json_t **out, ow_error_t *err);

/* Revokes key_id (already revoked: no change, still 0), audited. NOT_FOUND for an unknown
 * id. *out is the key's JSON. */
int centre_keys_revoke(ow_db_t *db, const char *key_id, const access_principal_t *by, json_t **out,
                       ow_error_t *err);

/* Up to limit keys with id > after, by id, as a JSON array (caller json_decref()s). */
json_t *centre_keys_list(ow_db_t *db, const char *after, int limit, ow_error_t *err);

#endif
