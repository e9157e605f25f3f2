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

#endif
