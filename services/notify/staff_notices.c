/* staff_notices — see staff_notices.h. */
#include "staff_notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_contacts.h"
#include "event_rules.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_case_events.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "staff_directory.h"
#include "staff_rules.h"

#define S_HOLDERS_MAX 32 /* parallel tasks of one case that are told of one card */

/* What notifyd knows of the case: the item's name and the centre ("" when unknown). */
static int s_case_facts(ow_db_t *db, const char *case_no, char *item, size_t item_size,
                        char *centre, size_t centre_size, ow_error_t *err)
{
    item[0] = centre[0] = '\0';
    case_contact_t *c = malloc(sizeof *c);
    if (!c) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    int found = case_contacts_get(db, case_no, c, err);
    if (found == 1) {
        snprintf(item, item_size, "%s", *c->item_name ? c->item_name : c->item_code);
        snprintf(centre, centre_size, "%s", c->centre_id);
    }
    free(c);
    return found < 0 ? -1 : 0;
}

int staff_notices_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                       const char *kind, const char *template_kind, const char *staff_id,
                       template_value_t *values, size_t count, ow_error_t *err)
{
    staff_entry_t *e = malloc(sizeof *e);
    if (!e) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    int rc = -1;
    if (staff_directory_get(db, staff_id, e, err) < 0)
        goto cleanup;
    values[0] = (template_value_t){"staff_name", *e->name ? e->name : e->staff_id};
    event_person_t who = {
        .recipient = e->staff_id,
        .phone = e->phone,
        .email = e->email,
        .preference = e->channel,
        .file = true,
    };
    rc = event_rules_tell(db, rules, ev, kind, template_kind, &who, values, count, err);
cleanup:
    free(e);
    return rc;
}

static bool s_bounded(const char *s, size_t max)
{
    return s && strlen(s) <= max;
}

int staff_notices_on_task(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    int rc = -1;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__Task *t = onewindow__v1__task__unpack(NULL, ev->payload_len, ev->payload);
    if (!t) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a Task", ev->type,
                     ev->event_id);
        return -1;
    }
    if (!*t->task_id || !s_bounded(t->task_id, 64))
        ow_error_add_violation(err, "task_id", "must be 1–64 bytes");
    if (!*t->case_no || !s_bounded(t->case_no, OW_CASE_NO_MAX))
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
    if (!s_bounded(t->assignee, STAFF_ID_MAX) || !s_bounded(t->on_behalf_of, STAFF_ID_MAX))
        ow_error_add_violation(err, "assignee", "assignee and on_behalf_of: at most %d bytes",
                               STAFF_ID_MAX);
    if (!s_bounded(t->closed_reason, 32))
        ow_error_add_violation(err, "closed_reason", "at most 32 bytes");
    if (!s_bounded(t->stage, 200) || !s_bounded(t->state, 32) ||
        !s_bounded(t->post_code, STAFF_CODE_MAX) || !s_bounded(t->department_code, STAFF_CODE_MAX))
        ow_error_add_violation(err, "stage", "stage ≤ 200, state ≤ 32, codes ≤ %d bytes",
                               STAFF_CODE_MAX);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    staff_task_t task = {
        .task_id = t->task_id,
        .assignee = t->assignee,
        .on_behalf_of = t->on_behalf_of,
        .stage = t->stage,
        .state = *t->state ? t->state : "open",
    };
    char previous[STAFF_ID_MAX + 1];
    if (staff_tasks_put(db, t->case_no, &task, t->department_code, t->post_code, ow_clock_now_us(),
                        previous, sizeof previous, err) != 0)
        goto cleanup;
    const char *tkind = staff_task_notice(previous, &task);
    bool closed = !tkind && staff_task_closed_notice(&task, t->closed_reason);
    if (!tkind && !closed) {
        rc = 0;
        goto cleanup;
    }
    char item[NOTICE_NAME_MAX + 1], centre[16];
    if (s_case_facts(db, t->case_no, item, sizeof item, centre, sizeof centre, err) != 0)
        goto cleanup;
    staff_entry_t *absent = calloc(1, sizeof *absent);
    if (!absent) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    if (*t->on_behalf_of && staff_directory_get(db, t->on_behalf_of, absent, err) < 0) {
        free(absent);
        goto cleanup;
    }
    template_value_t values[] = {
        {"staff_name", ""},
        {"case_no", t->case_no},
        {"item_name", *item ? item : t->item_code},
        {"stage", *t->stage ? t->stage : "审批"},
        {"absent_name", *absent->name ? absent->name : t->on_behalf_of},
    };
    if (closed) {
        /* The holder stops working on a case that no longer exists (it left their list). */
        template_value_t why[] = {
            {"staff_name", ""},
            {"case_no", t->case_no},
            {"item_name", *item ? item : t->item_code},
            {"stage", *t->stage ? t->stage : "审批"},
            {"why", staff_task_closed_why(t->closed_reason)},
        };
        rc = staff_notices_tell(db, rules, ev, STAFF_NOTICE_CLOSED, TEMPLATE_TASK_CLOSED,
                                t->assignee, why, sizeof why / sizeof why[0], err);
    } else
        rc = staff_notices_tell(db, rules, ev, STAFF_NOTICE_TASK, tkind, t->assignee, values,
                                sizeof values / sizeof values[0], err);
    free(absent);
