/* Tests of rating a served case against a real PostgreSQL (OW_TEST_DATABASE_URL): the case
 * copy built from events, every answer evaluation.rate can give, idempotency, and that
 * rating.recorded never carries the rater's identity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "case_events.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "rating_requests.h"
#include "ratings.h"
#include "served_cases.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

#define S_NOW   INT64_C(1795000000000000)
#define S_ID_NO "330122199001011234"
#define S_NAME  "张三丰"
#define S_PHONE "13800000000"

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *scratch = ow_test_pg_new("owtest_evaluation_", "evaluation-test", &err);
    if (!scratch || ow_migrate(ow_test_pg_db(scratch), evaluation_core_migrations,
                               evaluation_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&scratch);
        return -1;
    }
    if (served_cases_prepare(ow_test_pg_db(scratch), &err) != 0 ||
        ratings_prepare(ow_test_pg_db(scratch), &err) != 0) {
        fprintf(stderr, "prepare: %s\n", err.message);
        ow_test_pg_destroy(&scratch);
        return -1;
    }
    *state = scratch;
    return 0;
}

static int s_teardown(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_test_pg_destroy(&scratch);
    return 0;
}

/* Applies one event through its handler in its own transaction, as the inbox does. */
static void s_apply_event(ow_db_t *db,
                          int (*fn)(ow_db_t *, const ow_event_t *, void *, ow_error_t *),
                          const char *type, const char *case_no, uint8_t *payload, size_t len)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "0c6c7d0e-52b1-4c1e-8d1a-%012llx",
             (unsigned long long)(len * 7919 + (unsigned char)case_no[strlen(case_no) - 1]));
    snprintf(ev.source, sizeof ev.source, "intake");
    ev.seq = 1;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = S_NOW;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = payload;
    ev.payload_len = len;
    ow_error_t err;
    int rc = ow_test_event_apply(db, fn, NULL, &ev, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", type, err.message);
    assert_int_equal(rc, 0);
}

static void s_accept(ow_db_t *db, const char *case_no)
{
    Onewindow__V1__Applicant applicant = ONEWINDOW__V1__APPLICANT__INIT;
    applicant.name = S_NAME;
    applicant.id_type = "resident_id";
    applicant.id_number = S_ID_NO;
    applicant.phone = S_PHONE;
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = "330100-01";
    c.item_name = "食品经营许可";
    c.department_code = "D01";
    c.department_name = "市场监督管理局";
    c.centre_id = "330122000000";
    c.channel = "window";
    c.applicant = &applicant;
    c.accepted_at_us = S_NOW - 1000000;
    Onewindow__V1__CaseAccepted msg = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    msg.case_ = &c;
    uint8_t buf[1024];
    size_t len = onewindow__v1__case_accepted__pack(&msg, buf);
    s_apply_event(db, evaluation_on_case_accepted, "case.accepted", case_no, buf, len);
}

static void s_decide(ow_db_t *db, const char *case_no)
{
    Onewindow__V1__CaseDecided msg = ONEWINDOW__V1__CASE_DECIDED__INIT;
    msg.case_no = (char *)case_no;
    msg.outcome = "approved";
    msg.state = 11;
    msg.decided_at_us = S_NOW - 500000;
    uint8_t buf[256];
    size_t len = onewindow__v1__case_decided__pack(&msg, buf);
    s_apply_event(db, evaluation_on_case_decided, "case.decided", case_no, buf, len);
}

/* Calls rating_requests_rate; returns its rc, the status of the reply or error in *status. */
static int s_rate(ow_db_t *db, const char *key, const char *case_no, int grade, const char *channel,
                  uint8_t **reply, size_t *reply_len, int *fresh, ow_error_t *err)
{
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.comment = "窗口人员态度很好";
    req.channel = (char *)channel;
    uint8_t buf[512];
    size_t len = onewindow__v1__rate_case__pack(&req, buf);
    ow_error_clear(err);
    return rating_requests_rate(db, key, buf, len, S_NOW, reply, reply_len, fresh, err);
}

static long long s_count(ow_test_pg_t *scratch, const char *what, const char *case_no)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE case_no = '%s'", what, case_no);
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)), sql);
}

static void test_unknown_and_undecided(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t len = 0;
    int fresh = 0;
    assert_int_equal(s_rate(db, "k-unknown", "C-NONE", 5, "web", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_NOT_FOUND);

    s_accept(db, "C-OPEN");
    assert_int_equal(s_rate(db, "k-open", "C-OPEN", 5, "web", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "not decided"));
    assert_int_equal(s_count(scratch, "ratings", "C-OPEN"), 0);
    assert_int_equal(s_count(scratch, "outbox", "C-OPEN"), 0);
    assert_int_equal(
        ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)), "SELECT count(*) FROM idempotency"), 0);
}

