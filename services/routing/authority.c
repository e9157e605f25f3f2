#include "authority.h"

#include <string.h>

static bool s_is(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

const char *routing_action_name(routing_action_t action)
{
    static const char *const names[] = {
        [ROUTING_ACT_DECIDE] = "decide",
        [ROUTING_ACT_RETURN] = "return",
        [ROUTING_ACT_SUSPEND] = "suspend",
        [ROUTING_ACT_RESUME] = "resume",
        [ROUTING_ACT_REQUEST_EXTENSION] = "request_extension",
        [ROUTING_ACT_GRANT_EXTENSION] = "grant_extension",
        [ROUTING_ACT_TRANSFER] = "transfer",
        [ROUTING_ACT_CLAIM] = "claim",
        [ROUTING_ACT_RELEASE] = "release",
    };
    return (unsigned)action < sizeof names / sizeof names[0] ? names[action] : "unknown";
}

static bool s_chief_of(const routing_actor_t *actor, const char *department)
{
    return s_is(actor->department_code, department) &&
           (s_is(actor->role, "chief_representative") || actor->chief_delegate);
}

static bool s_holder_or_substitute(const routing_actor_t *actor, const routing_task_view_t *t)
{
    return s_is(actor->staff_id, t->holder) || s_is(actor->staff_id, t->substitute);
}

/* Who may, as a phrase for the message. */
static const char *s_permitted(const routing_actor_t *actor, routing_action_t action,
                               const routing_task_view_t *t)
{
    switch (action) {
    case ROUTING_ACT_GRANT_EXTENSION:
        /* 行政许可法 art. 42: the head of the administrative organ approves an extension. */
        if (s_is(actor->role, "department_head") &&
            s_is(actor->department_code, t->department_code))
            return NULL;
        return "only a head of the task's department may grant an extension (art. 42)";
    case ROUTING_ACT_CLAIM:
        if (s_is(actor->staff_id, t->post_a) || s_is(actor->staff_id, t->post_b) ||
            s_chief_of(actor, t->department_code))
            return NULL;
        return "only the post's A or B holder or the department's chief representative may "
               "claim its work";
    case ROUTING_ACT_DECIDE:
        if (t->final_stage) {
            /* DOMAIN §4: the department's final decision is the chief representative's. */
            if (s_chief_of(actor, t->department_code))
                return NULL;
            return "only the department's chief representative (or the named delegate) takes "
                   "its final decision";
        }
        /* fall through */
    default:
        if (s_holder_or_substitute(actor, t) || s_chief_of(actor, t->department_code))
            return NULL;
        return "only the task's holder, their substitute or the department's chief "
               "representative may act on it";
    }
}

/* The states from which each action may start. */
static bool s_state_allows(routing_action_t action, const char *state)
{
    switch (action) {
    case ROUTING_ACT_RESUME:
        return s_is(state, "suspended");
    case ROUTING_ACT_GRANT_EXTENSION:
        return s_is(state, "extension_requested");
    default:
        return s_is(state, "open");
    }
}

int routing_authorise(const routing_actor_t *actor, routing_action_t action,
                      const routing_task_view_t *task, ow_error_t *err)
{
    if (!actor || !actor->staff_id || !*actor->staff_id) {
        ow_error_set(err, OW_PERMISSION_DENIED, "no acting staff id given");
        return -1;
    }
    if (!actor->active) {
        ow_error_set(err, OW_PERMISSION_DENIED, "the caller is not an active member of staff");
        return -1;
    }
    const char *why = s_permitted(actor, action, task);
    if (why) {
        ow_error_set(err, OW_PERMISSION_DENIED, "may not %s this task: %s",
                     routing_action_name(action), why);
        return -1;
    }
    if (!s_state_allows(action, task->state)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "cannot %s a task that is %s",
                     routing_action_name(action), task->state ? task->state : "unknown");
        return -1;
    }
    /* Claiming is for unheld work only; releasing needs a holder. */
    if (action == ROUTING_ACT_CLAIM && task->holder && *task->holder) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "the task is already held by %s", task->holder);
        return -1;
    }
    if (action == ROUTING_ACT_RELEASE && (!task->holder || !*task->holder)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "the task is not held by anyone");
        return -1;
    }
    return 0;
}
