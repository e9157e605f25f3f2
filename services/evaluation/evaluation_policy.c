/* evaluation_policy — see evaluation_policy.h. */
#include "evaluation_policy.h"

#include <stdio.h>
#include <string.h>

#include "rollup_applier.h"

evaluation_policy_t evaluation_policy_defaults(void)
{
    evaluation_policy_t p;
    memset(&p, 0, sizeof p);
    p.window = rating_window_defaults();
    p.rectify_working_days = 5; /* DOMAIN.md §6: 5 working days (15 in some places) */
    p.assessment = assessment_rules_defaults();
    p.rollup_interval_ms = (int)(ROLLUP_APPLIER_INTERVAL_S * 1000);
    return p;
}

/* Reads one integer key into *v; a bad value becomes a violation named after the key. */
static void s_int(const ow_config_t *cfg, const char *key, int *v, ow_error_t *err)
{
    long out = 0;
    ow_error_t one;
    ow_error_clear(&one);
    if (ow_config_get_int(cfg, key, *v, &out, &one) != 0)
        ow_error_add_violation(err, key, "is not an integer");
    else if (out < -1000000000L || out > 1000000000L)
        ow_error_add_violation(err, key, "%ld is out of range", out);
    else
        *v = (int)out;
}

int evaluation_policy_load(const ow_config_t *cfg, evaluation_policy_t *out, ow_error_t *err)
{
    evaluation_policy_t p = evaluation_policy_defaults();
    char key[96];
    s_int(cfg, "evaluation.invite_after_days", &p.window.invite_after_days, err);
    s_int(cfg, "evaluation.late_window_days", &p.window.late_window_days, err);
    s_int(cfg, "evaluation.default_after_days", &p.window.default_after_days, err);
    s_int(cfg, "evaluation.default_grade", &p.window.default_grade, err);
    ow_error_t one;
    ow_error_clear(&one);
    if (ow_config_get_bool(cfg, "evaluation.default_enabled", true, &p.window.default_enabled,
                           &one) != 0)
        ow_error_add_violation(err, "evaluation.default_enabled", "is not a boolean");
    s_int(cfg, "evaluation.rectify_working_days", &p.rectify_working_days, err);
    if (p.rectify_working_days < 1 || p.rectify_working_days > 60)
        ow_error_add_violation(err, "evaluation.rectify_working_days", "%d is not 1..60",
                               p.rectify_working_days);
    s_int(cfg, "evaluation.rollup_interval_ms", &p.rollup_interval_ms, err);
    if (p.rollup_interval_ms < 10 || p.rollup_interval_ms > 60000)
        ow_error_add_violation(err, "evaluation.rollup_interval_ms",
                               "%d is not 10..60000 (ms between roll-up passes)",
                               p.rollup_interval_ms);
    const char *admins = ow_config_get(cfg, "evaluation.administrators", "");
    if (strlen(admins) >= sizeof p.administrators)
        ow_error_add_violation(err, "evaluation.administrators", "is longer than %zu bytes",
                               sizeof p.administrators - 1);
    else
        snprintf(p.administrators, sizeof p.administrators, "%s", admins);
    assessment_rules_t *a = &p.assessment;
    for (int g = 0; g < ASSESSMENT_GROUP_COUNT; g++) {
        snprintf(key, sizeof key, "assessment.group.%s", assessment_group_name(g));
        s_int(cfg, key, &a->group_points[g], err);
    }
    for (size_t i = 0; i < a->rule_count; i++) {
        snprintf(key, sizeof key, "assessment.rule.%s", a->rules[i].code);
        s_int(cfg, key, &a->rules[i].points, err);
    }
    int base = (int)a->bonus_base_fen;
    s_int(cfg, "assessment.good_min", &a->good_min, err);
    s_int(cfg, "assessment.poor_below", &a->poor_below, err);
    s_int(cfg, "assessment.good_share_percent", &a->good_share_percent, err);
    s_int(cfg, "assessment.bonus_base_fen", &base, err);
    a->bonus_base_fen = base;
    s_int(cfg, "assessment.excellent_min_good", &a->excellent_min_good, err);
    s_int(cfg, "assessment.excellent_share_percent", &a->excellent_share_percent, err);
    s_int(cfg, "assessment.qualified_min_good", &a->qualified_min_good, err);
    s_int(cfg, "assessment.basic_max_poor", &a->basic_max_poor, err);
    s_int(cfg, "assessment.unqualified_consecutive_poor", &a->unqualified_consecutive_poor, err);
    s_int(cfg, "assessment.unqualified_total_poor", &a->unqualified_total_poor, err);
    if (err->violation_count == 0) {
        rating_window_check_policy(&p.window, err);
        assessment_rules_check(a, err);
    }
    if (ow_error_finish_violations(err) != 0)
        return -1;
    *out = p;
    return 0;
}
