/* assessment — see assessment.h. */
#include "assessment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_group_names[ASSESSMENT_GROUP_COUNT] = {
    "attendance", "conduct", "service_norms", "approval", "housekeeping",
};

/* DOMAIN.md §7, the table of deductions and bonuses. */
static const assessment_rule_t s_default_rules[] = {
    {"late_early_absent", ASSESSMENT_ATTENDANCE, 5},
    {"attendance_unrecorded", ASSESSMENT_ATTENDANCE, 10},
    {"absent_without_leave", ASSESSMENT_ATTENDANCE, 10},
    {"personal_leave_day", ASSESSMENT_ATTENDANCE, 2},
    {"bribery", ASSESSMENT_ATTENDANCE, 30},
    {"quarrel_or_complaint", ASSESSMENT_CONDUCT, 10},
    {"idling", ASSESSMENT_CONDUCT, 10},
    {"no_nameplate_or_uniform", ASSESSMENT_SERVICE_NORMS, 5},
    {"improper_language", ASSESSMENT_SERVICE_NORMS, 5},
    {"improper_language_complaint", ASSESSMENT_SERVICE_NORMS, 10},
    {"notice_rules_not_applied", ASSESSMENT_SERVICE_NORMS, 10},
    {"case_stopped_without_cause", ASSESSMENT_SERVICE_NORMS, 15},
    {"unsatisfied_rating", ASSESSMENT_APPROVAL, 2},
    {"rating_device_off", ASSESSMENT_APPROVAL, 1},
    {"queue_system_unused", ASSESSMENT_APPROVAL, 1},
    {"untidy_window", ASSESSMENT_HOUSEKEEPING, 5},
    {"documents_lost", ASSESSMENT_HOUSEKEEPING, 15},
    {"city_commendation", ASSESSMENT_BONUS, 10},
    {"provincial_commendation", ASSESSMENT_BONUS, 15},
    {"provincial_commendation_major", ASSESSMENT_BONUS, 20},
    {"written_praise", ASSESSMENT_BONUS, 2},
    {"banner", ASSESSMENT_BONUS, 5},
    {"competition_prize", ASSESSMENT_BONUS, 10},
    {"extended_hours", ASSESSMENT_BONUS, 5},
};

assessment_rules_t assessment_rules_defaults(void)
{
    assessment_rules_t r;
    memset(&r, 0, sizeof r);
    const int points[ASSESSMENT_GROUP_COUNT] = {30, 20, 20, 15, 15}; /* Σ = 100 */
    memcpy(r.group_points, points, sizeof points);
    r.rule_count = sizeof s_default_rules / sizeof s_default_rules[0];
    memcpy(r.rules, s_default_rules, sizeof s_default_rules);
    /* §7 does not fix the score bands of 好 and 差; these are our shipped defaults
     * (docs/evaluation.md), configurable. */
    r.good_min = 90;
    r.poor_below = 60;
    r.good_share_percent = 30;
    r.bonus_base_fen = 30000;
    r.excellent_min_good = 4;
    r.excellent_share_percent = 30;
    r.qualified_min_good = 2;
    r.basic_max_poor = 2;
    r.unqualified_consecutive_poor = 2;
    r.unqualified_total_poor = 3;
    return r;
}

const assessment_rule_t *assessment_rule_find(const assessment_rules_t *rules, const char *code)
{
    for (size_t i = 0; code && i < rules->rule_count; i++)
        if (strcmp(rules->rules[i].code, code) == 0)
            return &rules->rules[i];
    return NULL;
}

const char *assessment_group_name(int group)
{
    if (group == ASSESSMENT_BONUS)
        return "bonus";
    return group >= 0 && group < ASSESSMENT_GROUP_COUNT ? s_group_names[group] : "";
}

static void s_range(ow_error_t *err, int *rc, const char *field, long v, long lo, long hi)
{
    if (v < lo || v > hi) {
        ow_error_add_violation(err, field, "%ld is not %ld..%ld", v, lo, hi);
        *rc = -1;
    }
}

