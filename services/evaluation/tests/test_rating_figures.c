/* Unit tests of the pure rules behind a rating's figures (DOMAIN.md §6): indicator sets and
 * their versions, what is rated, the rating window and the default grade, and the roll-up
 * arithmetic (rating_tally) against a brute-force recount. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "indicator_sets.h"
#include "rating_rules.h"
#include "rating_tally.h"
#include "rating_window.h"

static void test_indicator_sets(void **state)
{
    (void)state;
    const indicator_set_t *off = indicator_set_find("offline.v1");
    const indicator_set_t *on = indicator_set_find("online.v1");
    assert_non_null(off);
    assert_non_null(on);
    assert_null(indicator_set_find("offline.v9"));
    assert_null(indicator_set_find(NULL));
    assert_ptr_equal(indicator_set_current(false), off);
    assert_ptr_equal(indicator_set_current(true), on);
    /* §6: offline overall, efficiency, level, attitude; online overall, efficiency, accuracy of
     * the guide, convenience, usability. */
    const char *offline[] = {"overall", "efficiency", "level", "attitude"};
    const char *online[] = {"overall", "efficiency", "guide_accuracy", "convenience", "usability"};
    assert_int_equal(off->count, 4);
    assert_int_equal(on->count, 5);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(indicator_code(off->indicators[i]), offline[i]);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(indicator_code(on->indicators[i]), online[i]);
    assert_false(indicator_set_has(off, INDICATOR_USABILITY));
    assert_false(indicator_set_has(on, INDICATOR_ATTITUDE));
    assert_int_equal(indicator_from_code("attitude"), INDICATOR_ATTITUDE);
    assert_int_equal(indicator_from_code("speed"), -1);
    assert_string_equal(indicator_code(INDICATOR_COUNT), "");
}

static void test_indicator_scores(void **state)
{
    (void)state;
    const indicator_set_t *off = indicator_set_find("offline.v1");
    int32_t out[INDICATOR_COUNT];
    ow_error_t err;
    ow_error_clear(&err);
    /* No scores: only the overall grade is known. */
    assert_int_equal(indicator_set_check_scores(off, 4, NULL, NULL, 0, out, &err), 0);
    assert_int_equal(out[INDICATOR_OVERALL], 4);
    assert_int_equal(out[INDICATOR_ATTITUDE], 0);
    const char *codes[] = {"efficiency", "attitude", "overall"};
    int32_t scores[] = {5, 2, 4};
    assert_int_equal(indicator_set_check_scores(off, 4, codes, scores, 3, out, &err), 0);
    assert_int_equal(out[INDICATOR_EFFICIENCY], 5);
    assert_int_equal(out[INDICATOR_ATTITUDE], 2);
    assert_int_equal(out[INDICATOR_LEVEL], 0);
    /* Every problem at once: an online indicator, a grade 6, a repeat, overall ≠ grade. */
    const char *bad[] = {"usability", "level", "efficiency", "efficiency", "overall"};
    int32_t bad_scores[] = {5, 6, 3, 3, 5};
    assert_int_equal(indicator_set_check_scores(off, 4, bad, bad_scores, 5, out, &err), -1);
    assert_int_equal(err.violation_count, 4);
    assert_string_equal(err.violations[0].field, "scores[0]");
    assert_string_equal(err.violations[1].field, "scores[1]");
    assert_string_equal(err.violations[2].field, "scores[3]");
    assert_string_equal(err.violations[3].field, "scores[4]");
}

static void test_levels_and_subjects(void **state)
{
    (void)state;
    assert_true(rating_level_valid("county"));
    assert_true(rating_level_valid("township"));
    assert_true(rating_level_valid("village"));
    assert_false(rating_level_valid("city"));
    assert_false(rating_level_valid(NULL));
    assert_string_equal(rating_level_of_centre("330122000000"), "county");
    assert_string_equal(rating_level_of_centre("330122101000"), "township");
    assert_string_equal(rating_level_of_centre("330122101201"), "village");
    assert_null(rating_level_of_centre("33012210120"));
    assert_null(rating_level_of_centre("33012210120x"));
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rating_check_subject("W07", "staff-1", "township", &err), 0);
    assert_int_equal(rating_check_subject("", "", "", &err), 0);
    assert_int_equal(rating_check_subject("W 7", "s\n", "city", &err), -1);
    assert_int_equal(err.violation_count, 3);
}

#define S_DECIDED INT64_C(1795000000000000)

