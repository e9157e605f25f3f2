/* rollups — see rollups.h. The arithmetic is rating_tally's, written once more in SQL so that
 * a batch of ratings costs one statement; tests/test_rollups.c checks it against a recount. */
#include "rollups.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_outbox.h"
#include "rollup_applier.h"
#include "sql_arrays.h"

/* A rating the applier folds whose rating.recorded has no seq yet (written without a relay):
 * not in the roll-ups, and a pass will count it as it then stands. With a relay the batch
 * numbers its events at insert, and rollup_applier_hold folds the rest. The partial index
 * outbox_unsequenced finds the few unnumbered rows. */
#define S_NOT_WAITING                                                                              \
    "NOT (r.applier_folds AND EXISTS (SELECT 1 FROM outbox o WHERE o.seq IS NULL"                  \
    " AND o.type = 'rating.recorded' AND o.case_no = r.case_no))"

#define S_COUNTERS                                                                                 \
    "total, excluded, active, defaults, good, bad, g1, g2, g3, g4, g5,"                            \
    " sum_overall, n_overall, sum_efficiency, n_efficiency, sum_level, n_level, sum_attitude,"     \
    " n_attitude, sum_guide_accuracy, n_guide_accuracy, sum_convenience, n_convenience,"           \
    " sum_usability, n_usability, rectified, revisited"

/* The contribution of each rating row x to its slices. $2 is the sign: +1 adds (a rating
 * already excluded adds only to total and excluded, which is what a rebuild needs), -1 takes
 * an excluded rating out of the valid counters. v is the factor for the valid counters. */
#define S_SELECT                                                                                   \
    "SELECT d.dimension, d.key, p.period, p.start,"                                                \
    " sum(CASE WHEN $2::int > 0 THEN 1 ELSE 0 END),"                                               \
    " sum(CASE WHEN $2::int < 0 OR x.excluded THEN 1 ELSE 0 END),"                                 \
    " sum(x.v * (NOT x.is_default)::int), sum(x.v * x.is_default::int),"                           \
    " sum(x.v * (x.grade >= 3)::int), sum(x.v * (x.grade <= 2)::int),"                             \
    " sum(x.v * (x.grade = 1)::int), sum(x.v * (x.grade = 2)::int),"                               \
    " sum(x.v * (x.grade = 3)::int), sum(x.v * (x.grade = 4)::int),"                               \
    " sum(x.v * (x.grade = 5)::int),"                                                              \
    " sum(x.v * x.scores[1]), sum(x.v * (x.scores[1] > 0)::int),"                                  \
    " sum(x.v * x.scores[2]), sum(x.v * (x.scores[2] > 0)::int),"                                  \
    " sum(x.v * x.scores[3]), sum(x.v * (x.scores[3] > 0)::int),"                                  \
    " sum(x.v * x.scores[4]), sum(x.v * (x.scores[4] > 0)::int),"                                  \
    " sum(x.v * x.scores[5]), sum(x.v * (x.scores[5] > 0)::int),"                                  \
    " sum(x.v * x.scores[6]), sum(x.v * (x.scores[6] > 0)::int),"                                  \
    " sum(x.v * x.scores[7]), sum(x.v * (x.scores[7] > 0)::int),"                                  \
    " sum(x.v * (x.is_bad AND x.rectified)::int), sum(x.v * (x.is_bad AND x.revisited)::int)"      \
    " FROM (SELECT r.*, CASE WHEN $2::int < 0 THEN -1 WHEN r.excluded THEN 0 ELSE 1 END AS v,"     \
    "  (to_timestamp(r.rated_at_us / 1000000.0) AT TIME ZONE 'Asia/Shanghai')::date AS day"        \
    "  FROM ratings r WHERE %s) x"                                                                 \
    " CROSS JOIN LATERAL (VALUES ('all', ''), ('department', x.department_code),"                  \
    "  ('item', x.item_code), ('window', x.window_id), ('staff', x.staff_id),"                     \
    "  ('channel', x.channel), ('centre', x.centre_id), ('level', x.level)) d(dimension, key)"     \
    " CROSS JOIN LATERAL (VALUES ('day', x.day), ('month', date_trunc('month', x.day)::date),"     \
    "  ('quarter', date_trunc('quarter', x.day)::date),"                                           \
    "  ('year', date_trunc('year', x.day)::date)) p(period, start)"                                \
    " WHERE d.key <> '' OR d.dimension = 'all'"                                                    \
    " GROUP BY 1, 2, 3, 4"

