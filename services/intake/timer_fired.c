/* timer_fired — see timer_fired.h. */
#include "timer_fired.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "case_decided.h"
#include "case_state.h"
#include "case_store.h"
#include "correction.h"
#include "documents.h"
#include "hall.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "receive.h"
#include "timer_commands.h"
#include "onewindow/v1/deadline.pb-c.h"

#define S_LIST_MAX 64

/* Loads the timer's case locked; an unknown case is poison. */
static intake_case_t *s_load(ow_db_t *db, const Onewindow__V1__Timer *t, ow_error_t *err)
{
    ow_error_t lookup;
    ow_error_clear(&lookup);
    intake_case_t *kase = intake_case_load(db, t->case_no, true, &lookup);
    if (!kase) {
        *err = lookup;
        if (lookup.code == OW_NOT_FOUND)
            ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired %s for unknown case '%s'",
                         t->timer_key, t->case_no);
    }
    return kase;
}

/* art. 32: no decision and no one-time notice within 5 working days of receipt → the
 * application counts as accepted on the day the materials were received. */
static int s_notice_duty(ow_db_t *db, const Onewindow__V1__Timer *t, int64_t now_us,
                         ow_error_t *err)
{
    int rc = -1;
    intake_case_t *kase = s_load(db, t, err);
    if (!kase)
        return -1;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    int prev = c->state;
    if (!intake_notice_duty_deems_accepted(prev)) {
        rc = 0; /* decided (or withdrawn) in time */
        goto done;
    }
    int64_t accepted_at = intake_art32_accepted_at(c->received_at_us, 0, 0, now_us);
    char case_no[OW_CASE_NO_MAX + 1];
    snprintf(case_no, sizeof case_no, "%s", c->case_no);
    if (intake_case_set_state(db, case_no, INTAKE_STATE_ACCEPTED, accepted_at, 0, "", now_us, err) <
        0)
        goto done;
    intake_case_destroy(&kase);
    if (!(kase = intake_case_load(db, case_no, false, err)))
        goto done;
    c = intake_case_summary(kase);
    Onewindow__V1__Document doc;
    intake_document_init(&doc, c, "deemed_accepted", now_us);
    doc.reason = "行政许可法第三十二条: no decision or one-time notice within 5 working days of "
                 "receipt; the application is accepted as of the day the materials were received";
    if (intake_document_add(db, &doc, err) < 0 ||
        intake_emit_case_changed(db, "case.deemed_accepted", c, &doc, prev, now_us, err) < 0 ||
        intake_emit_accepted(db, c, now_us, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "case deemed accepted (art. 32 notice duty lapsed)", "case_no", case_no,
              NULL);
    rc = 0;
done:
    intake_case_destroy(&kase);
    return rc;
}

/* DOMAIN §3 容缺: a missed supply deadline terminates the case. */
static int s_rongque_supply(ow_db_t *db, const Onewindow__V1__Timer *t, int64_t now_us,
                            ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    intake_case_t *kase = s_load(db, t, err);
    if (!kase)
        return -1;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    int prev = c->state;
    char case_no[OW_CASE_NO_MAX + 1];
    snprintf(case_no, sizeof case_no, "%s", c->case_no);
    const char *p[1] = {case_no};
    if (!(res = ow_db_exec(db, "intake_rcv_list", 1, p, err)))
        goto done;
    Onewindow__V1__ListedMaterial lm[S_LIST_MAX], *lmp[S_LIST_MAX];
    size_t n = 0;
    char reason[512];
    int used = snprintf(reason, sizeof reason, "容缺 supply deadline missed; not supplied:");
    for (int i = 0; i < PQntuples(res) && n < S_LIST_MAX; i++) {
        if (strcmp(PQgetvalue(res, i, 3), "rongque") != 0 || PQgetvalue(res, i, 4)[0] == 't')
            continue;
        onewindow__v1__listed_material__init(&lm[n]);
        lm[n].code = PQgetvalue(res, i, 0);
        lm[n].name = PQgetvalue(res, i, 1);
        lm[n].why = "not supplied by the deadline";
        lmp[n] = &lm[n];
        if (used >= 0 && (size_t)used < sizeof reason)
            used += snprintf(reason + used, sizeof reason - (size_t)used, "%s %s", n ? "," : "",
                             lm[n].name);
        n++;
    }
    if (!intake_rongque_supply_missed(c->rongque, prev, n)) {
        rc = 0; /* supplied in time, decided, or withdrawn */
        goto done;
    }
    /* 13 办结（不通过）: the national code for an accepted case closed without approval. */
    if (intake_case_set_state(db, case_no, INTAKE_STATE_REFUSED, 0, 0, reason, now_us, err) < 0)
        goto done;
    intake_case_destroy(&kase);
    if (!(kase = intake_case_load(db, case_no, false, err)))
        goto done;
    c = intake_case_summary(kase);
    Onewindow__V1__Document doc;
    intake_document_init(&doc, c, "termination", now_us);
    doc.listed = lmp;
    doc.n_listed = n;
    doc.reason = c->closed_reason;
    if (intake_document_add(db, &doc, err) < 0 ||
        intake_emit_case_changed(db, "case.terminated", c, &doc, prev, now_us, err) < 0 ||
        ow_timer_cancel_case(db, case_no, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "case terminated (容缺 supply deadline missed)", "case_no", case_no,
              NULL);
    rc = 0;
done:
    PQclear(res);
    intake_case_destroy(&kase);
    return rc;
}

int intake_apply_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    intake_hall_policy_t fallback = intake_hall_policy_default();
    const intake_hall_policy_t *policy = arg ? arg : &fallback;
    int rc = -1;
    Onewindow__V1__Timer *t = NULL;
    if (ev->payload_len > INTAKE_EVENT_MAX_BYTES ||
        !(t = onewindow__v1__timer__unpack(NULL, ev->payload_len, ev->payload))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired: the payload is not a Timer");
        goto done;
    }
    if (strcmp(t->owner, INTAKE_TIMER_OWNER) != 0) {
        rc = 0; /* another service's timer */
        goto done;
    }
    int64_t now_us = ow_clock_now_us();
    if (strcmp(t->kind, INTAKE_TIMER_NOTICE_DUTY) == 0)
        rc = s_notice_duty(db, t, now_us, err);
    else if (strcmp(t->kind, INTAKE_TIMER_RONGQUE_SUPPLY) == 0)
        rc = s_rongque_supply(db, t, now_us, err);
    else if (strcmp(t->kind, INTAKE_TIMER_NO_SHOW) == 0)
        rc = intake_appointment_no_show(db, policy, t, now_us, err);
    else
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired %s: unknown kind '%s' of owner intake",
                     t->timer_key, t->kind);
done:
    if (t)
        onewindow__v1__timer__free_unpacked(t, NULL);
    return rc;
}
