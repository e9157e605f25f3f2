/* intake.submit, intake_case_load and the case.decided consumer on a real Postgres
 * (OW_TEST_DATABASE_URL), with the demonstration catalogue (deploy/demo/intake.sql) loaded:
 * what is written, what is refused with which violations, that a refusal writes nothing,
 * and that repeats change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_decided.h"
#include "case_number.h"
#include "case_state.h"
#include "case_store.h"
#include "intake_api.h"
#include "ow_clock.h"
#include "ow_migrate.h"
#include "ow_test_error.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "submit.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_FOOD "113301220025190176000117004000" /* 食品经营许可证核发（新办） */

typedef struct {
    ow_test_pg_t *pg;
    ow_db_t *db; /* owned by pg */
    intake_settings_t settings;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("intake_test_submit_", "intake-test", &err);
    fx->db = fx->pg ? ow_test_pg_db(fx->pg) : NULL;
    /* The demonstration catalogue twice: loading it again must change nothing. */
    if (!fx->db ||
        ow_migrate(fx->db, intake_core_migrations, intake_core_migrations_count, &err) < 0 ||
        intake_submit_prepare(fx->db, &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/intake.sql", &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/intake.sql", &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&fx->pg);
        free(fx);
        return -1;
    }
    fx->settings.county_code = "330122";
    fx->settings.centre_id = "330122000000";
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

/* A packed SubmitApplication (caller frees). */
static uint8_t *s_application(const char *item, const char *name, const char *id_number,
                              const char *phone, const char *const *materials, size_t n,
                              const char *channel, size_t *len)
{
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = (char *)name;
    a.id_type = (char *)"resident_id";
    a.id_number = (char *)id_number;
    a.phone = (char *)phone;
    Onewindow__V1__SubmitApplication req = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    req.item_code = (char *)item;
    req.applicant = &a;
    req.material_codes = (char **)materials;
    req.n_material_codes = n;
    req.channel = (char *)channel;
    *len = onewindow__v1__submit_application__get_packed_size(&req);
    uint8_t *buf = malloc(*len ? *len : 1);
    onewindow__v1__submit_application__pack(&req, buf);
    return buf;
}

static const char *const s_complete[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"};

/* The CaseReply inside a packed OK Reply (caller frees with ..._free_unpacked). */
static Onewindow__V1__CaseReply *s_case_reply(const uint8_t *reply, size_t len)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, len, reply);
    assert_non_null(r);
    assert_int_equal(r->status, OW_OK);
    Onewindow__V1__CaseReply *c =
        onewindow__v1__case_reply__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    assert_non_null(c);
    assert_non_null(c->case_);
    return c;
}

static long s_count(s_fixture_t *fx, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(fx->db), sql);
}

