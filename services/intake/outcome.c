#include "outcome.h"

#include <stdio.h>
#include <string.h>
#include "case_state.h"

static const intake_defect_t *s_defect(const intake_receipt_t *r, const char *code)
{
    for (size_t i = 0; i < r->defect_count; i++)
        if (strcmp(r->defects[i].code, code) == 0)
            return &r->defects[i];
    return NULL;
}

static bool s_handed_in(const intake_receipt_t *r, const char *code)
{
    for (size_t i = 0; i < r->handed_in_count; i++)
        if (strcmp(r->handed_in[i], code) == 0)
            return true;
    return false;
}

/* Every required material missing or defective, and every defective optional one: the
 * notice lists them all at once (DOMAIN §3). Materials obtained by data sharing are never
 * demanded (DOMAIN §2). Returns how many are critical (not 容缺-eligible). */
static size_t s_collect(const intake_receipt_t *r, intake_decision_t *out)
{
    size_t critical = 0;
    const intake_item_t *item = r->item;
    for (size_t i = 0; i < item->material_count && out->listed_count < INTAKE_OUTCOME_MAX_LISTED;
         i++) {
        const intake_material_t *m = &item->materials[i];
        if (m->shared_by_data)
            continue;
        const intake_defect_t *d = s_defect(r, m->code);
        const char *why = NULL;
        if (d)
            why = d->reason;
        else if (m->required && !s_handed_in(r, m->code))
            why = "missing";
        if (!why)
            continue;
        out->listed[out->listed_count++] = (intake_listed_t){m->code, m->name, why};
        if (!m->rongque_allowed)
            critical++;
    }
    return critical;
}

int intake_outcome_decide(const intake_receipt_t *r, intake_decision_t *out, ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (r->decide_later) {
        /* art. 32: the window may take the materials and decide (or give the one-time notice)
         * within 5 days; a finding made now is a decision and may not be deferred. */
        if (r->rongque_requested)
            ow_error_add_violation(err, "decide_later",
                                   "容缺 is a decision at the window: it "
                                   "cannot be deferred");
        if (r->defect_count > 0)
            ow_error_add_violation(err, "decide_later",
                                   "defects found are a one-time notice: "
                                   "give it now");
        if (!r->within_powers)
            ow_error_add_violation(err, "decide_later",
                                   "outside this centre's powers: give the "
                                   "not-accepted decision now");
        if (ow_error_finish_violations(err) < 0)
            return -1;
        out->outcome = INTAKE_OUTCOME_RECEIVED;
        return 0;
    }
    if (!r->within_powers) {
        /* 不予受理: the written reason names the authority to go to. */
        out->outcome = INTAKE_OUTCOME_NOT_ACCEPTED;
        snprintf(out->reason, sizeof out->reason,
                 "item %s is not handled at this centre; apply to %s", r->item->impl_code,
                 r->refer_to && r->refer_to[0] ? r->refer_to : r->item->department_name);
        return 0;
    }
    size_t critical = s_collect(r, out);
    bool immediate = strcmp(r->item->handling_kind, "immediate") == 0;
    if (out->listed_count == 0) {
        /* Complete: a 容缺 request has nothing left to supply, so it is plain acceptance. */
        out->outcome = immediate ? INTAKE_OUTCOME_DECIDED_ON_SPOT : INTAKE_OUTCOME_ACCEPTED;
        return 0;
    }
    if (!r->rongque_requested) {
        out->outcome = INTAKE_OUTCOME_NOTICE;
        return 0;
    }
    /* 容缺 (DOMAIN §3): every reason it is refused, at once. */
    int refused = 0;
    if (immediate) {
        ow_error_add_violation(err, "rongque",
                               "item %s is a 即办件, decided on the spot: 容缺 "
                               "does not apply",
                               r->item->impl_code);
        refused++;
    }
    if (critical > 0) {
        for (size_t i = 0; i < out->listed_count; i++) {
            const intake_material_t *m = NULL;
            for (size_t j = 0; j < r->item->material_count; j++)
                if (strcmp(r->item->materials[j].code, out->listed[i].code) == 0)
                    m = &r->item->materials[j];
            if (m && !m->rongque_allowed) {
                ow_error_add_violation(err, "rongque",
                                       "material '%s' (%s) is critical: it may not be missing "
                                       "under 容缺",
                                       m->name, m->code);
                refused++;
            }
        }
    }
    if (r->dishonest) {
        ow_error_add_violation(err, "rongque",
                               "the applicant is on the dishonesty list (失信): 容缺 is refused");
        refused++;
    }
    if (!r->commitment_signed) {
        ow_error_add_violation(err, "rongque.commitment_signed",
                               "容缺 needs the applicant's signed commitment (承诺书)");
        refused++;
    }
    if (r->supply_due_us <= r->now_us) {
        ow_error_add_violation(err, "rongque.supply_due",
                               "the supply deadline must be in the future");
        refused++;
    } else if (!immediate && r->supply_due_us > r->promised_due_us) {
        ow_error_add_violation(err, "rongque.supply_due",
                               "the supply deadline may not pass the promised completion date");
        refused++;
    }
    if (refused) {
        out->listed_count = 0;
        return ow_error_finish_violations(err);
    }
    out->outcome = INTAKE_OUTCOME_RONGQUE;
    return 0;
}

int intake_outcome_state(intake_outcome_t outcome)
{
    switch (outcome) {
    case INTAKE_OUTCOME_ACCEPTED:
    case INTAKE_OUTCOME_RONGQUE:
        return INTAKE_STATE_ACCEPTED;
    case INTAKE_OUTCOME_DECIDED_ON_SPOT:
        return INTAKE_STATE_APPROVED;
    case INTAKE_OUTCOME_NOTICE:
        return INTAKE_STATE_CORRECTION_STARTED;
    case INTAKE_OUTCOME_NOT_ACCEPTED:
        return INTAKE_STATE_REJECTED;
    case INTAKE_OUTCOME_RECEIVED:
        return INTAKE_STATE_RECEIVED;
    }
    return -1;
}

const char *intake_outcome_name(intake_outcome_t outcome)
{
    switch (outcome) {
    case INTAKE_OUTCOME_ACCEPTED:
        return "accepted";
    case INTAKE_OUTCOME_DECIDED_ON_SPOT:
        return "decided_on_spot";
    case INTAKE_OUTCOME_NOTICE:
        return "notice";
    case INTAKE_OUTCOME_RONGQUE:
        return "rongque";
    case INTAKE_OUTCOME_NOT_ACCEPTED:
        return "not_accepted";
    case INTAKE_OUTCOME_RECEIVED:
        return "received";
    }
    return "unknown";
}
