/* notices — see notices.h. */
#include "notices.h"

#include <stdio.h>
#include <string.h>

#include "ow_clock.h"

const char *notices_recipient(const case_contact_t *c)
{
    return *c->phone ? c->phone : c->applicant_name;
}

const char *notices_template_kind(const char *kind, const case_contact_t *c)
{
    if (strcmp(kind, NOTICE_CASE_ACCEPTED) == 0)
        return TEMPLATE_CASE_ACCEPTED;
    if (strcmp(kind, NOTICE_RATING_INVITATION) == 0)
        return TEMPLATE_RATING_INVITATION;
    if (strcmp(kind, NOTICE_CASE_DECIDED) == 0) {
        if (strcmp(c->outcome, "approved") == 0)
            return TEMPLATE_CASE_DECIDED_APPROVED;
        if (strcmp(c->outcome, "refused") == 0)
            return TEMPLATE_CASE_DECIDED_REFUSED;
    }
    return NULL;
}

/* "2026年11月23日": the local (China) date of a time, as written in official notices. */
static void s_date(int64_t time_us, char *buf, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(buf, size, "%d年%d月%d日", d / 10000, (d / 100) % 100, d % 100);
}

static const char *s_unit_words(const char *unit)
{
    if (strcmp(unit, "working_days") == 0)
        return "个工作日";
    if (strcmp(unit, "natural_days") == 0)
        return "个自然日";
    if (strcmp(unit, "working_hours") == 0)
        return "个工作小时";
    if (strcmp(unit, "natural_hours") == 0)
        return "小时";
    return unit;
}

/* Renders template `name` (any kind with the notice's placeholders) with c's facts. */
static char *s_render(const templates_t *set, const char *name, const case_contact_t *c,
                      ow_error_t *err)
{
    char accepted[32], decided[32], limit[16];
    s_date(c->accepted_at_us, accepted, sizeof accepted);
    s_date(c->decided_at_us, decided, sizeof decided);
    snprintf(limit, sizeof limit, "%d", (int)c->promised_limit);
    const template_value_t values[] = {
        {"applicant_name", *c->applicant_name ? c->applicant_name : "申请人"},
        {"case_no", c->case_no},
        {"item_name", *c->item_name ? c->item_name : c->item_code},
        {"accepted_date", accepted},
        {"promised_limit", limit},
        {"limit_unit", s_unit_words(c->limit_unit)},
        {"decided_date", decided},
        /* A refusal states its reasons (DOMAIN.md §4); when routing gave none in the event,
         * the written decision carries them. */
        {"reason", *c->decision_comment ? c->decision_comment : "详见书面决定"},
    };
    return templates_render(set, name, values, sizeof values / sizeof values[0], err);
}

char *notices_render(const templates_t *set, const char *kind, const case_contact_t *c,
                     const char **template_kind, int *template_version, ow_error_t *err)
{
    const char *tkind = notices_template_kind(kind, c);
    if (!tkind) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case %s: no notice of kind %s for outcome '%s' (approved or refused)",
                     c->case_no, kind, c->outcome);
        return NULL;
    }
    char *text = s_render(set, tkind, c, err);
    if (text) {
        *template_kind = tkind;
        *template_version = templates_version(set, tkind);
    }
    return text;
}

char *notices_render_as(const templates_t *set, const char *kind, const char *name,
                        const case_contact_t *c, ow_error_t *err)
{
    if (!notices_template_kind(kind, c)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case %s: no notice of kind %s for outcome '%s'",
                     c->case_no, kind, c->outcome);
        return NULL;
    }
    return s_render(set, name, c, err);
}
