/* The rater's identity apart (DOMAIN.md §6, issue 6), on a database provisioned as in
 * production (ow_provision) with evaluationd connected as its own role ow_evaluation: the
 * identity lands in evaluation_identity.applicants, which ow_evaluation can add to but not read
 * (nor the read log); rating.pushes_requested carries it, read through read_applicants and
 * logged once per read with its purpose; no other event carries it; anonymous ratings carry and
 * read none; the batched path too, with every push of a batch in ONE event (a bigger batch than
 * an event holds splits); the read log is append-only even for the administrator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "case_events.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_provision.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "provincial_push.h"
#include "rating_batch.h"
#include "rating_requests.h"
#include "ratings.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

#define S_DECIDED INT64_C(1795000000000000)
#define S_DAY     INT64_C(86400000000)
#define S_ID_NO   "330122199001011234"

typedef struct {
    ow_test_pg_t *pg;
    ow_db_t *db;    /* as ow_evaluation, search_path evaluation */
    PGconn *admin;  /* the administrator, on the same database */
    char *as_admin; /* conninfo */
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    ow_error_t err;
    ow_error_clear(&err);
    rating_window_t w = rating_window_defaults();
    ratings_set_window(&w);
    if (!f)
        return -1;
    f->pg = ow_test_pg_new_database("ow_test_evalid_", &err);
    f->as_admin = f->pg ? ow_test_pg_conninfo(f->pg, NULL, &err) : NULL;
    if (!f->as_admin || ow_provision(f->as_admin, &err) != 0)
        goto fail;
    f->db = ow_db_new(f->as_admin, "ow_evaluation", NULL, "evaluation", "evaluation-test", &err);
    if (!f->db ||
        ow_migrate(f->db, evaluation_core_migrations, evaluation_core_migrations_count, &err) < 0 ||
        served_cases_prepare(f->db, &err) != 0 || ratings_prepare(f->db, &err) != 0 ||
        rating_batch_prepare(f->db, &err) != 0)
        goto fail;
    f->admin = PQconnectdb(f->as_admin);
    if (PQstatus(f->admin) != CONNECTION_OK)
        goto fail;
    *state = f;
    return 0;
fail:
    fprintf(stderr, "cannot set up the provisioned database: %s\n", err.message);
    ow_db_destroy(&f->db);
    if (f->admin)
        PQfinish(f->admin);
    ow_test_pg_destroy(&f->pg);
    free(f->as_admin);
    free(f);
    return -1;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    if (!f)
        return 0;
    ow_db_destroy(&f->db);
    PQfinish(f->admin);
    ow_test_pg_destroy(&f->pg);
    free(f->as_admin);
    free(f);
    return 0;
}

/* The SQLSTATE of sql run on conn ("00000" when it worked). */
static const char *s_state_of(PGconn *conn, const char *sql)
{
    static char state[6];
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(state, sizeof state, "%s",
             st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "00000"
             : code                                          ? code
                                                             : "?????");
    PQclear(res);
    return state;
}

static unsigned s_event_no;

static void s_served(ow_db_t *db, const char *case_no)
{
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = "张三";
    a.id_type = "resident_id";
    a.id_number = S_ID_NO;
    a.phone = "13800000000";
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = "330100-01";
    c.item_name = "个体工商户登记";
    c.department_code = "D01";
    c.centre_id = "330122001000";
    c.channel = "window";
    c.accepted_at_us = S_DECIDED - S_DAY;
    c.applicant = &a;
    Onewindow__V1__CaseAccepted acc = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    acc.case_ = &c;
    uint8_t buf[1024];
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "2c6c7d0e-52b1-4c1e-8d1a-%012x", ++s_event_no);
    snprintf(ev.source, sizeof ev.source, "intake");
    ev.seq = s_event_no;
    snprintf(ev.type, sizeof ev.type, "case.accepted");
    ev.time_us = S_DECIDED;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = buf;
    ev.payload_len = onewindow__v1__case_accepted__pack(&acc, buf);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_event_apply(db, evaluation_on_case_accepted, NULL, &ev, &err), 0);
    Onewindow__V1__CaseDecided dec = ONEWINDOW__V1__CASE_DECIDED__INIT;
    dec.case_no = (char *)case_no;
    dec.outcome = "approved";
    dec.state = 11;
    dec.decided_at_us = S_DECIDED;
    snprintf(ev.event_id, sizeof ev.event_id, "2c6c7d0e-52b1-4c1e-8d1a-%012x", ++s_event_no);
    snprintf(ev.source, sizeof ev.source, "routing");
    ev.seq = s_event_no;
    snprintf(ev.type, sizeof ev.type, "case.decided");
    ev.payload_len = onewindow__v1__case_decided__pack(&dec, buf);
    assert_int_equal(ow_test_event_apply(db, evaluation_on_case_decided, NULL, &ev, &err), 0);
}