static void test_accepted_case_and_its_event(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len;
    uint8_t *req =
        s_application(S_FOOD, "张三", "330122198001010013", "13900000001", s_complete, 4, "", &len);
    uint8_t *reply = NULL, *again = NULL;
    size_t reply_len = 0, again_len = 0;
    int64_t before = ow_clock_now_us();
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-1", req, len, &reply, &reply_len, &err), 0);
    Onewindow__V1__CaseReply *c = s_case_reply(reply, reply_len);
    const Onewindow__V1__CaseSummary *s = c->case_;

    char expected[INTAKE_CASE_NO_SIZE];
    assert_int_equal(intake_case_number_format("330122", ow_clock_local_yyyymmdd(before), "window",
                                               1, expected, sizeof expected, &err),
                     0);
    assert_string_equal(s->case_no, expected); /* the day's first: serial 0001, window = 1 */
    assert_int_equal(s->state, 3);
    assert_string_equal(s->state_name, "已受理");
    assert_string_equal(s->item_code, S_FOOD);
    assert_string_equal(s->item_name, "食品经营许可证核发（新办）");
    assert_int_equal(s->item_version, 1);
    assert_string_equal(s->department_code, "113301220025190176");
    assert_string_equal(s->department_name, "桐庐县市场监督管理局");
    assert_string_equal(s->applicant->name, "张三");
    assert_string_equal(s->channel, "window");
    assert_string_equal(s->centre_id, "330122000000");
    assert_int_equal(s->promised_limit, 3);
    assert_int_equal(s->legal_limit, 10);
    assert_string_equal(s->limit_unit, "working_days");
    assert_true(s->received_at_us >= before && s->accepted_at_us == s->received_at_us);
    assert_int_equal(s->decided_at_us, 0);

    /* The event is in the outbox, committed with the case, and carries the same summary. */
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox WHERE type = 'case.accepted'"), 1);
    PGresult *res = PQexecParams(ow_db_conn(fx->db),
                                 "SELECT payload, case_no, centre_id FROM outbox"
                                 " WHERE type = 'case.accepted'",
                                 0, NULL, NULL, NULL, NULL, 1);
    assert_int_equal(PQntuples(res), 1);
    Onewindow__V1__CaseAccepted *ev = onewindow__v1__case_accepted__unpack(
        NULL, (size_t)PQgetlength(res, 0, 0), (const uint8_t *)PQgetvalue(res, 0, 0));
    assert_non_null(ev);
    assert_string_equal(ev->case_->case_no, s->case_no);
    assert_string_equal(ev->case_->department_code, "113301220025190176");
    assert_string_equal(PQgetvalue(res, 0, 1), s->case_no);
    assert_string_equal(PQgetvalue(res, 0, 2), "330122000000");
    onewindow__v1__case_accepted__free_unpacked(ev, NULL);
    PQclear(res);
    assert_int_equal(s_count(fx, "SELECT sum(cardinality(materials)) FROM cases"), 4);

    /* The same key again: the first answer, byte for byte, and nothing new written. */
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-1", req, len, &again, &again_len, &err), 0);
    assert_int_equal(again_len, reply_len);
    assert_memory_equal(again, reply, reply_len);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), 1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), 1);

    /* The same key with another body is refused. */
    size_t other_len;
    uint8_t *other = s_application(S_FOOD, "李四", "330122198001010013", "13900000001", s_complete,
                                   4, "", &other_len);
    uint8_t *r3 = NULL;
    size_t r3_len = 0;
    ow_error_clear(&err);
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-1", other, other_len, &r3, &r3_len, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    /* …and no key at all is refused before anything happens. */
    ow_error_clear(&err);
    assert_int_equal(intake_submit(fx->db, &fx->settings, "", other, other_len, &r3, &r3_len, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), 1);

    /* The loaded case equals the reply. */
    intake_case_t *loaded = intake_case_load(fx->db, s->case_no, false, &err);
    assert_non_null(loaded);
    assert_int_equal(intake_case_summary(loaded)->accepted_at_us, s->accepted_at_us);
    intake_case_destroy(&loaded);
    assert_null(loaded);
    ow_error_clear(&err);
    assert_null(intake_case_load(fx->db, "330122209901011999999", false, &err));
    assert_int_equal(err.code, OW_NOT_FOUND);

    onewindow__v1__case_reply__free_unpacked(c, NULL);
    free(other);
    free(again);
    free(reply);
    free(req);
}

static void test_every_problem_is_listed_and_nothing_written(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    long outbox = s_count(fx, "SELECT count(*) FROM outbox");
    long serial = s_count(fx, "SELECT coalesce(max(last_serial), 0) FROM case_counters");

    /* Two required materials missing (one of them 容缺-able), a bad phone, unknown channel. */
    const char *given[] = {"SPJY-01", "SPJY-04"};
    size_t len;
    uint8_t *req =
        s_application(S_FOOD, "王五", "330122198001010013", "12ab", given, 2, "fax", &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-2", req, len, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 4);
    assert_true(
        ow_test_error_has(&err, "materials", "(SPJY-03) is missing: required for item " S_FOOD));
    assert_true(ow_test_error_has(&err, "materials", "(SPJY-05) is missing"));
    assert_true(ow_test_error_has(&err, "applicant.phone", "digits"));
    assert_true(ow_test_error_has(&err, "channel", "'fax'"));
    assert_non_null(strstr(err.message, "4 problems"));
    free(req);

    /* Unknown item and no applicant at all. */
    Onewindow__V1__SubmitApplication bare = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    bare.item_code = (char *)"NO-SUCH-ITEM";
    len = onewindow__v1__submit_application__get_packed_size(&bare);
    req = malloc(len + 1);
    onewindow__v1__submit_application__pack(&bare, req);
    ow_error_clear(&err);
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-3", req, len, &reply, &reply_len, &err), -1);
    assert_int_equal(err.violation_count, 5);
    assert_true(ow_test_error_has(&err, "item_code", "no item with 实施编码 'NO-SUCH-ITEM'"));
    assert_true(ow_test_error_has(&err, "applicant.name", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.id_type", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.id_number", "missing"));
    assert_true(ow_test_error_has(&err, "applicant.phone", "missing"));
    free(req);

    /* Bytes that are not a SubmitApplication. */
    const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    ow_error_clear(&err);
    assert_int_equal(intake_submit(fx->db, &fx->settings, "key-4", garbage, sizeof garbage, &reply,
                                   &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(reply);

    /* Nothing written, and no serial spent: the next case takes the next number. */
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox);
    assert_int_equal(s_count(fx, "SELECT coalesce(max(last_serial), 0) FROM case_counters"),
                     serial);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM idempotency WHERE key IN"
                                 " ('key-2', 'key-3', 'key-4')"),
                     0);

    req = s_application(S_FOOD, "赵六", "11010519491231002x", "+86 139-0000-0002", s_complete, 4,
                        "online", &len);
    ow_error_clear(&err);
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-5", req, len, &reply, &reply_len, &err), 0);
    Onewindow__V1__CaseReply *c = s_case_reply(reply, reply_len);
    char tail[32];
    snprintf(tail, sizeof tail, "2%04ld", serial + 1); /* online = 2, the next serial */
    assert_string_equal(c->case_->case_no + strlen(c->case_->case_no) - 5, tail);
    assert_string_equal(c->case_->applicant->id_number, "11010519491231002X"); /* normalised */
    onewindow__v1__case_reply__free_unpacked(c, NULL);
    free(reply);
    free(req);
}

