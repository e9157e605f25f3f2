/* Unit tests of the monthly and annual staff assessment (assessment.h, DOMAIN.md §7) and of
 * reading its values from configuration (evaluation_policy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "assessment.h"
#include "evaluation_policy.h"

static int s_score(const assessment_rules_t *r, const assessment_entry_t *e, size_t n)
{
    assessment_score_t s;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(assessment_score_month(r, e, n, &s, &err), 0);
    return s.score;
}

/* §7: 100 points in five groups 30/20/20/15/15. */
static void test_full_marks(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    int sum = 0;
    for (int g = 0; g < ASSESSMENT_GROUP_COUNT; g++)
        sum += r.group_points[g];
    assert_int_equal(sum, 100);
    assert_int_equal(s_score(&r, NULL, 0), 100);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(assessment_rules_check(&r, &err), 0);
}

/* Every deduction and bonus of the §7 table, one at a time. */
static void test_each_rule_of_the_table(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    static const struct {
        const char *code;
        int score;
    } cases[] = {
        {"late_early_absent", 95},
        {"attendance_unrecorded", 90},
        {"absent_without_leave", 90},
        {"personal_leave_day", 98},
        {"bribery", 70},
        {"quarrel_or_complaint", 90},
        {"idling", 90},
        {"no_nameplate_or_uniform", 95},
        {"improper_language", 95},
        {"improper_language_complaint", 90},
        {"notice_rules_not_applied", 90},
        {"case_stopped_without_cause", 85},
        {"unsatisfied_rating", 98},
        {"rating_device_off", 99},
        {"queue_system_unused", 99},
        {"untidy_window", 95},
        {"documents_lost", 85},
        {"city_commendation", 110},
        {"provincial_commendation", 115},
        {"provincial_commendation_major", 120},
        {"written_praise", 102},
        {"banner", 105},
        {"competition_prize", 110},
        {"extended_hours", 105},
    };
    assert_int_equal(r.rule_count, sizeof cases / sizeof cases[0]);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assessment_entry_t e = {cases[i].code, 1};
        assert_int_equal(s_score(&r, &e, 1), cases[i].score);
    }
}

/* Groups floor at zero: eight 不满意 ratings (−16) take only the 15 of approval work. */
static void test_groups_floor_at_zero(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_entry_t e[] = {{"unsatisfied_rating", 8}, {"bribery", 1}, {"late_early_absent", 3}};
    assessment_score_t s;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(assessment_score_month(&r, e, 3, &s, &err), 0);
    assert_int_equal(s.group_score[ASSESSMENT_APPROVAL], 0);
    assert_int_equal(s.group_score[ASSESSMENT_ATTENDANCE], 0); /* −45 of 30 */
    assert_int_equal(s.deducted, 45);
    assert_int_equal(s.score, 55);
    /* Seven 不满意 ratings: −14, one point left in the group. */
    assessment_entry_t seven = {"unsatisfied_rating", 7};
    assert_int_equal(s_score(&r, &seven, 1), 86);
}

/* Bonuses are uncapped, and added after the floors. */
static void test_bonuses_uncapped(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_entry_t e[] = {
        {"provincial_commendation_major", 2}, {"competition_prize", 1}, {"documents_lost", 2}};
    assessment_score_t s;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(assessment_score_month(&r, e, 3, &s, &err), 0);
    assert_int_equal(s.bonus, 50);
    assert_int_equal(s.score, 85 + 50);
}

/* Every bad entry is reported at once. */
static void test_bad_entries_listed(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_entry_t e[] = {{"nap", 1}, {"idling", 0}, {"idling", 1}, {NULL, 1}};
    assessment_score_t s;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(assessment_score_month(&r, e, 4, &s, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 3);
    assert_string_equal(err.violations[0].field, "entries[0]");
    assert_string_equal(err.violations[1].field, "entries[1]");
    assert_string_equal(err.violations[2].field, "entries[3]");
}

static assessment_month_row_t *s_find(assessment_month_row_t *rows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].staff_id, id) == 0)
            return &rows[i];
    fail_msg("no row %s", id);
    return NULL;
}