#define S_UPSERT_TAIL                                                                              \
    " ON CONFLICT (dimension, key, period, period_start) DO UPDATE SET"                            \
    " total = o.total + EXCLUDED.total, excluded = o.excluded + EXCLUDED.excluded,"                \
    " active = o.active + EXCLUDED.active, defaults = o.defaults + EXCLUDED.defaults,"             \
    " good = o.good + EXCLUDED.good, bad = o.bad + EXCLUDED.bad, g1 = o.g1 + EXCLUDED.g1,"         \
    " g2 = o.g2 + EXCLUDED.g2, g3 = o.g3 + EXCLUDED.g3, g4 = o.g4 + EXCLUDED.g4,"                  \
    " g5 = o.g5 + EXCLUDED.g5,"                                                                    \
    " sum_overall = o.sum_overall + EXCLUDED.sum_overall,"                                         \
    " n_overall = o.n_overall + EXCLUDED.n_overall,"                                               \
    " sum_efficiency = o.sum_efficiency + EXCLUDED.sum_efficiency,"                                \
    " n_efficiency = o.n_efficiency + EXCLUDED.n_efficiency,"                                      \
    " sum_level = o.sum_level + EXCLUDED.sum_level, n_level = o.n_level + EXCLUDED.n_level,"       \
    " sum_attitude = o.sum_attitude + EXCLUDED.sum_attitude,"                                      \
    " n_attitude = o.n_attitude + EXCLUDED.n_attitude,"                                            \
    " sum_guide_accuracy = o.sum_guide_accuracy + EXCLUDED.sum_guide_accuracy,"                    \
    " n_guide_accuracy = o.n_guide_accuracy + EXCLUDED.n_guide_accuracy,"                          \
    " sum_convenience = o.sum_convenience + EXCLUDED.sum_convenience,"                             \
    " n_convenience = o.n_convenience + EXCLUDED.n_convenience,"                                   \
    " sum_usability = o.sum_usability + EXCLUDED.sum_usability,"                                   \
    " n_usability = o.n_usability + EXCLUDED.n_usability,"                                         \
    " rectified = o.rectified + EXCLUDED.rectified, revisited = o.revisited + EXCLUDED.revisited"

#define S_INSERT "INSERT INTO rollups AS o (dimension, key, period, period_start, " S_COUNTERS ") "

/* A batch's slice deltas, summed in C (rollup_deltas_t), as 31 parallel arrays. ORDER BY: two
 * batches touching the same slices lock them in the same order, so they queue rather than
 * deadlock. */
#define S_DELTAS_SQL                                                                               \
    S_INSERT "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[],"                \
             " $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],"              \
             " $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],"         \
             " $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[],"         \
             " $20::bigint[], $21::bigint[], $22::bigint[], $23::bigint[], $24::bigint[],"         \
             " $25::bigint[], $26::bigint[], $27::bigint[], $28::bigint[], $29::bigint[],"         \
             " $30::bigint[], $31::bigint[]) ORDER BY 1, 2, 3, 4" S_UPSERT_TAIL

static const char *const s_dimensions[] = {"all",   "department", "item",   "window",
                                           "staff", "channel",    "centre", "level"};
static const char *const s_periods[] = {"day", "month", "quarter", "year"};

bool rollups_dimension_valid(const char *dimension)
{
    for (size_t i = 0; dimension && i < sizeof s_dimensions / sizeof s_dimensions[0]; i++)
        if (strcmp(dimension, s_dimensions[i]) == 0)
            return true;
    return false;
}

bool rollups_period_valid(const char *period)
{
    for (size_t i = 0; period && i < sizeof s_periods / sizeof s_periods[0]; i++)
        if (strcmp(period, s_periods[i]) == 0)
            return true;
    return false;
}

int rollups_prepare(ow_db_t *db, ow_error_t *err)
{
    /* rollup_applier_hold's, for exclusions and the rebuild (registering twice is harmless). */
    if (rollup_applier_prepare(db, err) != 0)
        return -1;
    char sql[8192];
    snprintf(sql, sizeof sql, S_INSERT S_SELECT S_UPSERT_TAIL,
             "r.rating_id = ANY ($1::uuid[]) AND " S_NOT_WAITING);
    if (ow_db_prepare(db, "evaluation_rollups_apply", sql, err) != 0)
        return -1;
    /* $1 unused by the rebuild; kept so both share S_SELECT. */
    snprintf(sql, sizeof sql, S_INSERT S_SELECT S_UPSERT_TAIL,
             "($1::text IS NULL OR true) AND " S_NOT_WAITING);
    if (ow_db_prepare(db, "evaluation_rollups_rebuild", sql, err) != 0)
        return -1;
    if (ow_db_prepare(db, "evaluation_rollups_deltas", S_DELTAS_SQL, err) != 0)
        return -1;
    return ow_db_prepare(db, "evaluation_rollups_read",
                         "SELECT key, period_start::text, " S_COUNTERS " FROM rollups"
                         " WHERE dimension = $1 AND period = $3 AND ($2 = '' OR key = $2)"
                         " AND period_start BETWEEN $4::date AND $5::date"
                         " AND ($7::date IS NULL OR (period_start, key) > ($7::date, $8))"
                         " ORDER BY period_start, key LIMIT $6",
                         err);
}

