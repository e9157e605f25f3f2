#include "catalogue_csv.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_text.h"

/* The columns, items' first (each an item field unless noted), then the material's. */
enum {
    C_IMPL_CODE,
    C_ITEM_CODE,
    C_NAME,
    C_LEVEL,
    C_PARENT_CODE,
    C_ITEM_TYPE,
    C_DEPARTMENT_CODE,
    C_DEPARTMENT_NAME,
    C_LEGAL_BASIS,
    C_HANDLING_KIND,
    C_LEGAL_LIMIT,
    C_PROMISED_LIMIT,
    C_LIMIT_UNIT,
    C_FEE_YUAN,
    C_CENTRES,
    C_LANES,
    C_ITEM_COLUMNS, /* the first material column */
    C_MATERIAL_CODE = C_ITEM_COLUMNS,
    C_MATERIAL_NAME,
    C_MATERIAL_FORM,
    C_MATERIAL_COPIES,
    C_MATERIAL_REQUIRED,
    C_MATERIAL_RONGQUE,
    C_MATERIAL_SHARED,
    C_COUNT
};

const char *const catalogue_csv_columns[] = {"impl_code",
                                             "item_code",
                                             "name",
                                             "level",
                                             "parent_code",
                                             "item_type",
                                             "department_code",
                                             "department_name",
                                             "legal_basis",
                                             "handling_kind",
                                             "legal_limit",
                                             "promised_limit",
                                             "limit_unit",
                                             "fee_yuan",
                                             "centres",
                                             "lanes",
                                             "material_code",
                                             "material_name",
                                             "material_form",
                                             "material_copies",
                                             "material_required",
                                             "material_rongque",
                                             "material_shared",
                                             NULL};

/* The API field of each material column. */
static const char *const s_material_fields[] = {
    "code", "name", "form", "copies", "required", "rongque_allowed", "shared_by_data"};

/* ---- RFC 4180 records ---- */

typedef struct {
    char **f;
    size_t n, cap;
} s_record_t;

static void s_record_clear(s_record_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->f[i]);
    free(r->f);
    memset(r, 0, sizeof *r);
}

typedef struct {
    char *b;
    size_t n, cap;
} s_buf_t;

static int s_put(s_buf_t *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *nb = realloc(b->b, cap);
        if (!nb)
            return -1;
        b->b = nb;
        b->cap = cap;
    }
    memcpy(b->b + b->n, s, n);
    b->n += n;
    b->b[b->n] = '\0';
    return 0;
}

static int s_end_field(s_record_t *r, s_buf_t *field)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        char **nf = realloc(r->f, cap * sizeof *nf);
        if (!nf)
            return -1;
        r->f = nf;
        r->cap = cap;
    }
    r->f[r->n++] = field->b ? field->b : strdup("");
    memset(field, 0, sizeof *field);
    return r->f[r->n - 1] ? 0 : -1;
}

/* Reads the record at *pos into r (cleared first). Returns 1, 0 at the end of the text, -1
 * when a quoted field is never closed or memory runs out. */
static int s_next_record(const char *t, size_t len, size_t *pos, s_record_t *r)
{
    s_record_clear(r);
    size_t i = *pos;
    if (i >= len)
        return 0;
    s_buf_t field = {0};
    for (;;) {
        if (i < len && t[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    free(field.b);
                    return -1;
                }
                if (t[i] == '"' && i + 1 < len && t[i + 1] == '"') {
                    if (s_put(&field, "\"", 1) < 0)
                        goto oom;
                    i += 2;
                } else if (t[i] == '"') {
                    i++;
                    break;
                } else {
                    if (s_put(&field, t + i, 1) < 0)
                        goto oom;
                    i++;
                }
            }
        }
        /* Unquoted text (or text after a closing quote, kept as written). */
        while (i < len && t[i] != ',' && t[i] != '\n' && t[i] != '\r') {
            if (s_put(&field, t + i, 1) < 0)
                goto oom;
            i++;
        }
        if (s_end_field(r, &field) < 0)
            goto oom;
        if (i < len && t[i] == ',') {
            i++;
            continue;
        }
        if (i < len && t[i] == '\r')
            i++;
        if (i < len && t[i] == '\n')
            i++;
        break;
    }
    *pos = i;
    return 1;
