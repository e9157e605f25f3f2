#include "receive.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "applicant.h"
#include "case_number.h"
#include "case_state.h"
#include "case_store.h"
#include "catalogue.h"
#include "catalogue_rules.h"
#include "correction.h"
#include "documents.h"
#include "lanes.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "batch.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "outcome.h"
#include "timer_commands.h"

#define S_RECEIVE  "intake.receive"
#define S_CORRECT  "intake.correct"
#define S_WITHDRAW "intake.withdraw"
#define S_DECIDE   "intake.decide_receipt"
#define S_TEXT_MAX 500

int intake_receive_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t s[] = {
        {"intake_rcv_extras",
         "UPDATE cases SET deciding_centre_id = $2, outcome = $3, love_lane = $4::boolean,"
         "  love_reasons = $5, green_lane = $6::boolean, green_by = $7, green_reason = $8,"
         "  rongque = $9::boolean, supply_due_at = us_to_ts(nullif($10::bigint, 0)),"
         "  promised_due_at = us_to_ts(nullif($11::bigint, 0)),"
         "  notice_at = us_to_ts(nullif($12::bigint, 0)), closed_reason = $13"
         " WHERE case_no = $1"},
        /* intake.decide_receipt: the window's decision on a case received earlier; its
         * lanes and deciding centre stay as received. */
        {"intake_rcv_decision", "UPDATE cases SET outcome = $2, rongque = $3::boolean,"
                                "  supply_due_at = us_to_ts(nullif($4::bigint, 0)),"
                                "  promised_due_at = us_to_ts(nullif($5::bigint, 0)),"
                                "  notice_at = us_to_ts(nullif($6::bigint, 0)), closed_reason = $7"
                                " WHERE case_no = $1"},
        {"intake_rcv_handed", "SELECT m FROM cases, unnest(materials) AS m WHERE case_no = $1"
                              " ORDER BY m"},
        {"intake_rcv_outstanding",
         "INSERT INTO case_outstanding (case_no, material_code, name, why, list)"
         " VALUES ($1, $2, $3, $4, $5)"},
        {"intake_rcv_dishonest", "SELECT 1 FROM dishonest_applicants WHERE id_number = $1"},
        {"intake_rcv_centres",
         "SELECT centre_id FROM item_centres WHERE impl_code = $1 AND version = $2::integer"},
        {"intake_rcv_list",
         "SELECT material_code, name, why, list, supplied_at IS NOT NULL FROM case_outstanding"
         " WHERE case_no = $1 ORDER BY material_code"},
        {"intake_rcv_supply", "UPDATE case_outstanding SET supplied_at = us_to_ts($3::bigint)"
                              " WHERE case_no = $1 AND material_code = $2 AND supplied_at IS NULL"},
        {"intake_rcv_state",
         "UPDATE cases SET state = $2::smallint,"
         "  accepted_at = coalesce(us_to_ts(nullif($3::bigint, 0)), accepted_at),"
         "  promised_due_at = coalesce(us_to_ts(nullif($4::bigint, 0)), promised_due_at),"
         "  closed_reason = $5, updated_at = us_to_ts($6::bigint),"
         "  decided_at = CASE WHEN $2::smallint IN (11, 12, 13) THEN us_to_ts($6::bigint)"
         "                    ELSE decided_at END"
         " WHERE case_no = $1"},
    };
    if (OW_DB_PREPARE_ALL(db, s, err) != 0)
        return -1;
    if (intake_timer_commands_prepare(db, err) < 0)
        return -1;
    return intake_documents_prepare(db, err);
}

static bool s_centre_valid(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool intake_key_valid(const char *key)
{
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len > INTAKE_IDEM_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)key[i]))
            return false;
    return true;
}

bool intake_case_no_valid(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > OW_CASE_NO_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)s[i]))
            return false;
    return true;
}