int assessment_rules_check(const assessment_rules_t *r, ow_error_t *err)
{
    int rc = 0;
    char field[96];
    for (int g = 0; g < ASSESSMENT_GROUP_COUNT; g++) {
        snprintf(field, sizeof field, "assessment.group.%s", s_group_names[g]);
        s_range(err, &rc, field, r->group_points[g], 0, 100);
    }
    for (size_t i = 0; i < r->rule_count; i++) {
        snprintf(field, sizeof field, "assessment.rule.%s", r->rules[i].code);
        s_range(err, &rc, field, r->rules[i].points, 1, 100);
    }
    s_range(err, &rc, "assessment.good_min", r->good_min, 0, 200);
    s_range(err, &rc, "assessment.poor_below", r->poor_below, 0, r->good_min);
    s_range(err, &rc, "assessment.good_share_percent", r->good_share_percent, 0, 100);
    s_range(err, &rc, "assessment.bonus_base_fen", (long)r->bonus_base_fen, 0, 100000000);
    s_range(err, &rc, "assessment.excellent_min_good", r->excellent_min_good, 0, 12);
    s_range(err, &rc, "assessment.excellent_share_percent", r->excellent_share_percent, 0, 100);
    s_range(err, &rc, "assessment.qualified_min_good", r->qualified_min_good, 0, 12);
    s_range(err, &rc, "assessment.basic_max_poor", r->basic_max_poor, 0, 12);
    s_range(err, &rc, "assessment.unqualified_consecutive_poor", r->unqualified_consecutive_poor, 2,
            12);
    s_range(err, &rc, "assessment.unqualified_total_poor", r->unqualified_total_poor, 1, 12);
    return rc;
}

int assessment_score_month(const assessment_rules_t *rules, const assessment_entry_t *entries,
                           size_t count, assessment_score_t *out, ow_error_t *err)
{
    long deduction[ASSESSMENT_GROUP_COUNT] = {0};
    long bonus = 0;
    char field[32];
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < count; i++) {
        snprintf(field, sizeof field, "entries[%zu]", i);
        const assessment_rule_t *rule = assessment_rule_find(rules, entries[i].code);
        if (!rule) {
            ow_error_add_violation(err, field, "is not a deduction or bonus of the assessment");
            continue;
        }
        if (entries[i].quantity < 1 || entries[i].quantity > 1000) {
            ow_error_add_violation(err, field, "%s: quantity %d is not 1..1000", rule->code,
                                   entries[i].quantity);
            continue;
        }
        long points = (long)rule->points * entries[i].quantity;
        if (rule->group == ASSESSMENT_BONUS)
            bonus += points; /* §7: bonuses are uncapped */
        else
            deduction[rule->group] += points;
    }
    if (ow_error_finish_violations(err) != 0)
        return -1;
    for (int g = 0; g < ASSESSMENT_GROUP_COUNT; g++) {
        /* §7: each group is deducted down to zero, never below, so one bad group cannot eat
         * the points of another. */
        long left = rules->group_points[g] - deduction[g];
        out->group_score[g] = left > 0 ? (int)left : 0;
        out->deducted += rules->group_points[g] - out->group_score[g];
        out->score += out->group_score[g];
    }
    out->bonus = (int)bonus;
    out->score += out->bonus;
    return 0;
}

static int s_month_order(const void *a, const void *b)
{
    const assessment_month_row_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->deducted != y->deducted)
        return x->deducted < y->deducted ? -1 : 1;
    return strcmp(x->staff_id, y->staff_id);
}

void assessment_grade_month(const assessment_rules_t *rules, assessment_month_row_t *rows,
                            size_t count)
{
    if (count == 0)
        return;
    qsort(rows, count, sizeof *rows, s_month_order);
    /* §7: at most 30 % of staff may be 好 — rounded down, so "at most" holds for any team. */
    size_t cap = count * (size_t)rules->good_share_percent / 100;
    size_t good = 0;
    for (size_t i = 0; i < count; i++) {
        assessment_month_row_t *r = &rows[i];
        r->rank = (int)i + 1;
        if (r->score < rules->poor_below)
            r->grade = MONTH_POOR;
        else if (r->score >= rules->good_min && good < cap) {
            r->grade = MONTH_GOOD;
            good++;
        } else
            r->grade = MONTH_FAIR;
        /* §7: base 300 yuan in proportion to the score for 好 and 一般, none for 差. */
        r->bonus_fen =
            r->grade == MONTH_POOR || r->score <= 0 ? 0 : rules->bonus_base_fen * r->score / 100;
    }
}

