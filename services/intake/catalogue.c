#include "catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_db.h"

/* An item read from the database: the public record first, then the results its strings
 * point into (owned here, so the record is valid until intake_item_destroy). */
typedef struct {
    intake_item_t item;
    PGresult *item_res;
    PGresult *materials_res;
    intake_material_t *materials;
} s_loaded_item_t;

int intake_catalogue_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(db, "intake_item_current",
                      "SELECT impl_code, item_code, version, name, item_type, department_code,"
                      "       department_name, handling_kind, legal_limit, promised_limit,"
                      "       limit_unit"
                      "  FROM items WHERE impl_code = $1 AND retired_at IS NULL",
                      err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_item_version",
                      "SELECT impl_code, item_code, version, name, item_type, department_code,"
                      "       department_name, handling_kind, legal_limit, promised_limit,"
                      "       limit_unit"
                      "  FROM items WHERE impl_code = $1 AND version = $2::integer",
                      err) < 0)
        return -1;
    return ow_db_prepare(db, "intake_item_materials",
                         "SELECT material_code, name, form, copies, required, rongque_allowed,"
                         "       shared_by_data"
                         "  FROM item_materials WHERE impl_code = $1 AND version = $2::integer"
                         " ORDER BY position, material_code",
                         err);
}

static bool s_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* Reads the item row of statement (current version: version < 0; else that version). */
static intake_item_t *s_find(ow_db_t *db, const char *impl_code, int version, ow_error_t *err)
{
    s_loaded_item_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
        return NULL;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[2] = {impl_code, v};
    self->item_res = version < 0 ? ow_db_exec(db, "intake_item_current", 1, params, err)
                                 : ow_db_exec(db, "intake_item_version", 2, params, err);
    if (!self->item_res)
        goto fail;
    if (PQntuples(self->item_res) != 1) {
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

    params[1] = PQgetvalue(r, 0, 2);
    self->materials_res = ow_db_exec(db, "intake_item_materials", 2, params, err);
    if (!self->materials_res)
        goto fail;
    int n = PQntuples(self->materials_res);
    if (n > 0) {
        self->materials = calloc((size_t)n, sizeof *self->materials);
        if (!self->materials) {
            ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
            goto fail;
        }
    }
    for (int i = 0; i < n; i++) {
        PGresult *m = self->materials_res;
        intake_material_t *mat = &self->materials[i];
        mat->code = PQgetvalue(m, i, 0);
        mat->name = PQgetvalue(m, i, 1);
        mat->form = PQgetvalue(m, i, 2);
        mat->copies = atoi(PQgetvalue(m, i, 3));
        mat->required = s_bool(m, i, 4);
        mat->rongque_allowed = s_bool(m, i, 5);
        mat->shared_by_data = s_bool(m, i, 6);
    }
    it->materials = self->materials;
    it->material_count = (size_t)n;
    return it;

fail:;
    intake_item_t *partial = &self->item;
    intake_item_destroy(&partial);
    return NULL;
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
    PQclear(self->materials_res);
    free(self->materials);
    free(self);
    *self_p = NULL;
}

typedef struct s_cached {
    intake_item_t *item;
    struct s_cached *next;
} s_cached_t;

struct intake_item_cache {
    s_cached_t *items;
};

intake_item_cache_t *intake_item_cache_new(void)
{
    return calloc(1, sizeof(intake_item_cache_t));
}

void intake_item_cache_destroy(intake_item_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_item_cache_t *self = *self_p;
    while (self->items) {
        s_cached_t *c = self->items;
        self->items = c->next;
        intake_item_destroy(&c->item);
        free(c);
    }
    free(self);
    *self_p = NULL;
}

const intake_item_t *intake_item_cache_find(intake_item_cache_t *self, ow_db_t *db,
                                            const char *impl_code, ow_error_t *err)
{
    for (s_cached_t *c = self->items; c; c = c->next)
        if (strcmp(c->item->impl_code, impl_code) == 0)
            return c->item;
    s_cached_t *c = calloc(1, sizeof *c);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading item %s", impl_code);
        return NULL;
    }
    c->item = intake_catalogue_find(db, impl_code, err);
    if (!c->item) {
        free(c);
        return NULL;
    }
    c->next = self->items;
    self->items = c;
    return c->item;
}
