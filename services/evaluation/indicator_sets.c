/* indicator_sets — see indicator_sets.h. */
#include "indicator_sets.h"

#include <stdio.h>
#include <string.h>

static const char *const s_codes[INDICATOR_COUNT] = {
    [INDICATOR_OVERALL] = "overall",
    [INDICATOR_EFFICIENCY] = "efficiency",
    [INDICATOR_LEVEL] = "level",
    [INDICATOR_ATTITUDE] = "attitude",
    [INDICATOR_GUIDE_ACCURACY] = "guide_accuracy",
    [INDICATOR_CONVENIENCE] = "convenience",
    [INDICATOR_USABILITY] = "usability",
};

/* DOMAIN.md §6. A new version is appended here; old ones stay so old ratings still read. */
static const indicator_set_t s_sets[] = {
    {"offline.v1",
     false,
     1,
     4,
     {INDICATOR_OVERALL, INDICATOR_EFFICIENCY, INDICATOR_LEVEL, INDICATOR_ATTITUDE}},
    {"online.v1",
     true,
     1,
     5,
     {INDICATOR_OVERALL, INDICATOR_EFFICIENCY, INDICATOR_GUIDE_ACCURACY, INDICATOR_CONVENIENCE,
      INDICATOR_USABILITY}},
};

const char *indicator_code(indicator_t ind)
{
    return (int)ind >= 0 && ind < INDICATOR_COUNT ? s_codes[ind] : "";
}

int indicator_from_code(const char *code)
{
    for (int i = 0; code && i < INDICATOR_COUNT; i++)
        if (strcmp(code, s_codes[i]) == 0)
            return i;
    return -1;
}

const indicator_set_t *indicator_set_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof s_sets / sizeof s_sets[0]; i++)
        if (strcmp(name, s_sets[i].name) == 0)
            return &s_sets[i];
    return NULL;
}

const indicator_set_t *indicator_set_current(bool online)
{
    const indicator_set_t *best = NULL;
    for (size_t i = 0; i < sizeof s_sets / sizeof s_sets[0]; i++)
        if (s_sets[i].online == online && (!best || s_sets[i].version > best->version))
            best = &s_sets[i];
    return best;
}

bool indicator_set_has(const indicator_set_t *set, indicator_t ind)
{
    for (size_t i = 0; set && i < set->count; i++)
        if (set->indicators[i] == ind)
            return true;
    return false;
}

int indicator_set_check_scores(const indicator_set_t *set, int32_t grade, const char *const *codes,
                               const int32_t *scores, size_t count, int32_t out[INDICATOR_COUNT],
                               ow_error_t *err)
{
    int rc = 0;
    char field[32];
    memset(out, 0, sizeof(int32_t) * INDICATOR_COUNT);
    if (count > INDICATOR_SET_MAX) {
        ow_error_add_violation(err, "scores", "has %zu entries, more than %d", count,
                               INDICATOR_SET_MAX);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        snprintf(field, sizeof field, "scores[%zu]", i);
        int ind = indicator_from_code(codes[i]);
        if (ind < 0 || !indicator_set_has(set, (indicator_t)ind)) {
            ow_error_add_violation(err, field, "is not an indicator of set %s", set->name);
            rc = -1;
            continue;
        }
        if (scores[i] < 1 || scores[i] > 5) {
            ow_error_add_violation(err, field, "%s: %d is not a grade 1–5", s_codes[ind],
                                   (int)scores[i]);
            rc = -1;
            continue;
        }
        if (out[ind] != 0) {
            ow_error_add_violation(err, field, "%s is scored twice", s_codes[ind]);
            rc = -1;
            continue;
        }
        /* The overall indicator is the rating's grade: two different answers to one question
         * would make the roll-ups disagree with each other. */
        if (ind == INDICATOR_OVERALL && scores[i] != grade) {
            ow_error_add_violation(err, field, "overall %d differs from the grade %d",
                                   (int)scores[i], (int)grade);
            rc = -1;
            continue;
        }
        out[ind] = scores[i];
    }
    if (rc == 0)
        out[INDICATOR_OVERALL] = grade;
    return rc;
}
