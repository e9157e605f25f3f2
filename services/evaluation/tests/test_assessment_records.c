/* Staff assessment records and the month's table against a real PostgreSQL (DOMAIN.md §7):
 * each 不满意 rating of a staff member is −2 from the rating itself (once, in its month,
 * withdrawn by an upheld appeal; none for a default or an unnamed staff member); supervisors
 * enter the rest (others refused, every bad field at once, repeats byte for byte); the month's
 * table scores, floors groups at zero, caps 好 at 30 % and pays the bonus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "assessment_records.h"
#include "case_events.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_error.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "rating_requests.h"
#include "ratings.h"
#include "rectification_store.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

/* 2026-11-19 in China time: the month 2026-11. */
#define S_DECIDED INT64_C(1795000000000000)
#define S_DAY     INT64_C(86400000000)

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    rating_window_t w = rating_window_defaults();
    ratings_set_window(&w);
    rectification_set_policy(5, "ADMIN");
    assessment_rules_t rules = assessment_rules_defaults();
    assessment_records_set_rules(&rules);
    ow_test_pg_t *pg = ow_test_pg_new("owtest_evalassess_", "evaluation-test", &err);
    if (!pg ||
        ow_migrate(ow_test_pg_db(pg), evaluation_core_migrations, evaluation_core_migrations_count,
                   &err) < 0 ||
        served_cases_prepare(ow_test_pg_db(pg), &err) != 0 ||
        ratings_prepare(ow_test_pg_db(pg), &err) != 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static unsigned s_event_no;

static void s_event(ow_db_t *db, ow_inbox_apply_fn *fn, const char *source, const char *type,
                    const char *case_no, const uint8_t *payload, size_t len)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "3c6c7d0e-52b1-4c1e-8d1a-%012x", ++s_event_no);
    snprintf(ev.source, sizeof ev.source, "%s", source);
    ev.seq = s_event_no;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = S_DECIDED;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = (uint8_t *)payload;
    ev.payload_len = len;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_event_apply(db, fn, NULL, &ev, &err), 0);
}

/* Serves case_no and rates it `grade` for staff member staff ("" none). */
static void s_rated(ow_db_t *db, const char *case_no, const char *staff, int grade, bool anon)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = "330100-01";
    c.department_code = "D01";
    c.centre_id = "330122000000";
    c.channel = "window";
    c.accepted_at_us = S_DECIDED - S_DAY;
    Onewindow__V1__CaseAccepted acc = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    acc.case_ = &c;
    uint8_t buf[512];
    s_event(db, evaluation_on_case_accepted, "intake", "case.accepted", case_no, buf,
            onewindow__v1__case_accepted__pack(&acc, buf));
    Onewindow__V1__CaseDecided dec = ONEWINDOW__V1__CASE_DECIDED__INIT;
    dec.case_no = (char *)case_no;
    dec.outcome = "approved";
    dec.state = 11;
    dec.decided_at_us = S_DECIDED;
    s_event(db, evaluation_on_case_decided, "routing", "case.decided", case_no, buf,
            onewindow__v1__case_decided__pack(&dec, buf));
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.channel = "window_device";
    req.staff_id = (char *)staff;
    req.anonymous = anon;
    size_t len = onewindow__v1__rate_case__pack(&req, buf), reply_len = 0;
    uint8_t *reply = NULL;
    int fresh = 0;
    ow_error_t err;
    ow_error_clear(&err);
    char key[64];
    snprintf(key, sizeof key, "rate-%s", case_no);
    if (rating_requests_rate(db, key, buf, len, S_DECIDED + S_DAY, &reply, &reply_len, &fresh,
                             &err) != 0)
        fail_msg("rating %s: %s", case_no, err.message);
    free(reply);
}

static int s_record(ow_db_t *db, const char *key, const char *caller, const char *staff,
                    const char *month, const char *code, int quantity, const char *note,
                    uint8_t **reply_out, size_t *reply_len_out, ow_error_t *err)
{
    Onewindow__V1__RecordAssessment m = ONEWINDOW__V1__RECORD_ASSESSMENT__INIT;
    m.staff_id = (char *)staff;
    m.month = (char *)month;
    m.rule_code = (char *)code;
    m.quantity = quantity;
    m.note = (char *)note;
    uint8_t buf[1024], *reply = NULL;
    size_t len = onewindow__v1__record_assessment__pack(&m, buf), reply_len = 0;
    int fresh = 0;
    ow_error_clear(err);
    int rc = assessment_records_record(db, key, caller, buf, len, S_DECIDED + 2 * S_DAY, &reply,
                                       &reply_len, &fresh, err);
    if (reply_out) {
        *reply_out = reply;
        *reply_len_out = reply_len;
    } else
        free(reply);
    return rc;
}

