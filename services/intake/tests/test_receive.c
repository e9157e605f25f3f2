/* intake.receive, intake.correct, intake.withdraw and intake.list_documents on a real
 * Postgres (OW_TEST_DATABASE_URL) with the demonstration catalogue: every outcome of
 * DOMAIN.md §3 with its document and events, corrections citing only the notice, art. 32
 * dating, 容缺 conditions (失信 from the table), cross-region sites, lanes, withdrawal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_state.h"
#include "documents.h"
#include "intake_api.h"
#include "ow_clock.h"
#include "ow_migrate.h"
#include "ow_rpc.h"
#include "ow_test_pg.h"
#include "receive.h"
#include "timer_commands.h"
#include "timer_fired.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_FOOD "113301220025190176000117004000" /* 承诺件, SPJY-04/05 容缺-eligible */
#define S_GTHS "113301220025190176000117001000" /* 即办件 */
#define S_DAY  (86400LL * 1000000)
#define S_NOW  (1795000000LL * 1000000) /* 2026-11-18 */
#define S_DUE  (S_NOW + 14 * S_DAY)

typedef struct {
    ow_test_pg_t *pg;
    ow_db_t *db;
    intake_settings_t settings;
    char old_id[19]; /* born 1950: 爱心通道 */
    char young_id[19];
} s_fixture_t;

static void s_id(char out[19], const char *yyyymmdd)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "330122%s321", yyyymmdd);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("intake_test_receive_", "intake-test", &err);
    fx->db = fx->pg ? ow_test_pg_db(fx->pg) : NULL;
    if (!fx->db ||
        ow_migrate(fx->db, intake_core_migrations, intake_core_migrations_count, &err) < 0 ||
        intake_submit_prepare(fx->db, &err) < 0 || intake_receive_prepare(fx->db, &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/intake.sql", &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&fx->pg);
        free(fx);
        return -1;
    }
    fx->settings.county_code = "330122";
    fx->settings.centre_id = "330122000000";
    s_id(fx->old_id, "19500101");
    s_id(fx->young_id, "19900101");
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    ow_test_pg_destroy(&fx->pg);
    free(fx);
    return 0;
}

static long s_count(s_fixture_t *fx, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(fx->db), sql);
}

typedef struct {
    const char *item;
    const char *id;
    const char *const *materials;
    size_t n;
    const char *channel, *centre, *deciding;
    bool rongque, commitment;
    int64_t supply_due;
    bool not_a_matter;
    const char *defect_code;
    bool later; /* decide_later: 收件 only */
} s_app_t;

static uint8_t *s_pack(const s_app_t *a, size_t *len)
{
    Onewindow__V1__Applicant ap = ONEWINDOW__V1__APPLICANT__INIT;
    ap.name = "王小明";
    ap.id_type = "resident_id";
    ap.id_number = (char *)a->id;
    ap.phone = "13800000000";
    Onewindow__V1__SubmitApplication app = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    app.item_code = (char *)a->item;
    app.applicant = &ap;
    app.material_codes = (char **)a->materials;
    app.n_material_codes = a->n;
    app.channel = (char *)(a->channel ? a->channel : "");
    app.centre_id = (char *)(a->centre ? a->centre : "");
    Onewindow__V1__ReceiveApplication r = ONEWINDOW__V1__RECEIVE_APPLICATION__INIT;
    r.application = &app;
    r.deciding_centre_id = (char *)(a->deciding ? a->deciding : "");
    r.rongque_requested = a->rongque;
    r.commitment_signed = a->commitment;
    r.supply_due_us = a->supply_due;
    r.not_a_matter = a->not_a_matter;
    r.refer_to = a->not_a_matter ? "杭州市市场监督管理局" : "";
    r.decide_later = a->later;
    Onewindow__V1__MaterialDefect d = ONEWINDOW__V1__MATERIAL_DEFECT__INIT;
    Onewindow__V1__MaterialDefect *dp = &d;
    if (a->defect_code) {
        d.code = (char *)a->defect_code;
        d.reason = "复印件不清晰";
        r.defects = &dp;
        r.n_defects = 1;
    }
    *len = onewindow__v1__receive_application__get_packed_size(&r);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__receive_application__pack(&r, buf);
    return buf;
}

