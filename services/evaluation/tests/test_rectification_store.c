/* Rectification tickets against a real PostgreSQL (OW_TEST_DATABASE_URL), DOMAIN.md §6: every
 * bad review a rater made opens a ticket with a working-day deadline timer, in the single and
 * the batched path (a good rating or a default does not); roles given by an administrator only;
 * the whole path verify → … → closed with its events and the rectification and revisit
 * counters in the roll-ups (equal to a rebuild); refusals write nothing; repeats are byte for
 * byte; the deadline timer marks an unrectified ticket overdue once; an upheld appeal keeps the
 * rating, takes it out of every figure and records why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "case_events.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_error.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "rating_batch.h"
#include "rating_requests.h"
#include "rating_timeouts.h"
#include "ratings.h"
#include "rectification_store.h"
#include "rollups.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

#define S_DECIDED INT64_C(1795000000000000)
#define S_DAY     INT64_C(86400000000)

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    rating_window_t w = rating_window_defaults();
    ratings_set_window(&w);
    rectification_set_policy(5, "ADMIN1,ADMIN2");
    ow_test_pg_t *pg = ow_test_pg_new("owtest_evalrect_", "evaluation-test", &err);
    if (!pg ||
        ow_migrate(ow_test_pg_db(pg), evaluation_core_migrations, evaluation_core_migrations_count,
                   &err) < 0 ||
        served_cases_prepare(ow_test_pg_db(pg), &err) != 0 ||
        ratings_prepare(ow_test_pg_db(pg), &err) != 0 ||
        rating_batch_prepare(ow_test_pg_db(pg), &err) != 0 ||
        rating_timeouts_prepare(ow_test_pg_db(pg), &err) != 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static unsigned s_event_no;

static int s_apply(ow_db_t *db, ow_inbox_apply_fn *fn, const char *source, const char *type,
                   const char *case_no, int64_t time_us, const uint8_t *payload, size_t len,
                   ow_error_t *err)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "1c6c7d0e-52b1-4c1e-8d1a-%012x", ++s_event_no);
    snprintf(ev.source, sizeof ev.source, "%s", source);
    ev.seq = s_event_no;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = time_us;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = (uint8_t *)payload;
    ev.payload_len = len;
    ow_error_clear(err);
    return ow_test_event_apply(db, fn, NULL, &ev, err);
}

/* An accepted and decided case of department D01. */
static void s_served(ow_db_t *db, const char *case_no)
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
    size_t len = onewindow__v1__case_accepted__pack(&acc, buf);
    ow_error_t err;
    assert_int_equal(s_apply(db, evaluation_on_case_accepted, "intake", "case.accepted", case_no,
                             S_DECIDED, buf, len, &err),
                     0);
    Onewindow__V1__CaseDecided dec = ONEWINDOW__V1__CASE_DECIDED__INIT;
    dec.case_no = (char *)case_no;
    dec.outcome = "approved";
    dec.state = 11;
    dec.decided_at_us = S_DECIDED;
    len = onewindow__v1__case_decided__pack(&dec, buf);
    assert_int_equal(s_apply(db, evaluation_on_case_decided, "routing", "case.decided", case_no,
                             S_DECIDED, buf, len, &err),
                     0);
}

static size_t s_rate_req(const char *case_no, int grade, bool anonymous, uint8_t *buf)
{
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.channel = "web";
    req.staff_id = "W7";
    req.anonymous = anonymous;
    return onewindow__v1__rate_case__pack(&req, buf);
}

static void s_rate(ow_db_t *db, const char *case_no, int grade, bool anonymous)
{
    uint8_t buf[256], *reply = NULL;
    size_t len = s_rate_req(case_no, grade, anonymous, buf), reply_len = 0;
    int fresh = 0;
    ow_error_t err;
    ow_error_clear(&err);
    char key[64];
    snprintf(key, sizeof key, "rate-%s", case_no);
    assert_int_equal(rating_requests_rate(db, key, buf, len, S_DECIDED + S_DAY, &reply, &reply_len,
                                          &fresh, &err),
                     0);
    free(reply);
}

static long long s_long(ow_test_pg_t *pg, const char *fmt, const char *arg)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, arg);
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(pg)), sql);
}

/* The ticket id (= rating id) of case_no, into id[37]. */
static void s_ticket_of(ow_test_pg_t *pg, const char *case_no, char *id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT ticket_id FROM rectification_tickets WHERE case_no = '%s'",
             case_no);
    PGresult *res = PQexec(ow_db_conn(ow_test_pg_db(pg)), sql);
    assert_int_equal(PQntuples(res), 1);
    snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

