/* ow_case_events — see ow_case_events.h. */
#include "ow_case_events.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ow_text.h"

/* Text from the network is quoted in messages only when it is plain printable ASCII: the
 * message is logged, stored and turned into JSON, which all need valid UTF-8. */
static const char *s_echo(const char *text)
{
    if (!ow_text_printable(text, SIZE_MAX))
        return "(unprintable)";
    return strlen(text) <= 64 ? text : "(too long)";
}

/* The payload names the case; the envelope, when it names one too, must agree. */
static void s_check_case_no(ow_error_t *err, const ow_event_t *ev, const char *case_no)
{
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty");
    else if (strlen(case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "is longer than %d bytes", OW_CASE_NO_MAX);
    else if (*ev->case_no && strcmp(ev->case_no, case_no) != 0)
        ow_error_add_violation(err, "case_no", "'%s' differs from the envelope's '%s'",
                               s_echo(case_no), s_echo(ev->case_no));
}

/* Adds a violation for each way text breaks rule; NULL text (the field of an absent
 * applicant) is not checked. */
static void s_check_rule(ow_error_t *err, const ow_case_rule_t *rule, const char *text)
{
    if (!text)
        return;
    if (rule->required && !*text)
        ow_error_add_violation(err, rule->field, "is empty");
    if (rule->one_of) {
        bool found = false;
        for (const char *const *v = rule->one_of; *v && !found; v++)
            found = strcmp(text, *v) == 0;
        if (!found) {
            /* "'x' is neither approved nor refused" */
            char says[256] = "is neither";
            for (const char *const *v = rule->one_of; *v; v++) {
                size_t used = strlen(says);
                snprintf(says + used, sizeof says - used, "%s%s", v == rule->one_of ? " " : " nor ",
                         *v);
            }
            ow_error_add_violation(err, rule->field, "'%s' %s", s_echo(text), says);
        }
    }
    if (rule->max && strlen(text) > rule->max)
        ow_error_add_violation(err, rule->field, "is %zu bytes long, more than %zu", strlen(text),
                               rule->max);
}

/* A string field of a payload: its name in messages and its text. */
typedef struct {
    const char *field;
    const char *text;
} s_field_t;

/* Checks the case number and then every rule against fields[0..n). Returns 0, or -1 with
 * err as ow_case_accepted_unpack describes. */
static int s_check(const ow_event_t *ev, const char *case_no, const s_field_t *fields, size_t n,
                   const ow_case_rule_t *rules, ow_error_t *err)
{
    s_check_case_no(err, ev, case_no);
    for (const ow_case_rule_t *r = rules; r && r->field; r++) {
        size_t i = 0;
        while (i < n && strcmp(r->field, fields[i].field) != 0)
            i++;
        if (i == n) {
            ow_error_set(err, OW_INTERNAL,
                         "%s %s (seq %llu): a consumer's rule names '%s', no field of the "
                         "payload",
                         ev->type, ev->event_id, (unsigned long long)ev->seq, r->field);
            return -1;
        }
        s_check_rule(err, r, fields[i].text);
    }
    return ow_case_event_finish(err, ev);
}

int ow_case_event_finish(ow_error_t *err, const ow_event_t *ev)
{
    if (ow_error_finish_violations(err) == 0)
        return 0;
    char detail[OW_ERROR_MESSAGE_MAX];
    memcpy(detail, err->message, sizeof detail);
    ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): %s", ev->type, ev->event_id,
                 (unsigned long long)ev->seq, detail);
    return -1;
}

Onewindow__V1__CaseAccepted *ow_case_accepted_unpack(const ow_event_t *ev,
                                                     const ow_case_rule_t *rules, ow_error_t *err)
{
    Onewindow__V1__CaseAccepted *msg =
        onewindow__v1__case_accepted__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg || !msg->case_) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): %s", ev->type, ev->event_id,
                     (unsigned long long)ev->seq,
                     msg ? "CaseAccepted has no case" : "payload is not a CaseAccepted");
        goto fail;
    }
    const Onewindow__V1__CaseSummary *c = msg->case_;
    /* An applicant's fields are checked only when the case has an applicant. */
    const Onewindow__V1__Applicant *a = c->applicant;
    const s_field_t fields[] = {
        {"case.item_code", c->item_code},
        {"case.item_name", c->item_name},
        {"case.department_code", c->department_code},
        {"case.department_name", c->department_name},
        {"case.centre_id", c->centre_id},
        {"case.channel", c->channel},
        {"case.limit_unit", c->limit_unit},
        {"case.state_name", c->state_name},
        {"case.applicant.name", a ? a->name : NULL},
        {"case.applicant.id_type", a ? a->id_type : NULL},
        {"case.applicant.id_number", a ? a->id_number : NULL},
        {"case.applicant.phone", a ? a->phone : NULL},
        {"case.applicant.email", a ? a->email : NULL},
    };
    if (s_check(ev, c->case_no, fields, sizeof fields / sizeof fields[0], rules, err) != 0)
        goto fail;
    return msg;
fail:
    if (msg)
        onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    return NULL;
}

Onewindow__V1__CaseDecided *ow_case_decided_unpack(const ow_event_t *ev,
                                                   const ow_case_rule_t *rules, ow_error_t *err)
{
    Onewindow__V1__CaseDecided *msg =
        onewindow__v1__case_decided__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): payload is not a CaseDecided",
                     ev->type, ev->event_id, (unsigned long long)ev->seq);
        return NULL;
    }
    const s_field_t fields[] = {
        {"outcome", msg->outcome},
        {"decided_by", msg->decided_by},
        {"task_id", msg->task_id},
        {"comment", msg->comment},
    };
    if (s_check(ev, msg->case_no, fields, sizeof fields / sizeof fields[0], rules, err) != 0) {
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
        return NULL;
    }
    return msg;
}