/* The month's table, unpacked (caller frees), or NULL with err. */
static Onewindow__V1__AssessmentMonthReply *s_month(ow_db_t *db, const char *month, ow_error_t *err)
{
    Onewindow__V1__AssessmentMonth m = ONEWINDOW__V1__ASSESSMENT_MONTH__INIT;
    m.month = (char *)month;
    uint8_t buf[64], *reply = NULL;
    size_t len = onewindow__v1__assessment_month__pack(&m, buf), reply_len = 0;
    ow_error_clear(err);
    if (assessment_records_month(db, buf, len, &reply, &reply_len, err) != 0)
        return NULL;
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    free(reply);
    assert_non_null(r);
    Onewindow__V1__AssessmentMonthReply *out =
        onewindow__v1__assessment_month_reply__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    return out;
}

static const Onewindow__V1__AssessmentMonthRow *s_row(const Onewindow__V1__AssessmentMonthReply *m,
                                                      const char *staff)
{
    for (size_t i = 0; i < m->n_rows; i++)
        if (strcmp(m->rows[i]->staff_id, staff) == 0)
            return m->rows[i];
    fail_msg("no row for %s", staff);
    return NULL;
}

static void test_records_and_month(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    /* Roles: V1 supervisor, H1 handler. */
    Onewindow__V1__StaffRole v = ONEWINDOW__V1__STAFF_ROLE__INIT, h = v;
    v.staff_id = "V1", v.role = "supervisor";
    h.staff_id = "H1", h.role = "handler", h.department_code = "D01";
    const Onewindow__V1__StaffRole *roles[] = {&v, &h};
    Onewindow__V1__PutStaffRoles pr = ONEWINDOW__V1__PUT_STAFF_ROLES__INIT;
    pr.roles = (Onewindow__V1__StaffRole **)roles;
    pr.n_roles = 2;
    uint8_t rb[512], *reply = NULL;
    size_t rl = onewindow__v1__put_staff_roles__pack(&pr, rb), reply_len = 0;
    int fresh = 0;
    ow_error_clear(&err);
    assert_int_equal(rectification_put_roles(db, "roles", "ADMIN", rb, rl, S_DECIDED, &reply,
                                             &reply_len, &fresh, &err),
                     0);
    free(reply);

    /* Ratings: W1 three 不满意 (−6), W2 very satisfied, W3 one anonymous 不满意, one unnamed. */
    s_rated(db, "R-1", "W1", 2, false);
    s_rated(db, "R-2", "W1", 2, false);
    s_rated(db, "R-3", "W1", 1, false);
    s_rated(db, "R-4", "W2", 5, false);
    s_rated(db, "R-5", "W3", 2, true);
    s_rated(db, "R-6", "", 1, false);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db),
                                     "SELECT count(*) FROM assessment_records WHERE source ="
                                     " 'rating' AND month = '2026-11-01'"),
                     4);

    /* Supervisors only; every bad field at once; nothing written. */
    assert_int_equal(
        s_record(db, "a-0", "H1", "W2", "2026-11", "written_praise", 1, "", NULL, NULL, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(
        s_record(db, "a-0", "V1", "bad id", "2026-13", "napping", 2000, "x\x01", NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "staff_id", NULL));
    assert_true(ow_test_error_has(&err, "month", NULL));
    assert_true(ow_test_error_has(&err, "rule_code", NULL));
    assert_true(ow_test_error_has(&err, "quantity", NULL));
    assert_true(ow_test_error_has(&err, "note", NULL));
    assert_int_equal(
        s_record(db, "a-0", "V1", "W2", "2026-11", "unsatisfied_rating", 1, "", NULL, NULL, &err),
        -1);
    assert_true(ow_test_error_has(&err, "rule_code", "from the ratings"));
    assert_int_equal(ow_test_pg_long(ow_db_conn(db),
                                     "SELECT count(*) FROM assessment_records WHERE source ="
                                     " 'supervisor'"),
                     0);

    uint8_t *first = NULL, *again = NULL;
    size_t first_len = 0, again_len = 0;
    assert_int_equal(s_record(db, "a-1", "V1", "W2", "2026-11", "written_praise", 0, "表扬信",
                              &first, &first_len, &err),
                     0);
    assert_int_equal(s_record(db, "a-1", "V1", "W2", "2026-11", "written_praise", 0, "表扬信",
                              &again, &again_len, &err),
                     0);
    assert_int_equal(first_len, again_len);
    assert_memory_equal(first, again, first_len);
    free(first);
    free(again);
    assert_int_equal(
        s_record(db, "a-2", "V1", "W3", "2026-11", "late_early_absent", 7, "", NULL, NULL, &err),
        0);
    assert_int_equal(
        s_record(db, "a-3", "V1", "W4", "2026-11", "city_commendation", 1, "", NULL, NULL, &err),
        0);
    assert_int_equal(
        s_record(db, "a-4", "V1", "W4", "2026-10", "untidy_window", 1, "", NULL, NULL, &err), 0);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db), "SELECT count(*) FROM outbox WHERE type ="
                                                     " 'assessment.recorded'"),
                     4);

    /* The table: W4 110, W2 102, W1 94, W3 100 − 30 (floored) − 2 = 68; one 好 of four. */
    Onewindow__V1__AssessmentMonthReply *m = s_month(db, "2026-11", &err);
    assert_non_null(m);
    assert_int_equal(m->n_rows, 4);
    assert_int_equal(m->good_cap, 1);
    const char *order[] = {"W4", "W2", "W1", "W3"};
    const int scores[] = {110, 102, 94, 68};
    const char *grades[] = {"好", "一般", "一般", "一般"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(m->rows[i]->staff_id, order[i]);
        assert_int_equal(m->rows[i]->rank, i + 1);
        assert_int_equal(m->rows[i]->score, scores[i]);
        assert_string_equal(m->rows[i]->grade, grades[i]);
        assert_int_equal(m->rows[i]->bonus_fen, 30000 * scores[i] / 100);
    }
    const Onewindow__V1__AssessmentMonthRow *w1 = s_row(m, "W1"), *w3 = s_row(m, "W3");
    assert_int_equal(w1->unsatisfied_ratings, 3);
    assert_int_equal(w1->n_group_scores, 5);
    assert_int_equal(w1->group_scores[3], 15 - 6); /* approval work */
    assert_int_equal(w3->group_scores[0], 0);      /* attendance floored at zero */
    assert_int_equal(w3->deducted, 32);
    onewindow__v1__assessment_month_reply__free_unpacked(m, NULL);

    /* An upheld appeal withdraws the rating's −2. */
    const char *rid_sql = "SELECT rating_id FROM ratings WHERE case_no = 'R-1'";
    PGresult *res = PQexec(ow_db_conn(db), rid_sql);
    char rid[37];
    snprintf(rid, sizeof rid, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ratings_exclude(db, rid, "appeal upheld (mistaken): test", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    m = s_month(db, "2026-11", &err);
    assert_non_null(m);
    assert_int_equal(s_row(m, "W1")->score, 96);
    assert_int_equal(s_row(m, "W1")->unsatisfied_ratings, 2);
    onewindow__v1__assessment_month_reply__free_unpacked(m, NULL);

    /* Another month: only W4's record. */
    m = s_month(db, "2026-10", &err);
    assert_non_null(m);
    assert_int_equal(m->n_rows, 1);
    assert_int_equal(m->rows[0]->score, 95);
    onewindow__v1__assessment_month_reply__free_unpacked(m, NULL);
    assert_null(s_month(db, "2026-1", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    char start[11];
    assert_int_equal(assessment_records_month_start("2026-10", start), 0);
    assert_string_equal(start, "2026-10-01");
    assert_int_equal(assessment_records_month_start("2026-00", start), -1);
}

/* The year's table (caller frees), or NULL with err. */
static Onewindow__V1__AssessmentYearReply *s_year(ow_db_t *db, const char *year, ow_error_t *err)
{
    Onewindow__V1__AssessmentYear y = ONEWINDOW__V1__ASSESSMENT_YEAR__INIT;
    y.year = (char *)year;
    uint8_t buf[64], *reply = NULL;
    size_t len = onewindow__v1__assessment_year__pack(&y, buf), reply_len = 0;
    ow_error_clear(err);
    if (assessment_records_year(db, buf, len, &reply, &reply_len, err) != 0)
        return NULL;
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    free(reply);
    assert_non_null(r);
    Onewindow__V1__AssessmentYearReply *out =
        onewindow__v1__assessment_year_reply__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    return out;
}

static const Onewindow__V1__AssessmentYearRow *
s_year_row(const Onewindow__V1__AssessmentYearReply *y, const char *staff)
{
    for (size_t i = 0; i < y->n_rows; i++)
        if (strcmp(y->rows[i]->staff_id, staff) == 0)
            return y->rows[i];
    fail_msg("no row for %s", staff);
    return NULL;
}

/* §7's annual grade from twelve real month tables: each month graded with its own 30 % cap,
 * then 优秀 (≥ 4 好, no 差, full year, ≤ 30 %), 合格 (≥ 2 好, no 差), 基本合格 (≤ 2 差), 不合格 (2
 * consecutive 差 or 3 差). Months are made by supervisors' records: G a written praise (102,
 * 好 when within the month's cap), F a case stopped without cause (85, 一般), P bribery, a
 * complaint and a case stopped (55, 差), '-' nothing (not assessed). */
static void test_year_table(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    static const struct {
        const char *staff, *months, *grade;
    } plan[] = {
        {"E1", "GGGGGFFFFFFF", "优秀"},     {"E2", "GGGGGFFFFFFF", "优秀"},
        {"N1", "GGGGGFFFFFF-", "合格"}, /* 5 好 but not a full year */
        {"Q1", "FFFFFGGFFFFF", "合格"},     {"B1", "FPFFFFFFPFFF", "基本合格"},
        {"U1", "FFFFFFFPPFFF", "不合格"},   {"U2", "PFFFPFFFFFPF", "不合格"},
        {"F1", "FFFFFFFFFFFF", "基本合格"}, {"F2", "FFFFFFFFFFFF", "基本合格"},
        {"F3", "FFFFFFFFFFFF", "基本合格"},
    };
    char sql[512];
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++)
        for (int m = 0; m < 12; m++) {
            char c = plan[i].months[m];
            const char *rules = c == 'G'   ? "{written_praise}"
                                : c == 'F' ? "{case_stopped_without_cause}"
                                : c == 'P'
                                    ? "{bribery,quarrel_or_complaint,case_stopped_without_cause}"
                                    : "{}";
            snprintf(sql, sizeof sql,
                     "INSERT INTO %s.assessment_records (staff_id, month, rule_code, quantity,"
                     " source, entered_by, entered_at_us) SELECT '%s', '2025-%02d-01', r, 1,"
                     " 'supervisor', 'SUP', 1 FROM unnest('%s'::text[]) r",
                     ow_test_pg_name(pg), plan[i].staff, m + 1, rules);
            assert_int_equal(ow_test_pg_run(ow_test_pg_admin(pg), sql, &err), 0);
        }
    Onewindow__V1__AssessmentYearReply *y = s_year(db, "2025", &err);
    assert_non_null(y);
    assert_string_equal(y->year, "2025");
    assert_int_equal(y->n_rows, 10);
    assert_int_equal(y->excellent_cap, 3);
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        const Onewindow__V1__AssessmentYearRow *r = s_year_row(y, plan[i].staff);
        assert_string_equal(r->grade, plan[i].grade);
        assert_int_equal(r->n_months, 12);
        for (int m = 0; m < 12; m++) {
            char c = plan[i].months[m];
            assert_string_equal(r->months[m], c == 'G'   ? "好"
                                              : c == 'F' ? "一般"
                                              : c == 'P' ? "差"
                                                         : "");
        }
    }
    const Onewindow__V1__AssessmentYearRow *n1 = s_year_row(y, "N1"), *u1 = s_year_row(y, "U1");
    assert_false(n1->full_year);
    assert_int_equal(n1->good_months, 5);
    assert_int_equal(u1->longest_poor_run, 2);
    assert_int_equal(u1->poor_months, 2);
    assert_int_equal(s_year_row(y, "U2")->poor_months, 3);
    assert_int_equal(s_year_row(y, "E1")->total_score, 5 * 102 + 7 * 85);
    /* Rank order: 好 months, then total score, then staff id. */
    assert_string_equal(y->rows[0]->staff_id, "E1");
    assert_string_equal(y->rows[1]->staff_id, "E2");
    assert_string_equal(y->rows[2]->staff_id, "N1");
    for (size_t i = 0; i < y->n_rows; i++)
        assert_int_equal(y->rows[i]->rank, (int)i + 1);
    onewindow__v1__assessment_year_reply__free_unpacked(y, NULL);

    /* A year nobody was assessed in: an empty table. A bad year: INVALID_ARGUMENT. */
    y = s_year(db, "2024", &err);
    assert_non_null(y);
    assert_int_equal(y->n_rows, 0);
    onewindow__v1__assessment_year_reply__free_unpacked(y, NULL);
    assert_null(s_year(db, "25", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(s_year(db, "1999", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(s_year(db, "2025x", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_and_month),
        cmocka_unit_test(test_year_table),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