/* §6: late rating for 7 natural days; invitation at 3 days; default 基本满意 at 7 days. */
static void test_rating_window(void **state)
{
    (void)state;
    rating_window_t w = rating_window_defaults();
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rating_window_check_policy(&w, &err), 0);
    assert_int_equal(w.default_grade, 3);
    assert_true(w.default_enabled);
    assert_int_equal(rating_window_invite_at(&w, S_DECIDED) - S_DECIDED, 3 * RATING_DAY_US);
    assert_int_equal(rating_window_default_at(&w, S_DECIDED) - S_DECIDED, 7 * RATING_DAY_US);
    assert_int_equal(rating_window_check(&w, S_DECIDED, S_DECIDED, &err), 0);
    assert_int_equal(rating_window_check(&w, S_DECIDED, S_DECIDED + 7 * RATING_DAY_US - 1, &err),
                     0);
    assert_int_equal(rating_window_check(&w, S_DECIDED, S_DECIDED + 7 * RATING_DAY_US, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    /* Configurable: 15 days of late rating, default on day 15. */
    w.late_window_days = 15;
    w.default_after_days = 15;
    ow_error_clear(&err);
    assert_int_equal(rating_window_check_policy(&w, &err), 0);
    assert_int_equal(rating_window_check(&w, S_DECIDED, S_DECIDED + 10 * RATING_DAY_US, &err), 0);
    /* Inconsistent policies are refused, every problem listed. */
    rating_window_t bad = {.invite_after_days = 9,
                           .late_window_days = 8,
                           .default_after_days = 7,
                           .default_grade = 0,
                           .default_enabled = true};
    assert_int_equal(rating_window_check_policy(&bad, &err), -1);
    assert_int_equal(err.violation_count, 3);
}

/* A deterministic generator so a failure can be replayed. */
static uint32_t s_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

typedef struct {
    rating_sample_t s;
    bool excluded;
} s_rated_t;

/* Roll-up arithmetic: apply ratings, exclusions and ticket progress incrementally, in random
 * order, and compare with a recount from the final state of every rating. */
static void test_tally_against_recount(void **state)
{
    (void)state;
    enum { N = 5000 };
    static s_rated_t all[N];
    uint32_t seed = 42;
    rating_tally_t inc;
    memset(&inc, 0, sizeof inc);
    for (int i = 0; i < N; i++) {
        rating_sample_t *s = &all[i].s;
        memset(s, 0, sizeof *s);
        s->is_default = s_rand(&seed) % 7 == 0;
        s->grade = s->is_default ? 3 : 1 + (int32_t)(s_rand(&seed) % 5);
        s->scores[INDICATOR_OVERALL] = s->grade;
        for (int k = 1; k < INDICATOR_COUNT; k++)
            if (!s->is_default && s_rand(&seed) % 2)
                s->scores[k] = 1 + (int32_t)(s_rand(&seed) % 5);
        rating_tally_add(&inc, s);
        /* Some bad reviews are rectified, then revisited, while still counted… */
        if (rating_is_bad(s->grade) && !all[i].excluded && s_rand(&seed) % 2) {
            s->rectified = true;
            rating_tally_rectified(&inc);
            if (s_rand(&seed) % 2) {
                s->revisited = true;
                rating_tally_revisited(&inc);
            }
        }
        /* …and some earlier ratings are excluded (appeal upheld) later. */
        if (i > 10 && s_rand(&seed) % 11 == 0) {
            int j = (int)(s_rand(&seed) % (uint32_t)i);
            if (!all[j].excluded) {
                all[j].excluded = true;
                rating_tally_exclude(&inc, &all[j].s);
            }
        }
    }
    rating_tally_t re;
    memset(&re, 0, sizeof re);
    for (int i = 0; i < N; i++) {
        const rating_sample_t *s = &all[i].s;
        re.total++;
        if (all[i].excluded) {
            re.excluded++;
            continue;
        }
        if (s->is_default)
            re.defaults++;
        else
            re.active++;
        if (s->grade <= 2) {
            re.bad++;
            re.rectified += s->rectified;
            re.revisited += s->revisited;
        } else
            re.good++;
        re.grade_n[s->grade]++;
        for (int k = 0; k < INDICATOR_COUNT; k++)
            if (s->scores[k]) {
                re.ind_sum[k] += s->scores[k];
                re.ind_n[k]++;
            }
    }
    assert_true(rating_tally_equal(&inc, &re));
    assert_true(re.excluded > 0 && re.defaults > 0 && re.rectified > 0 && re.revisited > 0);
    /* Merging two halves equals the whole. */
    rating_tally_t half = re, sum;
    memset(&sum, 0, sizeof sum);
    rating_tally_merge(&sum, &half);
    rating_tally_merge(&sum, &half);
    assert_int_equal(sum.good, 2 * re.good);
    assert_int_equal(sum.ind_sum[INDICATOR_ATTITUDE], 2 * re.ind_sum[INDICATOR_ATTITUDE]);
}

/* The published rates on a small hand-made slice. */
static void test_rates(void **state)
{
    (void)state;
    rating_tally_t t;
    memset(&t, 0, sizeof t);
    assert_true(rating_tally_good_rate(&t) == 0.0); /* no ratings: 0, not NaN */
    const int grades[] = {5, 4, 3, 2, 1, 5, 5, 3};
    for (int i = 0; i < 8; i++) {
        rating_sample_t s = {.grade = grades[i], .is_default = i == 7};
        s.scores[INDICATOR_OVERALL] = grades[i];
        rating_tally_add(&t, &s);
    }
    rating_sample_t five = {.grade = 5};
    five.scores[INDICATOR_OVERALL] = 5;
    rating_tally_exclude(&t, &five); /* one 5 excluded by an appeal */
    rating_tally_rectified(&t);
    assert_int_equal(rating_tally_valid(&t), 7);
    assert_int_equal(t.total, 8);
    assert_int_equal(t.defaults, 1);
    assert_true(rating_tally_good_rate(&t) == 5.0 / 7.0);
    assert_true(rating_tally_bad_rate(&t) == 2.0 / 7.0);
    assert_true(rating_tally_active_rate(&t) == 6.0 / 7.0);
    assert_true(rating_tally_average(&t, INDICATOR_OVERALL) == 23.0 / 7.0);
    assert_true(rating_tally_rectification_rate(&t) == 0.5);
    assert_true(rating_tally_revisit_rate(&t) == 0.0);
    assert_true(rating_tally_average(&t, INDICATOR_COUNT) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indicator_sets),        cmocka_unit_test(test_indicator_scores),
        cmocka_unit_test(test_levels_and_subjects),   cmocka_unit_test(test_rating_window),
        cmocka_unit_test(test_tally_against_recount), cmocka_unit_test(test_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
