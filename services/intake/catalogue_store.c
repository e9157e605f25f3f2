#include "catalogue_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "applicant.h"
#include "catalogue_rules.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_pgarray.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "receive.h"

#define S_REQUEST_MAX     (4u << 20)
#define S_SMALL_MAX       1024
#define S_LEGAL_BASIS_MAX 4000 /* bytes */
#define S_MATERIALS_MAX   100
#define S_CENTRES_MAX     500
#define S_LIST_DEFAULT    100
#define S_LIST_MAX        500

#define S_ITEM_COLUMNS                                                                             \
    "impl_code, version, item_code, name, item_type, level, parent_code, department_code,"         \
    " department_name, legal_basis, handling_kind, legal_limit, promised_limit, limit_unit,"       \
    " fee_cents, array_to_string(lanes, ','), ts_to_us(valid_from),"                               \
    " coalesce(ts_to_us(retired_at), 0)"

int intake_catalogue_store_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t s[] = {
        {"intake_cat_current",
         "SELECT " S_ITEM_COLUMNS " FROM items WHERE impl_code = $1 AND retired_at IS NULL"},
        {"intake_cat_version",
         "SELECT " S_ITEM_COLUMNS " FROM items WHERE impl_code = $1 AND version = $2::integer"},
        {"intake_cat_list", "SELECT " S_ITEM_COLUMNS " FROM items WHERE retired_at IS NULL"
                            "   AND ($1 = '' OR department_code = $1) AND ($2 = '' OR level = $2)"
                            "   AND ($3 = '' OR parent_code = $3) AND impl_code > $4"
                            " ORDER BY impl_code LIMIT $5::integer"},
        {"intake_cat_all",
         "SELECT " S_ITEM_COLUMNS " FROM items WHERE retired_at IS NULL ORDER BY impl_code"},
        {"intake_cat_materials",
         "SELECT m.impl_code, m.version, m.material_code, m.name, m.form, m.copies, m.required,"
         "       m.rongque_allowed, m.shared_by_data"
         "  FROM item_materials m JOIN unnest($1::text[], $2::integer[]) AS k (c, v)"
         "    ON m.impl_code = k.c AND m.version = k.v"
         " ORDER BY m.impl_code, m.version, m.position, m.material_code"},
        {"intake_cat_centres", "SELECT c.impl_code, c.version, c.centre_id"
                               "  FROM item_centres c JOIN unnest($1::text[], $2::integer[]) AS"
                               "       k (ic, v) ON c.impl_code = k.ic AND c.version = k.v"
                               " ORDER BY c.impl_code, c.version, c.centre_id"},
        {"intake_cat_children", "SELECT parent_code, impl_code FROM items"
                                " WHERE retired_at IS NULL AND parent_code = ANY ($1::text[])"
                                " ORDER BY parent_code, impl_code"},
        {"intake_cat_level", "SELECT level FROM items WHERE impl_code = $1 AND retired_at IS NULL"},
        {"intake_cat_child_levels", "SELECT impl_code, level FROM items"
                                    " WHERE parent_code = $1 AND retired_at IS NULL"},
        {"intake_cat_max_version",
         "SELECT coalesce(max(version), 0) FROM items WHERE impl_code = $1"},
        {"intake_cat_retire", "UPDATE items SET retired_at = us_to_ts($2::bigint)"
                              " WHERE impl_code = $1 AND retired_at IS NULL"},
        {"intake_cat_insert",
         "INSERT INTO items (impl_code, version, item_code, name, item_type, level, parent_code,"
         "  department_code, department_name, legal_basis, handling_kind, legal_limit,"
         "  promised_limit, limit_unit, fee_cents, lanes, valid_from)"
         " VALUES ($1, $2::integer, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::integer,"
         "  $13::integer, $14, $15::bigint, $16::text[], us_to_ts($17::bigint))"},
        {"intake_cat_insert_material",
         "INSERT INTO item_materials (impl_code, version, material_code, name, form, copies,"
         "  required, rongque_allowed, shared_by_data, position)"
         " VALUES ($1, $2::integer, $3, $4, $5, $6::integer, $7::boolean, $8::boolean,"
         "  $9::boolean, $10::integer)"},
        {"intake_cat_insert_centre", "INSERT INTO item_centres (impl_code, version, centre_id)"
                                     " VALUES ($1, $2::integer, $3)"},
    };
    return OW_DB_PREPARE_ALL(db, s, err);
}

