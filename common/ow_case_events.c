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

/* The string of c that field names; *known is false for a name that is not one. NULL for
 * an applicant's field when the case has no applicant. */
static const char *s_summary_field(const Onewindow__V1__CaseSummary *c, const char *field,
                                   bool *known)
{
    const Onewindow__V1__Applicant *a = c->applicant;
    const struct {
        const char *field;
        const char *text;
    } fields[] = {
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
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(field, fields[i].field) == 0) {
            *known = true;
            return fields[i].text;
        }
    }
    *known = false;
    return NULL;
}

static const char *s_decided_field(const Onewindow__V1__CaseDecided *d, const char *field,
                                   bool *known)
{
    *known = true;
    if (strcmp(field, "outcome") == 0)
        return d->outcome;
    if (strcmp(field, "decided_by") == 0)
        return d->decided_by;
    if (strcmp(field, "task_id") == 0)
        return d->task_id;
    if (strcmp(field, "comment") == 0)
        return d->comment;
    *known = false;
    return NULL;
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

static void s_unknown_field(ow_error_t *err, const ow_event_t *ev, const char *field)
{
    ow_error_set(err, OW_INTERNAL, "%s %s (seq %llu): a consumer's rule names '%s', no field of "
                 "the payload", ev->type, ev->event_id, (unsigned long long)ev->seq, field);
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
    s_check_case_no(err, ev, c->case_no);
    for (const ow_case_rule_t *r = rules; r && r->field; r++) {
        bool known;
        const char *text = s_summary_field(c, r->field, &known);
        if (!known) {
            s_unknown_field(err, ev, r->field);
            goto fail;
        }
        s_check_rule(err, r, text);
    }
    if (ow_case_event_finish(err, ev) != 0)
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
    s_check_case_no(err, ev, msg->case_no);
    for (const ow_case_rule_t *r = rules; r && r->field; r++) {
        bool known;
        const char *text = s_decided_field(msg, r->field, &known);
        if (!known) {
            s_unknown_field(err, ev, r->field);
            goto fail;
        }
        s_check_rule(err, r, text);
    }
    if (ow_case_event_finish(err, ev) != 0)
        goto fail;
    return msg;
fail:
    onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return NULL;
}