/* Runs intake.receive; returns the unpacked ReceiveReply (caller frees) or NULL with err. */
static Onewindow__V1__ReceiveReply *s_unpack_reply(uint8_t *reply, size_t reply_len)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    assert_non_null(r);
    assert_int_equal(r->status, 0);
    Onewindow__V1__ReceiveReply *out =
        onewindow__v1__receive_reply__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    assert_non_null(out);
    return out;
}

static Onewindow__V1__ReceiveReply *s_receive(s_fixture_t *fx, const char *key, const s_app_t *a,
                                              ow_error_t *err)
{
    size_t len = 0;
    uint8_t *req = s_pack(a, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    int rc =
        intake_receive(fx->db, &fx->settings, key, req, len, S_NOW, S_DUE, &reply, &reply_len, err);
    free(req);
    if (rc < 0)
        return NULL;
    Onewindow__V1__ReceiveReply *out = s_unpack_reply(reply, reply_len);
    free(reply);
    return out;
}

static Onewindow__V1__ReceiveReply *s_correct(s_fixture_t *fx, const char *key, const char *case_no,
                                              const char *const *codes, size_t n, int64_t now,
                                              ow_error_t *err)
{
    Onewindow__V1__CorrectCase c = ONEWINDOW__V1__CORRECT_CASE__INIT;
    c.case_no = (char *)case_no;
    c.material_codes = (char **)codes;
    c.n_material_codes = n;
    uint8_t buf[1024];
    size_t len = onewindow__v1__correct_case__pack(&c, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    if (intake_correct(fx->db, key, buf, len, now, now + 14 * S_DAY, &reply, &reply_len, err) < 0)
        return NULL;
    Onewindow__V1__ReceiveReply *out = s_unpack_reply(reply, reply_len);
    free(reply);
    return out;
}

static Onewindow__V1__ReceiveReply *s_withdraw(s_fixture_t *fx, const char *key,
                                               const char *case_no, ow_error_t *err)
{
    Onewindow__V1__WithdrawCase w = ONEWINDOW__V1__WITHDRAW_CASE__INIT;
    w.case_no = (char *)case_no;
    w.reason = "申请人主动撤回";
    uint8_t buf[512];
    size_t len = onewindow__v1__withdraw_case__pack(&w, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    if (intake_withdraw(fx->db, key, buf, len, S_NOW + S_DAY, &reply, &reply_len, err) < 0)
        return NULL;
    Onewindow__V1__ReceiveReply *out = s_unpack_reply(reply, reply_len);
    free(reply);
    return out;
}

static Onewindow__V1__DocumentList *s_documents(s_fixture_t *fx, const char *case_no)
{
    Onewindow__V1__ListDocuments q = ONEWINDOW__V1__LIST_DOCUMENTS__INIT;
    q.case_no = (char *)case_no;
    uint8_t buf[128];
    size_t len = onewindow__v1__list_documents__pack(&q, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_documents_list(fx->db, buf, len, &reply, &reply_len, &err), 0);
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    Onewindow__V1__DocumentList *out =
        onewindow__v1__document_list__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    free(reply);
    return out;
}

static const char *const s_food_all[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"};

static void test_accepted_with_receipt_lanes_and_events(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    s_app_t a = {.item = S_FOOD, .id = fx->old_id, .materials = s_food_all, .n = 4};
    Onewindow__V1__ReceiveReply *r = s_receive(fx, "rcv-accept-1", &a, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "accepted");
    assert_int_equal(r->case_->state, INTAKE_STATE_ACCEPTED);
    assert_int_equal(r->case_->promised_due_us, S_DUE);
    assert_true(r->case_->love_lane);
    assert_string_equal(r->case_->love_reasons, "age_60_plus");
    assert_string_equal(r->case_->deciding_centre_id, "330122000000");
    assert_string_equal(r->document->kind, "receipt");
    assert_string_equal(r->document->title, "受理凭证");
    assert_int_equal(r->document->promised_due_us, S_DUE);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type IN ('case.received', "
             "'case.accepted')",
             r->case_->case_no);
    assert_int_equal(s_count(fx, sql), 2);
    Onewindow__V1__DocumentList *docs = s_documents(fx, r->case_->case_no);
    assert_int_equal(docs->n_documents, 1);
    assert_int_equal(docs->documents[0]->seq, 1);
    onewindow__v1__document_list__free_unpacked(docs, NULL);

    /* The same key again: the first answer, nothing new. */
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    Onewindow__V1__ReceiveReply *again = s_receive(fx, "rcv-accept-1", &a, &err);
    assert_string_equal(again->case_->case_no, r->case_->case_no);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases);
    onewindow__v1__receive_reply__free_unpacked(again, NULL);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
}

static void test_notice_then_corrections_art32(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    const char *some[] = {"SPJY-03", "SPJY-05"};
    s_app_t a = {
        .item = S_FOOD, .id = fx->young_id, .materials = some, .n = 2, .defect_code = "SPJY-03"};
    Onewindow__V1__ReceiveReply *r = s_receive(fx, "rcv-notice-1", &a, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "notice");
    assert_int_equal(r->case_->state, INTAKE_STATE_CORRECTION_STARTED);
    assert_int_equal(r->case_->accepted_at_us, 0);
    assert_false(r->case_->love_lane);
    /* SPJY-01 missing, SPJY-03 defective, SPJY-04 missing: every one, at once. */
    assert_int_equal(r->document->n_listed, 3);
    assert_string_equal(r->document->title, "一次性告知书");
    char case_no[64];
    snprintf(case_no, sizeof case_no, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    /* Nothing beyond the notice: SPJY-05 was handed in and not listed; SPJY-06 never. */
    const char *beyond[] = {"SPJY-01", "SPJY-06"};
    assert_null(s_correct(fx, "cor-1", case_no, beyond, 2, S_NOW + S_DAY, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 1);

    const char *first[] = {"SPJY-01", "SPJY-03"};
    r = s_correct(fx, "cor-2", case_no, first, 2, S_NOW + S_DAY, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->state, INTAKE_STATE_CORRECTION_STARTED);
    assert_string_equal(r->document->kind, "correction_receipt");
    assert_int_equal(r->document->n_listed, 1); /* SPJY-04 still outstanding */
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    const char *last[] = {"SPJY-04"};
    int64_t complete = S_NOW + 3 * S_DAY;
    r = s_correct(fx, "cor-3", case_no, last, 1, complete, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->state, INTAKE_STATE_ACCEPTED);
    /* art. 32: accepted the day the materials became complete. */
    assert_int_equal(r->case_->accepted_at_us, complete);
    assert_int_equal(r->case_->received_at_us, S_NOW);
    assert_string_equal(r->document->kind, "receipt");
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = 'case.accepted'",
             case_no);
    assert_int_equal(s_count(fx, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = "
             "'case.correction_received'",
             case_no);
    assert_int_equal(s_count(fx, sql), 2);
    /* Nothing left to correct. */
    assert_null(s_correct(fx, "cor-4", case_no, last, 1, complete, &err));
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    Onewindow__V1__DocumentList *docs = s_documents(fx, case_no);
    assert_int_equal(docs->n_documents, 3);
    assert_string_equal(docs->documents[0]->kind, "notice");
    assert_string_equal(docs->documents[2]->kind, "receipt");
    onewindow__v1__document_list__free_unpacked(docs, NULL);
}

static void test_rongque_and_its_refusals(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    const char *most[] = {"SPJY-01", "SPJY-03"}; /* SPJY-04, SPJY-05 (容缺) missing */
    s_app_t a = {.item = S_FOOD,
                 .id = fx->young_id,
                 .materials = most,
                 .n = 2,
                 .rongque = true,
                 .commitment = true,
                 .supply_due = S_NOW + 5 * S_DAY};
    Onewindow__V1__ReceiveReply *r = s_receive(fx, "rq-1", &a, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "rongque");
    assert_int_equal(r->case_->state, INTAKE_STATE_ACCEPTED);
    assert_true(r->case_->rongque);
    assert_int_equal(r->case_->supply_due_us, S_NOW + 5 * S_DAY);
    assert_int_equal(r->document->n_listed, 2);
    assert_string_equal(r->document->title, "容缺受理通知书");
    char case_no[64];
    snprintf(case_no, sizeof case_no, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    const char *supply[] = {"SPJY-04", "SPJY-05"};
    r = s_correct(fx, "rq-supply", case_no, supply, 2, S_NOW + S_DAY, &err);
    assert_non_null(r);
    assert_int_equal(r->document->n_listed, 0);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    /* Past the promised date, and without a commitment: both listed, nothing written. */
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    a.supply_due = S_DUE + 1;
    a.commitment = false;
    assert_null(s_receive(fx, "rq-2", &a, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 2);
    /* 失信 (from the dishonesty list). */
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO dishonest_applicants (id_number) VALUES ('%s')",
             fx->young_id);
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db), sql, &err), 0);
    a.supply_due = S_NOW + S_DAY;
    a.commitment = true;
    assert_null(s_receive(fx, "rq-3", &a, &err));
    assert_int_equal(err.violation_count, 1);
    assert_non_null(strstr(err.violations[0].description, "失信"));
    /* A critical material missing. */
    const char *few[] = {"SPJY-03"};
    a.materials = few;
    a.n = 1;
    a.id = fx->old_id;
    assert_null(s_receive(fx, "rq-4", &a, &err));
    assert_non_null(strstr(err.violations[0].description, "SPJY-01"));
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases);
}

/* deadline's timer.fired for one of intake's timers, applied as the inbox would (one
 * transaction). Returns the handler's result. */
static int s_fire(s_fixture_t *fx, const char *owner, const char *kind, const char *case_no,
                  ow_error_t *err)
{
    char key[256];
    intake_timer_key(key, sizeof key, kind, case_no);
    Onewindow__V1__Timer t = ONEWINDOW__V1__TIMER__INIT;
    t.timer_key = key;
    t.owner = (char *)owner;
    t.kind = (char *)kind;
    t.case_no = (char *)case_no;
    t.state = "fired";
    uint8_t buf[512];
    ow_event_t ev = {.payload = buf, .time_us = S_NOW};
    ev.payload_len = onewindow__v1__timer__pack(&t, buf);
    snprintf(ev.type, sizeof ev.type, "timer.fired");
    snprintf(ev.source, sizeof ev.source, "deadline");
    ow_error_clear(err);
    assert_int_equal(ow_db_begin(fx->db, err), 0);
    int rc = intake_apply_timer_fired(fx->db, &ev, NULL, err);
    if (rc == 0)
        assert_int_equal(ow_db_commit(fx->db, err), 0);
    else
        ow_db_rollback(fx->db);
    return rc;
}

static long s_case_count(s_fixture_t *fx, const char *fmt, const char *case_no)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, case_no);
    return s_count(fx, sql);
}