static size_t s_rate_req(const char *case_no, int grade, bool anonymous, uint8_t *buf)
{
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.channel = "qr";
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
    if (rating_requests_rate(db, key, buf, len, S_DECIDED + S_DAY, &reply, &reply_len, &fresh,
                             &err) != 0)
        fail_msg("rating %s: %s", case_no, err.message);
    free(reply);
}

static long s_long(s_fixture_t *f, const char *sql)
{
    return ow_test_pg_long(f->admin, sql);
}

/* The push of case_no inside the one rating.pushes_requested that holds it, or NULL (none, or
 * in more than one push). *batch_p: the unpacked event it lies in, which the caller frees with
 * onewindow__v1__rating_push_batch__free_unpacked (NULL when none). */
static Onewindow__V1__RatingPush *s_push_of(s_fixture_t *f, const char *case_no,
                                            Onewindow__V1__RatingPushBatch **batch_p)
{
    PGresult *res = PQexecParams(f->admin,
                                 "SELECT payload FROM evaluation.outbox WHERE type ="
                                 " '" PROVINCIAL_PUSH_EVENT "' ORDER BY seq",
                                 0, NULL, NULL, NULL, NULL, 1);
    Onewindow__V1__RatingPush *found = NULL;
    int seen = 0;
    *batch_p = NULL;
    for (int r = 0; PQresultStatus(res) == PGRES_TUPLES_OK && r < PQntuples(res); r++) {
        Onewindow__V1__RatingPushBatch *b = onewindow__v1__rating_push_batch__unpack(
            NULL, (size_t)PQgetlength(res, r, 0), (const uint8_t *)PQgetvalue(res, r, 0));
        assert_non_null(b);
        Onewindow__V1__RatingPush *mine = NULL;
        for (size_t i = 0; i < b->n_pushes; i++)
            if (strcmp(b->pushes[i]->case_no, case_no) == 0) {
                mine = b->pushes[i];
                seen++;
            }
        if (mine && !*batch_p) {
            *batch_p = b;
            found = mine;
        } else {
            onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
        }
    }
    PQclear(res);
    return seen == 1 ? found : NULL;
}

static void test_identity_is_apart(void **state)
{
    s_fixture_t *f = *state;
    s_served(f->db, "I-1");
    PGconn *own = ow_db_conn(f->db);
    /* 42501: insufficient_privilege — evaluationd's own role cannot read what it wrote. */
    assert_string_equal(s_state_of(own, "SELECT * FROM case_applicants"), "42501");
    assert_string_equal(s_state_of(own, "SELECT * FROM evaluation_identity.applicants"), "42501");
    assert_string_equal(s_state_of(own, "SELECT * FROM evaluation_identity.reads"), "42501");
    assert_string_equal(s_state_of(own, "DELETE FROM evaluation_identity.reads"), "42501");
    assert_string_equal(s_state_of(own, "UPDATE evaluation_identity.applicants SET name = 'x'"),
                        "42501");
    /* Stored there, not in evaluation's own schema. */
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation_identity.applicants WHERE"
                               " case_no = 'I-1' AND id_number = '" S_ID_NO "'"),
                     1);
    assert_int_equal(s_long(f, "SELECT count(*) FROM information_schema.columns WHERE"
                               " table_schema = 'evaluation' AND table_name = 'ratings' AND"
                               " column_name IN ('name', 'id_number', 'phone')"),
                     0);
    /* A read without a purpose is refused; with one it is logged. */
    assert_string_equal(s_state_of(own, "SELECT * FROM read_applicants('{I-1}', '')"), "P0001");
    long reads0 = s_long(f, "SELECT count(*) FROM evaluation_identity.reads");
    assert_string_equal(s_state_of(own, "SELECT * FROM read_applicants('{I-1}', 'audit')"),
                        "00000");
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation_identity.reads WHERE reader ="
                               " 'ow_evaluation' AND purpose = 'audit' AND case_no = 'I-1'"),
                     1);
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation_identity.reads"), reads0 + 1);
    /* Append-only even for the administrator. */
    assert_string_equal(s_state_of(f->admin, "DELETE FROM evaluation_identity.reads"), "P0001");
    assert_string_equal(s_state_of(f->admin, "UPDATE evaluation_identity.reads SET purpose = ''"),
                        "P0001");
}