Onewindow__V1__ReceiveApplication *intake_receive_unpack(const uint8_t *request, size_t len,
                                                         ow_error_t *err)
{
    if (len > INTAKE_SUBMIT_MAX_BYTES) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "application of %zu bytes exceeds the %d-byte limit",
                     len, INTAKE_SUBMIT_MAX_BYTES);
        return NULL;
    }
    Onewindow__V1__ReceiveApplication *req =
        onewindow__v1__receive_application__unpack(NULL, len, request);
    if (!req || !req->application) {
        if (req)
            onewindow__v1__receive_application__free_unpacked(req, NULL);
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.ReceiveApplication with an "
                     "application");
        return NULL;
    }
    return req;
}

/* Writes a Document for the case; strings borrow from c and the caller. */
void intake_document_init(Onewindow__V1__Document *d, const Onewindow__V1__CaseSummary *c,
                          const char *kind, int64_t now_us)
{
    onewindow__v1__document__init(d);
    d->case_no = c->case_no;
    d->kind = (char *)kind;
    d->issued_at_us = now_us;
    d->item_code = c->item_code;
    d->item_name = c->item_name;
    d->applicant_name = c->applicant ? c->applicant->name : "";
    d->promised_due_us = c->promised_due_us;
    d->supply_due_us = c->supply_due_us;
    d->centre_id = c->centre_id;
}

int intake_exec(ow_db_t *db, const char *name, int n, const char *const *p, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int intake_case_set_state(ow_db_t *db, const char *case_no, int state, int64_t accepted_us,
                          int64_t promised_us, const char *reason, int64_t now_us, ow_error_t *err)
{
    char st[8], acc[24], prom[24], now[24];
    snprintf(st, sizeof st, "%d", state);
    snprintf(acc, sizeof acc, "%" PRId64, accepted_us);
    snprintf(prom, sizeof prom, "%" PRId64, promised_us);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[6] = {case_no, st, acc, prom, reason ? reason : "", now};
    return intake_exec(db, "intake_rcv_state", 6, p, err);
}

/* Packs ReceiveReply {case, outcome, document} and saves it under the key. */
int intake_command_reply(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                         size_t len, const Onewindow__V1__CaseSummary *c,
                         const Onewindow__V1__Document *doc, uint8_t **reply, size_t *reply_len,
                         ow_error_t *err)
{
    Onewindow__V1__ReceiveReply out = ONEWINDOW__V1__RECEIVE_REPLY__INIT;
    out.case_ = (Onewindow__V1__CaseSummary *)c;
    out.outcome = c->outcome;
    out.document = (Onewindow__V1__Document *)doc;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    if (intake_pack_ok(&out.base, &packed, &packed_len, err) < 0)
        return -1;
    if (ow_idem_save(db, key, method, request, len, packed, packed_len, err) < 0) {
        free(packed);
        return -1;
    }
    *reply = packed;
    *reply_len = packed_len;
    return 0;
}

/* As intake_command_reply, then commits. */
int intake_command_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                          size_t len, const Onewindow__V1__CaseSummary *c,
                          const Onewindow__V1__Document *doc, uint8_t **reply, size_t *reply_len,
                          ow_error_t *err)
{
    if (intake_command_reply(db, method, key, request, len, c, doc, reply, reply_len, err) < 0)
        return -1;
    if (ow_db_commit(db, err) < 0) {
        free(*reply);
        *reply = NULL;
        *reply_len = 0;
        return -1;
    }
    return 0;
}

/* Emits case.accepted (the contract's payload: CaseAccepted) for routing, deadline, … */
int intake_emit_accepted(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t now_us,
                         ow_error_t *err)
{
    Onewindow__V1__CaseAccepted a = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    a.case_ = (Onewindow__V1__CaseSummary *)c;
    size_t n = onewindow__v1__case_accepted__get_packed_size(&a);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing case.accepted");
        return -1;
    }
    onewindow__v1__case_accepted__pack(&a, buf);
    int rc = ow_outbox_add(db, "case.accepted", c->case_no, c->centre_id, now_us, buf, n, err);
    free(buf);
    return rc;
}

/* The clerk's findings, at receipt or later (intake.decide_receipt): each defect names a
 * material handed in (handed[0..n_handed)) and why it is not in legal form; 不予受理 names
 * the authority to go to. Adds violations. */
