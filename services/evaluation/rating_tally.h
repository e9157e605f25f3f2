/* rating_tally — the counters a roll-up keeps for one slice (a department, item, window, staff
 * member, channel, centre or level in one day, month, quarter or year) and the published
 * figures derived from them (DOMAIN.md §6), with no I/O. The same arithmetic is done in SQL by
 * rollups.c; its unit test checks the two against a recount from the raw ratings.
 *
 * Definitions (docs/evaluation.md):
 *   valid      recorded ratings minus excluded ones (invalidated, or appeal upheld);
 *   active     valid ratings the rater made; defaults are the 基本满意 recorded after the
 *              late window (shown apart, and counted as 基本满意 in the rates, as §6 says
 *              the service "counts as 基本满意");
 *   good rate  grades 3–5 / valid;  bad rate  grades 1–2 / valid;
 *   active-rating rate  active / valid (every served case ends with a rating or a default);
 *   average per indicator  sum of scores / number of ratings scoring it (valid ones);
 *   rectification / revisit rate  valid bad reviews rectified / revisited ÷ valid bad ones. */
#ifndef EVALUATION_RATING_TALLY_H
#define EVALUATION_RATING_TALLY_H

#include <stdbool.h>
#include <stdint.h>
#include "indicator_sets.h"

/* One rating as the roll-ups see it. */
typedef struct {
    int32_t grade;
    bool is_default;
    int32_t scores[INDICATOR_COUNT]; /* 0 = not scored */
    bool rectified;                  /* its rectification ticket is rectified (bad only) */
    bool revisited;                  /* the rater was revisited (bad only) */
} rating_sample_t;

typedef struct {
    int64_t total;    /* every rating recorded, including excluded ones */
    int64_t excluded; /* invalidated or appeal upheld: in no figure but this */
    int64_t active;
    int64_t defaults;
    int64_t good;
    int64_t bad;
    int64_t grade_n[6]; /* [1..5] */
    int64_t ind_sum[INDICATOR_COUNT];
    int64_t ind_n[INDICATOR_COUNT];
    int64_t rectified;
    int64_t revisited;
} rating_tally_t;

/* A recorded rating enters the tally (sign +1), or leaves it on exclusion (sign -1: the
 * valid counters go down, `excluded` goes up, `total` stays). */
void rating_tally_add(rating_tally_t *t, const rating_sample_t *s);
void rating_tally_exclude(rating_tally_t *t, const rating_sample_t *s);

/* A bad review's ticket reached rectified / revisited (each counted once by the caller). */
void rating_tally_rectified(rating_tally_t *t);
void rating_tally_revisited(rating_tally_t *t);

/* Adds b into a (roll-ups of finer slices sum to coarser ones). */
void rating_tally_merge(rating_tally_t *a, const rating_tally_t *b);

/* True when every counter is equal. */
bool rating_tally_equal(const rating_tally_t *a, const rating_tally_t *b);

int64_t rating_tally_valid(const rating_tally_t *t);

/* The published figures, as fractions 0..1; 0 when the denominator is 0. */
double rating_tally_good_rate(const rating_tally_t *t);
double rating_tally_bad_rate(const rating_tally_t *t);
double rating_tally_active_rate(const rating_tally_t *t);
double rating_tally_average(const rating_tally_t *t, indicator_t ind);
double rating_tally_rectification_rate(const rating_tally_t *t);
double rating_tally_revisit_rate(const rating_tally_t *t);

#endif
