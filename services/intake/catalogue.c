#include "catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_db.h"
#include "ow_pgarray.h"

/* An item read from the database: the public record first, then the results its strings
 * point into (owned here, so the record is valid until intake_item_destroy). */
typedef struct {
    intake_item_t item;
    PGresult *item_res; /* the item's row(s), one per material */
    intake_material_t *materials;
} s_loaded_item_t;

/* An item version with its materials in list order, in one round trip: one row per material
 * (the item's columns repeated), or one row with NULL material columns for an item with none. */
#define S_ITEM_SELECT                                                                              \
    "SELECT i.impl_code, i.item_code, i.version, i.name, i.item_type, i.department_code,"          \
    "       i.department_name, i.handling_kind, i.legal_limit, i.promised_limit, i.limit_unit,"    \
    "       m.material_code, m.name, m.form, m.copies, m.required, m.rongque_allowed,"             \
    "       m.shared_by_data"                                                                      \
    "  FROM items i LEFT JOIN item_materials m"                                                    \
    "    ON m.impl_code = i.impl_code AND m.version = i.version"
#define S_ITEM_ORDER " ORDER BY m.position, m.material_code"

int intake_catalogue_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"intake_item_current",
         S_ITEM_SELECT " WHERE i.impl_code = $1 AND i.retired_at IS NULL" S_ITEM_ORDER},
        {"intake_item_version",
         S_ITEM_SELECT " WHERE i.impl_code = $1 AND i.version = $2::integer" S_ITEM_ORDER},
        /* A version read earlier that has been retired since (an edit made a new one) refuses
         * the transaction (refused(), migration 0012). */
        {"intake_items_current",
         "SELECT refused(format('item %s version %s is no longer the current one', e.code,"
         "       e.version))"
         "  FROM unnest($1::text[], $2::int[]) AS e(code, version)"
         " WHERE NOT EXISTS (SELECT FROM items i WHERE i.impl_code = e.code"
         "                      AND i.version = e.version AND i.retired_at IS NULL)"},
    };
    return OW_DB_PREPARE_ALL(db, statements, err);
}

static bool s_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* The item in res, the rows of one of the statements above (taken over: cleared on failure
 * too). Returns it, or NULL with err (NOT_FOUND when res has no row). */
static intake_item_t *s_item_of(PGresult *res, const char *impl_code, ow_error_t *err)
{
    s_loaded_item_t *self = calloc(1, sizeof *self);
    if (!self) {
        PQclear(res);
        ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
        return NULL;
    }
    self->item_res = res;
    if (PQntuples(self->item_res) < 1) {
        ow_error_set(err, OW_NOT_FOUND, "no item with 实施编码 '%s' in the catalogue", impl_code);
        goto fail;
    }
    PGresult *r = self->item_res;
    intake_item_t *it = &self->item;
    it->impl_code = PQgetvalue(r, 0, 0);
    it->item_code = PQgetvalue(r, 0, 1);
    it->version = atoi(PQgetvalue(r, 0, 2));
    it->name = PQgetvalue(r, 0, 3);
    it->item_type = PQgetvalue(r, 0, 4);
    it->department_code = PQgetvalue(r, 0, 5);
    it->department_name = PQgetvalue(r, 0, 6);
    it->handling_kind = PQgetvalue(r, 0, 7);
    it->legal_limit = atoi(PQgetvalue(r, 0, 8));
    it->promised_limit = atoi(PQgetvalue(r, 0, 9));
    it->limit_unit = PQgetvalue(r, 0, 10);

    int n = PQgetisnull(r, 0, 11) ? 0 : PQntuples(r);
    if (n > 0) {
        self->materials = calloc((size_t)n, sizeof *self->materials);
        if (!self->materials) {
            ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
            goto fail;
        }
    }
    for (int i = 0; i < n; i++) {
        intake_material_t *mat = &self->materials[i];
        mat->code = PQgetvalue(r, i, 11);
        mat->name = PQgetvalue(r, i, 12);
        mat->form = PQgetvalue(r, i, 13);
        mat->copies = atoi(PQgetvalue(r, i, 14));
        mat->required = s_bool(r, i, 15);
        mat->rongque_allowed = s_bool(r, i, 16);
        mat->shared_by_data = s_bool(r, i, 17);
    }
    it->materials = self->materials;
    it->material_count = (size_t)n;
    return it;

fail:;
    intake_item_t *partial = &self->item;
    intake_item_destroy(&partial);
    return NULL;
}

/* Reads the item row of statement (current version: version < 0; else that version). */
static intake_item_t *s_find(ow_db_t *db, const char *impl_code, int version, ow_error_t *err)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[2] = {impl_code, v};
    PGresult *res = version < 0 ? ow_db_exec(db, "intake_item_current", 1, params, err)
                                : ow_db_exec(db, "intake_item_version", 2, params, err);
    return res ? s_item_of(res, impl_code, err) : NULL;
}

intake_item_t *intake_catalogue_find(ow_db_t *db, const char *impl_code, ow_error_t *err)
{
    return s_find(db, impl_code, -1, err);
}

