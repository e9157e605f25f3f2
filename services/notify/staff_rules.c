/* staff_rules — see staff_rules.h. */
#include "staff_rules.h"

#include <stdio.h>
#include <string.h>

#include "event_rules.h"
#include "templates.h"

bool staff_task_is_open(const char *state)
{
    /* routing's task states (routing.proto, docs/routing.md): done and cancelled end the
     * holder's work; suspended and extension_requested keep it theirs. */
    return state && *state && strcmp(state, "done") != 0 && strcmp(state, "cancelled") != 0;
}

const char *staff_task_notice(const char *previous_assignee, const staff_task_t *t)
{
    if (!t->assignee || !*t->assignee || !staff_task_is_open(t->state))
        return NULL;
    if (previous_assignee && strcmp(previous_assignee, t->assignee) == 0)
        return NULL; /* the holder already knows it: a suspension or extension is theirs */
    /* DOMAIN.md §4: B acts on A's behalf and the record shows both; §8 tells B so. */
    if (t->on_behalf_of && *t->on_behalf_of && strcmp(t->on_behalf_of, t->assignee) != 0)
        return TEMPLATE_TASK_ASSIGNED_ON_BEHALF;
    return TEMPLATE_TASK_ASSIGNED;
}

const char *staff_task_closed_why(const char *closed_reason)
{
    if (!closed_reason)
        return NULL;
    /* DOMAIN.md §3: 撤回 before a decision; 容缺 supply deadline missed terminates the case. */
    if (strcmp(closed_reason, "case_withdrawn") == 0)
        return "申请人已撤回申请，本件不再办理";
    if (strcmp(closed_reason, "case_terminated") == 0)
        return "容缺受理的材料逾期未补齐，本件已终止办理";
    return NULL;
}

bool staff_task_closed_notice(const staff_task_t *t, const char *closed_reason)
{
    return t->assignee && *t->assignee && t->state && strcmp(t->state, "cancelled") == 0 &&
           staff_task_closed_why(closed_reason) != NULL;
}

static bool s_seen(const staff_task_t *tasks, const size_t *out, size_t n, const char *assignee)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tasks[out[i]].assignee, assignee) == 0)
            return true;
    return false;
}

size_t staff_card_holders(const staff_task_t *tasks, size_t count, const char *stage, size_t *out,
                          size_t max)
{
    bool staged = false;
    /* A stage clock's card is for whoever works on that stage (DOMAIN.md §5: a stage can be
     * late while the case is in time); without such a task, every open task's holder. */
    for (size_t i = 0; stage && *stage && i < count; i++)
        if (staff_task_is_open(tasks[i].state) && tasks[i].assignee && *tasks[i].assignee &&
            tasks[i].stage && strcmp(tasks[i].stage, stage) == 0)
            staged = true;
    size_t n = 0;
    for (size_t i = 0; i < count && n < max; i++) {
        const staff_task_t *t = &tasks[i];
        if (!staff_task_is_open(t->state) || !t->assignee || !*t->assignee)
            continue;
        if (staged && (!t->stage || strcmp(t->stage, stage) != 0))
            continue;
        if (!s_seen(tasks, out, n, t->assignee))
            out[n++] = i;
    }
    return n;
}

const char *staff_supervisor_kind(const char *event_type, bool is_bad)
{
    /* DOMAIN.md §8: supervisors are told of red cards, bad reviews, overdue rectifications. */
    if (strcmp(event_type, "deadline.red") == 0)
        return SUPERVISOR_RED_CARD;
    if (strcmp(event_type, "rating.recorded") == 0 && is_bad)
        return SUPERVISOR_BAD_REVIEW;
    if (strcmp(event_type, "rectification.overdue") == 0)
        return SUPERVISOR_OVERDUE_RECTIFY;
    return NULL;
}

bool staff_supervisor_kind_valid(const char *kind)
{
    return kind &&
           (strcmp(kind, SUPERVISOR_RED_CARD) == 0 || strcmp(kind, SUPERVISOR_BAD_REVIEW) == 0 ||
            strcmp(kind, SUPERVISOR_OVERDUE_RECTIFY) == 0);
}

static bool s_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool s_phone(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!(p == s && *p == '+') && *p != '-' && *p != ' ')
            return false;
    }
    return digits >= 3 && strlen(s) <= STAFF_PHONE_MAX;
}

static bool s_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && strlen(s) <= STAFF_EMAIL_MAX &&
           !strpbrk(s, " <>\",;\\");
}

int staff_contact_check(const staff_contact_t *c, const char *prefix, ow_error_t *err)
{
    int n = 0;
    char field[64];
#define S_BAD(name, ...)                                                                           \
    do {                                                                                           \
        snprintf(field, sizeof field, "%s.%s", prefix, name);                                      \
        ow_error_add_violation(err, field, __VA_ARGS__);                                           \
        n++;                                                                                       \
    } while (0)
    const char *id = c->staff_id ? c->staff_id : "";
    if (!*id || strlen(id) > STAFF_ID_MAX || !s_printable(id) || strchr(id, ' '))
        S_BAD("staff_id", "must be a staff id of 1–%d printable bytes without spaces",
              STAFF_ID_MAX);
    if (c->name && (strlen(c->name) > STAFF_NAME_MAX || !s_printable(c->name)))
        S_BAD("name", "must be at most %d printable bytes", STAFF_NAME_MAX);
    const char *phone = c->phone ? c->phone : "", *email = c->email ? c->email : "";
    if (*phone && !s_phone(phone))
        S_BAD("phone", "must be a phone number (digits, '+', '-', ' '; at most %d bytes)",
              STAFF_PHONE_MAX);
    if (*email && !s_email(email))
        S_BAD("email", "must be an e-mail address (at most %d bytes)", STAFF_EMAIL_MAX);
    const char *ch = c->channel ? c->channel : "";
    if (*ch && strcmp(ch, "sms") != 0 && strcmp(ch, "email") != 0 && strcmp(ch, "none") != 0)
        S_BAD("channel", "must be sms, email, none or empty");
    else if (strcmp(ch, "sms") == 0 && !*phone)
        S_BAD("channel", "sms needs a phone number");
    else if (strcmp(ch, "email") == 0 && !*email)
        S_BAD("channel", "email needs an e-mail address");
    if (c->centre_id && *c->centre_id &&
        (strlen(c->centre_id) != 12 || strspn(c->centre_id, "0123456789") != 12))
        S_BAD("centre_id", "must be a 12-digit area code or empty");
    if (c->department_code &&
        (strlen(c->department_code) > STAFF_CODE_MAX || !s_printable(c->department_code)))
        S_BAD("department_code", "must be at most %d printable bytes", STAFF_CODE_MAX);
#undef S_BAD
    return n;
}

const char *staff_channel(const staff_contact_t *c, bool sms_on, bool email_on)
{
    return event_rules_applicant_channel(c->channel, c->phone, c->email, sms_on, email_on);
}