/* ---- validation ---- */

static const char *s_or(const char *s, const char *dflt)
{
    return s && s[0] ? s : dflt;
}

int intake_catalogue_check(const Onewindow__V1__CatalogueItem *src, const char *prefix,
                           ow_error_t *err)
{
    int n = 0;
    char f[96];
    intake_material_t mats[S_MATERIALS_MAX];
    size_t nm = src->n_materials < S_MATERIALS_MAX ? src->n_materials : S_MATERIALS_MAX;
    for (size_t i = 0; i < nm; i++) {
        const Onewindow__V1__CatalogueMaterial *m = src->materials[i];
        mats[i] = (intake_material_t){m->code,          m->name,     m->form,
                                      m->copies,        m->required, m->rongque_allowed,
                                      m->shared_by_data};
    }
    intake_item_t it = {
        .impl_code = src->impl_code,
        .item_code = src->item_code,
        .name = src->name,
        .item_type = src->item_type,
        .department_code = src->department_code,
        .department_name = src->department_name,
        .handling_kind = src->handling_kind,
        .legal_limit = src->legal_limit,
        .promised_limit = src->promised_limit,
        .limit_unit = s_or(src->limit_unit, "working_days"),
        .materials = mats,
        .material_count = nm,
        .level = s_or(src->level, "business"),
        .parent_code = src->parent_code,
        .legal_basis = src->legal_basis,
        .fee_cents = (long)src->fee_cents,
        .centres = (const char *const *)src->centres,
        .centre_count = src->n_centres < S_CENTRES_MAX ? src->n_centres : S_CENTRES_MAX,
        .lanes = (const char *const *)src->lanes,
        .lane_count = src->n_lanes < 8 ? src->n_lanes : 8,
    };
    n += intake_item_validate(&it, prefix, err);
#define S_FIELD(name) (snprintf(f, sizeof f, "%s%s%s", prefix, prefix[0] ? "." : "", name), f)
    if (!ow_text_valid_lines(src->legal_basis, S_LEGAL_BASIS_MAX)) {
        ow_error_add_violation(err, S_FIELD("legal_basis"), "must be text of at most %d bytes",
                               S_LEGAL_BASIS_MAX);
        n++;
    }
    if (src->n_materials > S_MATERIALS_MAX) {
        ow_error_add_violation(err, S_FIELD("materials"), "at most %d materials", S_MATERIALS_MAX);
        n++;
    }
    if (src->n_centres > S_CENTRES_MAX) {
        ow_error_add_violation(err, S_FIELD("centres"), "at most %d centres", S_CENTRES_MAX);
        n++;
    }
    if (src->n_lanes > 2) {
        ow_error_add_violation(err, S_FIELD("lanes"), "at most love and green");
        n++;
    }
    for (size_t i = 0; i < src->n_centres && i < S_CENTRES_MAX; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(src->centres[i], src->centres[j]) == 0) {
                char name[32];
                snprintf(name, sizeof name, "centres[%zu]", i);
                ow_error_add_violation(err, S_FIELD(name), "centre %s is listed twice",
                                       src->centres[i]);
                n++;
                break;
            }
#undef S_FIELD
    return n;
}

static int s_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void intake_catalogue_sort_sets(Onewindow__V1__CatalogueItem *item)
{
    if (item->n_centres > 1)
        qsort(item->centres, item->n_centres, sizeof *item->centres, s_strcmp);
    if (item->n_lanes > 1)
        qsort(item->lanes, item->n_lanes, sizeof *item->lanes, s_strcmp);
}

