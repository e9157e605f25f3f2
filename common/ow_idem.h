/* ow_idem — idempotency keys, remembered per service in <schema>.idempotency.
 *
 * A command handler, inside its transaction and before doing anything, asks ow_idem_find:
 * when the key was seen with the same method it gets the packed Reply it gave the first
 * time and answers with it (ow_rpc_reply_packed) — nothing new is created. Otherwise it does
 * the work and calls ow_idem_save with its reply in the same transaction, so the key is
 * stored if and only if the effect committed. A key reused for a different method or a
 * different request body is refused with FAILED_PRECONDITION. */
#ifndef OW_IDEM_H
#define OW_IDEM_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* Returns 1 and a copy of the stored packed Reply in *reply (caller frees) when key is known
 * for method and the same request body; 0 when unknown; -1 with err on a database error or
 * when the key was used for a different method or body (FAILED_PRECONDITION). */
int ow_idem_find(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                 size_t request_len, uint8_t **reply, size_t *reply_len, ow_error_t *err);

/* Stores the packed Reply for key inside the open transaction. Returns 0 or -1 with err. */
int ow_idem_save(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                 size_t request_len, const uint8_t *reply, size_t reply_len, ow_error_t *err);

/* ---- set-based variants, for a group commit (one statement for a whole batch) ---- */

/* One request of a batch. In: key, request[0..request_len). Out (ow_idem_find_many): found
 * 1 with a copy of the stored reply (caller frees), 0 unknown, -1 refused with err
 * (FAILED_PRECONDITION: the key was used for another method or body). In (ow_idem_save_many):
 * reply[0..reply_len), the reply to remember. */
typedef struct {
    const char *key;
    const uint8_t *request;
    size_t request_len;
    int found;
    uint8_t *reply;
    size_t reply_len;
    ow_error_t err;
} ow_idem_entry_t;

/* As ow_idem_find for entries[0..n) with ONE statement (key = ANY), inside the open
 * transaction. It takes no advisory locks: a key that another transaction is saving at the
 * same moment is not seen here, and the caller's ow_idem_save_many then fails with
 * ALREADY_EXISTS (the unique key) once that transaction commits — the caller rolls back and
 * falls back to ow_idem_find per request, which finds the first answer. Keys must be
 * distinct. Returns 0 with every entry's found/reply/err set, or -1 with err (a key
 * malformed, or the database error: nothing is set that the caller must free). */
int ow_idem_find_many(ow_db_t *db, const char *method, ow_idem_entry_t *entries, size_t n,
                      ow_error_t *err);

/* As ow_idem_save for entries[0..n) (their reply fields) with ONE statement. Returns 0, or -1
 * with err: ALREADY_EXISTS when one of the keys is taken (see above; the caller rolls back). */
int ow_idem_save_many(ow_db_t *db, const char *method, const ow_idem_entry_t *entries, size_t n,
                      ow_error_t *err);

/* As ow_idem_save_many with its statement deferred (ow_db_defer): sent now, its failure —
 * ALREADY_EXISTS as above — returned by the next call on db that waits for a result, which
 * then has not run. Returns 0, or -1 with err (a key malformed; the connection). */
int ow_idem_defer_save_many(ow_db_t *db, const char *method, const ow_idem_entry_t *entries,
                            size_t n, ow_error_t *err);
#endif
