/* serve_admin_rows — what the administrative lists of credentials (tokens, centre keys) share
 * over HTTP: revoking one row (Idempotency-Key required, audited by the store, logged) and
 * listing a page of them by id (?after=&limit=). */
#ifndef GATEWAY_SERVE_ADMIN_ROWS_H
#define GATEWAY_SERVE_ADMIN_ROWS_H

#include <jansson.h>
#include "access.h"
#include "api.h"
#include "exchange.h"
#include "ow_db.h"

/* A store's revoke: 0 with *out the revoked row as JSON, or -1 with err. */
typedef int(serve_revoke_fn)(ow_db_t *db, const char *id, const access_principal_t *by,
                             json_t **out, ow_error_t *err);
/* A store's page: the rows after `after` (NULL or "" = first), at most limit, as a JSON array
 * of objects carrying id_field; or NULL with err. */
typedef json_t *(serve_page_fn)(ow_db_t *db, const char *after, int limit, ow_error_t *err);

/* Describes one kind of row: "token" rows under "tokens", keyed by "token_id". */
typedef struct {
    const char *noun;     /* the answer's key for one row, and the log's word */
    const char *plural;   /* the answer's key for a page */
    const char *id_field; /* the id every row carries, and the cursor */
    size_t id_max;        /* longest id a cursor may be */
    serve_revoke_fn *revoke;
    serve_page_fn *page;
} serve_admin_rows_t;

/* POST …/{id}/revoke: 200 {noun: row}; 400 without a valid Idempotency-Key (revoking twice
 * changes nothing, but the contract asks a key of every state change). */
void serve_admin_revoke(api_t *self, exchange_t *ex, const serve_admin_rows_t *rows, const char *id,
                        const access_principal_t *who);

/* GET …?after=&limit= (limit 1–500, default 50): 200 {plural: [...], next_after}. */
void serve_admin_list(api_t *self, exchange_t *ex, const serve_admin_rows_t *rows);

#endif
