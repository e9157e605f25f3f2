/* ow_idem — idempotency keys: the first reply to a command, stored with its effect and
 * returned verbatim when the command is repeated. */
#include "ow_idem.h"
#include "ow_binary_array.h"
#include "ow_db.h"
#include "ow_pgarray.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys come from clients (the HTTP Idempotency-Key header): bounded like any network
 * input. */
#define S_KEY_MAX 255

/* Serialises requests carrying the same key (two instances of a service, or a client's
 * resend arriving at another instance while the first attempt is still running): the
 * second waits until the first commits and then, in a new statement with a new snapshot,
 * finds its reply instead of doing the work again. Keyed on the schema too, so services
 * sharing a database never wait on each other. */
static const char S_SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtext('onewindow.idem.' || current_schema() || '.' || $1))";
/* sha256 is computed by the server (built in since PostgreSQL 11): the request body never
 * has to be hashed, or compared byte by byte, on our side. */
static const char S_SQL_FIND[] =
    "SELECT method = $2, request_hash = sha256($3::bytea), reply, method "
    "FROM idempotency WHERE key = $1";
static const char S_SQL_SAVE[] = "INSERT INTO idempotency (key, method, request_hash, reply) "
                                 "VALUES ($1, $2, sha256($3::bytea), $4::bytea)";

static int s_check(ow_db_t *db, const char *key, const char *method, ow_error_t *err)
{
    if (!key || !*key || strlen(key) > S_KEY_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "idempotency key must be 1-%d bytes", S_KEY_MAX);
        return -1;
    }
    if (!method || !*method) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "idempotency key '%s' needs a method", key);
        return -1;
    }
    /* The key is remembered if and only if the effect committed: that needs the caller's
     * transaction (and the advisory lock lives exactly as long as it). */
    if (!ow_db_in_transaction(db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "idempotency key '%s' used outside a transaction",
                     key);
        return -1;
    }
    return 0;
}

int ow_idem_find(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                 size_t request_len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    unsigned char *stored = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (s_check(db, key, method, err) != 0)
        goto cleanup;
    if (request_len > INT_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request of %zu bytes is too large", request_len);
        goto cleanup;
    }
    if (ow_db_prepare(db, "ow_idem_lock", S_SQL_LOCK, err) != 0 ||
        ow_db_prepare(db, "ow_idem_find", S_SQL_FIND, err) != 0)
        goto cleanup;
    const char *lock_params[1] = {key};
    res = ow_db_exec(db, "ow_idem_lock", 1, lock_params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    const char *values[3] = {key, method, request ? (const char *)request : ""};
    const int lengths[3] = {0, 0, (int)request_len};
    const int formats[3] = {0, 0, 1};
    res = ow_db_execb(db, "ow_idem_find", 3, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        rc = 0;
        goto cleanup;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "idempotency key '%s' was already used for %s, not %s: use a new key", key,
                     PQgetvalue(res, 0, 3), method);
        goto cleanup;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "idempotency key '%s' was already used for %s with a different request: "
                     "use a new key for a new request",
                     key, method);
        goto cleanup;
    }
    size_t len = 0;
    stored = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 2), &len);
    if (!stored) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading the reply stored for key '%s'", key);
        goto cleanup;
    }
    /* Copied into malloc'd memory: the caller frees with free(), not PQfreemem. */
    *reply = malloc(len ? len : 1);
    if (!*reply) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    memcpy(*reply, stored, len);
    *reply_len = len;
    rc = 1;
cleanup:
    if (stored)
        PQfreemem(stored);
    PQclear(res);
    return rc;
}

