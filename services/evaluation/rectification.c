/* rectification — see rectification.h. */
#include "rectification.h"

#include <stdio.h>
#include <string.h>

#include "ow_text.h"

static const char *const s_states[RECT_STATE_COUNT] = {"open",      "verified",   "classified",
                                                       "rectified", "rater_told", "revisited",
                                                       "closed",    "appealed",   "appeal_upheld"};
static const char *const s_actions[RECT_ACTION_COUNT] = {"verify",     "classify", "rectify",
                                                         "tell_rater", "revisit",  "close",
                                                         "appeal",     "uphold",   "reject"};
/* The event each action emits (docs/events.md). */
static const char *const s_events[RECT_ACTION_COUNT] = {
    "rectification.verified",   "rectification.classified",    "rectification.rectified",
    "rectification.rater_told", "rectification.revisited",     "rectification.closed",
    "rectification.appealed",   "rectification.appeal_upheld", "rectification.appeal_rejected"};
static const char *const s_roles[] = {"none", "handler", "supervisor", "reviewer", "administrator"};

static bool s_is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

const char *rect_state_name(rect_state_t s)
{
    return s >= 0 && s < RECT_STATE_COUNT ? s_states[s] : "";
}

const char *rect_action_name(rect_action_t a)
{
    return a >= 0 && a < RECT_ACTION_COUNT ? s_actions[a] : "";
}

const char *rect_role_name(rect_role_t r)
{
    return r >= RECT_ROLE_NONE && r <= RECT_ROLE_ADMIN ? s_roles[r] : "";
}

rect_action_t rect_action_parse(const char *name)
{
    for (int i = 0; i < RECT_ACTION_COUNT; i++)
        if (s_is(name, s_actions[i]))
            return (rect_action_t)i;
    return RECT_ACTION_NONE;
}

rect_state_t rect_state_parse(const char *name)
{
    for (int i = 0; i < RECT_STATE_COUNT; i++)
        if (s_is(name, s_states[i]))
            return (rect_state_t)i;
    return RECT_STATE_COUNT;
}

rect_role_t rect_role_parse(const char *name)
{
    for (int i = RECT_ROLE_HANDLER; i <= RECT_ROLE_ADMIN; i++)
        if (s_is(name, s_roles[i]))
            return (rect_role_t)i;
    return RECT_ROLE_NONE;
}

rect_ticket_t rect_ticket_opened(const char *department_code, bool anonymous)
{
    rect_ticket_t t;
    memset(&t, 0, sizeof t);
    t.state = RECT_OPEN;
    t.anonymous = anonymous;
    t.appeal_from = RECT_OPEN;
    snprintf(t.department_code, sizeof t.department_code, "%s", s_or_empty(department_code));
    return t;
}

bool rect_state_final(rect_state_t s)
{
    return s == RECT_CLOSED || s == RECT_APPEAL_UPHELD;
}

static bool s_classification_valid(const char *c)
{
    /* §6: fix at once / fix within a deadline / explain where there is no legal basis. */
    return s_is(c, "fix_now") || s_is(c, "fix_by_deadline") || s_is(c, "explain");
}

int rect_check_command(const rect_command_t *cmd, rect_action_t *action, ow_error_t *err)
{
    rect_action_t a = rect_action_parse(cmd->action);
    *action = a;
    const char *note = s_or_empty(cmd->note);
    if (a == RECT_ACTION_NONE)
        ow_error_add_violation(err, "action",
                               "is not an action: use verify, classify, rectify, tell_rater, "
                               "revisit, close, appeal, uphold or reject");
    if (!ow_text_valid_lines(note, RECT_NOTE_BYTES - 1) ||
        ow_text_utf8_chars(note) > RECT_NOTE_MAX_CHARS)
        ow_error_add_violation(err, "note",
                               "must be valid UTF-8 text of at most %d characters without "
                               "control characters",
                               RECT_NOTE_MAX_CHARS);
    /* Why is always recorded where the law asks for a reason (§6 appeal; the rectification or
     * explanation itself). */
    else if ((a == RECT_RECTIFY || a == RECT_APPEAL || a == RECT_UPHOLD || a == RECT_REJECT) &&
             !*note)
        ow_error_add_violation(err, "note", "is required to %s: say what was done or why",
                               rect_action_name(a));
    if (a == RECT_CLASSIFY && !s_classification_valid(cmd->classification))
        ow_error_add_violation(err, "classification",
                               "must be fix_now, fix_by_deadline or explain (no legal basis)");
    else if (a != RECT_CLASSIFY && a != RECT_ACTION_NONE && *s_or_empty(cmd->classification))
        ow_error_add_violation(err, "classification", "is only for classify");
    if (a == RECT_REVISIT && (cmd->revisit_grade < 1 || cmd->revisit_grade > 5))
        ow_error_add_violation(err, "revisit_grade",
                               "must be the rater's own grade of the rectification, 1–5");
    else if (a != RECT_REVISIT && a != RECT_ACTION_NONE && cmd->revisit_grade != 0)
        ow_error_add_violation(err, "revisit_grade", "is only for revisit");
    if (a == RECT_APPEAL && !s_is(cmd->appeal_reason, "mistaken") &&
        !s_is(cmd->appeal_reason, "malicious"))
        ow_error_add_violation(err, "appeal_reason", "must be mistaken or malicious");
    else if (a != RECT_APPEAL && a != RECT_ACTION_NONE && *s_or_empty(cmd->appeal_reason))
        ow_error_add_violation(err, "appeal_reason", "is only for appeal");
    return ow_error_finish_violations(err);
}