static void s_check_findings(Onewindow__V1__MaterialDefect *const *defects, size_t n_defects,
                             const char *const *handed, size_t n_handed, bool not_a_matter,
                             const char *refer_to, ow_error_t *err)
{
    for (size_t i = 0; i < n_defects && i < INTAKE_SUBMIT_MAX_MATERIALS; i++) {
        const Onewindow__V1__MaterialDefect *d = defects[i];
        bool in = false;
        for (size_t j = 0; j < n_handed; j++)
            in = in || strcmp(handed[j], d->code) == 0;
        if (!intake_code_valid(d->code) || !in)
            ow_error_add_violation(err, "defects",
                                   "defect #%zu names no material that was handed in", i + 1);
        if (!d->reason[0] || !intake_text_valid(d->reason, S_TEXT_MAX))
            ow_error_add_violation(err, "defects",
                                   "defect #%zu needs the reason it is not in legal form", i + 1);
    }
    if (not_a_matter && (!refer_to[0] || !intake_text_valid(refer_to, S_TEXT_MAX)))
        ow_error_add_violation(err, "refer_to",
                               "不予受理 names the authority the applicant should go to");
}

/* The request checks that need no database besides the item. Adds violations. */
static void s_check(const Onewindow__V1__ReceiveApplication *r, const intake_item_t *item,
                    const char *channel, const char *centre, const char *deciding, ow_error_t *err)
{
    const Onewindow__V1__SubmitApplication *app = r->application;
    const Onewindow__V1__Applicant *pa = app->applicant;
    intake_applicant_t a = {0};
    if (pa)
        a = (intake_applicant_t){pa->name, pa->id_type, pa->id_number, pa->phone, pa->email};
    intake_check_applicant(pa ? &a : NULL, err);
    if (intake_channel_digit(channel) < 0)
        ow_error_add_violation(err, "channel", "must be one of %s", intake_channel_names());
    if (!s_centre_valid(centre))
        ow_error_add_violation(err, "centre_id",
                               "must be the receiving centre's 12-digit area code (区划代码)");
    /* DOMAIN §1: a cross-region case is received here and decided elsewhere; it records
     * both sites. Any other channel is decided where it is received. */
    if (strcmp(channel, "cross_region") == 0) {
        if (!s_centre_valid(deciding) || strcmp(deciding, centre) == 0)
            ow_error_add_violation(err, "deciding_centre_id",
                                   "a cross_region case names the deciding centre (办理地), a "
                                   "12-digit area code other than the receiving centre");
    } else if (deciding[0] && strcmp(deciding, centre) != 0) {
        ow_error_add_violation(err, "deciding_centre_id",
                               "only a cross_region case is decided at another centre");
    }
    if (app->n_material_codes > INTAKE_SUBMIT_MAX_MATERIALS ||
        r->n_defects > INTAKE_SUBMIT_MAX_MATERIALS)
        ow_error_add_violation(err, "materials", "at most %d materials",
                               INTAKE_SUBMIT_MAX_MATERIALS);
    for (size_t i = 0; i < app->n_material_codes && i < INTAKE_SUBMIT_MAX_MATERIALS; i++) {
        const char *code = app->material_codes[i];
        bool known = false;
        for (size_t j = 0; item && j < item->material_count; j++)
            known = known || strcmp(item->materials[j].code, code) == 0;
        if (!intake_code_valid(code))
            ow_error_add_violation(err, "materials", "code #%zu is not a material code", i + 1);
        else if (item && !known)
            ow_error_add_violation(err, "materials",
                                   "material code '%s' is not on the list of item %s", code,
                                   item->impl_code);
    }
    s_check_findings(r->defects, r->n_defects, (const char *const *)app->material_codes,
                     app->n_material_codes, r->not_a_matter, r->refer_to, err);
}

/* What the window judges a received application by (intake.receive at once, or
 * intake.decide_receipt later): strings borrowed. */
typedef struct {
    const intake_item_t *item; /* the case's item version */
    const char *id_number;     /* normalised, for the 失信 list */
    const char *decider;       /* the deciding centre (办理地) */
    const char *const *handed; /* material codes handed in */
    size_t n_handed;
    const intake_defect_t *defects;
    size_t n_defects;
    bool not_a_matter;
    const char *refer_to;
    bool rongque_requested;
    bool commitment_signed;
    int64_t supply_due_us;
    int64_t promised_due_us; /* if accepted now (deadlined; 0 = unknown) */
    int64_t now_us;
    bool decide_later;
} s_judgement_t;

