#include "decision.h"
#include "ow_text.h"

#include <ctype.h>
#include <string.h>

const char *routing_decision_name(routing_decision_t decision)
{
    return decision == ROUTING_DECISION_APPROVE ? "approve" : "refuse";
}

routing_outcome_t routing_decision_outcome(routing_decision_t decision)
{
    /* The national case-state codes (DOMAIN §3). */
    if (decision == ROUTING_DECISION_APPROVE)
        return (routing_outcome_t){"approved", 11};
    return (routing_outcome_t){"refused", 13};
}

bool routing_uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool routing_id_valid(const char *s)
{
    return ow_text_code(s, ROUTING_ID_MAX);
}

int routing_decision_check_request(const char *task_id, const char *decision, const char *comment,
                                   routing_decision_t *out, ow_error_t *err)
{
    int added = 0;
    if (!task_id || !*task_id) {
        ow_error_add_violation(err, "task_id", "is missing");
        added++;
    } else if (!routing_uuid_valid(task_id)) {
        ow_error_add_violation(err, "task_id", "must be a task id (a UUID)");
        added++;
    }

    bool known = false;
    routing_decision_t d = ROUTING_DECISION_APPROVE;
    if (!decision || !*decision) {
        ow_error_add_violation(err, "decision", "is missing: approve or refuse");
        added++;
    } else if (strcmp(decision, "approve") == 0) {
        known = true;
    } else if (strcmp(decision, "refuse") == 0) {
        d = ROUTING_DECISION_REFUSE;
        known = true;
    } else {
        ow_error_add_violation(err, "decision", "must be approve or refuse");
        added++;
    }

    if (!ow_text_valid_lines(comment, ROUTING_COMMENT_MAX)) {
        ow_error_add_violation(err, "comment",
                               "must be UTF-8 text of at most %d bytes without control characters",
                               ROUTING_COMMENT_MAX);
        added++;
    } else if (known && d == ROUTING_DECISION_REFUSE && (!comment || !*comment)) {
        ow_error_add_violation(err, "comment",
                               "a refusal must state its reasons (行政许可法 art. 38)");
        added++;
    }
    if (known && out)
        *out = d;
    return added;
}

int routing_decision_authorise(const char *actor, const char *assignee, const char *task_state,
                               ow_error_t *err)
{
    if (!actor || !*actor) {
        ow_error_set(err, OW_PERMISSION_DENIED,
                     "no acting staff id given: only the task's assignee may decide it");
        return -1;
    }
    if (!assignee || strcmp(actor, assignee) != 0) {
        /* The actor is echoed only when it is a plain id: messages must stay valid UTF-8. */
        if (routing_id_valid(actor))
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "staff %s may not decide this task: only its assignee may", actor);
        else
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "the caller may not decide this task: only its assignee may");
        return -1;
    }
    if (!task_state || strcmp(task_state, "open") != 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "the task is already decided: a decision cannot be changed here");
        return -1;
    }
    return 0;
}
