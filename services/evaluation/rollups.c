/* rollups — see rollups.h. The arithmetic is rating_tally's, written once more in SQL so that
 * a batch of ratings costs one statement; tests/test_rollups.c checks it against a recount. */
#include "rollups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    " sum(x.v * x.scores[7]), sum(x.v * (x.scores[7] > 0)::int), 0, 0"                             \
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
    char sql[8192];
    snprintf(sql, sizeof sql, S_INSERT S_SELECT S_UPSERT_TAIL, "r.rating_id = ANY ($1::uuid[])");
    if (ow_db_prepare(db, "evaluation_rollups_apply", sql, err) != 0)
        return -1;
    /* $1 unused by the rebuild; kept so both share S_SELECT. */
    snprintf(sql, sizeof sql, S_INSERT S_SELECT S_UPSERT_TAIL, "$1::text IS NULL OR true");
    if (ow_db_prepare(db, "evaluation_rollups_rebuild", sql, err) != 0)
        return -1;
    return ow_db_prepare(db, "evaluation_rollups_read",
                         "SELECT key, period_start::text, " S_COUNTERS " FROM rollups"
                         " WHERE dimension = $1 AND period = $3 AND ($2 = '' OR key = $2)"
                         " AND period_start BETWEEN $4::date AND $5::date"
                         " ORDER BY period_start, key LIMIT $6",
                         err);
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
    if (ow_db_run(db, "DELETE FROM rollups", err) != 0)
        return -1;
    const char *params[] = {NULL, "1"};
    PGresult *res = ow_db_exec(db, "evaluation_rollups_rebuild", 2, params, err);
    if (!res)
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
                 const char *from, const char *to, size_t max, rollup_row_t **rows, size_t *count,
                 ow_error_t *err)
{
    int rc = -1;
    char limit[24];
    *rows = NULL;
    *count = 0;
    snprintf(limit, sizeof limit, "%zu", max);
    const char *params[] = {dimension, key ? key : "", period, from, to, limit};
    PGresult *res = ow_db_exec(db, "evaluation_rollups_read", 6, params, err);
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
    PQclear(res);
    return rc;
}