cleanup:
    onewindow__v1__task__free_unpacked(t, NULL);
    return rc;
}

static void s_date(int64_t time_us, char *buf, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(buf, size, "%d年%d月%d日", d / 10000, (d / 100) % 100, d % 100);
}

int staff_notices_on_card(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    int rc = -1;
    PGresult *tasks_res = NULL, *sup = NULL;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__Clock *c = onewindow__v1__clock__unpack(NULL, ev->payload_len, ev->payload);
    if (!c) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a Clock", ev->type,
                     ev->event_id);
        return -1;
    }
    if (!*c->case_no || !s_bounded(c->case_no, OW_CASE_NO_MAX))
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
    if (!s_bounded(c->stage, 200))
        ow_error_add_violation(err, "stage", "at most 200 bytes");
    if (!s_bounded(c->centre_id, OW_CENTRE_ID_MAX))
        ow_error_add_violation(err, "centre_id", "at most %d bytes", OW_CENTRE_ID_MAX);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    bool red = strcmp(ev->type, "deadline.red") == 0;
    char item[NOTICE_NAME_MAX + 1], centre[16], scope[256], due[32], remaining[16];
    if (s_case_facts(db, c->case_no, item, sizeof item, centre, sizeof centre, err) != 0)
        goto cleanup;
    if (*c->stage)
        snprintf(scope, sizeof scope, "“%s”环节时限", c->stage);
    else
        snprintf(scope, sizeof scope, "办理时限");
    s_date(c->due_at_us, due, sizeof due);
    snprintf(remaining, sizeof remaining, "%d", (int)c->remaining_working_days);
    tasks_res = staff_tasks_of(db, c->case_no, err);
    if (!tasks_res)
        goto cleanup;
    staff_task_t tasks[100];
    size_t n = (size_t)PQntuples(tasks_res), holders[S_HOLDERS_MAX];
    for (size_t i = 0; i < n && i < 100; i++)
        tasks[i] = (staff_task_t){
            .task_id = PQgetvalue(tasks_res, (int)i, STAFF_TASK_COL_ID),
            .assignee = PQgetvalue(tasks_res, (int)i, STAFF_TASK_COL_ASSIGNEE),
            .on_behalf_of = PQgetvalue(tasks_res, (int)i, STAFF_TASK_COL_BEHALF),
            .stage = PQgetvalue(tasks_res, (int)i, STAFF_TASK_COL_STAGE),
            .state = PQgetvalue(tasks_res, (int)i, STAFF_TASK_COL_STATE),
        };
    size_t h = staff_card_holders(tasks, n < 100 ? n : 100, c->stage, holders, S_HOLDERS_MAX);
    const char *kind = red ? STAFF_NOTICE_RED : STAFF_NOTICE_YELLOW;
    char names[512] = "";
    template_value_t values[] = {
        {"staff_name", ""},   {"case_no", c->case_no}, {"item_name", *item ? item : c->item_code},
        {"scope", scope},     {"due_time", due},       {"remaining", remaining},
        {"holder_names", ""},
    };
    size_t nvalues = sizeof values / sizeof values[0];
    for (size_t i = 0; i < h; i++) {
        const char *holder = tasks[holders[i]].assignee;
        if (staff_notices_tell(db, rules, ev, kind,
                               red ? TEMPLATE_DEADLINE_RED : TEMPLATE_DEADLINE_YELLOW, holder,
                               values, nvalues, err) != 0)
            goto cleanup;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? "、" : "", holder);
    }
    /* DOMAIN.md §8: supervisors are told of red cards — the centre's registered ones. */
    const char *skind = staff_supervisor_kind(ev->type, false);
    const char *where = *c->centre_id ? c->centre_id : *ev->centre_id ? ev->centre_id : centre;
    if (skind && *where) {
        sup = staff_supervisors_of(db, where, skind, err);
        if (!sup)
            goto cleanup;
        values[6].value = *names ? names : "（暂无）";
        for (int i = 0; i < PQntuples(sup); i++)
            if (staff_notices_tell(db, rules, ev, kind, TEMPLATE_DEADLINE_RED_SUPERVISOR,
                                   PQgetvalue(sup, i, 0), values, nvalues, err) != 0)
                goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(tasks_res);
    PQclear(sup);
    onewindow__v1__clock__free_unpacked(c, NULL);
    return rc;
}