int rollups_prepare_progress(ow_db_t *db, ow_error_t *err)
{
    if (rollup_applier_prepare(db, err) != 0)
        return -1;
    /* Only the two counters of the rating's slices; a row missing would mean the rating was
     * never rolled up, so the insert side only guards against that. */
    return ow_db_prepare(
        db, "evaluation_rollups_progress",
        "INSERT INTO rollups AS o (dimension, key, period, period_start, rectified, revisited)"
        " SELECT d.dimension, d.key, p.period, p.start, $2::bigint, $3::bigint"
        " FROM (SELECT r.*, (to_timestamp(r.rated_at_us / 1000000.0) AT TIME ZONE"
        "  'Asia/Shanghai')::date AS day FROM ratings r WHERE r.rating_id = $1::uuid"
        "  AND NOT r.excluded AND r.is_bad"
        "  AND " S_NOT_WAITING ") x"
        " CROSS JOIN LATERAL (VALUES ('all', ''), ('department', x.department_code),"
        "  ('item', x.item_code), ('window', x.window_id), ('staff', x.staff_id),"
        "  ('channel', x.channel), ('centre', x.centre_id), ('level', x.level)) d(dimension, key)"
        " CROSS JOIN LATERAL (VALUES ('day', x.day), ('month', date_trunc('month', x.day)::date),"
        "  ('quarter', date_trunc('quarter', x.day)::date),"
        "  ('year', date_trunc('year', x.day)::date)) p(period, start)"
        " WHERE d.key <> '' OR d.dimension = 'all' ORDER BY 1, 2, 3, 4"
        " ON CONFLICT (dimension, key, period, period_start) DO UPDATE SET"
        " rectified = o.rectified + EXCLUDED.rectified,"
        " revisited = o.revisited + EXCLUDED.revisited",
        err);
}