oom:
    free(field.b);
    return -1;
}

/* ---- reading the catalogue ---- */

static const char *s_cell(const s_record_t *r, const int *col, int c)
{
    int i = col[c];
    return i >= 0 && (size_t)i < r->n ? r->f[i] : "";
}

static void s_problem(json_t *problems, int row, const char *field, const char *message)
{
    json_array_append_new(
        problems, json_pack("{s:i, s:s, s:s}", "row", row, "field", field, "message", message));
}

static bool s_int(const char *s, long lo, long hi, long *out)
{
    while (*s == ' ')
        s++;
    if (!*s) {
        *out = 0;
        return true;
    }
    char *end = NULL;
    long v = strtol(s, &end, 10);
    while (end && *end == ' ')
        end++;
    if (!end || *end || !isdigit((unsigned char)s[s[0] == '-' ? 1 : 0]) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "12", "12.5", "12.50" yuan → cents. */
static bool s_yuan(const char *s, long long *cents)
{
    while (*s == ' ')
        s++;
    long long whole = 0, frac = 0;
    int fd = 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > 100000000000LL)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s) && fd < 3; s++, fd++)
            frac = frac * 10 + (*s - '0');
    while (*s == ' ')
        s++;
    if (*s || fd > 2)
        return false;
    if (fd == 1)
        frac *= 10;
    *cents = whole * 100 + frac;
    return true;
}

static bool s_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "y", "true", "1", "是", "Y", "YES", "TRUE"};
    static const char *const no[] = {"no", "n", "false", "0", "否", "", "N", "NO", "FALSE"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(s, yes[i]) == 0)
            return (*out = true);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    return false;
}

/* "a; b;c" → ["a","b","c"]. */
static json_t *s_list(const char *s)
{
    json_t *a = json_array();
    char *copy = strdup(s);
    if (!a || !copy) {
        free(copy);
        json_decref(a);
        return NULL;
    }
    for (char *save = NULL, *w = strtok_r(copy, ";", &save); w; w = strtok_r(NULL, ";", &save)) {
        while (*w == ' ')
            w++;
        size_t n = strlen(w);
        while (n > 0 && w[n - 1] == ' ')
            w[--n] = '\0';
        if (n)
            json_array_append_new(a, json_string(w));
    }
    free(copy);
    return a;
}

static bool s_all_empty(const s_record_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->f[i][0])
            return false;
    return true;
}

/* The item of the first row (NULL when a cell cannot be read: problems added). */
static json_t *s_item(const s_record_t *r, const int *col, int row, json_t *problems)
{
    json_t *it = json_object();
    bool ok = it != NULL;
    static const int strings[] = {C_IMPL_CODE,       C_ITEM_CODE,       C_NAME,
                                  C_LEVEL,           C_PARENT_CODE,     C_ITEM_TYPE,
                                  C_DEPARTMENT_CODE, C_DEPARTMENT_NAME, C_LEGAL_BASIS,
                                  C_HANDLING_KIND,   C_LIMIT_UNIT};
    for (size_t i = 0; ok && i < sizeof strings / sizeof strings[0]; i++) {
        const char *v = s_cell(r, col, strings[i]);
        if (v[0])
            json_object_set_new(it, catalogue_csv_columns[strings[i]], json_string(v));
    }
    long v = 0;
    const int limits[] = {C_LEGAL_LIMIT, C_PROMISED_LIMIT};
    for (int i = 0; ok && i < 2; i++) {
        const char *name = catalogue_csv_columns[limits[i]];
        if (s_int(s_cell(r, col, limits[i]), 0, 100000, &v))
            json_object_set_new(it, name, json_integer(v));
        else
            s_problem(problems, row, name, "must be a whole number from 0 (empty = 0)"), ok = false;
    }
    long long cents = 0;
    if (ok && s_yuan(s_cell(r, col, C_FEE_YUAN), &cents)) {
        json_object_set_new(it, "fee_cents", json_integer(cents));
    } else if (ok) {
        s_problem(problems, row, "fee_yuan", "must be an amount in yuan such as 12 or 12.50");
        ok = false;
    }
    if (ok) {
        json_object_set_new(it, "centres", s_list(s_cell(r, col, C_CENTRES)));
        json_object_set_new(it, "lanes", s_list(s_cell(r, col, C_LANES)));
        json_object_set_new(it, "materials", json_array());
    }
    if (!ok) {
        json_decref(it);
        return NULL;
    }
    return it;
}

