/* applicant_notices — see applicant_notices.h. */
#include "applicant_notices.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_contacts.h"
#include "event_rules.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_case_events.h"
#include "ow_clock.h"
#include "ow_log.h"

const char *applicant_procedure_name(const char *kind)
{
    /* DOMAIN.md §4/§5 (art. 45): the procedures whose time does not count. */
    static const char *const names[][2] = {
        {"hearing", "听证"},    {"tender", "招标"},
        {"auction", "拍卖"},    {"inspection", "检验"},
        {"testing", "检测"},    {"quarantine", "检疫"},
        {"appraisal", "鉴定"},  {"expert_review", "专家评审"},
        {"correction", "补正"},
    };
    for (size_t i = 0; kind && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(kind, names[i][0]) == 0)
            return names[i][1];
    return NULL;
}

void applicant_expected_length(int days, const char *unit, char *buf, size_t size)
{
    if (days <= 0) {
        snprintf(buf, size, "另行告知的时间");
        return;
    }
    bool natural = unit && strcmp(unit, "natural_days") == 0;
    snprintf(buf, size, "%d个%s", days, natural ? "自然日" : "工作日");
}

size_t applicant_materials_text(Onewindow__V1__ListedMaterial *const *listed, size_t n, char *buf,
                                size_t size)
{
    size_t used = 0, written = 0;
    const char *more = "等";
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *name = *listed[i]->name ? listed[i]->name : listed[i]->code;
        const char *why =
            strcmp(listed[i]->why, "missing") == 0 || !*listed[i]->why ? "未提交" : listed[i]->why;
        char entry[1024];
        int len = snprintf(entry, sizeof entry, "%s%s（%s）", i ? "、" : "", name, why);
        /* Cut only between entries, leaving room for "等": a notice never half-names one. */
        if (len < 0 || (size_t)len >= sizeof entry ||
            used + (size_t)len + strlen(more) + 1 > size) {
            if (used + strlen(more) + 1 <= size)
                strcat(buf + used, more);
            break;
        }
        memcpy(buf + used, entry, (size_t)len + 1);
        used += (size_t)len;
        written++;
    }
    return written;
}

static void s_date(int64_t time_us, char *buf, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(buf, size, "%d年%d月%d日", d / 10000, (d / 100) % 100, d % 100);
}

int applicant_notices_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                           const char *kind, const char *name, const char *phone, const char *email,
                           const template_value_t *values, size_t count, ow_error_t *err)
{
    char pref[16];
    if (event_rules_preference(db, phone, email, pref, sizeof pref, err) != 0)
        return -1;
    event_person_t who = {
        /* contract: the file sink's recipient is the phone, else the name */
        .recipient = *phone ? phone : name,
        .phone = phone,
        .email = email,
        .preference = pref,
        .key_by_target = true,
        .file = true,
    };
    if (!*who.recipient && !*email) {
        ow_log_kv(OW_LOG_WARN, "no recipient for a notice: the case has no phone or name",
                  "case_no", ev->case_no, "kind", kind, NULL);
        return 0;
    }
    return event_rules_tell(db, rules, ev, kind, kind, &who, values, count, err);
}

int applicant_notices_on_changed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__CaseChanged *m =
        onewindow__v1__case_changed__unpack(NULL, ev->payload_len, ev->payload);
    if (!m || !m->case_ || !*m->case_->case_no) {
        if (m)
            onewindow__v1__case_changed__free_unpacked(m, NULL);
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a CaseChanged with a case",
                     ev->type, ev->event_id);
        return -1;
    }
    int rc = -1;
    const Onewindow__V1__CaseSummary *c = m->case_;
    const Onewindow__V1__Applicant *a = c->applicant;
    const char *name = a ? a->name : "", *phone = a ? a->phone : "", *email = a ? a->email : "";
    if (strlen(c->case_no) > OW_CASE_NO_MAX || strlen(c->item_name) > NOTICE_NAME_MAX ||
        strlen(name) > NOTICE_NAME_MAX || strlen(phone) > NOTICE_PHONE_MAX ||
        strlen(email) > NOTICE_EMAIL_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: a field of the case is over its bound",
                     ev->type, ev->event_id);
        goto cleanup;
    }
    char materials[APPLICANT_MATERIALS_MAX + 1], due[32];
    if (m->document)
        applicant_materials_text(m->document->listed, m->document->n_listed, materials,
                                 sizeof materials);
    else
        materials[0] = '\0';
    if (!*materials)
        snprintf(materials, sizeof materials, "详见书面告知");
    int64_t supply_due =
        c->supply_due_us ? c->supply_due_us : (m->document ? m->document->supply_due_us : 0);
    s_date(supply_due, due, sizeof due);
    bool rongque = strcmp(ev->type, "case.rongque_accepted") == 0;
    template_value_t values[] = {
        {"applicant_name", *name ? name : "申请人"},
        {"case_no", c->case_no},
        {"item_name", *c->item_name ? c->item_name : c->item_code},
        {"materials", materials},
        {"supply_due_date", supply_due ? due : "承诺期限届满"},
    };
    rc =
        applicant_notices_tell(db, rules, ev, rongque ? APPLICANT_RONGQUE : APPLICANT_NOTICE_ISSUED,
                               name, phone, email, values, sizeof values / sizeof values[0], err);