/* An event as the inbox hands it over (payload owned by the caller here). */
static int s_apply_decided(s_fixture_t *fx, const char *case_no, const char *outcome, int state,
                           ow_error_t *err)
{
    Onewindow__V1__CaseDecided d = ONEWINDOW__V1__CASE_DECIDED__INIT;
    d.case_no = (char *)case_no;
    d.outcome = (char *)outcome;
    d.state = state;
    d.decided_at_us = ow_clock_now_us();
    d.decided_by = (char *)"TL0101";
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.source, sizeof ev.source, "routing");
    snprintf(ev.type, sizeof ev.type, "case.decided");
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.time_us = d.decided_at_us;
    ev.payload_len = onewindow__v1__case_decided__get_packed_size(&d);
    ev.payload = malloc(ev.payload_len + 1);
    onewindow__v1__case_decided__pack(&d, ev.payload);
    int rc = ow_test_event_apply(fx->db, intake_apply_case_decided, NULL, &ev, err);
    free(ev.payload);
    return rc;
}

static void test_case_decided_closes_the_case_once(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len;
    uint8_t *req = s_application(S_FOOD, "孙七", "330122198001010013", "13900000003", s_complete, 4,
                                 "window", &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    assert_int_equal(
        intake_submit(fx->db, &fx->settings, "key-6", req, len, &reply, &reply_len, &err), 0);
    Onewindow__V1__CaseReply *c = s_case_reply(reply, reply_len);
    char case_no[64];
    snprintf(case_no, sizeof case_no, "%s", c->case_->case_no);
    onewindow__v1__case_reply__free_unpacked(c, NULL);

    /* Outcome and state must agree. */
    assert_int_equal(s_apply_decided(fx, case_no, "approved", 13, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* An unknown case is poison, not a retry. */
    assert_int_equal(s_apply_decided(fx, "330122209901011999999", "approved", 11, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown case"));

    assert_int_equal(s_apply_decided(fx, case_no, "approved", 11, &err), 0);
    intake_case_t *k = intake_case_load(fx->db, case_no, false, &err);
    assert_non_null(k);
    assert_int_equal(intake_case_summary(k)->state, 11);
    assert_string_equal(intake_case_summary(k)->state_name, "办结（通过）");
    int64_t decided = intake_case_summary(k)->decided_at_us;
    assert_true(decided > 0);
    intake_case_destroy(&k);

    /* The same outcome again changes nothing; a different one cannot reopen it. */
    assert_int_equal(s_apply_decided(fx, case_no, "approved", 11, &err), 0);
    assert_int_equal(s_apply_decided(fx, case_no, "refused", 13, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    k = intake_case_load(fx->db, case_no, false, &err);
    assert_int_equal(intake_case_summary(k)->state, 11);
    assert_int_equal(intake_case_summary(k)->decided_at_us, decided);
    intake_case_destroy(&k);

    /* A payload that is not a CaseDecided. */
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    uint8_t junk[] = {0x12, 0x7f};
    ev.payload = junk;
    ev.payload_len = sizeof junk;
    ow_error_clear(&err);
    assert_int_equal(intake_apply_case_decided(fx->db, &ev, NULL, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    free(reply);
    free(req);
}

/* The names replies use are the names in the data. */
static void test_state_names_match_the_table(void **state)
{
    s_fixture_t *fx = *state;
    PGresult *res = PQexec(ow_db_conn(fx->db), "SELECT code, name FROM case_states ORDER BY code");
    assert_int_equal(PQntuples(res), 15);
    for (int i = 0; i < 15; i++)
        assert_string_equal(PQgetvalue(res, i, 1),
                            intake_case_state_name(atoi(PQgetvalue(res, i, 0))));
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_case_and_its_event),
        cmocka_unit_test(test_every_problem_is_listed_and_nothing_written),
        cmocka_unit_test(test_case_decided_closes_the_case_once),
        cmocka_unit_test(test_state_names_match_the_table),
    };
    return cmocka_run_group_tests_name("submit", tests, s_setup, s_teardown);
}