typedef struct {
    const char *action;
    const char *classification;
    const char *note;
    int revisit_grade;
    const char *appeal_reason;
} s_act_t;

/* Runs evaluation.act_on_ticket; *reply (may be NULL) receives the packed Reply. */
static int s_act(ow_db_t *db, const char *key, const char *caller, const char *ticket, s_act_t a,
                 uint8_t **reply_out, size_t *reply_len_out, ow_error_t *err)
{
    Onewindow__V1__ActOnTicket m = ONEWINDOW__V1__ACT_ON_TICKET__INIT;
    m.ticket_id = (char *)ticket;
    m.action = (char *)a.action;
    m.classification = (char *)(a.classification ? a.classification : "");
    m.note = (char *)(a.note ? a.note : "");
    m.revisit_grade = a.revisit_grade;
    m.appeal_reason = (char *)(a.appeal_reason ? a.appeal_reason : "");
    uint8_t buf[1024], *reply = NULL;
    size_t len = onewindow__v1__act_on_ticket__pack(&m, buf), reply_len = 0;
    int fresh = 0;
    ow_error_clear(err);
    int rc = rectification_act(db, key, caller, buf, len, S_DECIDED + 2 * S_DAY, &reply, &reply_len,
                               &fresh, err);
    if (reply_out) {
        *reply_out = reply;
        *reply_len_out = reply_len;
    } else
        free(reply);
    return rc;
}

static int s_roles(ow_db_t *db, const char *key, const char *caller,
                   const Onewindow__V1__StaffRole *const *roles, size_t n, ow_error_t *err)
{
    Onewindow__V1__PutStaffRoles m = ONEWINDOW__V1__PUT_STAFF_ROLES__INIT;
    m.roles = (Onewindow__V1__StaffRole **)roles;
    m.n_roles = n;
    uint8_t buf[2048], *reply = NULL;
    size_t len = onewindow__v1__put_staff_roles__pack(&m, buf), reply_len = 0;
    int fresh = 0;
    ow_error_clear(err);
    int rc = rectification_put_roles(db, key, caller, buf, len, S_DECIDED, &reply, &reply_len,
                                     &fresh, err);
    free(reply);
    return rc;
}

static void s_give_roles(ow_db_t *db)
{
    Onewindow__V1__StaffRole h1 = ONEWINDOW__V1__STAFF_ROLE__INIT, h2 = h1, r1 = h1, v1 = h1;
    h1.staff_id = "H1", h1.role = "handler", h1.department_code = "D01";
    h2.staff_id = "H2", h2.role = "handler", h2.department_code = "D02";
    r1.staff_id = "R1", r1.role = "reviewer";
    v1.staff_id = "V1", v1.role = "supervisor";
    const Onewindow__V1__StaffRole *roles[] = {&h1, &h2, &r1, &v1};
    ow_error_t err;
    assert_int_equal(s_roles(db, "roles-1", "ADMIN2", roles, 4, &err), 0);
}

/* §6: every grade 1–2 a rater made opens a ticket, with its working-day deadline asked of
 * deadlined; good ratings and defaults do not; the batched path too. */
static void test_bad_reviews_open_tickets(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    s_served(db, "O-1");
    s_served(db, "O-2");
    s_served(db, "O-3");
    s_rate(db, "O-1", 1, false);
    s_rate(db, "O-2", 3, false);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_tickets WHERE case_no = '%s'"
                            " AND state = 'open' AND grade = 1 AND rectify_working_days = 5",
                            "O-1"),
                     1);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM rectification_tickets WHERE case_no = '%s'", "O-2"), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s' AND kind ="
                            " 'rectification_due' AND due_at_us = 0 AND amount = 5 AND unit ="
                            " 'working_days' AND op = 'schedule' AND start_at_us > 0",
                            "O-1"),
                     1);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_actions a JOIN"
                            " rectification_tickets t USING (ticket_id) WHERE t.case_no = '%s'"
                            " AND a.action = 'open' AND a.version = 1",
                            "O-1"),
                     1);
    /* A default is never a bad review of the rater's: even with a bad default grade. */
    rating_window_t w = rating_window_defaults();
    w.default_grade = 2;
    ratings_set_window(&w);
    rating_t r;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    int rc = ratings_record_default(db, "O-3", S_DECIDED + 7 * S_DAY, &r, &err);
    assert_int_equal(ow_db_commit(db, &err), 0);
    w = rating_window_defaults();
    ratings_set_window(&w);
    assert_int_equal(rc, 1);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM rectification_tickets WHERE case_no = '%s'", "O-3"), 0);

    /* The batch: two bad among three, one of them anonymous. */
    s_served(db, "B-1");
    s_served(db, "B-2");
    s_served(db, "B-3");
    uint8_t b1[256], b2[256], b3[256];
    rating_batch_request_t reqs[] = {{"kb-1", b1, s_rate_req("B-1", 2, false, b1)},
                                     {"kb-2", b2, s_rate_req("B-2", 5, false, b2)},
                                     {"kb-3", b3, s_rate_req("B-3", 1, true, b3)}};
    rating_batch_outcome_t out[3];
    memset(out, 0, sizeof out);
    ow_error_clear(&err);
    assert_int_equal(rating_batch_record(db, NULL, reqs, 3, S_DECIDED + S_DAY, out, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_non_null(out[i].reply);
        free(out[i].reply);
    }
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM rectification_tickets WHERE case_no LIKE '%s'", "B-%"), 2);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM rectification_tickets WHERE case_no = '%s' AND anonymous",
               "B-3"),
        1);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE kind = 'rectification_due'"
                            " AND case_no LIKE '%s'",
                            "B-%"),
                     2);
}