/* ---- reading a set of items ---- */

/* Items read from the database: the messages point into the results and the buffers here. */
typedef struct {
    size_t n;
    Onewindow__V1__CatalogueItem *items;
    Onewindow__V1__CatalogueItem **ptrs;
    Onewindow__V1__CatalogueMaterial *mats;
    Onewindow__V1__CatalogueMaterial **mat_ptrs;
    char **strings;    /* centres, lanes and children of every item */
    char **lane_texts; /* per item: a copy of its "love,green" split in place */
    size_t loaded;     /* items read (n may be cut shorter for a page) */
    PGresult *res[4];  /* items, materials, centres, children */
} s_set_t;

static void s_set_clear(s_set_t *s)
{
    for (size_t i = 0; i < s->loaded && s->lane_texts; i++)
        free(s->lane_texts[i]);
    free(s->lane_texts);
    free(s->items);
    free(s->ptrs);
    free(s->mats);
    free(s->mat_ptrs);
    free(s->strings);
    for (int i = 0; i < 4; i++)
        PQclear(s->res[i]);
    memset(s, 0, sizeof *s);
}

static bool s_same_key(const PGresult *r, int row, const Onewindow__V1__CatalogueItem *it)
{
    return strcmp(PQgetvalue(r, row, 0), it->impl_code) == 0 &&
           atoi(PQgetvalue(r, row, 1)) == it->version;
}

/* Reads the items of res (owned by s from now on) and their materials, centres and children.
 * Returns 0, or -1 with err (s cleared). */