static void test_invalid_requests(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t len = 0;
    int fresh = 0;
    s_accept(db, "C-INV");
    s_decide(db, "C-INV");
    assert_int_equal(s_rate(db, "k-inv", "C-INV", 6, "web", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_string_equal(err.violations[0].field, "grade");
    assert_int_equal(s_rate(db, "k-inv", "C-INV", 0, "web", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_rate(db, "", "C-INV", 5, "web", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "idempotency key"));
    uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
    ow_error_clear(&err);
    assert_int_equal(
        rating_requests_rate(db, "k-junk", junk, sizeof junk, S_NOW, &reply, &len, &fresh, &err),
        -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_count(scratch, "ratings", "C-INV"), 0);
}

/* A bad review, recorded once with its event; the event names no one. */
static void test_rate_once_with_event(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    uint8_t *reply = NULL, *again = NULL;
    size_t len = 0, again_len = 0;
    int fresh = 0;
    s_accept(db, "C-RATE");
    s_decide(db, "C-RATE");
    assert_int_equal(s_rate(db, "k-1", "C-RATE", 2, "qr", &reply, &len, &fresh, &err), 0);
    assert_int_equal(fresh, 1);
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, len, reply);
    assert_non_null(r);
    assert_int_equal(r->status, OW_OK);
    Onewindow__V1__RatingReply *rr =
        onewindow__v1__rating_reply__unpack(NULL, r->payload.len, r->payload.data);
    assert_non_null(rr);
    assert_non_null(rr->rating);
    assert_string_equal(rr->rating->case_no, "C-RATE");
    assert_int_equal(rr->rating->grade, 2);
    assert_true(rr->rating->is_bad);
    assert_string_equal(rr->rating->channel, "qr");
    assert_string_equal(rr->rating->department_code, "D01");
    assert_string_equal(rr->rating->item_code, "330100-01");
    assert_int_equal(rr->rating->rated_at_us, S_NOW);
    assert_int_equal(strlen(rr->rating->rating_id), 36);
    onewindow__v1__rating_reply__free_unpacked(rr, NULL);
    onewindow__v1__reply__free_unpacked(r, NULL);

    /* The same key again: the first answer, byte for byte, and nothing new written. */
    assert_int_equal(s_rate(db, "k-1", "C-RATE", 2, "qr", &again, &again_len, &fresh, &err), 0);
    assert_int_equal(fresh, 0);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, reply, len);
    free(again);
    /* The same key for another request is refused. */
    assert_int_equal(s_rate(db, "k-1", "C-RATE", 5, "qr", &again, &again_len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    /* A new key: the case is already rated. */
    assert_int_equal(s_rate(db, "k-2", "C-RATE", 5, "web", &again, &again_len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    free(reply);

    assert_int_equal(s_count(scratch, "ratings", "C-RATE"), 1);
    /* rating.recorded, and (since issue 6) rating.pushes_requested for the province — the one
     * event that carries the identity (tests/test_identity.c), here of this rating's one push
     * and so filed under its case. */
    assert_int_equal(s_count(scratch, "outbox", "C-RATE"), 2);
    PGresult *res = PQexec(ow_db_conn(db), "SELECT type, payload FROM outbox WHERE case_no = "
                                           "'C-RATE' AND type <> 'rating.pushes_requested'");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "rating.recorded");
    size_t plen = 0;
    unsigned char *payload = PQunescapeBytea((unsigned char *)PQgetvalue(res, 0, 1), &plen);
    Onewindow__V1__Rating *ev = onewindow__v1__rating__unpack(NULL, plen, payload);
    assert_non_null(ev);
    assert_int_equal(ev->grade, 2);
    assert_true(ev->is_bad);
    onewindow__v1__rating__free_unpacked(ev, NULL);
    /* DOMAIN.md §6: the rater's identity never leaves in an event. */
    assert_null(memmem(payload, plen, S_ID_NO, strlen(S_ID_NO)));
    assert_null(memmem(payload, plen, S_NAME, strlen(S_NAME)));
    assert_null(memmem(payload, plen, S_PHONE, strlen(S_PHONE)));
    PQfreemem(payload);
    PQclear(res);

    rating_t got;
    ow_error_clear(&err);
    assert_int_equal(ratings_get(db, "C-RATE", &got, &err), 0);
    assert_int_equal(got.grade, 2);
    assert_true(got.is_bad);
    assert_int_equal(ratings_get(db, "C-OPEN", &got, &err), -1);
    assert_int_equal(err.code, OW_NOT_FOUND);
}

/* The identity is stored apart from the case copy. */
static void test_applicant_kept_apart(void **state)
{
    ow_test_pg_t *scratch = *state;
    assert_int_equal(ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)),
                                     "SELECT count(*) FROM case_applicants WHERE "
                                     "case_no = 'C-RATE' AND id_number = '" S_ID_NO "'"),
                     1);
    assert_int_equal(ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)),
                                     "SELECT count(*) FROM information_schema.columns"
                                     " WHERE table_schema = 'evaluation' AND table_name"
                                     " IN ('served_cases', 'ratings') AND column_name IN"
                                     " ('name', 'id_number', 'phone', 'email')"),
                     0);
}