int assessment_year_count(const assessment_year_row_t *r, month_grade_t g)
{
    int n = 0;
    for (int m = 0; m < 12; m++)
        n += r->months[m] == g;
    return n;
}

static int s_year_order(const void *a, const void *b)
{
    const assessment_year_row_t *x = a, *y = b;
    int gx = assessment_year_count(x, MONTH_GOOD), gy = assessment_year_count(y, MONTH_GOOD);
    if (gx != gy)
        return gx > gy ? -1 : 1;
    if (x->total_score != y->total_score)
        return x->total_score > y->total_score ? -1 : 1;
    return strcmp(x->staff_id, y->staff_id);
}

int assessment_year_longest_poor_run(const assessment_year_row_t *r)
{
    int run = 0, best = 0;
    for (int m = 0; m < 12; m++) {
        run = r->months[m] == MONTH_POOR ? run + 1 : 0;
        best = run > best ? run : best;
    }
    return best;
}

size_t assessment_year_excellent_cap(const assessment_rules_t *rules, size_t count)
{
    /* §7: 优秀 for at most 30 % of the staff, rounded down as the monthly cap on 好. */
    return count * (size_t)rules->excellent_share_percent / 100;
}

void assessment_grade_year(const assessment_rules_t *rules, assessment_year_row_t *rows,
                           size_t count)
{
    if (count == 0)
        return;
    qsort(rows, count, sizeof *rows, s_year_order);
    size_t cap = assessment_year_excellent_cap(rules, count);
    size_t excellent = 0;
    for (size_t i = 0; i < count; i++) {
        assessment_year_row_t *r = &rows[i];
        r->rank = (int)i + 1;
        int good = assessment_year_count(r, MONTH_GOOD),
            poor = assessment_year_count(r, MONTH_POOR);
        bool full_year = assessment_year_count(r, MONTH_NONE) == 0;
        /* §7, checked from the worst: 不合格 for 2 consecutive 差 or 3 差 in the year. */
        if (assessment_year_longest_poor_run(r) >= rules->unqualified_consecutive_poor ||
            poor >= rules->unqualified_total_poor)
            r->grade = YEAR_UNQUALIFIED;
        /* 优秀: at least 4 好, no 差, a full year, and within 30 % of the staff. */
        else if (good >= rules->excellent_min_good && poor == 0 && full_year && excellent < cap) {
            r->grade = YEAR_EXCELLENT;
            excellent++;
        }
        /* 合格: at least 2 好 and no 差 (also where 优秀 was missed only by the cap). */
        else if (good >= rules->qualified_min_good && poor == 0)
            r->grade = YEAR_QUALIFIED;
        /* 基本合格: at most 2 差 — including a year with no 差 and too few 好 for 合格. */
        else if (poor <= rules->basic_max_poor)
            r->grade = YEAR_BASIC;
        else
            r->grade = YEAR_UNQUALIFIED;
    }
}

const char *assessment_month_grade_name(month_grade_t g)
{
    switch (g) {
    case MONTH_GOOD:
        return "好";
    case MONTH_FAIR:
        return "一般";
    case MONTH_POOR:
        return "差";
    default:
        return "";
    }
}

const char *assessment_year_grade_name(year_grade_t g)
{
    switch (g) {
    case YEAR_EXCELLENT:
        return "优秀";
    case YEAR_QUALIFIED:
        return "合格";
    case YEAR_BASIC:
        return "基本合格";
    case YEAR_UNQUALIFIED:
        return "不合格";
    default:
        return "";
    }
}
