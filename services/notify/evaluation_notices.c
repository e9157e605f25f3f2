/* evaluation_notices — see evaluation_notices.h. */
#include "evaluation_notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applicant_notices.h"
#include "case_contacts.h"
#include "event_rules.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_case_events.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "staff_directory.h"
#include "staff_notices.h"
#include "staff_rules.h"

const char *evaluation_ticket_notice(const char *event_type, bool anonymous)
{
    if (!event_type)
        return NULL;
    /* DOMAIN.md §6: "tells the rater" — an anonymous rater left nothing to reach them by. */
    if (strcmp(event_type, "rectification.rater_told") == 0)
        return anonymous ? NULL : EVALUATION_NOTICE_RESULT;
    if (strcmp(event_type, "rectification.overdue") == 0)
        return EVALUATION_NOTICE_OVERDUE;
    return NULL;
}

const char *evaluation_classification_text(const char *classification)
{
    if (classification && strcmp(classification, "fix_now") == 0)
        return "立即整改";
    if (classification && strcmp(classification, "fix_by_deadline") == 0)
        return "限期整改";
    if (classification && strcmp(classification, "explain") == 0)
        return "解释说明";
    return "整改";
}

const char *evaluation_grade_text(int grade)
{
    return grade == 1 ? "“非常不满意”" : "“不满意”";
}

static void s_date(int64_t time_us, char *buf, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(buf, size, "%d年%d月%d日", d / 10000, (d / 100) % 100, d % 100);
}

/* notifyd's copy of case_no into *out (caller frees). Returns 1 when the case was accepted
 * (a contact is known), 0 when not (logged), -1 with err. */
static int s_contact(ow_db_t *db, const ow_event_t *ev, const char *case_no, case_contact_t **out,
                     ow_error_t *err)
{
    *out = malloc(sizeof **out);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    int found = case_contacts_get(db, case_no, *out, err);
    if (found < 0)
        return -1;
    if (found == 0 || !(*out)->accepted) {
        ow_log_kv(OW_LOG_WARN, "no contact for the case: the applicant is not told", "case_no",
                  case_no, "type", ev->type, NULL);
        return 0;
    }
    return 1;
}