int ow_idem_save(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                 size_t request_len, const uint8_t *reply, size_t reply_len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (s_check(db, key, method, err) != 0)
        goto cleanup;
    if (request_len > INT_MAX || reply_len > INT_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request or reply too large to store");
        goto cleanup;
    }
    if (ow_db_prepare(db, "ow_idem_save", S_SQL_SAVE, err) != 0)
        goto cleanup;
    const char *values[4] = {key, method, request ? (const char *)request : "",
                             reply ? (const char *)reply : ""};
    const int lengths[4] = {0, 0, (int)request_len, (int)reply_len};
    const int formats[4] = {0, 0, 1, 1};
    res = ow_db_execb(db, "ow_idem_save", 4, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* ---- set-based variants ---- */

/* Which of the keys are known: keys only, since a repeat is rare and the bodies (hex, hashed
 * by the server) are worth sending only when one is. */
/* "key = ANY" and planned on every call (ow_db_exec_planned), for each batch's keys as the
 * table is now. A cached plan was made while the table was small and kept as it grew: the join
 * of unnest with the table, under LIMIT 1, hashed the keys and scanned the whole table (5.8 ms
 * for 141 keys in the intake benchmark); "key = ANY" in a cached generic plan made on an empty
 * table scanned it comparing every key (28 ms). Planned for the real keys it stays on the
 * index (0.3 ms); the planning costs about 0.1 ms. */
/* A count, not "LIMIT 1": under LIMIT 1 the planner, with no statistics yet on a growing
 * table, expected every key to match, chose a sequential scan to "stop at the first", and with
 * no match (the usual case) read the whole table (3–4 ms a batch, auto_explain). A count cannot
 * stop early, so a scan is costed at the table's size and the index wins. */
static const char S_SQL_KNOWN_MANY[] =
    "SELECT count(*) FROM idempotency WHERE key = ANY($1::text[])";
/* Bodies travel as hex text (ow_pgarray.h) and are hashed by the server as in S_SQL_FIND. */
static const char S_SQL_FIND_MANY[] =
    "SELECT k.ord, i.method = $3, i.request_hash = sha256(decode(k.body, 'hex')), i.reply, "
    "i.method "
    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(key, body, ord) "
    "JOIN idempotency i ON i.key = k.key";
/* The save's arrays travel in the binary format (ow_binary_array.h): bodies and replies as
 * bytea, not hex text that the server decodes (half the bytes, no decode per row). */
static const char S_SQL_SAVE_MANY[] =
    "INSERT INTO idempotency (key, method, request_hash, reply) "
    "SELECT k.key, $3, sha256(k.body), k.reply "
    "FROM unnest($1::text[], $2::bytea[], $4::bytea[]) AS k(key, body, reply)";

int ow_idem_find_many(ow_db_t *db, const char *method, ow_idem_entry_t *entries, size_t n,
                      ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    ow_pgarray_t *keys = ow_pgarray_new();
    ow_pgarray_t *bodies = ow_pgarray_new();
    for (size_t i = 0; i < n; i++) {
        entries[i].found = 0;
        entries[i].reply = NULL;
        entries[i].reply_len = 0;
        ow_error_clear(&entries[i].err);
    }
    if (!keys || !bodies) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (s_check(db, entries[i].key, method, err) != 0)
            goto cleanup;
        if (ow_pgarray_add_text(keys, entries[i].key) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
    }
    if (n == 0) {
        rc = 0;
        goto cleanup;
    }
    const char *values[3] = {ow_pgarray_text(keys), NULL, method};
    res = ow_db_exec_planned(db, S_SQL_KNOWN_MANY, 1, values, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
        rc = 0; /* every key is new: found stays 0 */
        goto cleanup;
    }
    PQclear(res);
    res = NULL;
    for (size_t i = 0; i < n; i++)
        if (ow_pgarray_add_hex(bodies, entries[i].request, entries[i].request_len) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
    values[1] = ow_pgarray_text(bodies);
    if (ow_db_prepare(db, "ow_idem_find_many", S_SQL_FIND_MANY, err) != 0)
        goto cleanup;
    res = ow_db_exec(db, "ow_idem_find_many", 3, values, err);
    if (!res)
        goto cleanup;
    for (int r = 0; r < PQntuples(res); r++) {
        long ord = strtol(PQgetvalue(res, r, 0), NULL, 10);
        if (ord < 1 || (size_t)ord > n)
            continue;
        ow_idem_entry_t *e = &entries[ord - 1];
        e->found = -1;
        if (strcmp(PQgetvalue(res, r, 1), "t") != 0) {
            ow_error_set(&e->err, OW_FAILED_PRECONDITION,
                         "idempotency key '%s' was already used for %s, not %s: use a new key",
                         e->key, PQgetvalue(res, r, 4), method);
            continue;
        }
        if (strcmp(PQgetvalue(res, r, 2), "t") != 0) {
            ow_error_set(&e->err, OW_FAILED_PRECONDITION,
                         "idempotency key '%s' was already used for %s with a different "
                         "request: use a new key for a new request",
                         e->key, method);
            continue;
        }
        size_t len = 0;
        unsigned char *stored = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 3), &len);
        e->reply = stored ? malloc(len ? len : 1) : NULL;
        if (!e->reply) {
            if (stored)
                PQfreemem(stored);
            ow_error_set(err, OW_INTERNAL, "out of memory reading stored replies");
            goto cleanup;
        }
        memcpy(e->reply, stored, len);
        PQfreemem(stored);
        e->reply_len = len;
        e->found = 1;
    }
    rc = 0;
cleanup:
    if (rc != 0)
        for (size_t i = 0; i < n; i++) {
            free(entries[i].reply);
            entries[i].reply = NULL;
            entries[i].reply_len = 0;
            entries[i].found = 0;
        }
    PQclear(res);
    ow_pgarray_destroy(&keys);
    ow_pgarray_destroy(&bodies);
    return rc;
}

/* ow_idem_save_many, or with defer its statement sent by ow_db_deferb. */
static int s_save_many(ow_db_t *db, const char *method, const ow_idem_entry_t *entries, size_t n,
                       bool defer, ow_error_t *err)
{
    enum { KEYS, BODIES, METHOD, REPLIES, N_PARAMS };
    int rc = -1;
    PGresult *res = NULL;
    ow_binary_array_t a[N_PARAMS]; /* a[METHOD] stays empty: the method is one text value */
    ow_binary_array_init(&a[KEYS], OW_BINARY_ARRAY_TEXT);
    ow_binary_array_init(&a[BODIES], OW_BINARY_ARRAY_BYTEA);
    ow_binary_array_init(&a[METHOD], OW_BINARY_ARRAY_TEXT);
    ow_binary_array_init(&a[REPLIES], OW_BINARY_ARRAY_BYTEA);
    for (size_t i = 0; i < n; i++) {
        if (s_check(db, entries[i].key, method, err) != 0)
            goto cleanup;
        ow_binary_array_add_text(&a[KEYS], entries[i].key);
        ow_binary_array_add_bytes(&a[BODIES], entries[i].request, entries[i].request_len);
        ow_binary_array_add_bytes(&a[REPLIES], entries[i].reply, entries[i].reply_len);
    }
    if (n == 0) {
        rc = 0;
        goto cleanup;
    }
    if (ow_db_prepare(db, "ow_idem_save_many", S_SQL_SAVE_MANY, err) != 0)
        goto cleanup;
    const char *values[N_PARAMS];
    int lengths[N_PARAMS] = {0}, formats[N_PARAMS] = {0};
    for (int k = 0; k < N_PARAMS; k++) {
        if (k == METHOD) {
            values[k] = method;
            continue;
        }
        if (!(values[k] = (const char *)ow_binary_array_finish(&a[k], &lengths[k]))) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
        formats[k] = 1;
    }
    if (defer) {
        rc = ow_db_deferb(db, "ow_idem_save_many", N_PARAMS, values, lengths, formats, err);
        goto cleanup;
    }
    res = ow_db_execb(db, "ow_idem_save_many", N_PARAMS, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    for (int k = 0; k < N_PARAMS; k++)
        ow_binary_array_clear(&a[k]);
    return rc;
}

int ow_idem_save_many(ow_db_t *db, const char *method, const ow_idem_entry_t *entries, size_t n,
                      ow_error_t *err)
{
    return s_save_many(db, method, entries, n, false, err);
}

int ow_idem_defer_save_many(ow_db_t *db, const char *method, const ow_idem_entry_t *entries,
                            size_t n, ow_error_t *err)
{
    return s_save_many(db, method, entries, n, true, err);
}