/* §6: the provincial push carries the identity; nothing else does; each read is logged. */
static void test_push_carries_it_alone(void **state)
{
    s_fixture_t *f = *state;
    s_served(f->db, "P-1");
    s_served(f->db, "P-2");
    long reads0 = s_long(f, "SELECT count(*) FROM evaluation_identity.reads WHERE purpose ="
                            " 'provincial_push'");
    s_rate(f->db, "P-1", 2, false);
    s_rate(f->db, "P-2", 5, true);
    Onewindow__V1__RatingPushBatch *b = NULL;
    Onewindow__V1__RatingPush *p = s_push_of(f, "P-1", &b);
    assert_non_null(p);
    assert_string_equal(p->applicant_name, "张三");
    assert_string_equal(p->applicant_id_type, "resident_id");
    assert_string_equal(p->applicant_id_number, S_ID_NO);
    assert_string_equal(p->applicant_type, "natural_person");
    assert_string_equal(p->item_code, "330100-01");
    assert_string_equal(p->area_code, "330122001000");
    assert_string_equal(p->level, "township");
    assert_string_equal(p->department_code, "D01");
    assert_string_equal(p->case_status, "approved");
    assert_string_equal(p->channel, "qr");
    assert_string_equal(p->staff_id, "W7");
    assert_int_equal(p->grade, 2);
    assert_int_equal(p->rated_at_us, S_DECIDED + S_DAY);
    assert_false(p->anonymous);
    /* A single rating's transaction: an event of its one push, filed under its case. */
    assert_int_equal(b->n_pushes, 1);
    onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation.outbox WHERE type ="
                               " '" PROVINCIAL_PUSH_EVENT "' AND case_no = 'P-1' AND centre_id ="
                               " '330122001000'"),
                     1);
    /* Anonymous: pushed, flagged, without identity, and nothing read. */
    p = s_push_of(f, "P-2", &b);
    assert_non_null(p);
    assert_true(p->anonymous);
    assert_string_equal(p->applicant_id_number, "");
    assert_string_equal(p->applicant_name, "");
    onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation_identity.reads WHERE purpose ="
                               " 'provincial_push'"),
                     reads0 + 1);
    /* The id number's bytes are in exactly one event: the push. */
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation.outbox WHERE position(convert_to("
                               "'" S_ID_NO "', 'UTF8') IN payload) > 0 AND type <>"
                               " '" PROVINCIAL_PUSH_EVENT "'"),
                     0);
    /* The event of one push per rating is gone from evaluationd (notifyd still reads it). */
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation.outbox WHERE type ="
                               " 'rating.push_requested'"),
                     0);
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation.outbox WHERE position(convert_to("
                               "'" S_ID_NO "', 'UTF8') IN payload) > 0 AND case_no = 'P-1'"),
                     1);
}

