/* catalogue_import — a bulk import of the catalogue in stages, for thousands of rows with a
 * client that shows its progress (docs/intake.md "Bulk import"):
 *
 *   intake.begin_import   → an import id
 *   intake.import_rows    a chunk of items, each checked on arrival (catalogue_rules.h) and
 *                         staged with its problems, named by the client's row number and field
 *   intake.commit_import  checks every parent (in the catalogue or among the import's rows, at
 *                         a level that may hold it), then all or nothing — refused with the
 *                         problems when any row is bad, nothing written — or, with `partial`,
 *                         only the good rows (a row under a bad row is bad too)
 *                         — or, with `check_only`, checks and reports, writing nothing
 *   intake.get_import     the import's state and every problem
 *
 * Each command takes an idempotency key; a repeat returns the first answer. The writes are
 * catalogue_store.h's: one new version per changed item, with its event. */
#ifndef INTAKE_CATALOGUE_IMPORT_H
#define INTAKE_CATALOGUE_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* Each takes the packed request and returns 0 with the packed reply in *reply (caller frees),
 * or -1 with err: INVALID_ARGUMENT listing every problem (commit: the rows' problems, at most
 * OW_ERROR_VIOLATION_MAX, the message giving the count), NOT_FOUND for an unknown import,
 * FAILED_PRECONDITION for rows or a commit after the import was committed. */
int intake_import_begin(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                        int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);
int intake_import_rows(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                       int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);
int intake_import_commit(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                         int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);
int intake_import_get(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                      size_t *reply_len, ow_error_t *err);

/* Registers the statements. Returns 0, or -1 with err. */
int intake_import_prepare(ow_db_t *db, ow_error_t *err);

#endif
