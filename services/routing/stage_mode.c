#include "stage_mode.h"

#include <string.h>

const char *routing_stage_mode_name(routing_stage_mode_t mode)
{
    switch (mode) {
    case ROUTING_MODE_SINGLE:
        return "single";
    case ROUTING_MODE_ALL:
        return "all";
    case ROUTING_MODE_ANY:
        return "any";
    }
    return "single";
}

bool routing_stage_mode_parse(const char *name, routing_stage_mode_t *out)
{
    static const routing_stage_mode_t modes[] = {ROUTING_MODE_SINGLE, ROUTING_MODE_ALL,
                                                 ROUTING_MODE_ANY};
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(name, routing_stage_mode_name(modes[i])) == 0) {
            *out = modes[i];
            return true;
        }
    return false;
}

const char *routing_result_name(routing_result_t result)
{
    switch (result) {
    case ROUTING_RESULT_PENDING:
        return "pending";
    case ROUTING_RESULT_APPROVED:
        return "approved";
    case ROUTING_RESULT_REFUSED:
        return "refused";
    }
    return "pending";
}

bool routing_stage_mode_fits(routing_stage_mode_t mode, size_t n)
{
    return mode == ROUTING_MODE_SINGLE ? n == 1 : n >= 2;
}

routing_result_t routing_stage_result(routing_stage_mode_t mode, const routing_result_t *results,
                                      size_t n)
{
    if (!routing_stage_mode_fits(mode, n))
        return ROUTING_RESULT_PENDING;
    size_t approved = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        if (results[i] == ROUTING_RESULT_APPROVED)
            approved++;
        else if (results[i] == ROUTING_RESULT_REFUSED)
            refused++;
    }
    switch (mode) {
    case ROUTING_MODE_SINGLE:
        return results[0];
    case ROUTING_MODE_ALL:
        /* 会签: one department's refusal is the stage's; waiting for the others changes
         * nothing. */
        if (refused)
            return ROUTING_RESULT_REFUSED;
        return approved == n ? ROUTING_RESULT_APPROVED : ROUTING_RESULT_PENDING;
    case ROUTING_MODE_ANY:
        /* 或签: one approval suffices; a refusal only counts when nobody can approve. */
        if (approved)
            return ROUTING_RESULT_APPROVED;
        return refused == n ? ROUTING_RESULT_REFUSED : ROUTING_RESULT_PENDING;
    }
    return ROUTING_RESULT_PENDING;
}