cleanup:
    onewindow__v1__case_changed__free_unpacked(m, NULL);
    return rc;
}

int applicant_notices_on_routing(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    bool suspended = strcmp(ev->type, "case.suspended") == 0;
    Onewindow__V1__CaseSuspended *s = NULL;
    Onewindow__V1__CaseExtended *x = NULL;
    case_contact_t *c = NULL;
    int rc = -1;
    const char *case_no = NULL, *reason = NULL;
    if (suspended) {
        s = onewindow__v1__case_suspended__unpack(NULL, ev->payload_len, ev->payload);
        case_no = s ? s->case_no : NULL;
        reason = s ? s->reason : NULL;
    } else {
        x = onewindow__v1__case_extended__unpack(NULL, ev->payload_len, ev->payload);
        case_no = x ? x->case_no : NULL;
        reason = x ? x->reason : NULL;
    }
    if (!case_no || !*case_no || strlen(case_no) > OW_CASE_NO_MAX ||
        strlen(reason) > NOTICE_COMMENT_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "%s %s: payload does not decode, lacks its case or has a reason over %d "
                     "bytes",
                     ev->type, ev->event_id, NOTICE_COMMENT_MAX);
        goto cleanup;
    }
    c = malloc(sizeof *c);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    int found = case_contacts_get(db, case_no, c, err);
    if (found <= 0 || !c->accepted) {
        /* Routing acts only on accepted cases; without intake's acceptance notifyd has no
         * contact (a case accepted before notifyd kept one). */
        if (found == 0 || (found == 1 && !c->accepted))
            ow_log_kv(OW_LOG_WARN, "no contact for the case: the applicant is not told", "case_no",
                      case_no, "type", ev->type, NULL);
        rc = found < 0 ? -1 : 0;
        goto cleanup;
    }
    char length[64], extra[16], reason_text[NOTICE_COMMENT_MAX + 64];
    const char *procedure = suspended ? applicant_procedure_name(s->kind) : NULL;
    if (suspended) {
        applicant_expected_length(s->expected_days, s->expected_unit, length, sizeof length);
        snprintf(reason_text, sizeof reason_text, "%s%s%s", *reason ? "原因：" : "", reason,
                 *reason ? "。" : "");
    } else {
        snprintf(extra, sizeof extra, "%d", (int)x->extra_working_days);
        snprintf(reason_text, sizeof reason_text, "%s", *reason ? reason : "详见书面通知");
    }
    template_value_t values[] = {
        {"applicant_name", *c->applicant_name ? c->applicant_name : "申请人"},
        {"case_no", c->case_no},
        {"item_name", *c->item_name ? c->item_name : c->item_code},
        {"procedure", procedure ? procedure : "特别"},
        {"expected_length", suspended ? length : ""},
        {"extra_days", suspended ? "" : extra},
        {"reason", reason_text},
    };
    rc = applicant_notices_tell(db, rules, ev, suspended ? APPLICANT_SUSPENDED : APPLICANT_EXTENDED,
                                c->applicant_name, c->phone, c->email, values,
                                sizeof values / sizeof values[0], err);
cleanup:
    free(c);
    if (s)
        onewindow__v1__case_suspended__free_unpacked(s, NULL);
    if (x)
        onewindow__v1__case_extended__free_unpacked(x, NULL);
    return rc;
}