static int s_set_load(ow_db_t *db, PGresult *res, s_set_t *s, ow_error_t *err)
{
    memset(s, 0, sizeof *s);
    s->res[0] = res;
    int n = PQntuples(res);
    s->n = s->loaded = (size_t)n;
    ow_pgarray_t *codes = ow_pgarray_new(), *versions = ow_pgarray_new();
    int rc = -1;
    size_t cap = (size_t)n + 1;
    s->items = calloc(cap, sizeof *s->items);
    s->ptrs = calloc(cap, sizeof *s->ptrs);
    s->lane_texts = calloc(cap, sizeof *s->lane_texts);
    if (!codes || !versions || !s->items || !s->ptrs || !s->lane_texts)
        goto oom;
    for (int i = 0; i < n; i++) {
        Onewindow__V1__CatalogueItem *it = &s->items[i];
        onewindow__v1__catalogue_item__init(it);
        s->ptrs[i] = it;
        it->impl_code = PQgetvalue(res, i, 0);
        it->version = atoi(PQgetvalue(res, i, 1));
        it->item_code = PQgetvalue(res, i, 2);
        it->name = PQgetvalue(res, i, 3);
        it->item_type = PQgetvalue(res, i, 4);
        it->level = PQgetvalue(res, i, 5);
        it->parent_code = PQgetvalue(res, i, 6);
        it->department_code = PQgetvalue(res, i, 7);
        it->department_name = PQgetvalue(res, i, 8);
        it->legal_basis = PQgetvalue(res, i, 9);
        it->handling_kind = PQgetvalue(res, i, 10);
        it->legal_limit = atoi(PQgetvalue(res, i, 11));
        it->promised_limit = atoi(PQgetvalue(res, i, 12));
        it->limit_unit = PQgetvalue(res, i, 13);
        it->fee_cents = strtoll(PQgetvalue(res, i, 14), NULL, 10);
        it->valid_from_us = strtoll(PQgetvalue(res, i, 16), NULL, 10);
        it->retired_at_us = strtoll(PQgetvalue(res, i, 17), NULL, 10);
        if (!(s->lane_texts[i] = strdup(PQgetvalue(res, i, 15))))
            goto oom;
        if (ow_pgarray_add_text(codes, it->impl_code) < 0 ||
            ow_pgarray_add_int64(versions, it->version) < 0)
            goto oom;
    }
    const char *p[2] = {ow_pgarray_text(codes), ow_pgarray_text(versions)};
    if (!p[0] || !p[1])
        goto oom;
    if (!(s->res[1] = ow_db_exec(db, "intake_cat_materials", 2, p, err)) ||
        !(s->res[2] = ow_db_exec(db, "intake_cat_centres", 2, p, err)) ||
        !(s->res[3] = ow_db_exec(db, "intake_cat_children", 1, p, err)))
        goto fail;
    int nm = PQntuples(s->res[1]), nc = PQntuples(s->res[2]), nk = PQntuples(s->res[3]);
    s->mats = calloc((size_t)nm + 1, sizeof *s->mats);
    s->mat_ptrs = calloc((size_t)nm + 1, sizeof *s->mat_ptrs);
    /* lanes: at most (strlen + 1) / 2 words each; bounded by the whole text */
    size_t nstr = (size_t)nc + (size_t)nk + 1;
    for (int i = 0; i < n; i++)
        nstr += strlen(s->lane_texts[i]) / 2 + 1;
    s->strings = calloc(nstr, sizeof *s->strings);
    if (!s->mats || !s->mat_ptrs || !s->strings)
        goto oom;
    size_t next = 0;
    int jm = 0, jc = 0, jk = 0;
    for (int i = 0; i < n; i++) {
        Onewindow__V1__CatalogueItem *it = &s->items[i];
        PGresult *m = s->res[1];
        it->materials = &s->mat_ptrs[jm];
        while (jm < nm && s_same_key(m, jm, it)) {
            Onewindow__V1__CatalogueMaterial *x = &s->mats[jm];
            onewindow__v1__catalogue_material__init(x);
            x->code = PQgetvalue(m, jm, 2);
            x->name = PQgetvalue(m, jm, 3);
            x->form = PQgetvalue(m, jm, 4);
            x->copies = atoi(PQgetvalue(m, jm, 5));
            x->required = PQgetvalue(m, jm, 6)[0] == 't';
            x->rongque_allowed = PQgetvalue(m, jm, 7)[0] == 't';
            x->shared_by_data = PQgetvalue(m, jm, 8)[0] == 't';
            s->mat_ptrs[jm++] = x;
            it->n_materials++;
        }
        it->centres = &s->strings[next];
        while (jc < nc && s_same_key(s->res[2], jc, it)) {
            s->strings[next++] = PQgetvalue(s->res[2], jc++, 2);
            it->n_centres++;
        }
        it->lanes = &s->strings[next];
        for (char *save = NULL, *w = strtok_r(s->lane_texts[i], ",", &save); w;
             w = strtok_r(NULL, ",", &save)) {
            s->strings[next++] = w;
            it->n_lanes++;
        }
        /* children name the current items under this code: the same for every version read */
        it->children = &s->strings[next];
        while (jk < nk && strcmp(PQgetvalue(s->res[3], jk, 0), it->impl_code) == 0) {
            s->strings[next++] = PQgetvalue(s->res[3], jk++, 1);
            it->n_children++;
        }
    }
    rc = 0;
    goto done;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory reading the catalogue");
fail:
    s_set_clear(s);
done:
    ow_pgarray_destroy(&codes);
    ow_pgarray_destroy(&versions);
    return rc;
}

static int s_set_query(ow_db_t *db, const char *stmt, int np, const char *const *p, s_set_t *s,
                       ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, stmt, np, p, err);
    if (!res)
        return -1;
    return s_set_load(db, res, s, err);
}

/* The canonical bytes of an item for comparing versions: the written fields only, level
 * and unit defaults spelled out, centres and lanes sorted (the caller's duty). */
static int s_canonical(const Onewindow__V1__CatalogueItem *it, uint8_t **out, size_t *len,
                       ow_error_t *err)
{
    Onewindow__V1__CatalogueItem c = *it;
    c.version = 0;
    c.valid_from_us = 0;
    c.retired_at_us = 0;
    c.n_children = 0;
    c.children = NULL;
    c.level = (char *)s_or(it->level, "business");
    c.limit_unit = (char *)s_or(it->limit_unit, "working_days");
    return ow_pack(&c.base, out, len, err);
}