/* Roles: an administrator only; every bad entry listed; nothing written on refusal. */
static void test_roles(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    Onewindow__V1__StaffRole a = ONEWINDOW__V1__STAFF_ROLE__INIT, b = a, c = a;
    a.staff_id = "Q1", a.role = "handler"; /* no department */
    b.staff_id = "Q1", b.role = "boss";    /* repeated, unknown role */
    c.staff_id = "bad id", c.role = "reviewer";
    const Onewindow__V1__StaffRole *bad[] = {&a, &b, &c};
    ow_error_t err;
    assert_int_equal(s_roles(db, "r-x", "Q9", bad, 3, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_roles(db, "r-y", "ADMIN1", bad, 3, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "roles[0].department_code", NULL));
    assert_true(ow_test_error_has(&err, "roles[1].staff_id", "repeats"));
    assert_true(ow_test_error_has(&err, "roles[1].role", NULL));
    assert_true(ow_test_error_has(&err, "roles[2].staff_id", NULL));
    assert_int_equal(s_roles(db, "r-z", "ADMIN1", NULL, 0, &err), -1);
    assert_true(ow_test_error_has(&err, "roles", NULL));
    assert_int_equal(s_long(pg, "SELECT count(*) FROM staff_roles WHERE staff_id = '%s'", "Q1"), 0);
    /* An administrator in the table may give roles too. */
    Onewindow__V1__StaffRole adm = ONEWINDOW__V1__STAFF_ROLE__INIT;
    adm.staff_id = "A9", adm.role = "administrator";
    const Onewindow__V1__StaffRole *one[] = {&adm};
    assert_int_equal(s_roles(db, "r-1", "ADMIN1", one, 1, &err), 0);
    a.department_code = "D03";
    const Onewindow__V1__StaffRole *two[] = {&a};
    assert_int_equal(s_roles(db, "r-2", "A9", two, 1, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM staff_roles WHERE staff_id = '%s'"
                            " AND department_code = 'D03'",
                            "Q1"),
                     1);
}

static long long s_all_month(ow_test_pg_t *pg, const char *column)
{
    return s_long(pg,
                  "SELECT COALESCE(sum(%s), 0) FROM rollups WHERE dimension = 'all' AND period"
                  " = 'year'",
                  column);
}

/* The whole path, with refusals writing nothing and repeats answered byte for byte. */
static void test_path_events_and_rates(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    s_give_roles(db);
    s_served(db, "P-1");
    s_rate(db, "P-1", 2, false);
    char id[37];
    s_ticket_of(pg, "P-1", id);
    long long rect0 = s_all_month(pg, "rectified"), rev0 = s_all_month(pg, "revisited");
    long long events0 =
        s_long(pg, "SELECT count(*) FROM outbox WHERE type LIKE '%s'", "rectification.%");
    ow_error_t err;
    /* Refusals: no role, another department, a reviewer, bad fields, wrong state, no key. */
    assert_int_equal(
        s_act(db, "p-0", "NOBODY", id, (s_act_t){.action = "verify"}, NULL, NULL, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_act(db, "p-0", "H2", id, (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_act(db, "p-0", "R1", id, (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_act(db, "p-0", "H1", id, (s_act_t){.action = "rectify"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT); /* the note is required */
    assert_int_equal(s_act(db, "p-0", "H1", id, (s_act_t){.action = "rectify", .note = "done"},
                           NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(
        s_act(db, "p-0", "H1", "not-a-uuid", (s_act_t){.action = "fly"}, NULL, NULL, &err), -1);
    assert_true(ow_test_error_has(&err, "ticket_id", NULL));
    assert_true(ow_test_error_has(&err, "action", NULL));
    assert_int_equal(s_act(db, "p-0", "H1", "00000000-0000-0000-0000-000000000000",
                           (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_NOT_FOUND);
    assert_int_equal(s_act(db, "", "H1", id, (s_act_t){.action = "verify"}, NULL, NULL, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(
        s_long(pg, "SELECT version FROM rectification_tickets WHERE ticket_id = '%s'", id), 1);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM idempotency WHERE key = '%s'", "p-0"), 0);

    /* verify, and its repeat byte for byte; the key with another body is refused. */
    uint8_t *first = NULL, *again = NULL;
    size_t first_len = 0, again_len = 0;
    assert_int_equal(s_act(db, "p-1", "H1", id, (s_act_t){.action = "verify", .note = "核实属实"},
                           &first, &first_len, &err),
                     0);
    assert_int_equal(s_act(db, "p-1", "H1", id, (s_act_t){.action = "verify", .note = "核实属实"},
                           &again, &again_len, &err),
                     0);
    assert_int_equal(first_len, again_len);
    assert_memory_equal(first, again, first_len);
    free(first);
    free(again);
    assert_int_equal(s_act(db, "p-1", "H1", id, (s_act_t){.action = "verify", .note = "other"},
                           NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_act(db, "p-2", "H1", id,
                           (s_act_t){.action = "classify", .classification = "fix_by_deadline"},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(s_act(db, "p-3", "H1", id,
                           (s_act_t){.action = "rectify", .note = "窗口已培训"}, NULL, NULL, &err),
                     0);
    assert_int_equal(s_all_month(pg, "rectified"), rect0 + 1);
    /* The deadline is no longer wanted. */
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE timer_key ="
                            " 'evaluation:rectification_due:%s' AND op = 'cancel'",
                            id),
                     1);
    assert_int_equal(
        s_act(db, "p-4", "V1", id, (s_act_t){.action = "tell_rater"}, NULL, NULL, &err), 0);
    assert_int_equal(s_act(db, "p-5", "H1", id,
                           (s_act_t){.action = "revisit", .note = "电话回访", .revisit_grade = 5},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(s_all_month(pg, "revisited"), rev0 + 1);
    assert_int_equal(s_act(db, "p-6", "H1", id, (s_act_t){.action = "close"}, NULL, NULL, &err), 0);
    assert_int_equal(s_act(db, "p-7", "H1", id, (s_act_t){.action = "close"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_tickets WHERE ticket_id = '%s'"
                            " AND state = 'closed' AND revisit_grade = 5 AND version = 7 AND"
                            " classification = 'fix_by_deadline' AND rectify_note = '窗口已培训'",
                            id),
                     1);
    /* One event per step; rater_told for notifyd; none names anybody but staff. */
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM outbox WHERE type LIKE '%s'", "rectification.%"),
        events0 + 6);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM outbox WHERE type = '%s'", "rectification.rater_told"), 1);
    /* Incremental = rebuilt (rectified / revisited flags on the rating). */
    long long rect = s_all_month(pg, "rectified"), rev = s_all_month(pg, "revisited");
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(rollups_rebuild(db, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_all_month(pg, "rectified"), rect);
    assert_int_equal(s_all_month(pg, "revisited"), rev);
}

static int s_fire(ow_db_t *db, const char *ticket, int64_t at, ow_error_t *err)
{
    char key[128];
    snprintf(key, sizeof key, "evaluation:rectification_due:%s", ticket);
    Onewindow__V1__Timer t = ONEWINDOW__V1__TIMER__INIT;
    t.timer_key = key;
    t.owner = "evaluation";
    t.kind = "rectification_due";
    t.case_no = "";
    t.due_at_us = at;
    t.state = "fired";
    uint8_t buf[512];
    size_t len = onewindow__v1__timer__pack(&t, buf);
    return s_apply(db, evaluation_on_timer_fired, "deadline", "timer.fired", "", at, buf, len, err);
}

/* The deadline passing before rectification: overdue and a red card, once. */
static void test_overdue(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    s_give_roles(db);
    s_served(db, "D-1");
    s_served(db, "D-2");
    s_rate(db, "D-1", 1, false);
    s_rate(db, "D-2", 1, true);
    char d1[37], d2[37];
    s_ticket_of(pg, "D-1", d1);
    s_ticket_of(pg, "D-2", d2);
    ow_error_t err;
    /* D-2 is rectified in time (anonymous: closes from rectified). */
    assert_int_equal(s_act(db, "d-1", "H1", d2, (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     0);
    assert_int_equal(s_act(db, "d-2", "H1", d2,
                           (s_act_t){.action = "classify", .classification = "explain"}, NULL, NULL,
                           &err),
                     0);
    assert_int_equal(s_act(db, "d-3", "H1", d2, (s_act_t){.action = "rectify", .note = "已解释"},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(
        s_act(db, "d-4", "H1", d2, (s_act_t){.action = "tell_rater"}, NULL, NULL, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_act(db, "d-5", "H1", d2, (s_act_t){.action = "close"}, NULL, NULL, &err), 0);
    long long before =
        s_long(pg, "SELECT count(*) FROM outbox WHERE type = '%s'", "rectification.overdue");
    int64_t due = S_DECIDED + 8 * S_DAY;
    assert_int_equal(s_fire(db, d1, due, &err), 0);
    assert_int_equal(s_fire(db, d1, due, &err), 0); /* replayed: skipped or nothing to do */
    assert_int_equal(s_fire(db, d2, due, &err), 0);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM outbox WHERE type = '%s'", "rectification.overdue"),
        before + 1);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_tickets WHERE ticket_id = '%s'"
                            " AND overdue AND state = 'open'",
                            d1),
                     1);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM rectification_tickets WHERE ticket_id = '%s' AND overdue",
               d2),
        0);
    /* A timer naming no ticket is poison; one of an unknown ticket does nothing. */
    assert_int_equal(s_fire(db, "junk", due, &err), -1);
    assert_int_equal(s_fire(db, "00000000-0000-0000-0000-000000000000", due, &err), 0);
}

/* 申诉复核: upheld keeps the rating, excludes it, records why; the appellant cannot decide. */
static void test_appeal(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    s_give_roles(db);
    s_served(db, "A-1");
    s_rate(db, "A-1", 1, false);
    char id[37];
    s_ticket_of(pg, "A-1", id);
    long long bad0 = s_all_month(pg, "bad"), excl0 = s_all_month(pg, "excluded");
    ow_error_t err;
    assert_int_equal(s_act(db, "a-1", "V1", id,
                           (s_act_t){.action = "appeal",
                                     .note = "申请人误评：评价对象错误",
                                     .appeal_reason = "mistaken"},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(
        s_act(db, "a-2", "V1", id, (s_act_t){.action = "uphold", .note = "属实"}, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(
        s_act(db, "a-2", "H1", id, (s_act_t){.action = "uphold", .note = "属实"}, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_act(db, "a-3", "R1", id, (s_act_t){.action = "uphold", .note = "复核属实"},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM ratings WHERE rating_id = '%s' AND excluded AND"
                            " excluded_reason LIKE 'appeal upheld (mistaken): 复核属实'",
                            id),
                     1);
    assert_int_equal(s_all_month(pg, "bad"), bad0 - 1);
    assert_int_equal(s_all_month(pg, "excluded"), excl0 + 1);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_tickets WHERE ticket_id = '%s'"
                            " AND state = 'appeal_upheld' AND appeal_decided_by = 'R1'"
                            " AND appeal_by = 'V1'",
                            id),
                     1);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE timer_key ="
                            " 'evaluation:rectification_due:%s' AND op = 'cancel'",
                            id),
                     1);
    /* Final: nothing more. */
    assert_int_equal(s_act(db, "a-4", "H1", id, (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    /* Rejected: back where it was, counted as before. */
    s_served(db, "A-2");
    s_rate(db, "A-2", 2, false);
    s_ticket_of(pg, "A-2", id);
    assert_int_equal(s_act(db, "a-5", "H1", id, (s_act_t){.action = "verify"}, NULL, NULL, &err),
                     0);
    assert_int_equal(
        s_act(db, "a-6", "H1", id,
              (s_act_t){.action = "appeal", .note = "恶意差评", .appeal_reason = "malicious"}, NULL,
              NULL, &err),
        0);
    assert_int_equal(s_act(db, "a-7", "V1", id, (s_act_t){.action = "reject", .note = "证据不足"},
                           NULL, NULL, &err),
                     0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM rectification_tickets WHERE ticket_id = '%s'"
                            " AND state = 'verified' AND appeal_decision = 'rejected'",
                            id),
                     1);
    assert_int_equal(
        s_long(pg, "SELECT count(*) FROM ratings WHERE rating_id = '%s' AND excluded", id), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_reviews_open_tickets),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_path_events_and_rates),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_appeal),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