int rect_authorise(const rect_ticket_t *t, rect_action_t action, const char *caller,
                   rect_role_t role, const char *caller_department, ow_error_t *err)
{
    bool appeal_decision = action == RECT_UPHOLD || action == RECT_REJECT;
    if (!caller || !*caller) {
        ow_error_set(err, OW_PERMISSION_DENIED, "no acting staff id given");
        return -1;
    }
    switch (role) {
    case RECT_ROLE_SUPERVISOR:
        break;
    case RECT_ROLE_HANDLER:
        if (appeal_decision) {
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "%s is a handler: only a reviewer or supervisor decides an appeal",
                         caller);
            return -1;
        }
        /* The responsible unit handles its own bad reviews (§6). */
        if (!s_is(caller_department, t->department_code) || !*t->department_code) {
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "%s handles department %s's tickets, not department %s's", caller,
                         s_or_empty(caller_department), t->department_code);
            return -1;
        }
        break;
    case RECT_ROLE_REVIEWER:
        if (!appeal_decision) {
            ow_error_set(err, OW_PERMISSION_DENIED,
                         "%s is a reviewer: may only uphold or reject appeals", caller);
            return -1;
        }
        break;
    default:
        ow_error_set(err, OW_PERMISSION_DENIED,
                     "%s has no rectification role (handler, supervisor or reviewer)", caller);
        return -1;
    }
    /* 申诉复核: the review is by someone other than the appellant. */
    if (appeal_decision && s_is(caller, t->appeal_by)) {
        ow_error_set(err, OW_PERMISSION_DENIED, "%s filed the appeal and may not decide it",
                     caller);
        return -1;
    }
    return 0;
}

/* The state each action needs, or why not. */
static const char *s_refusal(const rect_ticket_t *t, rect_action_t a)
{
    switch (a) {
    case RECT_VERIFY:
        return t->state == RECT_OPEN ? NULL : "only an open ticket is verified";
    case RECT_CLASSIFY:
        return t->state == RECT_VERIFIED ? NULL : "a ticket is classified once it is verified";
    case RECT_RECTIFY:
        return t->state == RECT_CLASSIFIED ? NULL : "a ticket is rectified once it is classified";
    case RECT_TELL_RATER:
        if (t->anonymous)
            return "the rating is anonymous: there is no rater to tell (close it)";
        return t->state == RECT_RECTIFIED ? NULL : "the rater is told once it is rectified";
    case RECT_REVISIT:
        return t->state == RECT_RATER_TOLD ? NULL
                                           : "the rater is revisited once they have been told";
    case RECT_CLOSE:
        if (t->state == RECT_REVISITED || (t->anonymous && t->state == RECT_RECTIFIED))
            return NULL;
        return t->anonymous ? "an anonymous ticket closes once rectified"
                            : "a ticket closes once the rater has been revisited";
    case RECT_APPEAL:
        if (t->appealed_once)
            return "the ticket was appealed already: one appeal per bad review";
        return t->state == RECT_OPEN || t->state == RECT_VERIFIED || t->state == RECT_CLASSIFIED
                   ? NULL
                   : "an appeal is made before the ticket is rectified";
    case RECT_UPHOLD:
    case RECT_REJECT:
        return t->state == RECT_APPEALED ? NULL : "there is no appeal pending";
    default:
        return "unknown action";
    }
}

int rect_apply(rect_ticket_t *t, const rect_command_t *cmd, const char *caller, rect_effects_t *fx,
               ow_error_t *err)
{
    rect_action_t a = rect_action_parse(cmd->action);
    const char *why = s_refusal(t, a);
    if (why) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "cannot %s a ticket that is %s: %s",
                     rect_action_name(a), rect_state_name(t->state), why);
        return -1;
    }
    memset(fx, 0, sizeof *fx);
    fx->action = a;
    fx->from = t->state;
    fx->event = s_events[a];
    switch (a) {
    case RECT_VERIFY:
        t->state = RECT_VERIFIED;
        break;
    case RECT_CLASSIFY:
        snprintf(t->classification, sizeof t->classification, "%s", cmd->classification);
        t->state = RECT_CLASSIFIED;
        break;
    case RECT_RECTIFY:
        t->state = RECT_RECTIFIED;
        fx->count_rectified = true; /* §6 rectification rate */
        fx->cancel_deadline = true;
        break;
    case RECT_TELL_RATER:
        t->state = RECT_RATER_TOLD;
        break;
    case RECT_REVISIT:
        t->revisit_grade = cmd->revisit_grade;
        t->state = RECT_REVISITED;
        fx->count_revisited = true; /* §6 revisit rate */
        break;
    case RECT_CLOSE:
        t->state = RECT_CLOSED;
        break;
    case RECT_APPEAL:
        t->appeal_from = t->state;
        t->appealed_once = true;
        snprintf(t->appeal_by, sizeof t->appeal_by, "%s", s_or_empty(caller));
        snprintf(t->appeal_reason, sizeof t->appeal_reason, "%s", cmd->appeal_reason);
        t->state = RECT_APPEALED;
        break;
    case RECT_UPHOLD:
        /* §6: an upheld appeal keeps the rating but excludes it from statistics. */
        snprintf(t->appeal_decision, sizeof t->appeal_decision, "upheld");
        t->state = RECT_APPEAL_UPHELD;
        fx->exclude_rating = true;
        fx->cancel_deadline = true;
        break;
    case RECT_REJECT:
        snprintf(t->appeal_decision, sizeof t->appeal_decision, "rejected");
        t->state = t->appeal_from;
        break;
    default:
        break;
    }
    fx->to = t->state;
    return 0;
}

bool rect_mark_overdue(rect_ticket_t *t)
{
    bool pending = t->state == RECT_OPEN || t->state == RECT_VERIFIED ||
                   t->state == RECT_CLASSIFIED || t->state == RECT_APPEALED;
    if (!pending || t->overdue)
        return false;
    t->overdue = true;
    return true;
}