int intake_catalogue_current_level(ow_db_t *db, const char *impl_code, char *level, size_t size,
                                   ow_error_t *err)
{
    const char *p[1] = {impl_code};
    PGresult *res = ow_db_exec(db, "intake_cat_level", 1, p, err);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found)
        snprintf(level, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return found;
}

/* The event of a new version, from the item as written (no read back: an import writes
 * thousands). Children are not part of an item version, so the event has none. */
static int s_item_changed_event(ow_db_t *db, const Onewindow__V1__CatalogueItem *item, int version,
                                int previous, int64_t now_us, ow_error_t *err)
{
    Onewindow__V1__CatalogueItem c = *item;
    c.version = version;
    c.valid_from_us = now_us;
    c.retired_at_us = 0;
    c.n_children = 0;
    c.children = NULL;
    c.level = (char *)s_or(item->level, "business");
    c.limit_unit = (char *)s_or(item->limit_unit, "working_days");
    Onewindow__V1__CatalogueItemChanged ev = ONEWINDOW__V1__CATALOGUE_ITEM_CHANGED__INIT;
    ev.item = &c;
    ev.previous_version = previous;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (ow_pack(&ev.base, &buf, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, "catalogue.item_changed", NULL, NULL, now_us, buf, len, err);
    free(buf);
    return rc;
}

static int s_exec(ow_db_t *db, const char *stmt, int n, const char *const *p, ow_error_t *err)
{
    return intake_exec(db, stmt, n, p, err);
}

int intake_catalogue_write(ow_db_t *db, const Onewindow__V1__CatalogueItem *item, int64_t now_us,
                           int *version, bool *changed, ow_error_t *err)
{
    int rc = -1;
    uint8_t *mine = NULL, *theirs = NULL;
    size_t mine_len = 0, theirs_len = 0;
    ow_pgarray_t *lanes = ow_pgarray_new();
    s_set_t cur;
    memset(&cur, 0, sizeof cur);
    *changed = false;
    const char *p1[1] = {item->impl_code};
    if (!lanes) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    if (s_set_query(db, "intake_cat_current", 1, p1, &cur, err) < 0)
        goto done;
    if (s_canonical(item, &mine, &mine_len, err) < 0)
        goto done;
    if (cur.n == 1) {
        if (s_canonical(cur.ptrs[0], &theirs, &theirs_len, err) < 0)
            goto done;
        if (mine_len == theirs_len && memcmp(mine, theirs, mine_len) == 0) {
            *version = cur.ptrs[0]->version;
            rc = 0;
            goto done;
        }
    }
    PGresult *res = ow_db_exec(db, "intake_cat_max_version", 1, p1, err);
    if (!res)
        goto done;
    int previous = cur.n == 1 ? cur.ptrs[0]->version : 0;
    int v = atoi(PQgetvalue(res, 0, 0)) + 1;
    PQclear(res);
    char vs[16], now[24], fee[24], copies[16], pos[24];
    snprintf(vs, sizeof vs, "%d", v);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(fee, sizeof fee, "%" PRId64, item->fee_cents);
    char legal[16], promised[16];
    snprintf(legal, sizeof legal, "%d", item->legal_limit);
    snprintf(promised, sizeof promised, "%d", item->promised_limit);
    for (size_t i = 0; i < item->n_lanes; i++)
        if (ow_pgarray_add_text(lanes, item->lanes[i]) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto done;
        }
    const char *retire[2] = {item->impl_code, now};
    if (s_exec(db, "intake_cat_retire", 2, retire, err) < 0)
        goto done;
    const char *ins[17] = {item->impl_code,
                           vs,
                           item->item_code,
                           item->name,
                           item->item_type,
                           s_or(item->level, "business"),
                           item->parent_code,
                           item->department_code,
                           item->department_name,
                           item->legal_basis,
                           item->handling_kind,
                           legal,
                           promised,
                           s_or(item->limit_unit, "working_days"),
                           fee,
                           ow_pgarray_text(lanes),
                           now};
    if (s_exec(db, "intake_cat_insert", 17, ins, err) < 0)
        goto done;
    for (size_t i = 0; i < item->n_materials; i++) {
        const Onewindow__V1__CatalogueMaterial *m = item->materials[i];
        snprintf(copies, sizeof copies, "%d", m->copies);
        snprintf(pos, sizeof pos, "%zu", i + 1);
        const char *mp[10] = {item->impl_code,
                              vs,
                              m->code,
                              m->name,
                              m->form,
                              copies,
                              m->required ? "true" : "false",
                              m->rongque_allowed ? "true" : "false",
                              m->shared_by_data ? "true" : "false",
                              pos};
        if (s_exec(db, "intake_cat_insert_material", 10, mp, err) < 0)
            goto done;
    }
    for (size_t i = 0; i < item->n_centres; i++) {
        const char *cp[3] = {item->impl_code, vs, item->centres[i]};
        if (s_exec(db, "intake_cat_insert_centre", 3, cp, err) < 0)
            goto done;
    }
    if (s_item_changed_event(db, item, v, previous, now_us, err) < 0)
        goto done;
    *version = v;
    *changed = true;
    rc = 0;
done:
    free(mine);
    free(theirs);
    ow_pgarray_destroy(&lanes);
    s_set_clear(&cur);
    return rc;
}

int intake_catalogue_wrap_reply(uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    uint8_t *wrapped = NULL;
    size_t len = 0;
    int rc = ow_rpc_pack_reply(NULL, *reply, *reply_len, &wrapped, &len);
    free(*reply);
    *reply = NULL;
    *reply_len = 0;
    if (rc != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing a reply");
        return -1;
    }
    *reply = wrapped;
    *reply_len = len;
    return 0;
}

int intake_catalogue_check_children(ow_db_t *db, const char *impl_code, const char *level,
                                    const char *const *moving, size_t n_moving, const char *field,
                                    ow_error_t *err)
{
    const char *p[1] = {impl_code};
    PGresult *res = ow_db_exec(db, "intake_cat_child_levels", 1, p, err);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *child = PQgetvalue(res, i, 0), *child_level = PQgetvalue(res, i, 1);
        bool moves = false;
        for (size_t j = 0; j < n_moving && !moves; j++)
            moves = strcmp(moving[j], child) == 0;
        if (!moves && !intake_item_level_may_parent(s_or(level, "business"), child_level)) {
            ow_error_add_violation(err, field,
                                   "'%s', a %s item, is under it: a %s item cannot hold it", child,
                                   child_level, s_or(level, "business"));
            break;
        }
    }
    PQclear(res);
    return 0;
}

