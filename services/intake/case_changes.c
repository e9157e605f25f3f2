/* case_changes — what the window does to a case after receipt (receive.h): 补正 after a
 * one-time notice, the supply of 容缺 materials (intake.correct), and 撤回 (intake.withdraw). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_state.h"
#include "case_store.h"
#include "catalogue_rules.h"
#include "correction.h"
#include "documents.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_idem.h"
#include "receive.h"
#include "timer_commands.h"

#define S_MAX_BYTES 16384
#define S_MAX_CODES 64

/* Begins, answers a repeat from the idempotency record (returns 1), else loads the case
 * locked (returns 0 with *kase). -1 with err (rolled back). */
static int s_open(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                  size_t len, const char *case_no, intake_case_t **kase, uint8_t **reply,
                  size_t *reply_len, ow_error_t *err)
{
    if (ow_db_begin(db, err) < 0)
        return -1;
    int found = ow_idem_find(db, key, method, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        return found;
    }
    if (!(*kase = intake_case_load(db, case_no, true, err))) {
        ow_db_rollback(db);
        return -1;
    }
    return 0;
}

int intake_correct(ow_db_t *db, const char *key, const uint8_t *request, size_t len, int64_t now_us,
                   int64_t promised_due_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__CorrectCase *req = NULL;
    intake_case_t *kase = NULL;
    PGresult *res = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "intake.correct needs an idempotency key");
        return -1;
    }
    if (len > S_MAX_BYTES || !(req = onewindow__v1__correct_case__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid CorrectCase");
        return -1;
    }
    if (!intake_case_no_valid(req->case_no))
        ow_error_add_violation(err, "case_no", "must be a case number");
    if (req->n_material_codes > S_MAX_CODES)
        ow_error_add_violation(err, "materials", "at most %d materials", S_MAX_CODES);
    for (size_t i = 0; i < req->n_material_codes && i < S_MAX_CODES; i++)
        if (!intake_code_valid(req->material_codes[i]))
            ow_error_add_violation(err, "materials", "code #%zu is not a material code", i + 1);
    if (ow_error_finish_violations(err) < 0)
        goto out;

    int opened =
        s_open(db, "intake.correct", key, request, len, req->case_no, &kase, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    int prev = c->state;
    const char *p[3] = {req->case_no};
    if (!(res = ow_db_exec(db, "intake_rcv_list", 1, p, err)))
        goto done;
    const char *outstanding[S_MAX_CODES], *supplied_before[S_MAX_CODES];
    size_t n_out = 0, n_before = 0;
    bool notice_list = false;
    for (int i = 0; i < PQntuples(res) && i < S_MAX_CODES; i++) {
        notice_list = notice_list || strcmp(PQgetvalue(res, i, 3), "notice") == 0;
        if (PQgetvalue(res, i, 4)[0] == 't')
            supplied_before[n_before++] = PQgetvalue(res, i, 0);
        else
            outstanding[n_out++] = PQgetvalue(res, i, 0);
    }
    bool open_notice = notice_list && prev == INTAKE_STATE_CORRECTION_STARTED;
    bool open_rongque = c->rongque && intake_case_state_decidable(prev);
    if (n_out == 0 || (!open_notice && !open_rongque)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "case %s (state %d %s) has nothing outstanding to correct or supply",
                     req->case_no, prev, c->state_name);
        goto done;
    }
    if (intake_correction_check(outstanding, n_out, supplied_before, n_before,
                                (const char *const *)req->material_codes, req->n_material_codes,
                                err) > 0) {
        ow_error_finish_violations(err);
        goto done;
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    for (size_t i = 0; i < req->n_material_codes; i++) {
        const char *sp[3] = {req->case_no, req->material_codes[i], now};
        if (intake_exec(db, "intake_rcv_supply", 3, sp, err) < 0)
            goto done;
    }
    size_t left = intake_correction_remaining(
        outstanding, n_out, (const char *const *)req->material_codes, req->n_material_codes);
    bool accept_now = open_notice && left == 0;
    if (open_rongque && left == 0) {
        /* 容缺 list complete: its supply deadline no longer watched. */
        char tk[INTAKE_TIMER_KEY_MAX + 1];
        intake_timer_key(tk, sizeof tk, INTAKE_TIMER_RONGQUE_SUPPLY, req->case_no);
        if (ow_timer_cancel(db, tk, err) < 0)
            goto done;
    }
    if (accept_now) {
        /* art. 32: accepted on the day the materials became complete — or on receipt if the
         * notice came later than its duty allowed. The window gives the notice on the spot,
         * so the duty is met at receipt. */
        int64_t notice_at = c->received_at_us; /* given with the receipt (receive.c) */
        int64_t accepted_at =
            intake_art32_accepted_at(c->received_at_us, notice_at, c->received_at_us, now_us);
        if (intake_case_set_state(db, req->case_no, INTAKE_STATE_CORRECTION_ENDED, 0, 0, "", now_us,
                                  err) < 0 ||
            intake_case_set_state(db, req->case_no, INTAKE_STATE_ACCEPTED, accepted_at,
                                  promised_due_us, "", now_us, err) < 0)
            goto done;
    }
    intake_case_destroy(&kase);
    if (!(kase = intake_case_load(db, req->case_no, false, err)))
        goto done;
    c = intake_case_summary(kase);
    Onewindow__V1__Document doc;
    intake_document_init(&doc, c, accept_now ? "receipt" : "correction_receipt", now_us);
    Onewindow__V1__ListedMaterial lm[S_MAX_CODES], *lmp[S_MAX_CODES];
    size_t nl = 0;
    for (size_t i = 0; i < n_out; i++) {
        bool now_in = false;
        for (size_t j = 0; j < req->n_material_codes; j++)
            now_in = now_in || strcmp(req->material_codes[j], outstanding[i]) == 0;
        if (now_in)
            continue;
        /* Still outstanding: listed on the receipt of this correction. */
        onewindow__v1__listed_material__init(&lm[nl]);
        lm[nl].code = (char *)outstanding[i];
        lm[nl].why = "missing";
        lmp[nl] = &lm[nl];
        nl++;
    }
    doc.listed = lmp;
    doc.n_listed = nl;
    if (intake_document_add(db, &doc, err) < 0 ||
        intake_emit_case_changed(db, "case.correction_received", c, &doc, prev, now_us, err) < 0)
        goto done;
    /* DOMAIN §3 容缺: the decision is issued only after all materials are in. routing holds
     * an approval until it hears this (docs/events.md), in the same transaction as the supply. */
    if (open_rongque && left == 0 &&
        intake_emit_case_changed(db, "case.materials_supplied", c, &doc, prev, now_us, err) < 0)
        goto done;
    if (accept_now && intake_emit_accepted(db, c, now_us, err) < 0)
        goto done;
    if (intake_command_finish(db, "intake.correct", key, request, len, c, &doc, reply, reply_len,
                              err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    PQclear(res);
    intake_case_destroy(&kase);
    onewindow__v1__correct_case__free_unpacked(req, NULL);
    return rc;
}

int intake_withdraw(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                    int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__WithdrawCase *req = NULL;
    intake_case_t *kase = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "intake.withdraw needs an idempotency key");
        return -1;
    }
    if (len > S_MAX_BYTES || !(req = onewindow__v1__withdraw_case__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid WithdrawCase");
        return -1;
    }
    if (!intake_case_no_valid(req->case_no))
        ow_error_add_violation(err, "case_no", "must be a case number");
    if (strlen(req->reason) > 500)
        ow_error_add_violation(err, "reason", "at most 500 bytes");
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int opened = s_open(db, "intake.withdraw", key, request, len, req->case_no, &kase, reply,
                        reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    int prev = intake_case_summary(kase)->state;
    int to = intake_case_state_withdrawn(prev);
    if (to < 0) {
        /* DOMAIN §3: withdrawal is allowed before a decision only. */
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "case %s is in state %d %s: it can no longer be withdrawn", req->case_no, prev,
                     intake_case_summary(kase)->state_name);
        goto done;
    }
    int64_t now_us_ = now_us;
    if (intake_case_set_state(db, req->case_no, to, 0, 0,
                              req->reason[0] ? req->reason : "withdrawn by the applicant", now_us_,
                              err) < 0 ||
        ow_timer_cancel_case(db, req->case_no, err) < 0)
        goto done;
    intake_case_destroy(&kase);
    if (!(kase = intake_case_load(db, req->case_no, false, err)))
        goto done;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    Onewindow__V1__Document doc;
    intake_document_init(&doc, c, "withdrawal", now_us);
    doc.reason = c->closed_reason;
    if (intake_document_add(db, &doc, err) < 0 ||
        intake_emit_case_changed(db, "case.withdrawn", c, &doc, prev, now_us, err) < 0 ||
        intake_command_finish(db, "intake.withdraw", key, request, len, c, &doc, reply, reply_len,
                              err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    intake_case_destroy(&kase);
    onewindow__v1__withdraw_case__free_unpacked(req, NULL);
    return rc;
}
