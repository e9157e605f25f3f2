#include "case_outcome.h"

const char *routing_case_outcome_name(routing_case_outcome_t outcome)
{
    switch (outcome) {
    case ROUTING_CASE_PENDING:
        return "pending";
    case ROUTING_CASE_APPROVED:
        return "approved";
    case ROUTING_CASE_APPROVED_AFTER_SUPPLY:
        return "approved_after_supply";
    case ROUTING_CASE_AWAITING_MATERIALS:
        return "awaiting_materials";
    case ROUTING_CASE_REFUSED:
        return "refused";
    case ROUTING_CASE_TERMINATED:
        return "terminated";
    case ROUTING_CASE_WITHDRAWN:
        return "withdrawn";
    }
    return "pending";
}

const char *routing_case_outcome_decided(routing_case_outcome_t outcome)
{
    switch (outcome) {
    case ROUTING_CASE_APPROVED:
    case ROUTING_CASE_APPROVED_AFTER_SUPPLY:
        /* The consumers' vocabulary stays approved / refused; state 12 says 容缺通过. */
        return "approved";
    case ROUTING_CASE_REFUSED:
        return "refused";
    default:
        return NULL;
    }
}

routing_case_outcome_t routing_case_outcome_on_supply(routing_case_outcome_t outcome)
{
    return outcome == ROUTING_CASE_AWAITING_MATERIALS ? ROUTING_CASE_APPROVED_AFTER_SUPPLY
                                                      : outcome;
}

routing_case_outcome_t routing_case_outcome_on_termination(routing_case_outcome_t outcome)
{
    return routing_case_outcome_final(outcome) ? outcome : ROUTING_CASE_TERMINATED;
}

routing_case_outcome_t routing_case_outcome_on_withdrawal(routing_case_outcome_t outcome)
{
    return routing_case_outcome_final(outcome) ? outcome : ROUTING_CASE_WITHDRAWN;
}

int routing_case_outcome_state(routing_case_outcome_t outcome)
{
    /* The national case-state codes (DOMAIN §3). */
    switch (outcome) {
    case ROUTING_CASE_APPROVED:
        return 11;
    case ROUTING_CASE_APPROVED_AFTER_SUPPLY:
        return 12;
    case ROUTING_CASE_REFUSED:
        return 13;
    default:
        return 0;
    }
}

bool routing_case_outcome_final(routing_case_outcome_t outcome)
{
    return routing_case_outcome_state(outcome) != 0;
}

routing_case_outcome_t routing_case_outcome(const routing_result_t *stages, size_t n, bool rongque,
                                            bool materials_complete)
{
    if (n == 0)
        return ROUTING_CASE_PENDING;
    for (size_t i = 0; i < n; i++)
        if (stages[i] == ROUTING_RESULT_REFUSED)
            return ROUTING_CASE_REFUSED;
    for (size_t i = 0; i < n; i++)
        if (stages[i] != ROUTING_RESULT_APPROVED)
            return ROUTING_CASE_PENDING;
    if (!rongque)
        return ROUTING_CASE_APPROVED;
    /* DOMAIN §3 容缺: the decision is issued only after all materials are in. */
    return materials_complete ? ROUTING_CASE_APPROVED_AFTER_SUPPLY
                              : ROUTING_CASE_AWAITING_MATERIALS;
}