/* §7: at most 30 % 好, ties broken by score, then fewer deductions, then staff id. */
static void test_month_cap_and_ties(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    /* Ten staff: cap 3. Four reach 好 by score; s04 and s05 tie on score 95, s05 has the
     * cleaner record (bonus-free 95 vs 90 + 5 bonus → fewer points deducted wins). */
    assessment_month_row_t rows[] = {
        {"s01", 100, 0, 0, 0, 0}, {"s02", 99, 1, 0, 0, 0},  {"s04", 95, 10, 0, 0, 0},
        {"s05", 95, 5, 0, 0, 0},  {"s06", 89, 11, 0, 0, 0}, {"s07", 80, 20, 0, 0, 0},
        {"s08", 60, 40, 0, 0, 0}, {"s09", 59, 41, 0, 0, 0}, {"s10", 0, 100, 0, 0, 0},
        {"s03", 89, 11, 0, 0, 0},
    };
    size_t n = sizeof rows / sizeof rows[0];
    assessment_grade_month(&r, rows, n);
    assert_int_equal(s_find(rows, n, "s01")->grade, MONTH_GOOD);
    assert_int_equal(s_find(rows, n, "s02")->grade, MONTH_GOOD);
    assert_int_equal(s_find(rows, n, "s05")->grade, MONTH_GOOD);
    assert_int_equal(s_find(rows, n, "s04")->grade, MONTH_FAIR); /* capped out */
    assert_int_equal(s_find(rows, n, "s06")->grade, MONTH_FAIR);
    assert_int_equal(s_find(rows, n, "s08")->grade, MONTH_FAIR); /* 60 is not below 60 */
    assert_int_equal(s_find(rows, n, "s09")->grade, MONTH_POOR);
    assert_int_equal(s_find(rows, n, "s10")->grade, MONTH_POOR);
    /* Equal score and deductions: the staff id decides, so input order never matters. */
    assert_int_equal(s_find(rows, n, "s03")->rank, 5);
    assert_int_equal(s_find(rows, n, "s06")->rank, 6);
    int good = 0;
    for (size_t i = 0; i < n; i++)
        good += rows[i].grade == MONTH_GOOD;
    assert_int_equal(good, 3);
    /* Bonus: 300 yuan × score / 100 for 好 and 一般; none for 差. */
    assert_int_equal(s_find(rows, n, "s01")->bonus_fen, 30000);
    assert_int_equal(s_find(rows, n, "s05")->bonus_fen, 28500);
    assert_int_equal(s_find(rows, n, "s08")->bonus_fen, 18000);
    assert_int_equal(s_find(rows, n, "s09")->bonus_fen, 0);
}

/* The cap rounds down (three staff: nobody may be 好), and a score over 100 pays over 300. */
static void test_month_small_team_and_bonus_over_100(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_month_row_t three[] = {
        {"a", 120, 0, 0, 0, 0}, {"b", 100, 0, 0, 0, 0}, {"c", 95, 5, 0, 0, 0}};
    assessment_grade_month(&r, three, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(three[i].grade, MONTH_FAIR);
    assert_int_equal(three[0].bonus_fen, 36000);
    /* Four staff: cap 1. */
    assessment_month_row_t four[] = {{"a", 91, 9, 0, 0, 0},
                                     {"b", 92, 8, 0, 0, 0},
                                     {"c", 93, 7, 0, 0, 0},
                                     {"d", 10, 90, 0, 0, 0}};
    assessment_grade_month(&r, four, 4);
    assert_string_equal(four[0].staff_id, "c");
    assert_int_equal(four[0].grade, MONTH_GOOD);
    assert_int_equal(four[1].grade, MONTH_FAIR);
    assert_int_equal(four[3].grade, MONTH_POOR);
    assessment_grade_month(&r, NULL, 0); /* nobody: nothing to do */
}

static assessment_year_row_t s_year(const char *id, const char *months, int total)
{
    /* months: 12 characters, G 好, F 一般, P 差, '-' not assessed */
    assessment_year_row_t y;
    memset(&y, 0, sizeof y);
    y.staff_id = id;
    y.total_score = total;
    for (int m = 0; m < 12; m++)
        y.months[m] = months[m] == 'G'   ? MONTH_GOOD
                      : months[m] == 'F' ? MONTH_FAIR
                      : months[m] == 'P' ? MONTH_POOR
                                         : MONTH_NONE;
    return y;
}

static year_grade_t s_year_of(assessment_year_row_t *rows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].staff_id, id) == 0)
            return rows[i].grade;
    fail_msg("no row %s", id);
    return 0;
}

