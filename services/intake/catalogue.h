/* catalogue — the service-item catalogue (事项实施清单) as intake reads it: an item's current
 * version with its list of materials (DOMAIN.md §2). Tables: migrations/0001_catalogue.sql.
 *
 * The item and material records are plain values so that domain rules (completeness.h) can
 * be tested on items built in memory; items read from the database own their storage and
 * are freed with intake_item_destroy. */
#ifndef INTAKE_CATALOGUE_H
#define INTAKE_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

typedef struct {
    const char *code;
    const char *name;
    const char *form; /* original, copy, electronic */
    int copies;
    bool required;
    bool rongque_allowed; /* may be missing under 容缺受理 (a later issue) */
    bool shared_by_data;  /* obtained by data sharing: never demanded from the applicant */
} intake_material_t;

typedef struct {
    const char *impl_code; /* 实施编码: what an application names */
    const char *item_code; /* 事项编码 */
    int version;
    const char *name;
    const char *item_type;
    const char *department_code;
    const char *department_name;
    const char *handling_kind; /* immediate (即办件) or promised (承诺件) */
    int legal_limit;
    int promised_limit;
    const char *limit_unit; /* working_days, natural_days, working_hours, natural_hours */
    const intake_material_t *materials;
    size_t material_count;
    /* Hierarchy (DOMAIN §2): "main" 主项 → "sub" 子项 → "business" 业务办理项; only a
     * business item takes applications. NULL is read as "business". */
    const char *level;
    const char *parent_code; /* impl_code of the parent; "" for a main item */
    const char *legal_basis;
    long fee_cents;             /* 收费 in 分; 0 = free */
    const char *const *centres; /* 12-digit centres that may accept it; none = every centre */
    size_t centre_count;
    const char *const *lanes; /* priority lanes that apply: "love" 爱心通道, "green" 绿色通道 */
    size_t lane_count;
} intake_item_t;

/* Registers the catalogue's statements on db. Returns 0, or -1 with err. */
int intake_catalogue_prepare(ow_db_t *db, ow_error_t *err);

/* The current version of the item with 实施编码 impl_code and its materials in list order,
 * read on db (inside the caller's transaction if one is open, so the version read is the
 * one the case is written with). Returns a new item the caller frees with
 * intake_item_destroy, or NULL with err: NOT_FOUND when no current version exists, or the
 * database error. */
intake_item_t *intake_catalogue_find(ow_db_t *db, const char *impl_code, ow_error_t *err);

/* As intake_catalogue_find, for exactly `version` of the item (retired or not): the version a
 * case was received under. NOT_FOUND when there is no such version. */
intake_item_t *intake_catalogue_find_version(ow_db_t *db, const char *impl_code, int version,
                                             ow_error_t *err);

/* Frees an item returned by intake_catalogue_find and sets *self_p to NULL; harmless on
 * NULL. Never call it on an item built by the caller. */
void intake_item_destroy(intake_item_t **self_p);

/* Items read once per transaction (the group commit, batch.h): a batch of applications for
 * the same item reads it once. Valid only inside one transaction — the version read is the
 * one every case of the batch is written with — and freed before the next. */
typedef struct intake_item_cache intake_item_cache_t;

/* Returns an empty cache (caller frees with intake_item_cache_destroy), or NULL when out of
 * memory. */
intake_item_cache_t *intake_item_cache_new(void);

/* Frees the cache and every item in it; sets *self_p to NULL. */
void intake_item_cache_destroy(intake_item_cache_t **self_p);

/* Asks for the current version of impl_code without waiting (ow_db_defer_keep, inside the
 * open transaction on db): the answer comes with the next statement that waits, and a later
 * intake_item_cache_find of the same code reads it from the cache, one round trip fewer.
 * Returns 0, or -1 with err (out of memory; the connection). */
int intake_item_cache_prefetch(intake_item_cache_t *self, ow_db_t *db, const char *impl_code,
                               ow_error_t *err);

/* As intake_catalogue_find, from the cache when the item was read before. The item is owned
 * by the cache (valid until intake_item_cache_destroy); NULL with err as there (a miss is not
 * cached). */
const intake_item_t *intake_item_cache_find(intake_item_cache_t *self, ow_db_t *db,
                                            const char *impl_code, ow_error_t *err);

/* The item impl_code as the cache read it, or NULL when it has not (never a database read):
 * for a batch that decides from what it knows (batch.c, the predicted path). */
const intake_item_t *intake_item_cache_peek(const intake_item_cache_t *self, const char *impl_code);

/* Moves every item `from` has read into self, replacing self's entry of the same code (from's is
 * the newer read). from keeps only what it had not read. */
void intake_item_cache_merge(intake_item_cache_t *self, intake_item_cache_t *from);

/* Inside the open transaction on db, deferred (ow_db_defer): refuses the transaction
 * (serialization_failure, at the next statement that waits or COMMIT) unless each of items[0..n)
 * is still its code's current version — for items read in an earlier transaction. Returns 0, or
 * -1 with err. */
int intake_items_current_deferred(ow_db_t *db, const intake_item_t *const *items, size_t n,
                                  ow_error_t *err);

#endif
