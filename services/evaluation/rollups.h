/* rollups — incremental roll-ups of ratings (DOMAIN.md §6 published figures) so that no report
 * scans raw ratings. One row per slice (dimension value × period) holds the counters of
 * rating_tally_t; each rating adds to its 8 dimensions (all, department, item, window, staff,
 * channel, centre, level; an empty value is skipped) × 4 periods (day, month, quarter, year,
 * in China time) in the rating's own transaction, and an exclusion (upheld appeal) takes it out
 * again. Plain functions over an ow_db_t. */
#ifndef EVALUATION_ROLLUPS_H
#define EVALUATION_ROLLUPS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_status.h"
#include "rating_tally.h"

#define ROLLUP_KEY_MAX 65

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rollups_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: adds the ratings with these ids (text UUIDs) to their
 * slices (sign +1), or takes them out after they were marked excluded (sign -1). Returns 0 or
 * -1 with err (the caller rolls back). */
int rollups_apply(ow_db_t *db, const char *const *rating_ids, size_t count, int sign,
                  ow_error_t *err);

/* Throws every roll-up away and recomputes it from the raw ratings (repair, and seeding the
 * benchmark). Inside the caller's transaction. */
int rollups_rebuild(ow_db_t *db, ow_error_t *err);

/* True for all, department, item, window, staff, channel, centre, level. */
bool rollups_dimension_valid(const char *dimension);
/* True for day, month, quarter, year. */
bool rollups_period_valid(const char *period);

typedef struct {
    char key[ROLLUP_KEY_MAX];
    char period_start[11]; /* YYYY-MM-DD */
    rating_tally_t tally;
} rollup_row_t;

/* Reads the slices of `dimension` (key: one value, or "" for every value) in `period` whose
 * period_start is within [from, to] (dates YYYY-MM-DD), ordered by period_start, key. At most
 * max rows; *rows is a new array (caller frees), *count its length. Returns 0 or -1 with
 * err. */
int rollups_read(ow_db_t *db, const char *dimension, const char *key, const char *period,
                 const char *from, const char *to, size_t max, rollup_row_t **rows, size_t *count,
                 ow_error_t *err);

#endif