static void test_batched_push(void **state)
{
    s_fixture_t *f = *state;
    s_served(f->db, "Q-1");
    s_served(f->db, "Q-2");
    long reads0 = s_long(f, "SELECT count(*) FROM evaluation_identity.reads");
    uint8_t b1[256], b2[256];
    rating_batch_request_t reqs[] = {{"kq-1", b1, s_rate_req("Q-1", 1, false, b1)},
                                     {"kq-2", b2, s_rate_req("Q-2", 4, false, b2)}};
    rating_batch_outcome_t out[2];
    memset(out, 0, sizeof out);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rating_batch_record(f->db, NULL, reqs, 2, S_DECIDED + S_DAY, out, &err), 0);
    for (int i = 0; i < 2; i++) {
        assert_non_null(out[i].reply);
        free(out[i].reply);
    }
    for (int i = 0; i < 2; i++) {
        Onewindow__V1__RatingPushBatch *b = NULL;
        Onewindow__V1__RatingPush *p = s_push_of(f, i ? "Q-2" : "Q-1", &b);
        assert_non_null(p);
        assert_string_equal(p->applicant_id_number, S_ID_NO);
        assert_int_equal(p->grade, i ? 4 : 1);
        /* Both pushes of the batch in one event, in case order. */
        assert_int_equal(b->n_pushes, 2);
        assert_string_equal(b->pushes[i]->case_no, i ? "Q-2" : "Q-1");
        onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
    }
    /* One outbox row for the batch's pushes, under no single case or centre. */
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation.outbox WHERE type ="
                               " '" PROVINCIAL_PUSH_EVENT "' AND case_no = '' AND centre_id = ''"),
                     1);
    assert_int_equal(s_long(f, "SELECT count(*) FROM evaluation_identity.reads"), reads0 + 2);
    assert_int_equal(provincial_push_applicant_type("uscc")[0], 'l');
    assert_string_equal(provincial_push_applicant_type("passport"), "");
}

/* A batch whose one event would pass the outbox's payload limit splits, greedily, into as few
 * events as fit — each under the limit, every push in exactly one, in order. Anonymous pushes:
 * no identity is read, so no database is needed. */
static void test_batch_splits_past_the_limit(void **state)
{
    (void)state;
    enum { N = 5 };
    size_t big = PROVINCIAL_PUSH_EVENT_MAX / 3; /* two fit an event, three do not */
    char *name = malloc(big + 1);
    assert_non_null(name);
    memset(name, 'x', big);
    name[big] = '\0';
    Onewindow__V1__RatingPush msgs[N];
    char cases[N][16];
    for (int i = 0; i < N; i++) {
        onewindow__v1__rating_push__init(&msgs[i]);
        snprintf(cases[i], sizeof cases[i], "S-%d", i);
        msgs[i].rating_id = cases[i];
        msgs[i].case_no = cases[i];
        msgs[i].area_code = "330122001000";
        msgs[i].item_name = name;
        msgs[i].grade = 3;
        msgs[i].anonymous = true;
    }
    provincial_pushes_t *pushes = NULL;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(provincial_push_build_from(NULL, msgs, N, S_DECIDED, &pushes, &err), 0);
    size_t n = 0, next = 0;
    const ow_outbox_event_t *ev = provincial_pushes_events(pushes, &n);
    assert_int_equal(n, 3); /* 2 + 2 + 1 */
    for (size_t e = 0; e < n; e++) {
        assert_string_equal(ev[e].type, PROVINCIAL_PUSH_EVENT);
        assert_true(ev[e].len <= PROVINCIAL_PUSH_EVENT_MAX);
        Onewindow__V1__RatingPushBatch *b =
            onewindow__v1__rating_push_batch__unpack(NULL, ev[e].len, ev[e].payload);
        assert_non_null(b);
        for (size_t i = 0; i < b->n_pushes; i++)
            assert_string_equal(b->pushes[i]->case_no, cases[next++]);
        /* Only an event of one push is filed under its case. */
        assert_string_equal(ev[e].case_no, b->n_pushes == 1 ? b->pushes[0]->case_no : "");
        onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
    }
    assert_int_equal(next, N);
    provincial_pushes_destroy(&pushes);
    /* No valid rating: no event at all. */
    assert_int_equal(provincial_push_build_from(NULL, msgs, 0, S_DECIDED, &pushes, &err), 0);
    provincial_pushes_events(pushes, &n);
    assert_int_equal(n, 0);
    provincial_pushes_destroy(&pushes);
    free(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_is_apart),
        cmocka_unit_test(test_push_carries_it_alone),
        cmocka_unit_test(test_batched_push),
        cmocka_unit_test(test_batch_splits_past_the_limit),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