/* §7's annual rules, each boundary. Ten staff so the 优秀 cap is 3. */
static void test_year_rules(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_year_row_t rows[] = {
        s_year("e1", "GGGGFFFFFFFF", 1100), /* 4 好, no 差, full year: 优秀 */
        s_year("e2", "GGGGGFFFFFFF", 1100), /* 5 好: 优秀 */
        s_year("e3", "GGGG-FFFFFFF", 1200), /* a month missing: not a full year → 合格 */
        s_year("q1", "GGGFFFFFFFFF", 1000), /* 3 好: 合格 */
        s_year("q2", "GGFFFFFFFFFF", 1000), /* 2 好: 合格 */
        s_year("b1", "GFFFFFFFFFFF", 1000), /* 1 好, no 差: 基本合格 */
        s_year("b2", "GGGGGPFFPFFF", 900), /* 2 差, apart: 基本合格 (差 bars 合格 and 优秀) */
        s_year("u1", "GGGGGFFFFPPF", 900), /* 2 consecutive 差: 不合格 */
        s_year("u2", "PFPFFFFFPFFF", 800), /* 3 差 apart: 不合格 */
        s_year("u3", "GGGGGGGGPP--", 900), /* consecutive at the end */
    };
    size_t n = sizeof rows / sizeof rows[0];
    assessment_grade_year(&r, rows, n);
    assert_int_equal(s_year_of(rows, n, "e1"), YEAR_EXCELLENT);
    assert_int_equal(s_year_of(rows, n, "e2"), YEAR_EXCELLENT);
    assert_int_equal(s_year_of(rows, n, "e3"), YEAR_QUALIFIED);
    assert_int_equal(s_year_of(rows, n, "q1"), YEAR_QUALIFIED);
    assert_int_equal(s_year_of(rows, n, "q2"), YEAR_QUALIFIED);
    assert_int_equal(s_year_of(rows, n, "b1"), YEAR_BASIC);
    assert_int_equal(s_year_of(rows, n, "b2"), YEAR_BASIC);
    assert_int_equal(s_year_of(rows, n, "u1"), YEAR_UNQUALIFIED);
    assert_int_equal(s_year_of(rows, n, "u2"), YEAR_UNQUALIFIED);
    assert_int_equal(s_year_of(rows, n, "u3"), YEAR_UNQUALIFIED);
    /* A 差 month not adjacent to another after a gap: the gap breaks the run. */
    assessment_year_row_t gap[] = {s_year("g", "P-PFFFFFFFFF", 900)};
    assessment_grade_year(&r, gap, 1);
    assert_int_equal(gap[0].grade, YEAR_BASIC);
    assert_int_equal(assessment_year_longest_poor_run(&gap[0]), 1);
    assert_int_equal(assessment_year_count(&gap[0], MONTH_POOR), 2);
    assert_int_equal(assessment_year_count(&gap[0], MONTH_NONE), 1);
    /* Three 差 in a row, and a year of nothing but 差 at the end. */
    assessment_year_row_t runs[] = {s_year("r", "FFPPPFFFFFFF", 700),
                                    s_year("s", "FFFFFFFFFPPP", 700)};
    assert_int_equal(assessment_year_longest_poor_run(&runs[0]), 3);
    assert_int_equal(assessment_year_longest_poor_run(&runs[1]), 3);
    /* Ranks follow the sorted order, 1-based. */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].rank, (int)i + 1);
    /* The thresholds come from the rules: 3 好 suffice for 优秀 when configured so, and one
     * 差 in a row is already 不合格 with unqualified_consecutive_poor = 1. */
    assessment_rules_t lax = assessment_rules_defaults();
    lax.excellent_min_good = 3;
    lax.unqualified_consecutive_poor = 1;
    assessment_year_row_t two[] = {
        s_year("x", "GGGFFFFFFFFF", 1000), s_year("y", "GGGGGGGGGGGP", 1000),
        s_year("z", "FFFFFFFFFFFF", 1000), s_year("w", "FFFFFFFFFFFF", 1000)};
    assessment_grade_year(&lax, two, 4);
    assert_int_equal(s_year_of(two, 4, "x"), YEAR_EXCELLENT); /* cap: 4 × 30 % = 1 */
    assert_int_equal(s_year_of(two, 4, "y"), YEAR_UNQUALIFIED);
    assert_int_equal(assessment_year_excellent_cap(&lax, 4), 1);
    assert_int_equal(assessment_year_excellent_cap(&lax, 3), 0); /* rounded down */
    assert_int_equal(assessment_year_excellent_cap(&r, 10), 3);
}