/* routing's case.decided applied before intake's case.accepted: rateable once both are in. */
static void test_decision_before_acceptance(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t len = 0;
    int fresh = 0;
    s_decide(db, "C-EARLY");
    assert_int_equal(s_rate(db, "k-e1", "C-EARLY", 4, "app", &reply, &len, &fresh, &err), -1);
    assert_int_equal(err.code, OW_NOT_FOUND);
    s_accept(db, "C-EARLY");
    assert_int_equal(ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)),
                                     "SELECT count(*) FROM served_cases WHERE case_no ="
                                     " 'C-EARLY' AND rateable AND outcome = 'approved'"
                                     " AND item_code = '330100-01'"),
                     1);
    assert_int_equal(s_rate(db, "k-e2", "C-EARLY", 4, "app", &reply, &len, &fresh, &err), 0);
    free(reply);
}

/* evaluation.rate and evaluation.get_rating over a real ROUTER/DEALER pair on one loop
 * (ipc:// in a private directory): the key travels in the Request, the answers decode. */
static void test_methods_over_the_socket(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    ow_error_clear(&err);
    s_accept(db, "C-RPC");
    s_decide(db, "C-RPC");
    char dir[80], path[128], endpoint[160];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/owtest_evaluation_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/evaluation.sock", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    ow_rpc_server_t *server = ow_rpc_server_new(loop, endpoint, &err);
    assert_non_null(server);
    rating_requests_t requests = {.db = db, .relay = NULL};
    ow_rpc_server_handle(server, "evaluation.rate", rating_requests_on_rate, &requests);
    ow_rpc_server_handle(server, "evaluation.get_rating", rating_requests_on_get, &requests);
    ow_rpc_client_t *client = ow_rpc_client_new(loop, endpoint, &err);
    assert_non_null(client);

    Onewindow__V1__GetRating get = ONEWINDOW__V1__GET_RATING__INIT;
    get.case_no = "C-RPC";
    uint8_t gbuf[128];
    size_t glen = onewindow__v1__get_rating__pack(&get, gbuf);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(ow_rpc_call_blocking(client, "evaluation.get_rating", NULL, gbuf, glen, 5000,
                                          &out, &out_len, &err),
                     OW_NOT_FOUND);
    free(out);
    out = NULL;

    Onewindow__V1__RateCase rate = ONEWINDOW__V1__RATE_CASE__INIT;
    rate.case_no = "C-RPC";
    rate.grade = 1;
    rate.channel = "sms";
    uint8_t rbuf[128];
    size_t rlen = onewindow__v1__rate_case__pack(&rate, rbuf);
    assert_int_equal(ow_rpc_call_blocking(client, "evaluation.rate", NULL, rbuf, rlen, 5000, &out,
                                          &out_len, &err),
                     OW_INVALID_ARGUMENT); /* no idempotency key */
    free(out);
    out = NULL;
    assert_int_equal(ow_rpc_call_blocking(client, "evaluation.rate", "k-rpc", rbuf, rlen, 5000,
                                          &out, &out_len, &err),
                     OW_OK);
    Onewindow__V1__RatingReply *reply = onewindow__v1__rating_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_non_null(reply->rating);
    assert_int_equal(reply->rating->grade, 1);
    assert_true(reply->rating->is_bad);
    char rating_id[37];
    snprintf(rating_id, sizeof rating_id, "%s", reply->rating->rating_id);
    onewindow__v1__rating_reply__free_unpacked(reply, NULL);
    free(out);
    out = NULL;
    /* The stored answer comes back for the repeated key. */
    assert_int_equal(ow_rpc_call_blocking(client, "evaluation.rate", "k-rpc", rbuf, rlen, 5000,
                                          &out, &out_len, &err),
                     OW_OK);
    reply = onewindow__v1__rating_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_string_equal(reply->rating->rating_id, rating_id);
    onewindow__v1__rating_reply__free_unpacked(reply, NULL);
    free(out);
    out = NULL;

    assert_int_equal(ow_rpc_call_blocking(client, "evaluation.get_rating", NULL, gbuf, glen, 5000,
                                          &out, &out_len, &err),
                     OW_OK);
    reply = onewindow__v1__rating_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_string_equal(reply->rating->rating_id, rating_id);
    assert_string_equal(reply->rating->channel, "sms");
    onewindow__v1__rating_reply__free_unpacked(reply, NULL);
    free(out);

    ow_rpc_client_destroy(&client);
    ow_rpc_server_destroy(&server);
    ow_loop_destroy(&loop);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_and_undecided),
        cmocka_unit_test(test_invalid_requests),
        cmocka_unit_test(test_rate_once_with_event),
        cmocka_unit_test(test_applicant_kept_apart),
        cmocka_unit_test(test_decision_before_acceptance),
        cmocka_unit_test(test_methods_over_the_socket),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