/* ---- intake.put_items ---- */

/* The parent of items[i] is a current item or another item of the request, at a level that
 * may hold it (主项 → 子项 → 业务办理项). Adds violations; returns -1 only on a database error. */
static int s_check_parents(ow_db_t *db, Onewindow__V1__CatalogueItem **items, size_t n,
                           ow_error_t *err)
{
    const char *codes[INTAKE_CATALOGUE_PUT_MAX];
    for (size_t i = 0; i < n && i < INTAKE_CATALOGUE_PUT_MAX; i++)
        codes[i] = items[i]->impl_code;
    for (size_t i = 0; i < n; i++) {
        const Onewindow__V1__CatalogueItem *it = items[i];
        const char *level = s_or(it->level, "business");
        char lf[48];
        snprintf(lf, sizeof lf, "items[%zu].level", i);
        /* items of the request that name another parent are checked as themselves */
        if (intake_catalogue_check_children(db, it->impl_code, level, codes, n, lf, err) < 0)
            return -1;
        if (!it->parent_code[0])
            continue;
        char parent_level[16] = "";
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            if (strcmp(items[j]->impl_code, it->parent_code) == 0) {
                snprintf(parent_level, sizeof parent_level, "%s",
                         s_or(items[j]->level, "business"));
                found = true;
            }
        if (!found) {
            int got = intake_catalogue_current_level(db, it->parent_code, parent_level,
                                                     sizeof parent_level, err);
            if (got < 0)
                return -1;
            found = got == 1;
        }
        char f[48];
        snprintf(f, sizeof f, "items[%zu].parent_code", i);
        if (!found)
            ow_error_add_violation(err, f, "no item '%s' in the catalogue or in this request",
                                   it->parent_code);
        else if (!intake_item_level_may_parent(parent_level, level))
            ow_error_add_violation(err, f, "a %s item cannot be under '%s', a %s item", level,
                                   it->parent_code, parent_level);
    }
    return 0;
}

