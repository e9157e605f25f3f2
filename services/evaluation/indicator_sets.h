/* indicator_sets — the versioned indicator sets of a rating (DOMAIN.md §6: "Indicators are
 * versioned. Offline: overall, efficiency, level, attitude. Online: overall, efficiency,
 * accuracy of the guide, convenience, usability."), with no I/O.
 *
 * A set is named "<mode>.v<version>" ("offline.v1", "online.v1"). A rating names the set it
 * was made under and keeps it: a later version never changes how an old rating reads. Every
 * indicator of every set is one of the INDICATOR_* codes below, so roll-ups can keep one sum
 * per code whatever the version. */
#ifndef EVALUATION_INDICATOR_SETS_H
#define EVALUATION_INDICATOR_SETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

/* Every indicator code any set uses; the order is the roll-up column order. */
typedef enum {
    INDICATOR_OVERALL = 0,    /* 总体评价 */
    INDICATOR_EFFICIENCY,     /* 办事效率 */
    INDICATOR_LEVEL,          /* 业务水平 (offline) */
    INDICATOR_ATTITUDE,       /* 服务态度 (offline) */
    INDICATOR_GUIDE_ACCURACY, /* 办事指南准确性 (online) */
    INDICATOR_CONVENIENCE,    /* 办事便捷度 (online) */
    INDICATOR_USABILITY,      /* 系统易用性 (online) */
    INDICATOR_COUNT
} indicator_t;

#define INDICATOR_SET_MAX 8 /* indicators in one set */

typedef struct {
    const char *name; /* "offline.v1" */
    bool online;      /* 一事一评 (online) or 一次一评 (on site) */
    int version;
    size_t count;
    indicator_t indicators[INDICATOR_SET_MAX];
} indicator_set_t;

/* "overall", "efficiency", "level", "attitude", "guide_accuracy", "convenience",
 * "usability"; "" for a value outside the enum. Never NULL. */
const char *indicator_code(indicator_t ind);

/* The indicator with that code; -1 when none has it (or code is NULL). */
int indicator_from_code(const char *code);

/* The set with that name ("offline.v1"), or NULL when there is none. Static storage. */
const indicator_set_t *indicator_set_find(const char *name);

/* The newest set for a mode (what a rating without a named set is made under). */
const indicator_set_t *indicator_set_current(bool online);

/* True when the set has the indicator. */
bool indicator_set_has(const indicator_set_t *set, indicator_t ind);

/* Checks the indicator scores of a rating with overall grade `grade` under `set`: scores
 * are optional (count 0: only the overall grade is known, scores[OVERALL] = grade); when
 * given, each code must belong to the set, appear once, and carry a grade 1–5, and the
 * "overall" score, if given, must equal the rating's grade. On success fills out[] (one slot
 * per indicator_t, 0 = not scored) and returns 0; otherwise adds one violation per problem
 * (field "scores[i]" / "scores") and returns -1 without finishing the violations, so the
 * caller can add its own and report all at once. */
int indicator_set_check_scores(const indicator_set_t *set, int32_t grade, const char *const *codes,
                               const int32_t *scores, size_t count, int32_t out[INDICATOR_COUNT],
                               ow_error_t *err);

#endif
