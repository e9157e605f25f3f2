/* rating_tally — see rating_tally.h. */
#include "rating_tally.h"

#include <string.h>

#include "rating_rules.h"

static void s_apply(rating_tally_t *t, const rating_sample_t *s, int64_t sign)
{
    if (s->is_default)
        t->defaults += sign;
    else
        t->active += sign;
    /* DOMAIN.md §6: good = grades 3–5 of valid ratings; the bottom two are 差评. */
    if (rating_is_bad(s->grade))
        t->bad += sign;
    else
        t->good += sign;
    if (s->grade >= 1 && s->grade <= 5)
        t->grade_n[s->grade] += sign;
    for (int i = 0; i < INDICATOR_COUNT; i++)
        if (s->scores[i] > 0) {
            t->ind_sum[i] += sign * s->scores[i];
            t->ind_n[i] += sign;
        }
    if (rating_is_bad(s->grade)) {
        t->rectified += s->rectified ? sign : 0;
        t->revisited += s->revisited ? sign : 0;
    }
}

void rating_tally_add(rating_tally_t *t, const rating_sample_t *s)
{
    t->total++;
    s_apply(t, s, 1);
}

void rating_tally_exclude(rating_tally_t *t, const rating_sample_t *s)
{
    /* DOMAIN.md §6: an upheld appeal keeps the rating but excludes it from statistics. */
    t->excluded++;
    s_apply(t, s, -1);
}

void rating_tally_rectified(rating_tally_t *t)
{
    t->rectified++;
}

void rating_tally_revisited(rating_tally_t *t)
{
    t->revisited++;
}

void rating_tally_merge(rating_tally_t *a, const rating_tally_t *b)
{
    a->total += b->total;
    a->excluded += b->excluded;
    a->active += b->active;
    a->defaults += b->defaults;
    a->good += b->good;
    a->bad += b->bad;
    for (int g = 0; g < 6; g++)
        a->grade_n[g] += b->grade_n[g];
    for (int i = 0; i < INDICATOR_COUNT; i++) {
        a->ind_sum[i] += b->ind_sum[i];
        a->ind_n[i] += b->ind_n[i];
    }
    a->rectified += b->rectified;
    a->revisited += b->revisited;
}

bool rating_tally_equal(const rating_tally_t *a, const rating_tally_t *b)
{
    return memcmp(a, b, sizeof *a) == 0; /* all int64_t: no padding */
}

int64_t rating_tally_valid(const rating_tally_t *t)
{
    return t->active + t->defaults;
}

static double s_ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

double rating_tally_good_rate(const rating_tally_t *t)
{
    return s_ratio(t->good, rating_tally_valid(t));
}

double rating_tally_bad_rate(const rating_tally_t *t)
{
    return s_ratio(t->bad, rating_tally_valid(t));
}

double rating_tally_active_rate(const rating_tally_t *t)
{
    return s_ratio(t->active, rating_tally_valid(t));
}

double rating_tally_average(const rating_tally_t *t, indicator_t ind)
{
    if ((int)ind < 0 || ind >= INDICATOR_COUNT)
        return 0.0;
    return s_ratio(t->ind_sum[ind], t->ind_n[ind]);
}

double rating_tally_rectification_rate(const rating_tally_t *t)
{
    return s_ratio(t->rectified, t->bad);
}

double rating_tally_revisit_rate(const rating_tally_t *t)
{
    return s_ratio(t->revisited, t->bad);
}