intake_item_t *intake_catalogue_find_version(ow_db_t *db, const char *impl_code, int version,
                                             ow_error_t *err)
{
    return s_find(db, impl_code, version < 0 ? 0 : version, err);
}

void intake_item_destroy(intake_item_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    /* The record is the first member of the loaded item. */
    s_loaded_item_t *self = (s_loaded_item_t *)*self_p;
    PQclear(self->item_res);
    free(self->materials);
    free(self);
    *self_p = NULL;
}

/* An item of the cache: read, or asked for (intake_item_cache_prefetch) and its rows not yet
 * turned into the item. */
typedef struct s_cached {
    char *impl_code;
    intake_item_t *item;
    PGresult *rows; /* set by the database's next answer (ow_db_defer_keep) */
    bool asked;     /* rows were asked for */
    bool missing;   /* no such item: asked, and the answer had no row */
    struct s_cached *next;
} s_cached_t;

struct intake_item_cache {
    s_cached_t *items;
};

intake_item_cache_t *intake_item_cache_new(void)
{
    return calloc(1, sizeof(intake_item_cache_t));
}

/* Unlinks and frees the entry c of self (prev points at the link to it). */
static void s_entry_drop(s_cached_t **prev, s_cached_t *c)
{
    *prev = c->next;
    intake_item_destroy(&c->item);
    PQclear(c->rows);
    free(c->impl_code);
    free(c);
}

void intake_item_cache_destroy(intake_item_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_item_cache_t *self = *self_p;
    while (self->items)
        s_entry_drop(&self->items, self->items);
    free(self);
    *self_p = NULL;
}

/* The entry for impl_code, or NULL when there is none. */
static s_cached_t *s_lookup(const intake_item_cache_t *self, const char *impl_code)
{
    for (s_cached_t *c = self->items; c; c = c->next)
        if (strcmp(c->impl_code, impl_code) == 0)
            return c;
    return NULL;
}

/* The entry for impl_code, new when there is none. NULL when out of memory. */
static s_cached_t *s_entry(intake_item_cache_t *self, const char *impl_code)
{
    s_cached_t *c = s_lookup(self, impl_code);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c || !(c->impl_code = strdup(impl_code))) {
        free(c);
        return NULL;
    }
    c->next = self->items;
    self->items = c;
    return c;
}

int intake_item_cache_prefetch(intake_item_cache_t *self, ow_db_t *db, const char *impl_code,
                               ow_error_t *err)
{
    s_cached_t *c = s_entry(self, impl_code);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
        return -1;
    }
    if (c->item || c->asked)
        return 0;
    const char *params[1] = {impl_code};
    if (ow_db_defer_keep(db, "intake_item_current", 1, params, &c->rows, err) < 0)
        return -1;
    c->asked = true;
    return 0;
}

const intake_item_t *intake_item_cache_find(intake_item_cache_t *self, ow_db_t *db,
                                            const char *impl_code, ow_error_t *err)
{
    s_cached_t *c = s_entry(self, impl_code);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
        return NULL;
    }
    if (c->item)
        return c->item;
    if (c->missing) {
        ow_error_set(err, OW_NOT_FOUND, "no item with 实施编码 '%s' in the catalogue", impl_code);
        return NULL;
    }
    if (c->rows) {
        /* Prefetched: the answer came with an earlier round trip. */
        PGresult *rows = c->rows;
        c->rows = NULL;
        c->missing = PQntuples(rows) < 1;
        c->item = s_item_of(rows, impl_code, err);
        return c->item;
    }
    /* Not asked, or the asking failed (the transaction then failed with it): read now. */
    c->item = intake_catalogue_find(db, impl_code, err);
    return c->item;
}

const intake_item_t *intake_item_cache_peek(const intake_item_cache_t *self, const char *impl_code)
{
    const s_cached_t *c = s_lookup(self, impl_code);
    return c ? c->item : NULL;
}

void intake_item_cache_merge(intake_item_cache_t *self, intake_item_cache_t *from)
{
    s_cached_t **link = &from->items;
    while (*link) {
        s_cached_t *c = *link;
        if (!c->item) {
            link = &c->next;
            continue;
        }
        for (s_cached_t **old = &self->items; *old; old = &(*old)->next)
            if (strcmp((*old)->impl_code, c->impl_code) == 0) {
                s_entry_drop(old, *old);
                break;
            }
        *link = c->next;
        c->next = self->items;
        self->items = c;
    }
}

int intake_items_current_deferred(ow_db_t *db, const intake_item_t *const *items, size_t n,
                                  ow_error_t *err)
{
    int rc = -1;
    ow_pgarray_t *codes = ow_pgarray_new();
    ow_pgarray_t *versions = ow_pgarray_new();
    if (!codes || !versions) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (ow_pgarray_add_text(codes, items[i]->impl_code) < 0 ||
            ow_pgarray_add_int64(versions, items[i]->version) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto done;
        }
    const char *params[2] = {ow_pgarray_text(codes), ow_pgarray_text(versions)};
    rc = ow_db_defer(db, "intake_items_current", 2, params, err);
done:
    ow_pgarray_destroy(&codes);
    ow_pgarray_destroy(&versions);
    return rc;
}