/* The watched periods (DOMAIN §3, §5): the art. 32 notice duty of a case received without a
 * decision, and the 容缺 supply deadline — each asked of deadlined in the case's transaction,
 * and applied once when deadlined fires it. */
static void test_timers_notice_duty_and_rongque_supply(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    /* 收件 only: state 1, a receipt of materials, the notice-duty timer (5 working days from
     * receipt), nothing else decided. */
    s_app_t a = {
        .item = S_FOOD, .id = fx->young_id, .materials = s_food_all, .n = 4, .later = true};
    Onewindow__V1__ReceiveReply *r = s_receive(fx, "tm-later-1", &a, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "received");
    assert_int_equal(r->case_->state, INTAKE_STATE_RECEIVED);
    assert_string_equal(r->document->title, "收件凭证");
    assert_int_equal(r->case_->promised_due_us, S_DUE);
    char later[64];
    snprintf(later, sizeof later, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "kind = 'notice_duty' AND op = 'schedule' AND NOT acked AND "
                                  "amount = 5 AND unit = 'working_days' AND start_at_us = "
                                  "1795000000000000",
                                  later),
                     1);
    /* A deferred decision together with a finding is refused, every reason at once. */
    s_app_t bad = a;
    bad.rongque = true;
    bad.defect_code = "SPJY-01";
    assert_null(s_receive(fx, "tm-later-bad", &bad, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 2);

    /* Another service's timer is not ours; an unknown kind of ours is poison. */
    assert_int_equal(s_fire(fx, "routing", INTAKE_TIMER_NOTICE_DUTY, later, &err), 0);
    assert_int_equal(s_fire(fx, "intake", "bogus", later, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_NOTICE_DUTY, "3301229", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    /* The duty lapses: accepted as of receipt (art. 32), with its document and events. */
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_NOTICE_DUTY, later, &err), 0);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 3 "
                                  "AND accepted_at = received_at",
                                  later),
                     1);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type IN "
                                  "('case.deemed_accepted', 'case.accepted')",
                                  later),
                     2);
    Onewindow__V1__DocumentList *docs = s_documents(fx, later);
    assert_int_equal(docs->n_documents, 2);
    assert_string_equal(docs->documents[1]->kind, "deemed_accepted");
    onewindow__v1__document_list__free_unpacked(docs, NULL);
    /* Fired again (a replayed event would be skipped by the inbox; even so): nothing more. */
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_NOTICE_DUTY, later, &err), 0);
    assert_int_equal(
        s_case_count(fx,
                     "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = 'case.accepted'",
                     later),
        1);

    /* 容缺 with its supply deadline watched; missed → terminated as 13 with the list. */
    const char *most[] = {"SPJY-01", "SPJY-03"};
    s_app_t q = {.item = S_FOOD,
                 .id = fx->old_id,
                 .materials = most,
                 .n = 2,
                 .rongque = true,
                 .commitment = true,
                 .supply_due = S_NOW + 5 * S_DAY};
    r = s_receive(fx, "tm-rq-1", &q, &err);
    assert_non_null(r);
    char missed[64];
    snprintf(missed, sizeof missed, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "kind = 'rongque_supply' AND due_at_us = 1795432000000000",
                                  missed),
                     1);
    const char *one[] = {"SPJY-04"};
    r = s_correct(fx, "tm-rq-part", missed, one, 1, S_NOW + S_DAY, &err);
    assert_non_null(r);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_RONGQUE_SUPPLY, missed, &err), 0);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 13 "
                                  "AND closed_reason LIKE '%%容缺%%' AND decided_at IS NOT NULL",
                                  missed),
                     1);
    assert_int_equal(
        s_case_count(
            fx, "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = 'case.terminated'",
            missed),
        1);
    docs = s_documents(fx, missed);
    Onewindow__V1__Document *last = docs->documents[docs->n_documents - 1];
    assert_string_equal(last->kind, "termination");
    assert_int_equal(last->n_listed, 1); /* SPJY-05 only: SPJY-04 came in time */
    assert_string_equal(last->listed[0]->code, "SPJY-05");
    onewindow__v1__document_list__free_unpacked(docs, NULL);
    /* Closed: a withdrawal is refused, a second firing does nothing. */
    assert_null(s_withdraw(fx, "tm-rq-wd", missed, &err));
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_RONGQUE_SUPPLY, missed, &err), 0);
    assert_int_equal(
        s_case_count(
            fx, "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = 'case.terminated'",
            missed),
        1);

    /* Supplied in full in time: the timer is cancelled, and a late firing does nothing. */
    r = s_receive(fx, "tm-rq-2", &q, &err);
    assert_non_null(r);
    char kept[64];
    snprintf(kept, sizeof kept, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    const char *both[] = {"SPJY-04", "SPJY-05"};
    r = s_correct(fx, "tm-rq-full", kept, both, 2, S_NOW + S_DAY, &err);
    assert_non_null(r);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "op = 'cancel' AND NOT acked",
                                  kept),
                     1);
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_RONGQUE_SUPPLY, kept, &err), 0);
    assert_int_equal(
        s_case_count(fx, "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 3", kept), 1);

    /* A received-only case withdrawn: 2 已撤件, its notice-duty timer cancelled. */
    a.id = fx->old_id;
    r = s_receive(fx, "tm-later-2", &a, &err);
    assert_non_null(r);
    char gone[64];
    snprintf(gone, sizeof gone, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    r = s_withdraw(fx, "tm-later-wd", gone, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->state, INTAKE_STATE_RECEIPT_WITHDRAWN);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "op = 'cancel'",
                                  gone),
                     1);
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_NOTICE_DUTY, gone, &err), 0);
    assert_int_equal(
        s_case_count(fx, "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 2", gone), 1);
}