/* 优秀 is capped at 30 % of staff: ranked by 好 months, then total score, then staff id. */
static void test_year_excellent_cap(void **state)
{
    (void)state;
    assessment_rules_t r = assessment_rules_defaults();
    assessment_year_row_t rows[] = {
        s_year("a", "GGGGFFFFFFFF", 1100), s_year("b", "GGGGGFFFFFFF", 1000),
        s_year("c", "GGGGFFFFFFFF", 1150), s_year("d", "GGGGFFFFFFFF", 1150),
        s_year("e", "FFFFFFFFFFFF", 1000), s_year("f", "FFFFFFFFFFFF", 1000),
        s_year("g", "FFFFFFFFFFFF", 1000),
    };
    size_t n = sizeof rows / sizeof rows[0]; /* 7 staff: cap 2 */
    assessment_grade_year(&r, rows, n);
    assert_int_equal(s_year_of(rows, n, "b"), YEAR_EXCELLENT); /* most 好 */
    assert_int_equal(s_year_of(rows, n, "c"), YEAR_EXCELLENT); /* score tie with d: id */
    assert_int_equal(s_year_of(rows, n, "d"), YEAR_QUALIFIED);
    assert_int_equal(s_year_of(rows, n, "a"), YEAR_QUALIFIED);
    assert_int_equal(s_year_of(rows, n, "e"), YEAR_BASIC);
    assert_string_equal(assessment_year_grade_name(YEAR_BASIC), "基本合格");
    assert_string_equal(assessment_month_grade_name(MONTH_GOOD), "好");
}

/* Every value comes from configuration; bad values are all reported, and refused. */
static void test_policy_from_configuration(void **state)
{
    (void)state;
    ow_config_t *cfg = ow_config_new("evaluationd");
    assert_non_null(cfg);
    evaluation_policy_t p;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), 0);
    assert_int_equal(p.window.default_after_days, 7);
    assert_int_equal(p.window.invite_after_days, 3);
    assert_int_equal(p.rectify_working_days, 5);
    assert_int_equal(assessment_rule_find(&p.assessment, "unsatisfied_rating")->points, 2);

    ow_config_set(cfg, "evaluation.rectify_working_days", "15");
    ow_config_set(cfg, "assessment.rule.unsatisfied_rating", "3");
    ow_config_set(cfg, "assessment.good_share_percent", "20");
    ow_config_set(cfg, "assessment.bonus_base_fen", "40000");
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), 0);
    assert_int_equal(p.rectify_working_days, 15);
    assert_int_equal(assessment_rule_find(&p.assessment, "unsatisfied_rating")->points, 3);
    assert_int_equal(p.assessment.good_share_percent, 20);
    assert_int_equal(p.assessment.bonus_base_fen, 40000);
    assert_int_equal(p.rollup_interval_ms, 1000);
    ow_config_set(cfg, "evaluation.rollup_interval_ms", "2500");
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), 0);
    assert_int_equal(p.rollup_interval_ms, 2500);
    ow_config_set(cfg, "evaluation.rollup_interval_ms", "5");
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), -1);
    assert_non_null(strstr(err.message, "evaluation.rollup_interval_ms"));
    ow_config_set(cfg, "evaluation.rollup_interval_ms", "2500");
    ow_error_clear(&err);

    ow_config_set(cfg, "evaluation.default_after_days", "seven");
    ow_config_set(cfg, "assessment.group.conduct", "x");
    ow_error_clear(&err);
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 2);

    ow_config_set(cfg, "evaluation.default_after_days", "5"); /* before the late window */
    ow_config_set(cfg, "assessment.group.conduct", "20");
    ow_config_set(cfg, "assessment.poor_below", "95"); /* above good_min */
    ow_error_clear(&err);
    assert_int_equal(evaluation_policy_load(cfg, &p, &err), -1);
    assert_int_equal(err.violation_count, 2);
    assert_non_null(strstr(err.message, "evaluation.late_window_days"));
    assert_non_null(strstr(err.message, "assessment.poor_below"));
    ow_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_marks),
        cmocka_unit_test(test_each_rule_of_the_table),
        cmocka_unit_test(test_groups_floor_at_zero),
        cmocka_unit_test(test_bonuses_uncapped),
        cmocka_unit_test(test_bad_entries_listed),
        cmocka_unit_test(test_month_cap_and_ties),
        cmocka_unit_test(test_month_small_team_and_bonus_over_100),
        cmocka_unit_test(test_year_rules),
        cmocka_unit_test(test_year_excellent_cap),
        cmocka_unit_test(test_policy_from_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