int rollups_apply_progress(ow_db_t *db, const char *rating_id, int rectified, int revisited,
                           ow_error_t *err)
{
    char a[8], b[8];
    snprintf(a, sizeof a, "%d", rectified);
    snprintf(b, sizeof b, "%d", revisited);
    const char *params[] = {rating_id, a, b};
    PGresult *res = ow_db_exec(db, "evaluation_rollups_progress", 3, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int rollups_apply(ow_db_t *db, const char *const *rating_ids, size_t count, int sign,
                  ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    size_t cap = count * 39 + 3;
    char *array = malloc(cap);
    if (!array) {
        ow_error_set(err, OW_INTERNAL, "out of memory listing %zu ratings", count);
        goto cleanup;
    }
    /* A Postgres array literal of UUIDs: they are hex and dashes only, nothing to quote. */
    size_t at = 0;
    array[at++] = '{';
    for (size_t i = 0; i < count; i++)
        at += (size_t)snprintf(array + at, cap - at, "%s%.36s", i ? "," : "", rating_ids[i]);
    array[at++] = '}';
    array[at] = '\0';
    const char *params[] = {array, sign < 0 ? "-1" : "1"};
    res = ow_db_exec(db, "evaluation_rollups_apply", 2, params, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    free(array);
    return rc;
}

int rollups_rebuild(ow_db_t *db, ow_error_t *err)
{
    /* The relay's lock stops numbering: every rating whose event has a seq is then visible to
     * the rebuild below (taken after it), and the watermark can move to the last seq. */
    uint64_t last_seq = 0;
    if (rollup_applier_hold(db, err) != 0 || ow_outbox_hold_numbering(db, &last_seq, err) != 0 ||
        ow_db_run(db, "DELETE FROM rollups", err) != 0)
        return -1;
    const char *params[] = {NULL, "1"};
    PGresult *res = ow_db_exec(db, "evaluation_rollups_rebuild", 2, params, err);
    if (!res)
        return -1;
    PQclear(res);
    char last[24];
    snprintf(last, sizeof last, "%" PRIu64, last_seq);
    const char *advance[] = {last};
    if (!(res = ow_db_exec(db, "evaluation_applier_advance", 1, advance, err)))
        return -1;
    PQclear(res);
    return 0;
}

static void s_tally_from_row(const PGresult *res, int row, int col, rating_tally_t *t)
{
    int64_t *f[] = {&t->total,      &t->excluded,   &t->active,     &t->defaults,
                    &t->good,       &t->bad,        &t->grade_n[1], &t->grade_n[2],
                    &t->grade_n[3], &t->grade_n[4], &t->grade_n[5]};
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = strtoll(PQgetvalue(res, row, col++), NULL, 10);
    for (int k = 0; k < INDICATOR_COUNT; k++) {
        t->ind_sum[k] = strtoll(PQgetvalue(res, row, col++), NULL, 10);
        t->ind_n[k] = strtoll(PQgetvalue(res, row, col++), NULL, 10);
    }
    t->rectified = strtoll(PQgetvalue(res, row, col++), NULL, 10);
    t->revisited = strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int rollups_read(ow_db_t *db, const char *dimension, const char *key, const char *period,
                 const char *from, const char *to, const char *after_start, const char *after_key,
                 size_t max, rollup_row_t **rows, size_t *count, ow_error_t *err)
{
    int rc = -1;
    char limit[24];
    *rows = NULL;
    *count = 0;
    snprintf(limit, sizeof limit, "%zu", max);
    const char *params[] = {dimension, key ? key : "", period,      from,
                            to,        limit,          after_start, after_key ? after_key : ""};
    PGresult *res = ow_db_exec(db, "evaluation_rollups_read", 8, params, err);
    if (!res)
        goto cleanup;
    int n = PQntuples(res);
    *rows = calloc(n ? (size_t)n : 1, sizeof **rows);
    if (!*rows) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading %d roll-up rows", n);
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        snprintf((*rows)[i].key, sizeof(*rows)[i].key, "%s", PQgetvalue(res, i, 0));
        snprintf((*rows)[i].period_start, sizeof(*rows)[i].period_start, "%s",
                 PQgetvalue(res, i, 1));
        s_tally_from_row(res, i, 2, &(*rows)[i].tally);
    }
    *count = (size_t)n;
    rc = 0;
cleanup:
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
    }
    PQclear(res);
    return rc;
}

/* ---- deltas aggregated in C ---- */

const char *rollups_dimension_name(size_t i)
{
    return i < ROLLUP_DIMENSIONS ? s_dimensions[i] : NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static int32_t s_days_from_civil(int32_t y, int32_t m, int32_t d)
{
    y -= m <= 2;
    int32_t era = (y >= 0 ? y : y - 399) / 400;
    int32_t yoe = y - era * 400;
    int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int32_t z, int32_t *y, int32_t *m, int32_t *d)
{
    z += 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

void rollups_period_starts(int64_t t_us, int32_t out[4])
{
    /* Reports are in China time; Asia/Shanghai is UTC+8 with no DST since 1991. */
    int64_t s = t_us / 1000000 - (t_us % 1000000 < 0) + 8 * 3600;
    int32_t day = (int32_t)(s / 86400 - (s % 86400 < 0));
    int32_t y, m, d;
    s_civil_from_days(day, &y, &m, &d);
    out[0] = day;
    out[1] = s_days_from_civil(y, m, 1);
    out[2] = s_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
    out[3] = s_days_from_civil(y, 1, 1);
}

#define S_SLICE_KEY_MAX 129

typedef struct {
    bool used;
    uint8_t dimension;
    uint8_t period;
    int32_t start;
    char key[S_SLICE_KEY_MAX];
    rating_tally_t tally;
} s_slice_t;

struct rollup_deltas {
    s_slice_t *slots; /* open addressing, capacity a power of two, at most half full */
    size_t capacity;
    size_t count;
};

rollup_deltas_t *rollup_deltas_new(void)
{
    rollup_deltas_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->capacity = 256;
    self->slots = calloc(self->capacity, sizeof *self->slots);
    if (!self->slots)
        free(self), self = NULL;
    return self;
}

void rollup_deltas_destroy(rollup_deltas_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

size_t rollup_deltas_count(const rollup_deltas_t *self)
{
    return self->count;
}

static uint64_t s_hash(uint8_t dimension, uint8_t period, int32_t start, const char *key)
{
    uint64_t h = 1469598103934665603u ^
                 ((uint64_t)dimension << 40 | (uint64_t)period << 32 | (uint32_t)start);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9u;
}

/* The slot of a slice: its own, or the empty one where it belongs. */
static s_slice_t *s_find(s_slice_t *slots, size_t capacity, uint8_t dimension, uint8_t period,
                         int32_t start, const char *key)
{
    size_t i = (size_t)s_hash(dimension, period, start, key) & (capacity - 1);
    while (slots[i].used && (slots[i].dimension != dimension || slots[i].period != period ||
                             slots[i].start != start || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

static int s_grow(rollup_deltas_t *self)
{
    size_t capacity = self->capacity * 2;
    s_slice_t *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots[i].used)
            *s_find(slots, capacity, self->slots[i].dimension, self->slots[i].period,
                    self->slots[i].start, self->slots[i].key) = self->slots[i];
    free(self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

int rollup_deltas_add(rollup_deltas_t *self, const rollup_rating_t *r)
{
    int32_t starts[4];
    rollups_period_starts(r->rated_at_us, starts);
    for (uint8_t d = 0; d < ROLLUP_DIMENSIONS; d++) {
        const char *key = d == 0 ? "" : r->keys[d] ? r->keys[d] : "";
        if (d > 0 && !*key) /* as the SQL path: an unknown window or staff is no slice */
            continue;
        if (strlen(key) >= S_SLICE_KEY_MAX)
            return -1;
        for (uint8_t p = 0; p < 4; p++) {
            if ((self->count + 1) * 2 > self->capacity && s_grow(self) != 0)
                return -1;
            s_slice_t *slot = s_find(self->slots, self->capacity, d, p, starts[p], key);
            if (!slot->used) {
                slot->used = true;
                slot->dimension = d;
                slot->period = p;
                slot->start = starts[p];
                snprintf(slot->key, sizeof slot->key, "%s", key);
                self->count++;
            }
            if (r->excluded) { /* as the SQL path: kept, in no figure but these two */
                slot->tally.total++;
                slot->tally.excluded++;
            } else
                rating_tally_add(&slot->tally, &r->sample);
        }
    }
    return 0;
}

rating_tally_t rollup_deltas_get(const rollup_deltas_t *self, const char *dimension,
                                 const char *key, const char *period, int64_t t_us)
{
    rating_tally_t zero = {0};
    int32_t starts[4];
    rollups_period_starts(t_us, starts);
    for (uint8_t d = 0; d < ROLLUP_DIMENSIONS; d++)
        for (uint8_t p = 0; p < 4; p++)
            if (strcmp(s_dimensions[d], dimension) == 0 && strcmp(s_periods[p], period) == 0) {
                s_slice_t *slot =
                    s_find(self->slots, self->capacity, d, p, starts[p], key ? key : "");
                return slot->used ? slot->tally : zero;
            }
    return zero;
}

#define S_DELTA_ARRAYS (4 + 27)

int rollup_deltas_apply(ow_db_t *db, const rollup_deltas_t *self, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    sql_array_t a[S_DELTA_ARRAYS];
    memset(a, 0, sizeof a);
    if (self->count == 0)
        return 0;
    for (size_t i = 0; i < self->capacity; i++) {
        const s_slice_t *sl = &self->slots[i];
        if (!sl->used)
            continue;
        char date[16];
        int32_t y, m, d;
        s_civil_from_days(sl->start, &y, &m, &d);
        snprintf(date, sizeof date, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
        sql_array_add_text(&a[0], s_dimensions[sl->dimension]);
        sql_array_add_text(&a[1], sl->key);
        sql_array_add_text(&a[2], s_periods[sl->period]);
        sql_array_add_text(&a[3], date);
        const rating_tally_t *t = &sl->tally;
        int64_t v[27] = {t->total,      t->excluded,   t->active,     t->defaults,
                         t->good,       t->bad,        t->grade_n[1], t->grade_n[2],
                         t->grade_n[3], t->grade_n[4], t->grade_n[5]};
        for (int k = 0; k < INDICATOR_COUNT; k++) {
            v[11 + 2 * k] = t->ind_sum[k];
            v[12 + 2 * k] = t->ind_n[k];
        }
        v[25] = t->rectified;
        v[26] = t->revisited;
        for (size_t k = 0; k < 27; k++)
            sql_array_add_int(&a[4 + k], v[k]);
    }
    const char *params[S_DELTA_ARRAYS];
    for (size_t k = 0; k < S_DELTA_ARRAYS; k++) {
        params[k] = sql_array_text(&a[k]);
        if (!params[k]) {
            ow_error_set(err, OW_INTERNAL, "out of memory listing %zu roll-up slices", self->count);
            goto cleanup;
        }
    }
    res = ow_db_exec(db, "evaluation_rollups_deltas", S_DELTA_ARRAYS, params, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    for (size_t k = 0; k < S_DELTA_ARRAYS; k++)
        sql_array_clear(&a[k]);
    return rc;
}
