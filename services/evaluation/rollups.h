/* rollups — incremental roll-ups of ratings (DOMAIN.md §6 published figures) so that no report
 * scans raw ratings. One row per slice (dimension value × period) holds the counters of
 * rating_tally_t; each rating adds to its 8 dimensions (all, department, item, window, staff,
 * channel, centre, level; an empty value is skipped) × 4 periods (day, month, quarter, year,
 * in China time) — folded in passes by rollup_applier.h for batched ratings, in the rating's own
 * transaction for the single path — and an exclusion (upheld appeal) takes it out
 * again. Plain functions over an ow_db_t. */
#ifndef EVALUATION_ROLLUPS_H
#define EVALUATION_ROLLUPS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_status.h"
#include "rating_tally.h"

#define ROLLUP_KEY_MAX    65
#define ROLLUP_DIMENSIONS 8

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rollups_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: adds the ratings with these ids (text UUIDs) to their
 * slices (sign +1: the single path, whose ratings the applier skips), or takes them out after
 * they were marked excluded (sign -1). For sign -1 the caller took rollup_applier_hold before
 * it marked them, so that what waited for the applier was folded as it stood; a rating of the
 * applier's whose event has no seq yet is skipped, and the pass will count it as it then stands
 * (excluded). Returns 0 or -1 with err (the caller rolls back). */
int rollups_apply(ow_db_t *db, const char *const *rating_ids, size_t count, int sign,
                  ow_error_t *err);

/* Registers the statement of rollups_apply_progress. Returns 0 or -1 with err. */
int rollups_prepare_progress(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: the bad review rating_id was rectified / revisited (its
 * ticket reached that step; rectification_store.c sets the rating's flag once): adds 1 to the
 * rectified / revisited counters of its slices (DOMAIN.md §6 rectification and revisit rates).
 * An excluded rating or one that is not bad changes nothing. The caller took
 * rollup_applier_hold before it set the flag, as for rollups_apply's exclusion. Returns 0 or -1
 * with err. */
int rollups_apply_progress(ow_db_t *db, const char *rating_id, int rectified, int revisited,
                           ow_error_t *err);

/* Throws every roll-up away and recomputes it from the raw ratings (repair, and seeding the
 * benchmark), with the applier's watermark moved to the last event numbered: holds the
 * applier's lock and the relay's (ingest waits) to the caller's COMMIT. Inside the caller's
 * transaction. */
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
 * period_start is within [from, to] (dates YYYY-MM-DD), ordered by period_start, key, and
 * after the slice (after_start, after_key) when after_start is not NULL (keyset paging). At
 * most max rows; *rows is a new array (caller frees), *count its length. Returns 0 or -1 with
 * err (nothing allocated). */
int rollups_read(ow_db_t *db, const char *dimension, const char *key, const char *period,
                 const char *from, const char *to, const char *after_start, const char *after_key,
                 size_t max, rollup_row_t **rows, size_t *count, ow_error_t *err);

/* ---- deltas aggregated in C (a batch of ratings costs one upsert) ---- */

/* One rating as a batch adds it: what it is filed under, when, and its sample. Strings are
 * borrowed; "" skips that dimension (as the SQL path does). */
typedef struct {
    const char *keys[ROLLUP_DIMENSIONS]; /* indexed as rollups_dimension_name; [0] ignored */
    int64_t rated_at_us;
    rating_sample_t sample;
    bool excluded; /* already excluded when folded: counts in total and excluded only */
} rollup_rating_t;

typedef struct rollup_deltas rollup_deltas_t;

/* The name of dimension i (0 = all … 7 = level), NULL past the end. */
const char *rollups_dimension_name(size_t i);

/* The China-time (UTC+8, no DST since 1991) civil day of t_us, and the first day of its
 * month, quarter and year, as days since 1970-01-01. out[0..3] = day, month, quarter, year. */
void rollups_period_starts(int64_t t_us, int32_t out[4]);

/* An empty set of slice deltas. Returns NULL when out of memory. Caller owns it. */
rollup_deltas_t *rollup_deltas_new(void);
void rollup_deltas_destroy(rollup_deltas_t **self_p);

/* Adds one rating to its (up to) 8 × 4 slices. Returns 0, or -1 when out of memory or a key
 * is longer than 128 bytes (the deltas are then unusable: destroy them and use
 * rollups_apply). Keys are copied. */
int rollup_deltas_add(rollup_deltas_t *self, const rollup_rating_t *r);

/* Number of distinct slices touched so far. */
size_t rollup_deltas_count(const rollup_deltas_t *self);

/* The tally accumulated for one slice (zero when untouched) — for tests. */
rating_tally_t rollup_deltas_get(const rollup_deltas_t *self, const char *dimension,
                                 const char *key, const char *period, int64_t t_us);

/* Inside the caller's transaction: applies every slice delta with one multi-row upsert
 * (unnest of arrays). Returns 0 or -1 with err (the caller rolls back). */
int rollup_deltas_apply(ow_db_t *db, const rollup_deltas_t *self, ow_error_t *err);

#endif