/* The material of a row, NULL when the material columns are empty (*bad on a problem). */
static json_t *s_material(const s_record_t *r, const int *col, int row, json_t *problems, bool *bad)
{
    bool empty = true;
    for (int c = C_MATERIAL_CODE; c < C_COUNT; c++)
        empty = empty && !s_cell(r, col, c)[0];
    if (empty)
        return NULL;
    json_t *m = json_object();
    json_object_set_new(m, "code", json_string(s_cell(r, col, C_MATERIAL_CODE)));
    json_object_set_new(m, "name", json_string(s_cell(r, col, C_MATERIAL_NAME)));
    json_object_set_new(m, "form", json_string(s_cell(r, col, C_MATERIAL_FORM)));
    long copies = 1;
    const char *cs = s_cell(r, col, C_MATERIAL_COPIES);
    if (cs[0] && !s_int(cs, 0, 99, &copies)) {
        s_problem(problems, row, "material_copies", "must be a whole number 0-99 (empty = 1)");
        *bad = true;
    }
    json_object_set_new(m, "copies", json_integer(copies));
    for (int c = C_MATERIAL_REQUIRED; c < C_COUNT; c++) {
        bool v = false;
        if (!s_bool(s_cell(r, col, c), &v)) {
            s_problem(problems, row, catalogue_csv_columns[c], "must be yes or no (是/否)");
            *bad = true;
        }
        json_object_set_new(m, s_material_fields[c - C_MATERIAL_CODE], json_boolean(v));
    }
    return m;
}