static bool s_accepted(intake_outcome_t outcome)
{
    return outcome == INTAKE_OUTCOME_ACCEPTED || outcome == INTAKE_OUTCOME_RONGQUE ||
           outcome == INTAKE_OUTCOME_DECIDED_ON_SPOT;
}

/* The window's decision (outcome.h) with what only the database knows: the 失信 list and the
 * centres the item may be decided at. Returns 0 with *dec, or -1 with err (violations when
 * 容缺 was asked for and is not allowed; nothing written). */
static int s_judge(ow_db_t *db, const s_judgement_t *j, intake_decision_t *dec, ow_error_t *err)
{
    const char *p[2] = {j->id_number};
    PGresult *res = ow_db_exec(db, "intake_rcv_dishonest", 1, p, err);
    if (!res)
        return -1;
    bool dishonest = PQntuples(res) > 0;
    PQclear(res);
    char version[16];
    snprintf(version, sizeof version, "%d", j->item->version);
    const char *cp[2] = {j->item->impl_code, version};
    if (!(res = ow_db_exec(db, "intake_rcv_centres", 2, cp, err)))
        return -1;
    bool within = PQntuples(res) == 0;
    for (int i = 0; i < PQntuples(res); i++)
        within = within || strcmp(PQgetvalue(res, i, 0), j->decider) == 0;
    PQclear(res);
    intake_receipt_t receipt = {
        .item = j->item,
        .handed_in = j->handed,
        .handed_in_count = j->n_handed,
        .defects = j->defects,
        .defect_count = j->n_defects,
        .within_powers = within && !j->not_a_matter,
        .refer_to = j->refer_to,
        .rongque_requested = j->rongque_requested,
        .commitment_signed = j->commitment_signed,
        .dishonest = dishonest,
        .promised_due_us = j->promised_due_us,
        .supply_due_us = j->supply_due_us,
        .now_us = j->now_us,
        .decide_later = j->decide_later,
    };
    if (j->rongque_requested && j->promised_due_us == 0 &&
        strcmp(j->item->handling_kind, "promised") == 0) {
        /* The ceiling of a supply deadline is the promised date: without it, no 容缺. */
        ow_error_add_violation(err, "rongque.supply_due",
                               "the promised completion date could not be computed (deadlined "
                               "unavailable): 容缺 cannot be checked now");
        ow_error_finish_violations(err);
        return -1;
    }
    return intake_outcome_decide(&receipt, dec, err);
}

/* The window's decision recorded on a case row that exists (just inserted by intake.receive,
 * or received earlier: intake.decide_receipt). */
typedef struct {
    const char *case_no;
    int from_state; /* the row's state now */
    const intake_decision_t *dec;
    const s_judgement_t *judged;
    const intake_lanes_t *lanes; /* receive: the lanes to record; NULL = keep the case's */
    const char *green_by;
    const char *green_reason;
    const char *method; /* for the idempotency record */
    const char *key;
    const uint8_t *request;
    size_t len;
} s_record_t;

/* Inside the open transaction: the outcome's columns, the notice or supply list, the state,
 * the document, the events (case.received first for a new receipt; then the outcome's), the
 * watched periods, and the reply saved under the key. Returns 0 with *reply, or -1 with err
 * (the caller rolls back). */
