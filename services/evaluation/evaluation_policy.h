/* evaluation_policy — every rule value of evaluationd that DOMAIN.md §6–7 marks configurable,
 * read from configuration (docs/configuration.md, "evaluationd") over the shipped defaults. */
#ifndef EVALUATION_POLICY_H
#define EVALUATION_POLICY_H

#include "assessment.h"
#include "ow_config.h"
#include "ow_status.h"
#include "rating_window.h"

typedef struct {
    rating_window_t window;
    int rectify_working_days; /* evaluation.rectify_working_days, default 5 (§6; 15 in places) */
    assessment_rules_t assessment;
    /* evaluation.administrators: staff ids (comma-separated) who may give rectification roles
     * (evaluation.put_staff_roles) before any is stored; default none. */
    char administrators[1024];
    /* evaluation.rollup_interval_ms: at most this long between roll-up passes
     * (rollup_applier.h), 10..60000, default ROLLUP_APPLIER_INTERVAL_S. */
    int rollup_interval_ms;
} evaluation_policy_t;

/* The shipped defaults. */
evaluation_policy_t evaluation_policy_defaults(void);

/* Reads every key over the defaults into *out. A value that is not an integer, or a policy
 * that does not hold together, lists every problem in err (INVALID_ARGUMENT) and returns -1:
 * the daemon refuses to start rather than run with half a rule. */
int evaluation_policy_load(const ow_config_t *cfg, evaluation_policy_t *out, ow_error_t *err);

#endif