int evaluation_notices_on_invitation(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__RatingInvitation *m =
        onewindow__v1__rating_invitation__unpack(NULL, ev->payload_len, ev->payload);
    if (!m) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a RatingInvitation", ev->type,
                     ev->event_id);
        return -1;
    }
    int rc = -1;
    case_contact_t *c = NULL;
    if (!*m->case_no || strlen(m->case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    int found = s_contact(db, ev, m->case_no, &c, err);
    if (found <= 0) {
        rc = found;
        goto cleanup;
    }
    char until[32];
    /* rate_until_us is half-open: the last day to rate is the day before it closes. */
    if (m->rate_until_us > 0)
        s_date(m->rate_until_us - 1, until, sizeof until);
    template_value_t values[] = {
        {"applicant_name", *c->applicant_name ? c->applicant_name : "申请人"},
        {"case_no", c->case_no},
        {"item_name", *c->item_name ? c->item_name : c->item_code},
        {"rate_until_date", m->rate_until_us > 0 ? until : "评价期限届满前"},
    };
    rc = applicant_notices_tell(db, rules, ev, EVALUATION_NOTICE_REMINDER, c->applicant_name,
                                c->phone, c->email, values, sizeof values / sizeof values[0], err);
cleanup:
    free(c);
    onewindow__v1__rating_invitation__free_unpacked(m, NULL);
    return rc;
}

/* The rectification result to the rater, from notifyd's copy of the case's contact. */
static int s_tell_rater(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                        const Onewindow__V1__RectificationTicket *t, ow_error_t *err)
{
    case_contact_t *c = NULL;
    int found = s_contact(db, ev, t->case_no, &c, err);
    if (found <= 0) {
        free(c);
        return found;
    }
    template_value_t values[] = {
        {"applicant_name", *c->applicant_name ? c->applicant_name : "申请人"},
        {"case_no", c->case_no},
        {"item_name", *c->item_name ? c->item_name : c->item_code},
        {"classification", evaluation_classification_text(t->classification)},
        {"rectify_note", *t->rectify_note ? t->rectify_note : "详见书面答复"},
    };
    int rc =
        applicant_notices_tell(db, rules, ev, EVALUATION_NOTICE_RESULT, c->applicant_name, c->phone,
                               c->email, values, sizeof values / sizeof values[0], err);
    free(c);
    return rc;
}

/* The overdue ticket to the centre's supervisors registered for it. */
static int s_tell_supervisors(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                              const Onewindow__V1__RectificationTicket *t, ow_error_t *err)
{
    case_contact_t *c = NULL;
    int found = s_contact(db, ev, t->case_no, &c, err);
    if (found < 0) {
        free(c);
        return -1;
    }
    char item[NOTICE_NAME_MAX + 1] = "", centre[OW_CENTRE_ID_MAX + 1] = "";
    if (found == 1) {
        snprintf(item, sizeof item, "%s", *c->item_name ? c->item_name : c->item_code);
        snprintf(centre, sizeof centre, "%s", c->centre_id);
    }
    free(c);
    const char *where = *t->centre_id ? t->centre_id : *ev->centre_id ? ev->centre_id : centre;
    if (!*where) {
        ow_log_kv(OW_LOG_WARN, "an overdue rectification of no known centre: no supervisor told",
                  "case_no", t->case_no, NULL);
        return 0;
    }
    PGresult *sup = staff_supervisors_of(db, where, SUPERVISOR_OVERDUE_RECTIFY, err);
    if (!sup)
        return -1;
    char due[32];
    s_date(t->due_at_us, due, sizeof due);
    template_value_t values[] = {
        {"staff_name", ""},
        {"case_no", t->case_no},
        {"item_name", *item ? item : "（事项）"},
        {"department", *t->department_code ? t->department_code : "责任单位"},
        {"grade_text", evaluation_grade_text(t->grade)},
        {"due_date", t->due_at_us > 0 ? due : "整改期限"},
    };
    int rc = 0;
    for (int i = 0; i < PQntuples(sup) && rc == 0; i++)
        rc = staff_notices_tell(db, rules, ev, EVALUATION_NOTICE_OVERDUE, EVALUATION_NOTICE_OVERDUE,
                                PQgetvalue(sup, i, 0), values, sizeof values / sizeof values[0],
                                err);
    PQclear(sup);
    return rc;
}

int evaluation_notices_on_ticket(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__RectificationTicket *t =
        onewindow__v1__rectification_ticket__unpack(NULL, ev->payload_len, ev->payload);
    if (!t) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a RectificationTicket",
                     ev->type, ev->event_id);
        return -1;
    }
    int rc = -1;
    if (!*t->case_no || strlen(t->case_no) > OW_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
    if (strlen(t->rectify_note) > NOTICE_COMMENT_MAX)
        ow_error_add_violation(err, "rectify_note", "at most %d bytes", NOTICE_COMMENT_MAX);
    if (strlen(t->centre_id) > OW_CENTRE_ID_MAX || strlen(t->department_code) > STAFF_CODE_MAX)
        ow_error_add_violation(err, "centre_id", "centre ≤ %d, department ≤ %d bytes",
                               OW_CENTRE_ID_MAX, STAFF_CODE_MAX);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    const char *kind = evaluation_ticket_notice(ev->type, t->anonymous);
    if (!kind)
        rc = 0;
    else if (strcmp(kind, EVALUATION_NOTICE_RESULT) == 0)
        rc = s_tell_rater(db, rules, ev, t, err);
    else
        rc = s_tell_supervisors(db, rules, ev, t, err);
cleanup:
    onewindow__v1__rectification_ticket__free_unpacked(t, NULL);
    return rc;
}