int catalogue_csv_read(const char *text, size_t len, json_t **items_out, json_t **rows_out,
                       json_t **problems_out, char *msg, size_t size)
{
    size_t pos = 0;
    s_record_t rec = {0}, first = {0};
    int col[C_COUNT];
    json_t *items = json_array(), *rows = json_array(), *problems = json_array();
    json_t *item = NULL, *info = NULL;
    bool item_bad = false;
    int item_row = 0;
    int rc = -1;
    *items_out = *rows_out = *problems_out = NULL;

    if (!items || !rows || !problems) {
        snprintf(msg, size, "out of memory");
        goto done;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* the byte-order mark spreadsheets write */
    char *copy = strndup(text + pos, len - pos);
    bool utf8 = copy && ow_text_utf8_valid(copy);
    free(copy);
    if (!utf8 || memchr(text, '\0', len)) {
        snprintf(msg, size, "the file is not UTF-8 text (save the spreadsheet as CSV UTF-8)");
        goto done;
    }
    int got = s_next_record(text, len, &pos, &rec);
    if (got <= 0) {
        snprintf(msg, size,
                 got == 0 ? "the file is empty: row 1 must name the columns"
                          : "row 1: a quoted field is never closed");
        goto done;
    }
    for (int c = 0; c < C_COUNT; c++)
        col[c] = -1;
    for (size_t i = 0; i < rec.n; i++) {
        int c = 0;
        while (c < C_COUNT && strcmp(rec.f[i], catalogue_csv_columns[c]) != 0)
            c++;
        if (c == C_COUNT) {
            snprintf(msg, size, "row 1: unknown column '%.64s' (the columns are in docs/intake.md)",
                     rec.f[i]);
            goto done;
        }
        if (col[c] >= 0) {
            snprintf(msg, size, "row 1: column '%s' twice", rec.f[i]);
            goto done;
        }
        col[c] = (int)i;
    }
    for (int c = 0; c < C_COUNT; c++)
        if (col[c] < 0) {
            snprintf(msg, size, "row 1: column '%s' is missing", catalogue_csv_columns[c]);
            goto done;
        }
    for (int row = 2;; row++) {
        got = s_next_record(text, len, &pos, &rec);
        if (got < 0) {
            snprintf(msg, size, "row %d: a quoted field is never closed", row);
            goto done;
        }
        bool end = got == 0;
        if (!end && s_all_empty(&rec))
            continue;
        const char *code = end ? "" : s_cell(&rec, col, C_IMPL_CODE);
        bool same = item && code[0] && strcmp(code, s_cell(&first, col, C_IMPL_CODE)) == 0;
        if (!same && (item || item_bad)) {
            /* the item before this row is complete */
            if (!item_bad && item) {
                json_array_append(items, item);
                json_array_append(rows, info);
            }
            json_decref(item);
            json_decref(info);
            item = info = NULL;
            item_bad = false;
        }
        if (end)
            break;
        if (!code[0]) {
            s_problem(problems, row, "impl_code", "is required on every row of an item");
            continue;
        }
        if (!same) {
            s_record_clear(&first);
            first = rec;
            memset(&rec, 0, sizeof rec);
            item_row = row;
            item = s_item(&first, col, row, problems);
            item_bad = item == NULL;
            info = json_pack("{s:i, s:[]}", "row", row, "materials");
            if (!item) /* keep the run together so its other rows are not new items */
                item = json_object();
        } else {
            for (int c = 0; c < C_ITEM_COLUMNS; c++) {
                const char *v = s_cell(&rec, col, c);
                if (v[0] && strcmp(v, s_cell(&first, col, c)) != 0) {
                    char m[160];
                    snprintf(m, sizeof m,
                             "differs from row %d, the item's first row: leave it empty or "
                             "repeat it",
                             item_row);
                    s_problem(problems, row, catalogue_csv_columns[c], m);
                    item_bad = true;
                }
            }
        }
        const s_record_t *r = same ? &rec : &first;
        json_t *m = s_material(r, col, row, problems, &item_bad);
        if (m) {
            json_array_append_new(json_object_get(item, "materials"), m);
            json_array_append_new(json_object_get(info, "materials"), json_integer(row));
        }
    }
    rc = 0;
    *items_out = items;
    *rows_out = rows;
    *problems_out = problems;
    items = rows = problems = NULL;
done:
    json_decref(item);
    json_decref(info);
    json_decref(items);
    json_decref(rows);
    json_decref(problems);
    s_record_clear(&rec);
    s_record_clear(&first);
    return rc;
}

/* ---- writing ---- */

static int s_field(s_buf_t *b, const char *s, bool last)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    int rc = 0;
    if (quote) {
        rc |= s_put(b, "\"", 1);
        for (const char *p = s; *p; p++)
            rc |= *p == '"' ? s_put(b, "\"\"", 2) : s_put(b, p, 1);
        rc |= s_put(b, "\"", 1);
    } else {
        rc |= s_put(b, s, strlen(s));
    }
    rc |= last ? s_put(b, "\r\n", 2) : s_put(b, ",", 1);
    return rc;
}

static const char *s_str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void s_join(const json_t *a, char *out, size_t size)
{
    out[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", i ? ";" : "", json_string_value(v) ?: "");
    }
}

