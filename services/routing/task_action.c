#include "task_action.h"

#include <string.h>
#include "decision.h"
#include "extension.h"
#include "ow_text.h"

static bool s_empty(const char *s)
{
    return !s || !*s;
}

bool routing_special_procedure_valid(const char *kind)
{
    /* DOMAIN §4: hearing, tender, auction, inspection, testing, quarantine, appraisal, expert
     * review (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审: 行政许可法 art. 45). */
    static const char *const kinds[] = {"hearing", "tender",     "auction",   "inspection",
                                        "testing", "quarantine", "appraisal", "expert_review"};
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

int routing_task_action_check(const routing_task_action_request_t *req, routing_task_action_t *out,
                              ow_error_t *err)
{
    static const struct {
        const char *name;
        routing_action_t act;
        bool deny;
    } actions[] = {
        {"return", ROUTING_ACT_RETURN, false},
        {"suspend", ROUTING_ACT_SUSPEND, false},
        {"resume", ROUTING_ACT_RESUME, false},
        {"request_extension", ROUTING_ACT_REQUEST_EXTENSION, false},
        {"grant_extension", ROUTING_ACT_GRANT_EXTENSION, false},
        {"deny_extension", ROUTING_ACT_GRANT_EXTENSION, true},
        {"transfer", ROUTING_ACT_TRANSFER, false},
        {"claim", ROUTING_ACT_CLAIM, false},
        {"release", ROUTING_ACT_RELEASE, false},
    };
    int added = 0;
    int found = -1;
    for (size_t i = 0; req->action && i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(req->action, actions[i].name) == 0)
            found = (int)i;
    if (!routing_uuid_valid(req->task_id)) {
        ow_error_add_violation(err, "task_id", "must be a task id (a UUID)");
        added++;
    }
    if (found < 0) {
        ow_error_add_violation(err, "action",
                               "must be return, suspend, resume, request_extension, "
                               "grant_extension, deny_extension, transfer, claim or release");
        added++;
    }
    bool reason_ok = ow_text_valid_lines(req->reason, ROUTING_REASON_MAX);
    if (!reason_ok) {
        ow_error_add_violation(err, "reason",
                               "must be UTF-8 text of at most %d bytes without control characters",
                               ROUTING_REASON_MAX);
        added++;
    }
    const char *unit = s_empty(req->expected_unit) ? "working_days" : req->expected_unit;
    if (strcmp(unit, "working_days") != 0 && strcmp(unit, "natural_days") != 0) {
        ow_error_add_violation(err, "expected_unit", "must be working_days or natural_days");
        added++;
    }
    if (found < 0)
        return added;
    routing_action_t act = actions[found].act;
    bool deny = actions[found].deny;
    /* Reasons the applicant or the record needs: a return and a procedure tell the applicant
     * why the clock stops (art. 45); an extension tells them why (art. 42); a refusal of an
     * extension and a transfer say why for the record. */
    bool needs_reason = act == ROUTING_ACT_RETURN || act == ROUTING_ACT_SUSPEND ||
                        act == ROUTING_ACT_REQUEST_EXTENSION || act == ROUTING_ACT_TRANSFER || deny;
    if (needs_reason && reason_ok && s_empty(req->reason)) {
        ow_error_add_violation(err, "reason", "is missing: %s needs one", actions[found].name);
        added++;
    }
    if (act == ROUTING_ACT_RETURN || act == ROUTING_ACT_SUSPEND) {
        if (req->expected_days < 1 || req->expected_days > ROUTING_EXPECTED_DAYS_MAX) {
            ow_error_add_violation(err, "expected_days",
                                   "must be 1-%d: the applicant is told the expected length",
                                   ROUTING_EXPECTED_DAYS_MAX);
            added++;
        }
    }
    if (act == ROUTING_ACT_SUSPEND && !routing_special_procedure_valid(req->kind)) {
        ow_error_add_violation(err, "kind",
                               "must be hearing, tender, auction, inspection, testing, "
                               "quarantine, appraisal or expert_review");
        added++;
    }
    if (act == ROUTING_ACT_REQUEST_EXTENSION && req->extra_working_days < 1) {
        ow_error_add_violation(err, "extra_working_days", "must be at least 1");
        added++;
    }
    if (act == ROUTING_ACT_TRANSFER && !routing_id_valid(req->to_post_code)) {
        ow_error_add_violation(err, "to_post_code",
                               "must be a post code (1-%d letters, digits, "
                               "'-', '_' or '.')",
                               ROUTING_ID_MAX);
        added++;
    }
    if (out) {
        out->act = act;
        out->deny = deny;
        out->kind = act == ROUTING_ACT_RETURN ? "correction" : req->kind;
        out->unit = unit;
    }
    return added;
}