int staff_notices_on_rating(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const event_rules_t *rules = arg;
    int rc = -1;
    PGresult *sup = NULL;
    if (event_rules_on_event(db, ev, arg, err) != 0)
        return -1;
    Onewindow__V1__Rating *r = onewindow__v1__rating__unpack(NULL, ev->payload_len, ev->payload);
    if (!r) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a Rating", ev->type,
                     ev->event_id);
        return -1;
    }
    if (!*r->case_no || !s_bounded(r->case_no, OW_CASE_NO_MAX))
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
    if (!s_bounded(r->comment, NOTICE_COMMENT_MAX))
        ow_error_add_violation(err, "comment", "at most %d bytes", NOTICE_COMMENT_MAX);
    if (ow_case_event_finish(err, ev) != 0)
        goto cleanup;
    const char *skind = staff_supervisor_kind(ev->type, r->is_bad);
    if (!skind) {
        rc = 0;
        goto cleanup;
    }
    char item[NOTICE_NAME_MAX + 1], centre[16];
    if (s_case_facts(db, r->case_no, item, sizeof item, centre, sizeof centre, err) != 0)
        goto cleanup;
    const char *where = *ev->centre_id ? ev->centre_id : centre;
    if (!*where) {
        ow_log_kv(OW_LOG_WARN, "a bad review of a case of no known centre: no supervisor told",
                  "case_no", r->case_no, NULL);
        rc = 0;
        goto cleanup;
    }
    sup = staff_supervisors_of(db, where, skind, err);
    if (!sup)
        goto cleanup;
    /* DOMAIN.md §6: the rater's identity is never shown; the Rating does not carry it. */
    template_value_t values[] = {
        {"staff_name", ""},
        {"case_no", r->case_no},
        {"item_name", *item ? item : r->item_code},
        {"grade_text", r->grade == 1 ? "“非常不满意”" : "“不满意”"},
        {"comment", *r->comment ? r->comment : "（未填写）"},
    };
    for (int i = 0; i < PQntuples(sup); i++)
        if (staff_notices_tell(db, rules, ev, STAFF_NOTICE_BAD_REVIEW, TEMPLATE_BAD_REVIEW,
                               PQgetvalue(sup, i, 0), values, sizeof values / sizeof values[0],
                               err) != 0)
            goto cleanup;
    rc = 0;
cleanup:
    PQclear(sup);
    onewindow__v1__rating__free_unpacked(r, NULL);
    return rc;
}