/* intake.decide_receipt on a case received without a decision. */
typedef struct {
    const char *case_no;
    bool rongque, commitment;
    int64_t supply_due;
    bool not_a_matter;
    const char *refer_to;
    const char *defect_code;
} s_decision_t;

static Onewindow__V1__ReceiveReply *s_decide(s_fixture_t *fx, const char *key,
                                             const s_decision_t *d, int64_t now, ow_error_t *err)
{
    Onewindow__V1__DecideReceipt q = ONEWINDOW__V1__DECIDE_RECEIPT__INIT;
    q.case_no = (char *)d->case_no;
    q.rongque_requested = d->rongque;
    q.commitment_signed = d->commitment;
    q.supply_due_us = d->supply_due;
    q.not_a_matter = d->not_a_matter;
    q.refer_to = (char *)(d->refer_to ? d->refer_to : "");
    Onewindow__V1__MaterialDefect md = ONEWINDOW__V1__MATERIAL_DEFECT__INIT;
    Onewindow__V1__MaterialDefect *mdp = &md;
    if (d->defect_code) {
        md.code = (char *)d->defect_code;
        md.reason = "复印件不清晰";
        q.defects = &mdp;
        q.n_defects = 1;
    }
    uint8_t buf[1024];
    size_t len = onewindow__v1__decide_receipt__pack(&q, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    if (intake_decide_receipt(fx->db, key, buf, len, now, now + 14 * S_DAY, &reply, &reply_len,
                              err) < 0)
        return NULL;
    Onewindow__V1__ReceiveReply *out = s_unpack_reply(reply, reply_len);
    free(reply);
    return out;
}

/* Receives a case without a decision (state 1) and returns its number in out. */
static void s_received_only(s_fixture_t *fx, const char *key, const char *const *materials,
                            size_t n, char out[64])
{
    ow_error_t err;
    /* Not the young applicant: an earlier test puts that one on the 失信 list. */
    s_app_t a = {.item = S_FOOD, .id = fx->old_id, .materials = materials, .n = n, .later = true};
    Onewindow__V1__ReceiveReply *r = s_receive(fx, key, &a, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->state, INTAKE_STATE_RECEIVED);
    snprintf(out, 64, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
}

static void test_decide_receipt(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    const int64_t later = S_NOW + 2 * S_DAY; /* within art. 32's 5 working days */

    /* Complete: accepted at the decision, a receipt with the promised date from then, the
     * notice duty's timer cancelled, case.accepted for routing — and nothing twice. */
    char ok[64];
    s_received_only(fx, "dr-1", s_food_all, 4, ok);
    s_decision_t d = {.case_no = ok};
    Onewindow__V1__ReceiveReply *r = s_decide(fx, "dr-1-decide", &d, later, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "accepted");
    assert_int_equal(r->case_->state, INTAKE_STATE_ACCEPTED);
    assert_int_equal(r->case_->accepted_at_us, later);
    assert_int_equal(r->case_->received_at_us, S_NOW);
    assert_int_equal(r->case_->promised_due_us, later + 14 * S_DAY);
    assert_string_equal(r->document->kind, "receipt");
    assert_string_equal(r->document->title, "受理凭证");
    assert_int_equal(r->document->issued_at_us, later);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = "
                                  "'case.accepted'",
                                  ok),
                     1);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "kind = 'notice_duty' AND op = 'cancel'",
                                  ok),
                     1);
    /* The same key again: the first answer; another key: decided already. */
    r = s_decide(fx, "dr-1-decide", &d, later + S_DAY, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->accepted_at_us, later);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_null(s_decide(fx, "dr-1-again", &d, later, &err));
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = "
                                  "'case.accepted'",
                                  ok),
                     1);
    /* The duty's timer firing late (cancel not yet acknowledged) changes nothing. */
    assert_int_equal(s_fire(fx, "intake", INTAKE_TIMER_NOTICE_DUTY, ok, &err), 0);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 3 "
                                  "AND accepted_at = us_to_ts(1795172800000000)",
                                  ok),
                     1);

    /* Materials missing: the one-time notice lists each (state 6); with 容缺 asked and
     * allowed: 容缺 acceptance with its supply timer. Bad findings: every problem at once,
     * nothing written. */
    const char *most[] = {"SPJY-01", "SPJY-03"};
    char gaps[64];
    s_received_only(fx, "dr-2", most, 2, gaps);
    s_decision_t bad = {.case_no = gaps, .not_a_matter = true, .defect_code = "SPJY-05"};
    assert_null(s_decide(fx, "dr-2-bad", &bad, later, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 2); /* defects (not handed in), refer_to */
    assert_int_equal(
        s_case_count(fx, "SELECT count(*) FROM cases WHERE case_no = '%s' AND state = 1", gaps), 1);
    s_decision_t late_supply = {
        .case_no = gaps, .rongque = true, .commitment = true, .supply_due = later + 30 * S_DAY};
    assert_null(s_decide(fx, "dr-2-late", &late_supply, later, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT); /* past the promised date */
    s_decision_t rq = late_supply;
    rq.supply_due = later + 5 * S_DAY;
    r = s_decide(fx, "dr-2-rq", &rq, later, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "rongque");
    assert_int_equal(r->case_->state, INTAKE_STATE_ACCEPTED);
    assert_true(r->case_->rongque);
    assert_int_equal(r->case_->supply_due_us, later + 5 * S_DAY);
    assert_string_equal(r->document->kind, "rongque_receipt");
    assert_int_equal(r->document->n_listed, 2); /* SPJY-04, SPJY-05 */
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type IN "
                                  "('case.rongque_accepted', 'case.accepted')",
                                  gaps),
                     2);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND "
                                  "kind = 'rongque_supply' AND op = 'schedule'",
                                  gaps),
                     1);

    char notice[64];
    s_received_only(fx, "dr-3", most, 2, notice);
    s_decision_t defect = {.case_no = notice, .defect_code = "SPJY-01"};
    r = s_decide(fx, "dr-3-notice", &defect, later, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "notice");
    assert_int_equal(r->case_->state, INTAKE_STATE_CORRECTION_STARTED);
    assert_string_equal(r->document->title, "一次性告知书");
    assert_int_equal(r->document->n_listed, 3); /* SPJY-01 defective, SPJY-04/05 missing */
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_int_equal(s_case_count(fx,
                                  "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = "
                                  "'case.notice_issued'",
                                  notice),
                     1);

    /* Outside the powers: 不予受理 naming where to go (state 5). */
    char refused[64];
    s_received_only(fx, "dr-4", s_food_all, 4, refused);
    s_decision_t out = {
        .case_no = refused, .not_a_matter = true, .refer_to = "杭州市市场监督管理局"};
    r = s_decide(fx, "dr-4-out", &out, later, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "not_accepted");
    assert_int_equal(r->case_->state, INTAKE_STATE_REJECTED);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    /* Unknown case; a malformed number; no key. */
    s_decision_t unknown = {.case_no = "3301229999999999999"};
    assert_null(s_decide(fx, "dr-5", &unknown, later, &err));
    assert_int_equal(err.code, OW_NOT_FOUND);
    s_decision_t empty = {.case_no = ""};
    assert_null(s_decide(fx, "dr-6", &empty, later, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(s_decide(fx, "", &d, later, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

static void test_cross_region_spot_not_accepted_and_withdrawal(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    /* Cross-region needs a deciding centre other than the receiving one. */
    s_app_t x = {.item = S_FOOD,
                 .id = fx->young_id,
                 .materials = s_food_all,
                 .n = 4,
                 .channel = "cross_region",
                 .centre = "330102000000"};
    assert_null(s_receive(fx, "x-1", &x, &err));
    assert_string_equal(err.violations[0].field, "deciding_centre_id");
    x.deciding = "330122000000";
    Onewindow__V1__ReceiveReply *r = s_receive(fx, "x-2", &x, &err);
    assert_non_null(r);
    assert_string_equal(r->case_->centre_id, "330102000000");
    assert_string_equal(r->case_->deciding_centre_id, "330122000000");
    assert_int_equal(r->case_->case_no[14], '5'); /* channel digit */
    char accepted_no[64];
    snprintf(accepted_no, sizeof accepted_no, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    const char *gths[] = {"GTHS-01", "GTHS-02", "GTHS-03"};
    s_app_t spot = {.item = S_GTHS, .id = fx->young_id, .materials = gths, .n = 3};
    r = s_receive(fx, "spot-1", &spot, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "decided_on_spot");
    assert_int_equal(r->case_->state, INTAKE_STATE_APPROVED);
    assert_true(r->case_->decided_at_us > 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE case_no = '%s' AND type = "
             "'case.accepted'",
             r->case_->case_no);
    assert_int_equal(s_count(fx, sql), 0); /* never reaches the back office */
    /* Decided: too late to withdraw. */
    char spot_no[64];
    snprintf(spot_no, sizeof spot_no, "%s", r->case_->case_no);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_null(s_withdraw(fx, "w-spot", spot_no, &err));
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);

    s_app_t no = {
        .item = S_FOOD, .id = fx->young_id, .materials = s_food_all, .n = 4, .not_a_matter = true};
    r = s_receive(fx, "no-1", &no, &err);
    assert_non_null(r);
    assert_string_equal(r->outcome, "not_accepted");
    assert_int_equal(r->case_->state, INTAKE_STATE_REJECTED);
    assert_non_null(strstr(r->document->reason, "杭州市市场监督管理局"));
    assert_string_equal(r->document->title, "不予受理决定书");
    onewindow__v1__receive_reply__free_unpacked(r, NULL);

    r = s_withdraw(fx, "w-1", accepted_no, &err);
    assert_non_null(r);
    assert_int_equal(r->case_->state, INTAKE_STATE_WITHDRAWN);
    assert_string_equal(r->document->kind, "withdrawal");
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    r = s_withdraw(fx, "w-1", accepted_no, &err); /* a repeat: the first answer */
    assert_non_null(r);
    onewindow__v1__receive_reply__free_unpacked(r, NULL);
    assert_null(s_withdraw(fx, "w-2", accepted_no, &err));
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_null(s_withdraw(fx, "w-3", "3301222099010110001", &err));
    assert_int_equal(err.code, OW_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_with_receipt_lanes_and_events),
        cmocka_unit_test(test_notice_then_corrections_art32),
        cmocka_unit_test(test_rongque_and_its_refusals),
        cmocka_unit_test(test_cross_region_spot_not_accepted_and_withdrawal),
        cmocka_unit_test(test_timers_notice_duty_and_rongque_supply),
        cmocka_unit_test(test_decide_receipt),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