static int s_record(ow_db_t *db, const s_record_t *r, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err)
{
    int rc = -1;
    intake_case_t *kase = NULL;
    const intake_decision_t *dec = r->dec;
    const s_judgement_t *j = r->judged;
    const char *case_no = r->case_no;
    int64_t now_us = j->now_us;
    int state = intake_outcome_state(dec->outcome);
    bool accepted = s_accepted(dec->outcome);
    bool rongque = dec->outcome == INTAKE_OUTCOME_RONGQUE;
    bool received_only = dec->outcome == INTAKE_OUTCOME_RECEIVED;
    char supply[24], promised[24], notice[24];
    snprintf(supply, sizeof supply, "%" PRId64, rongque ? j->supply_due_us : 0);
    /* Received only: the date it would carry if deemed accepted on receipt (art. 32). */
    snprintf(promised, sizeof promised, "%" PRId64,
             (accepted && dec->outcome != INTAKE_OUTCOME_DECIDED_ON_SPOT) || received_only
                 ? j->promised_due_us
                 : 0);
    snprintf(notice, sizeof notice, "%" PRId64, dec->outcome == INTAKE_OUTCOME_NOTICE ? now_us : 0);
    if (r->lanes) {
        char reasons[128] = "";
        for (size_t i = 0; i < r->lanes->love_reason_count; i++)
            snprintf(reasons + strlen(reasons), sizeof reasons - strlen(reasons), "%s%s",
                     i ? "," : "", r->lanes->love_reasons[i]);
        const char *xp[13] = {case_no,
                              j->decider,
                              intake_outcome_name(dec->outcome),
                              r->lanes->love ? "true" : "false",
                              reasons,
                              r->lanes->green ? "true" : "false",
                              r->green_by,
                              r->green_reason,
                              rongque ? "true" : "false",
                              supply,
                              promised,
                              notice,
                              dec->reason};
        if (intake_exec(db, "intake_rcv_extras", 13, xp, err) < 0)
            goto done;
    } else {
        const char *xp[7] = {case_no,
                             intake_outcome_name(dec->outcome),
                             rongque ? "true" : "false",
                             supply,
                             promised,
                             notice,
                             dec->reason};
        if (intake_exec(db, "intake_rcv_decision", 7, xp, err) < 0)
            goto done;
    }
    const char *list = rongque ? "rongque" : "notice";
    for (size_t i = 0; i < dec->listed_count; i++) {
        const char *op[5] = {case_no, dec->listed[i].code, dec->listed[i].name, dec->listed[i].why,
                             list};
        if (intake_exec(db, "intake_rcv_outstanding", 5, op, err) < 0)
            goto done;
    }
    /* art. 32: decided at the window (at once, or within the 5 days) — accepted now. */
    if (state != r->from_state && intake_case_set_state(db, case_no, state, accepted ? now_us : 0,
                                                        0, dec->reason, now_us, err) < 0)
        goto done;

    if (!(kase = intake_case_load(db, case_no, false, err)))
        goto done;
    const Onewindow__V1__CaseSummary *sum = intake_case_summary(kase);
    static const char *const kinds[] = {
        [INTAKE_OUTCOME_ACCEPTED] = "receipt",
        [INTAKE_OUTCOME_DECIDED_ON_SPOT] = "decision_on_spot",
        [INTAKE_OUTCOME_NOTICE] = "notice",
        [INTAKE_OUTCOME_RONGQUE] = "rongque_receipt",
        [INTAKE_OUTCOME_NOT_ACCEPTED] = "not_accepted",
        [INTAKE_OUTCOME_RECEIVED] = "receipt_of_materials",
    };
    Onewindow__V1__Document doc;
    intake_document_init(&doc, sum, kinds[dec->outcome], now_us);
    Onewindow__V1__ListedMaterial lm[INTAKE_OUTCOME_MAX_LISTED];
    Onewindow__V1__ListedMaterial *lmp[INTAKE_OUTCOME_MAX_LISTED];
    for (size_t i = 0; i < dec->listed_count; i++) {
        onewindow__v1__listed_material__init(&lm[i]);
        lm[i].code = (char *)dec->listed[i].code;
        lm[i].name = (char *)dec->listed[i].name;
        lm[i].why = (char *)dec->listed[i].why;
        lmp[i] = &lm[i];
    }
    doc.listed = lmp;
    doc.n_listed = dec->listed_count;
    doc.reason = (char *)dec->reason;
    if (intake_document_add(db, &doc, err) < 0)
        goto done;

    /* Events: received (a new receipt), then the outcome (docs/events.md). */
    static const char *const events[] = {
        [INTAKE_OUTCOME_ACCEPTED] = NULL,
        [INTAKE_OUTCOME_DECIDED_ON_SPOT] = "case.decided_on_spot",
        [INTAKE_OUTCOME_NOTICE] = "case.notice_issued",
        [INTAKE_OUTCOME_RONGQUE] = "case.rongque_accepted",
        [INTAKE_OUTCOME_NOT_ACCEPTED] = "case.not_accepted",
        [INTAKE_OUTCOME_RECEIVED] = NULL,
    };
    if (r->lanes && intake_emit_case_changed(db, "case.received", sum, NULL, 0, now_us, err) < 0)
        goto done;
    if (events[dec->outcome] && intake_emit_case_changed(db, events[dec->outcome], sum, &doc,
                                                         INTAKE_STATE_RECEIVED, now_us, err) < 0)
        goto done;
    /* Routing starts work (and deadlined the clock) on case.accepted; a 即办件 decided on the
     * spot never reaches the back office. */
    if ((dec->outcome == INTAKE_OUTCOME_ACCEPTED || rongque) &&
        intake_emit_accepted(db, sum, now_us, err) < 0)
        goto done;
    /* Watched periods (DOMAIN §5), asked of deadlined once this transaction commits: the
     * art. 32 duty of a case received without a decision — ended by the decision — and the
     * 容缺 supply deadline. */
    if (received_only && intake_timer_notice_duty(db, sum, err) < 0)
        goto done;
    if (!received_only && r->from_state == INTAKE_STATE_RECEIVED && !r->lanes) {
        char tk[INTAKE_TIMER_KEY_MAX + 1];
        intake_timer_key(tk, sizeof tk, INTAKE_TIMER_NOTICE_DUTY, case_no);
        if (ow_timer_cancel(db, tk, err) < 0)
            goto done;
    }
    if (rongque && intake_timer_rongque_supply(db, sum, err) < 0)
        goto done;
    if (intake_command_reply(db, r->method, r->key, r->request, r->len, sum, &doc, reply, reply_len,
                             err) < 0)
        goto done;
    rc = 0;
done:
    intake_case_destroy(&kase);
    return rc;
}