int intake_catalogue_put(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                         int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    static const char method[] = "intake.put_items";
    Onewindow__V1__PutItems *req = NULL;
    Onewindow__V1__ItemWritten *written = NULL;
    Onewindow__V1__ItemWritten **wptrs = NULL;
    int rc = -1;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > S_REQUEST_MAX || !(req = onewindow__v1__put_items__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid PutItems");
        return -1;
    }
    if (req->n_items == 0 || req->n_items > INTAKE_CATALOGUE_PUT_MAX)
        ow_error_add_violation(err, "items", "1 to %d items", INTAKE_CATALOGUE_PUT_MAX);
    for (size_t i = 0; i < req->n_items && i < INTAKE_CATALOGUE_PUT_MAX; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        intake_catalogue_check(req->items[i], prefix, err);
        intake_catalogue_sort_sets(req->items[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->items[i]->impl_code, req->items[j]->impl_code) == 0) {
                char f[48];
                snprintf(f, sizeof f, "%s.impl_code", prefix);
                ow_error_add_violation(err, f, "'%s' is also items[%zu]", req->items[i]->impl_code,
                                       j);
                break;
            }
    }
    if (ow_error_finish_violations(err) < 0)
        goto out;
    if (ow_db_begin(db, err) < 0)
        goto out;
    int found = ow_idem_find(db, key, method, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    if (s_check_parents(db, req->items, req->n_items, err) < 0 ||
        ow_error_finish_violations(err) < 0)
        goto rollback;
    written = calloc(req->n_items, sizeof *written);
    wptrs = calloc(req->n_items, sizeof *wptrs);
    if (!written || !wptrs) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto rollback;
    }
    for (size_t i = 0; i < req->n_items; i++) {
        onewindow__v1__item_written__init(&written[i]);
        wptrs[i] = &written[i];
        written[i].impl_code = req->items[i]->impl_code;
        bool changed = false;
        if (intake_catalogue_write(db, req->items[i], now_us, &written[i].version, &changed, err) <
            0)
            goto rollback;
        written[i].changed = changed;
    }
    Onewindow__V1__PutItemsReply out = ONEWINDOW__V1__PUT_ITEMS_REPLY__INIT;
    out.n_items = req->n_items;
    out.items = wptrs;
    if (ow_pack(&out.base, reply, reply_len, err) < 0 ||
        intake_catalogue_wrap_reply(reply, reply_len, err) < 0 ||
        ow_idem_save(db, key, method, request, len, *reply, *reply_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    ow_db_rollback(db);
    free(*reply);
    *reply = NULL;
    *reply_len = 0;
out:
    free(written);
    free(wptrs);
    if (req)
        onewindow__v1__put_items__free_unpacked(req, NULL);
    return rc;
}

/* ---- reads ---- */

int intake_catalogue_get(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                         size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__GetItem *req = NULL;
    if (len > S_SMALL_MAX || !(req = onewindow__v1__get_item__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid GetItem");
        return -1;
    }
    int rc = -1;
    s_set_t s;
    memset(&s, 0, sizeof s);
    if (!intake_code_valid(req->impl_code))
        ow_error_add_violation(err, "impl_code", "must be 1-64 letters, digits, '-', '_' or '.'");
    if (req->version < 0)
        ow_error_add_violation(err, "version", "must be a version from 1 (0 = the current one)");
    if (ow_error_finish_violations(err) < 0)
        goto out;
    char v[16];
    snprintf(v, sizeof v, "%d", req->version);
    const char *p[2] = {req->impl_code, v};
    if (s_set_query(db, req->version ? "intake_cat_version" : "intake_cat_current",
                    req->version ? 2 : 1, p, &s, err) < 0)
        goto out;
    if (s.n != 1) {
        if (req->version)
            ow_error_set(err, OW_NOT_FOUND, "no version %d of item '%s' in the catalogue",
                         req->version, req->impl_code);
        else
            ow_error_set(err, OW_NOT_FOUND, "no current item '%s' in the catalogue",
                         req->impl_code);
        goto out;
    }
    rc = ow_pack(&s.ptrs[0]->base, reply, reply_len, err);
out:
    s_set_clear(&s);
    onewindow__v1__get_item__free_unpacked(req, NULL);
    return rc;
}

static int s_pack_list(s_set_t *s, const char *next_after, uint8_t **reply, size_t *reply_len,
                       ow_error_t *err)
{
    Onewindow__V1__ItemList out = ONEWINDOW__V1__ITEM_LIST__INIT;
    out.n_items = s->n;
    out.items = s->ptrs;
    out.next_after = (char *)next_after;
    return ow_pack(&out.base, reply, reply_len, err);
}

int intake_catalogue_list(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__ListItems *req = NULL;
    if (len > S_SMALL_MAX || !(req = onewindow__v1__list_items__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid ListItems");
        return -1;
    }
    int rc = -1;
    s_set_t s;
    memset(&s, 0, sizeof s);
    if (req->department_code[0] && !intake_code_valid(req->department_code))
        ow_error_add_violation(err, "department_code", "is not a department code");
    if (req->level[0] && strcmp(req->level, "main") != 0 && strcmp(req->level, "sub") != 0 &&
        strcmp(req->level, "business") != 0)
        ow_error_add_violation(err, "level", "must be main, sub or business");
    if (req->parent_code[0] && !intake_code_valid(req->parent_code))
        ow_error_add_violation(err, "parent_code", "is not an item code");
    if (req->after[0] && !intake_code_valid(req->after))
        ow_error_add_violation(err, "after", "is not an item code");
    if (req->limit < 0 || req->limit > S_LIST_MAX)
        ow_error_add_violation(err, "limit", "must be 1-%d", S_LIST_MAX);
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int limit = req->limit ? req->limit : S_LIST_DEFAULT;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1); /* one more tells whether a next page exists */
    const char *p[5] = {req->department_code, req->level, req->parent_code, req->after, lim};
    if (s_set_query(db, "intake_cat_list", 5, p, &s, err) < 0)
        goto out;
    const char *next = "";
    if (s.n > (size_t)limit) {
        s.n = (size_t)limit;
        next = s.ptrs[limit - 1]->impl_code;
    }
    rc = s_pack_list(&s, next, reply, reply_len, err);
out:
    s_set_clear(&s);
    onewindow__v1__list_items__free_unpacked(req, NULL);
    return rc;
}

int intake_catalogue_export(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                            size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__ExportCatalogue *req = NULL;
    if (len > S_SMALL_MAX || !(req = onewindow__v1__export_catalogue__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid ExportCatalogue");
        return -1;
    }
    onewindow__v1__export_catalogue__free_unpacked(req, NULL);
    s_set_t s;
    if (s_set_query(db, "intake_cat_all", 0, NULL, &s, err) < 0)
        return -1;
    int rc = s_pack_list(&s, "", reply, reply_len, err);
    s_set_clear(&s);
    return rc;
}