char *catalogue_csv_write(const json_t *items)
{
    s_buf_t b = {0};
    int rc = 0;
    for (int c = 0; c < C_COUNT; c++)
        rc |= s_field(&b, catalogue_csv_columns[c], c == C_COUNT - 1);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        char cells[C_ITEM_COLUMNS][8192];
        static const int strings[] = {C_IMPL_CODE,       C_ITEM_CODE,       C_NAME,
                                      C_LEVEL,           C_PARENT_CODE,     C_ITEM_TYPE,
                                      C_DEPARTMENT_CODE, C_DEPARTMENT_NAME, C_LEGAL_BASIS,
                                      C_HANDLING_KIND,   C_LIMIT_UNIT};
        for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
            snprintf(cells[strings[k]], sizeof cells[0], "%s",
                     s_str(it, catalogue_csv_columns[strings[k]]));
        snprintf(cells[C_LEGAL_LIMIT], sizeof cells[0], "%lld",
                 (long long)json_integer_value(json_object_get(it, "legal_limit")));
        snprintf(cells[C_PROMISED_LIMIT], sizeof cells[0], "%lld",
                 (long long)json_integer_value(json_object_get(it, "promised_limit")));
        long long fee = json_integer_value(json_object_get(it, "fee_cents"));
        if (fee % 100)
            snprintf(cells[C_FEE_YUAN], sizeof cells[0], "%lld.%02lld", fee / 100, fee % 100);
        else
            snprintf(cells[C_FEE_YUAN], sizeof cells[0], "%lld", fee / 100);
        s_join(json_object_get(it, "centres"), cells[C_CENTRES], sizeof cells[0]);
        s_join(json_object_get(it, "lanes"), cells[C_LANES], sizeof cells[0]);
        const json_t *mats = json_object_get(it, "materials");
        size_t nm = json_array_size(mats);
        for (size_t k = 0; k < (nm ? nm : 1); k++) {
            for (int c = 0; c < C_ITEM_COLUMNS; c++)
                rc |= s_field(&b, cells[c], false);
            const json_t *m = json_array_get(mats, k);
            char copies[16] = "";
            if (m)
                snprintf(copies, sizeof copies, "%lld",
                         (long long)json_integer_value(json_object_get(m, "copies")));
            rc |= s_field(&b, m ? s_str(m, "code") : "", false);
            rc |= s_field(&b, m ? s_str(m, "name") : "", false);
            rc |= s_field(&b, m ? s_str(m, "form") : "", false);
            rc |= s_field(&b, copies, false);
            for (int c = C_MATERIAL_REQUIRED; c < C_COUNT; c++) {
                const char *f = s_material_fields[c - C_MATERIAL_CODE];
                rc |= s_field(&b,
                              !m                                    ? ""
                              : json_is_true(json_object_get(m, f)) ? "yes"
                                                                    : "no",
                              c == C_COUNT - 1);
            }
        }
    }
    if (rc) {
        free(b.b);
        return NULL;
    }
    return b.b ? b.b : strdup("");
}

void catalogue_csv_locate(const json_t *rowinfo, const char *field, int *row, char *column,
                          size_t size)
{
    *row = (int)json_integer_value(json_object_get(rowinfo, "row"));
    unsigned k = 0;
    char sub[64] = "";
    if (sscanf(field, "materials[%u].%63s", &k, sub) == 2) {
        const json_t *r = json_array_get(json_object_get(rowinfo, "materials"), k);
        if (r)
            *row = (int)json_integer_value(r);
        for (int c = C_MATERIAL_CODE; c < C_COUNT; c++)
            if (strcmp(sub, s_material_fields[c - C_MATERIAL_CODE]) == 0) {
                snprintf(column, size, "%s", catalogue_csv_columns[c]);
                return;
            }
        snprintf(column, size, "material_%s", sub);
    } else if (strncmp(field, "centres", 7) == 0) {
        snprintf(column, size, "centres");
    } else if (strncmp(field, "lanes", 5) == 0) {
        snprintf(column, size, "lanes");
    } else if (strcmp(field, "fee_cents") == 0) {
        snprintf(column, size, "fee_yuan");
    } else if (strncmp(field, "materials", 9) == 0) {
        snprintf(column, size, "material_code");
    } else {
        snprintf(column, size, "%s", field);
    }
}