/* The work inside the caller's open transaction (a savepoint of the batch). Returns 0 with
 * *reply, or -1 with err; the caller rolls back what was written. */
static int s_receive_apply(ow_db_t *db, const intake_settings_t *settings,
                           intake_item_cache_t *items, const char *key,
                           const Onewindow__V1__ReceiveApplication *r, const uint8_t *request,
                           size_t len, int64_t now_us, int64_t promised_due_us, uint8_t **reply,
                           size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    const intake_item_t *item = NULL;
    const Onewindow__V1__SubmitApplication *app = r->application;
    const char *channel = app->channel[0] ? app->channel : INTAKE_DEFAULT_CHANNEL;
    const char *centre = app->centre_id[0] ? app->centre_id : settings->centre_id;
    const char *deciding = r->deciding_centre_id;

    int found = ow_idem_find(db, key, S_RECEIVE, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1)
        return 0;

    ow_error_t lookup;
    ow_error_clear(&lookup);
    if (!intake_code_valid(app->item_code)) {
        ow_error_add_violation(err, "item_code", "must be the item's 实施编码");
    } else if (!(item = intake_item_cache_find(items, db, app->item_code, &lookup))) {
        if (lookup.code != OW_NOT_FOUND) {
            *err = lookup;
            goto done;
        }
        ow_error_add_violation(err, "item_code", "no item with 实施编码 '%s' in the catalogue",
                               app->item_code);
    }
    s_check(r, item, channel, centre, deciding, err);
    int today = ow_clock_local_yyyymmdd(now_us);
    intake_lanes_t lanes = {0};
    intake_lane_request_t lr = {
        .id_type = app->applicant ? app->applicant->id_type : "",
        .id_number = app->applicant ? app->applicant->id_number : "",
        .today_yyyymmdd = today,
        .declared = (const char *const *)r->declared_lanes,
        .declared_count = r->n_declared_lanes,
        .green_by = r->green_by,
        .green_reason = r->green_reason,
    };
    intake_lanes_derive(&lr, &lanes, err);
    if (ow_error_finish_violations(err) < 0)
        goto done;

    char id_number[32];
    intake_applicant_normalise_id(app->applicant->id_number, id_number, sizeof id_number);
    const char *handed[INTAKE_SUBMIT_MAX_MATERIALS];
    intake_defect_t defects[INTAKE_SUBMIT_MAX_MATERIALS];
    for (size_t i = 0; i < app->n_material_codes; i++)
        handed[i] = app->material_codes[i];
    for (size_t i = 0; i < r->n_defects; i++)
        defects[i] = (intake_defect_t){r->defects[i]->code, r->defects[i]->reason};
    const char *decider = deciding[0] ? deciding : centre;
    s_judgement_t j = {.item = item,
                       .id_number = id_number,
                       .decider = decider,
                       .handed = handed,
                       .n_handed = app->n_material_codes,
                       .defects = defects,
                       .n_defects = r->n_defects,
                       .not_a_matter = r->not_a_matter,
                       .refer_to = r->refer_to,
                       .rongque_requested = r->rongque_requested,
                       .commitment_signed = r->commitment_signed,
                       .supply_due_us = r->supply_due_us,
                       .promised_due_us = promised_due_us,
                       .now_us = now_us,
                       .decide_later = r->decide_later};
    intake_decision_t dec;
    if (s_judge(db, &j, &dec, err) < 0)
        goto done;

    long serial = 0;
    char case_no[INTAKE_CASE_NO_SIZE];
    if (intake_case_number_next_serial(db, settings->county_code, today, &serial, err) < 0 ||
        intake_case_number_format(settings->county_code, today, channel, serial, case_no,
                                  sizeof case_no, err) < 0)
        goto done;
    bool accepted = s_accepted(dec.outcome);
    intake_new_case_t c = {
        .case_no = case_no,
        /* Inserted received (or accepted), then moved: a decided row needs decided_at. */
        .state = accepted ? INTAKE_STATE_ACCEPTED : INTAKE_STATE_RECEIVED,
        .item = item,
        .applicant_name = app->applicant->name,
        .applicant_id_type = app->applicant->id_type,
        .applicant_id_number = id_number,
        .applicant_phone = app->applicant->phone,
        .applicant_email = app->applicant->email,
        .channel = channel,
        .centre_id = centre,
        .received_at_us = now_us,
        .accepted_at_us = accepted ? now_us : 0,
        .materials = handed,
        .material_count = app->n_material_codes,
    };
    if (intake_case_insert(db, &c, err) < 0)
        goto done;
    s_record_t rec = {.case_no = case_no,
                      .from_state = c.state,
                      .dec = &dec,
                      .judged = &j,
                      .lanes = &lanes,
                      .green_by = r->green_by,
                      .green_reason = r->green_reason,
                      .method = S_RECEIVE,
                      .key = key,
                      .request = request,
                      .len = len};
    if (s_record(db, &rec, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    return rc;
}

int intake_receive_apply(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                         const char *idempotency_key, const uint8_t *request, size_t len,
                         int64_t now_us, int64_t promised_due_us, uint8_t **reply,
                         size_t *reply_len, ow_error_t *err)
{
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(idempotency_key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "intake.receive needs an idempotency key");
        return -1;
    }
    Onewindow__V1__ReceiveApplication *req = intake_receive_unpack(request, len, err);
    if (!req)
        return -1;
    int rc = s_receive_apply(db, settings, items, idempotency_key, req, request, len, now_us,
                             promised_due_us, reply, reply_len, err);
    onewindow__v1__receive_application__free_unpacked(req, NULL);
    return rc;
}

int intake_receive(ow_db_t *db, const intake_settings_t *settings, const char *idempotency_key,
                   const uint8_t *request, size_t len, int64_t now_us, int64_t promised_due_us,
                   uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    /* A batch of one: the same transaction code as the daemon's group commit. */
    intake_job_t job = {.kind = INTAKE_JOB_RECEIVE,
                        .key = idempotency_key,
                        .request = request,
                        .len = len,
                        .now_us = now_us,
                        .promised_due_us = promised_due_us};
    intake_job_t *jobs[1] = {&job};
    intake_batch_run(db, settings, jobs, 1);
    *reply = job.reply;
    *reply_len = job.reply_len;
    *err = job.err;
    return job.rc;
}

int intake_decide_receipt(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                          int64_t now_us, int64_t promised_due_us, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__DecideReceipt *req = NULL;
    intake_case_t *kase = NULL;
    intake_item_t *item = NULL;
    PGresult *handed_res = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_DECIDE " needs an idempotency key");
        return -1;
    }
    if (len > INTAKE_SUBMIT_MAX_BYTES ||
        !(req = onewindow__v1__decide_receipt__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid DecideReceipt");
        return -1;
    }
    if (!intake_case_no_valid(req->case_no))
        ow_error_add_violation(err, "case_no", "must be a case number");
    if (req->n_defects > INTAKE_SUBMIT_MAX_MATERIALS)
        ow_error_add_violation(err, "defects", "at most %d defects", INTAKE_SUBMIT_MAX_MATERIALS);
    if (ow_error_finish_violations(err) < 0)
        goto out;

    if (ow_db_begin(db, err) < 0)
        goto out;
    int found = ow_idem_find(db, key, S_DECIDE, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    if (!(kase = intake_case_load(db, req->case_no, true, err)))
        goto done;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    if (c->state != INTAKE_STATE_RECEIVED) {
        /* art. 32: the decision on a receipt is taken once — by the window within the 5 days,
         * or by the law (deemed accepted) when they lapsed. */
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "case %s is in state %d %s: only a case received without a decision "
                     "(1 已接件) is decided here",
                     req->case_no, c->state, c->state_name);
        goto done;
    }
    /* The case keeps the item version it was received under. */
    if (!(item = intake_catalogue_find_version(db, c->item_code, c->item_version, err)))
        goto done;
    const char *p[1] = {req->case_no};
    if (!(handed_res = ow_db_exec(db, "intake_rcv_handed", 1, p, err)))
        goto done;
    const char *handed[INTAKE_SUBMIT_MAX_MATERIALS];
    size_t n_handed = 0;
    for (int i = 0; i < PQntuples(handed_res) && n_handed < INTAKE_SUBMIT_MAX_MATERIALS; i++)
        handed[n_handed++] = PQgetvalue(handed_res, i, 0);
    s_check_findings(req->defects, req->n_defects, handed, n_handed, req->not_a_matter,
                     req->refer_to, err);
    if (ow_error_finish_violations(err) < 0)
        goto done;
    intake_defect_t defects[INTAKE_SUBMIT_MAX_MATERIALS];
    for (size_t i = 0; i < req->n_defects; i++)
        defects[i] = (intake_defect_t){req->defects[i]->code, req->defects[i]->reason};
    s_judgement_t j = {.item = item,
                       .id_number = c->applicant ? c->applicant->id_number : "",
                       .decider = c->deciding_centre_id,
                       .handed = handed,
                       .n_handed = n_handed,
                       .defects = defects,
                       .n_defects = req->n_defects,
                       .not_a_matter = req->not_a_matter,
                       .refer_to = req->refer_to,
                       .rongque_requested = req->rongque_requested,
                       .commitment_signed = req->commitment_signed,
                       .supply_due_us = req->supply_due_us,
                       .promised_due_us = promised_due_us,
                       .now_us = now_us,
                       .decide_later = false};
    intake_decision_t dec;
    if (s_judge(db, &j, &dec, err) < 0)
        goto done;
    s_record_t rec = {.case_no = req->case_no,
                      .from_state = INTAKE_STATE_RECEIVED,
                      .dec = &dec,
                      .judged = &j,
                      .lanes = NULL,
                      .method = S_DECIDE,
                      .key = key,
                      .request = request,
                      .len = len};
    if (s_record(db, &rec, reply, reply_len, err) < 0)
        goto done;
    if (ow_db_commit(db, err) < 0) {
        free(*reply);
        *reply = NULL;
        *reply_len = 0;
        goto out;
    }
    rc = 0;
    goto out;
done:
    ow_db_rollback(db);
out:
    PQclear(handed_res);
    intake_item_destroy(&item);
    intake_case_destroy(&kase);
    onewindow__v1__decide_receipt__free_unpacked(req, NULL);
    return rc;
}
