/* catalogue_store — the catalogue (事项实施清单, DOMAIN.md §2) written and read through intake's
 * API: item versions with their materials, centres, lanes and children.
 *
 * Items change over time (动态调整): writing an item that differs from its current version
 * adds version n+1 and retires n in the caller's transaction, with a catalogue.item_changed
 * event; an item equal to its current version writes nothing. Rows are never edited, so a
 * case keeps the (impl_code, version) it was accepted under. Tables: migrations/0001, 0003,
 * 0005. */
#ifndef INTAKE_CATALOGUE_STORE_H
#define INTAKE_CATALOGUE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalogue.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct ow_db ow_db_t;

#define INTAKE_CATALOGUE_PUT_MAX 1000 /* items in one intake.put_items or import chunk */

/* Registers the statements of this module and catalogue_import.h. Returns 0, or -1 with err. */
int intake_catalogue_store_prepare(ow_db_t *db, ow_error_t *err);

/* Adds one violation per problem of item to err — the rules of catalogue_rules.h on its
 * normalised form, plus the bounds of the message (legal basis, counts) — each field named
 * `prefix.field`. Returns the count. Plain function: no I/O. */
int intake_catalogue_check(const Onewindow__V1__CatalogueItem *item, const char *prefix,
                           ow_error_t *err);

/* Sorts item's centres and lanes (the order carries no meaning, so two lists in another order
 * are the same item). Plain function. */
void intake_catalogue_sort_sets(Onewindow__V1__CatalogueItem *item);

/* Inside an open transaction: the current level of impl_code into level (size bytes); returns
 * 1, 0 when no current version exists, -1 with err. */
int intake_catalogue_current_level(ow_db_t *db, const char *impl_code, char *level, size_t size,
                                   ow_error_t *err);

/* Inside an open transaction: adds a violation named field when a current child of impl_code
 * (other than those in moving[0..n_moving), which are written too) could not stay under an
 * item of level. Returns 0, or -1 with err on a database error. */
int intake_catalogue_check_children(ow_db_t *db, const char *impl_code, const char *level,
                                    const char *const *moving, size_t n_moving, const char *field,
                                    ow_error_t *err);

/* Inside an open transaction: writes item (checked, sets sorted) as a new version when it
 * differs from the current one, retiring that one, and queues catalogue.item_changed.
 * *version is the current version afterwards, *changed whether one was written. Returns 0,
 * or -1 with err (the caller rolls back). */
int intake_catalogue_write(ow_db_t *db, const Onewindow__V1__CatalogueItem *item, int64_t now_us,
                           int *version, bool *changed, ow_error_t *err);

/* Replaces the packed message in *reply by a packed onewindow.v1.Reply (OK) carrying it, the
 * form idempotency records keep (ow_rpc_reply_packed). Returns 0, or -1 with err (*reply
 * freed and NULL). */
int intake_catalogue_wrap_reply(uint8_t **reply, size_t *reply_len, ow_error_t *err);

/* intake.put_items: request → packed Reply carrying a PutItemsReply in *reply (caller frees).
 * Validation (every problem at once), then ONE transaction with the idempotency record. Returns 0,
 * or -1 with err (nothing written). */
int intake_catalogue_put(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                         int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);

/* intake.get_item → packed CatalogueItem; intake.list_items → packed ItemList;
 * intake.export_catalogue → packed ItemList of every current item. Read-only. Return 0, or -1
 * with err (INVALID_ARGUMENT, NOT_FOUND, or the database's). */
int intake_catalogue_get(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                         size_t *reply_len, ow_error_t *err);
int intake_catalogue_list(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err);
int intake_catalogue_export(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                            size_t *reply_len, ow_error_t *err);

#endif
