/* assessment — the monthly 100-point assessment of window staff and the annual grade
 * (DOMAIN.md §7), with no I/O. Every value (group points, each deduction and bonus, grade
 * thresholds, the 30 % caps, the bonus base, the annual rules) is in assessment_rules_t,
 * loaded from configuration by evaluation_policy.c; assessment_rules_defaults() ships §7.
 *
 * Month: five groups (attendance 30, conduct 20, service norms 20, approval work 15,
 * housekeeping 15), each deducted down to zero and never below; bonuses are added on top,
 * uncapped. Grade: 差 below poor_below, 好 from good_min but at most good_share_percent of the
 * staff assessed that month (rounded down), the rest 一般. Ties at the cap are broken by score,
 * then by fewer points deducted (the cleaner record), then by staff id (byte order) so the
 * answer never depends on input order. Bonus: bonus_base (300 yuan) × score / 100 for 好 and
 * 一般, nothing for 差; in fen, rounded down.
 * Year: 不合格 for unqualified_consecutive_poor (2) consecutive 差 months or
 * unqualified_total_poor (3) 差 in the year; 优秀 needs excellent_min_good (4) 好, no 差, all
 * 12 months assessed, and a place within excellent_share_percent (30 %) of the staff (ranked by
 * 好 months, then total score, then staff id) — otherwise it falls to 合格; 合格 needs
 * qualified_min_good (2) 好 and no 差; everything else with at most basic_max_poor (2) 差 is
 * 基本合格. */
#ifndef EVALUATION_ASSESSMENT_H
#define EVALUATION_ASSESSMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef enum {
    ASSESSMENT_ATTENDANCE = 0, /* 考勤纪律 30 */
    ASSESSMENT_CONDUCT,        /* 工作作风 20 */
    ASSESSMENT_SERVICE_NORMS,  /* 服务规范 20 */
    ASSESSMENT_APPROVAL,       /* 审批业务 15 */
    ASSESSMENT_HOUSEKEEPING,   /* 环境卫生与安全 15 */
    ASSESSMENT_GROUP_COUNT,
    ASSESSMENT_BONUS = -1 /* a rule's group when it adds points */
} assessment_group_t;

#define ASSESSMENT_RULES_MAX 40
#define ASSESSMENT_CODE_MAX  40
#define ASSESSMENT_STAFF_MAX 64

typedef struct {
    char code[ASSESSMENT_CODE_MAX]; /* "late_early_absent", "unsatisfied_rating", … */
    int group;                      /* assessment_group_t, or ASSESSMENT_BONUS */
    int points;                     /* deducted (or, for a bonus, added) per occurrence, > 0 */
} assessment_rule_t;

typedef struct {
    int group_points[ASSESSMENT_GROUP_COUNT];
    assessment_rule_t rules[ASSESSMENT_RULES_MAX];
    size_t rule_count;
    int good_min;                     /* 好 from this score, default 90 */
    int poor_below;                   /* 差 below this score, default 60 */
    int good_share_percent;           /* at most this share of staff 好, default 30 */
    int64_t bonus_base_fen;           /* 30000 = 300 yuan */
    int excellent_min_good;           /* 4 */
    int excellent_share_percent;      /* 30 */
    int qualified_min_good;           /* 2 */
    int basic_max_poor;               /* 2 */
    int unqualified_consecutive_poor; /* 2 */
    int unqualified_total_poor;       /* 3 */
} assessment_rules_t;

typedef enum { MONTH_NONE = 0, MONTH_GOOD, MONTH_FAIR, MONTH_POOR } month_grade_t; /* 好 一般 差 */
typedef enum {
    YEAR_EXCELLENT = 1, /* 优秀 */
    YEAR_QUALIFIED,     /* 合格 */
    YEAR_BASIC,         /* 基本合格 */
    YEAR_UNQUALIFIED    /* 不合格 */
} year_grade_t;

/* One record: quantity occurrences of rule `code` (e.g. personal_leave_day × 3). */
typedef struct {
    const char *code;
    int quantity;
} assessment_entry_t;

typedef struct {
    int group_score[ASSESSMENT_GROUP_COUNT]; /* after flooring at zero */
    int deducted;                            /* points actually taken off (after flooring) */
    int bonus;
    int score; /* Σ group_score + bonus */
} assessment_score_t;

/* DOMAIN.md §7 as shipped. */
assessment_rules_t assessment_rules_defaults(void);

/* The rule with that code, or NULL. */
const assessment_rule_t *assessment_rule_find(const assessment_rules_t *rules, const char *code);

/* "attendance", "conduct", "service_norms", "approval", "housekeeping", "bonus"; "" otherwise. */
const char *assessment_group_name(int group);

/* Checks rule values (positive points, thresholds 0..200 with poor_below ≤ good_min, shares
 * 0..100, …). Adds one violation per problem and returns -1, or 0. */
int assessment_rules_check(const assessment_rules_t *rules, ow_error_t *err);

/* Scores one month of records. An unknown code or a quantity outside 1..1000 is a violation
 * ("entries[i]"); all are listed, and -1 returned with err INVALID_ARGUMENT. */
int assessment_score_month(const assessment_rules_t *rules, const assessment_entry_t *entries,
                           size_t count, assessment_score_t *out, ow_error_t *err);

/* One staff member's month for grading. */
typedef struct {
    const char *staff_id;
    int score;
    int deducted;
    month_grade_t grade; /* out */
    int64_t bonus_fen;   /* out */
    int rank;            /* out: 1-based position in the month's ranking */
} assessment_month_row_t;

/* Grades the month of `count` staff: sorts rows into ranking order (score, then fewer points
 * deducted, then staff id) and fills grade, bonus and rank. */
void assessment_grade_month(const assessment_rules_t *rules, assessment_month_row_t *rows,
                            size_t count);

/* One staff member's year for grading. */
typedef struct {
    const char *staff_id;
    month_grade_t months[12]; /* MONTH_NONE = not assessed that month */
    int total_score;          /* Σ monthly scores: the tie-break for the 优秀 cap */
    year_grade_t grade;       /* out */
    int rank;                 /* out: 1-based position in the year's ranking */
} assessment_year_row_t;

/* Grades the year of `count` staff: sorts rows into ranking order for the 优秀 cap (好 months,
 * then total score, then staff id) and fills grade and rank. */
void assessment_grade_year(const assessment_rules_t *rules, assessment_year_row_t *rows,
                           size_t count);

/* Months of the year graded g (MONTH_NONE: not assessed). */
int assessment_year_count(const assessment_year_row_t *row, month_grade_t g);

/* The longest run of 差 months in calendar order; a month not assessed breaks a run (the
 * months around it are not consecutive months of work). */
int assessment_year_longest_poor_run(const assessment_year_row_t *row);

/* Most staff that may be 优秀 among `count` (excellent_share_percent, rounded down). */
size_t assessment_year_excellent_cap(const assessment_rules_t *rules, size_t count);

/* "好" "一般" "差" ""; "优秀" "合格" "基本合格" "不合格" "". */
const char *assessment_month_grade_name(month_grade_t g);
const char *assessment_year_grade_name(year_grade_t g);

#endif
