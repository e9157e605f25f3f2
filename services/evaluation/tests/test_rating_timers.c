/* The rating window and its timers against a real PostgreSQL (OW_TEST_DATABASE_URL), DOMAIN.md
 * §6: a case that becomes rateable asks deadlined for its invitation (3 days) and default (7
 * days) timers once; a rating cancels them; late rating closes at exactly 7 days, in the
 * single and the batched path; timer.fired sends the invitation or records the default
 * 基本满意 (counted apart in the roll-ups) only for a case still unrated, once. */
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
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "rating_batch.h"
#include "rating_requests.h"
#include "rating_timeouts.h"
#include "ratings.h"
#include "served_cases.h"
#include "timer_commands.h"

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
    ow_test_pg_t *pg = ow_test_pg_new("owtest_evaltimers_", "evaluation-test", &err);
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

static int s_apply(ow_db_t *db, ow_inbox_apply_fn *fn, const char *type, const char *case_no,
                   int64_t time_us, const uint8_t *payload, size_t len, ow_error_t *err)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "0c6c7d0e-52b1-4c1e-8d1a-%012x", ++s_event_no);
    snprintf(ev.source, sizeof ev.source, "deadline");
    ev.seq = s_event_no;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = time_us;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = (uint8_t *)payload;
    ev.payload_len = len;
    ow_error_clear(err);
    return ow_test_event_apply(db, fn, NULL, &ev, err);
}

static void s_accept(ow_db_t *db, const char *case_no)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = "330100-01";
    c.department_code = "D01";
    c.centre_id = "330122000000";
    c.channel = "window";
    c.accepted_at_us = S_DECIDED - S_DAY;
    Onewindow__V1__CaseAccepted msg = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    msg.case_ = &c;
    uint8_t buf[512];
    size_t len = onewindow__v1__case_accepted__pack(&msg, buf);
    ow_error_t err;
    assert_int_equal(s_apply(db, evaluation_on_case_accepted, "case.accepted", case_no, S_DECIDED,
                             buf, len, &err),
                     0);
}

static void s_decide(ow_db_t *db, const char *case_no)
{
    Onewindow__V1__CaseDecided msg = ONEWINDOW__V1__CASE_DECIDED__INIT;
    msg.case_no = (char *)case_no;
    msg.outcome = "approved";
    msg.state = 11;
    msg.decided_at_us = S_DECIDED;
    uint8_t buf[256];
    size_t len = onewindow__v1__case_decided__pack(&msg, buf);
    ow_error_t err;
    assert_int_equal(
        s_apply(db, evaluation_on_case_decided, "case.decided", case_no, S_DECIDED, buf, len, &err),
        0);
}

static int s_rate(ow_db_t *db, const char *key, const char *case_no, int grade, int64_t now_us,
                  ow_error_t *err)
{
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.case_no = (char *)case_no;
    req.grade = grade;
    req.channel = "web";
    uint8_t buf[256], *reply = NULL;
    size_t len = onewindow__v1__rate_case__pack(&req, buf), reply_len = 0;
    int fresh = 0;
    ow_error_clear(err);
    int rc = rating_requests_rate(db, key, buf, len, now_us, &reply, &reply_len, &fresh, err);
    free(reply);
    return rc;
}

static int s_fire(ow_db_t *db, const char *owner, const char *kind, const char *case_no,
                  int64_t due_us, ow_error_t *err)
{
    char key[128];
    snprintf(key, sizeof key, "evaluation:%s:%s", kind, case_no);
    Onewindow__V1__Timer t = ONEWINDOW__V1__TIMER__INIT;
    t.timer_key = key;
    t.owner = (char *)owner;
    t.kind = (char *)kind;
    t.case_no = (char *)case_no;
    t.due_at_us = due_us;
    t.state = "fired";
    t.fired_at_us = due_us;
    uint8_t buf[512];
    size_t len = onewindow__v1__timer__pack(&t, buf);
    return s_apply(db, evaluation_on_timer_fired, "timer.fired", case_no, due_us, buf, len, err);
}

static long long s_long(ow_test_pg_t *pg, const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(pg)), sql);
}

/* §6: the case becomes rateable → an invitation at +3 days and a default at +7, once, either
 * event order; an undecided case asks for nothing; a rating turns both into cancels. */
static void test_timers_follow_the_case(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    s_accept(db, "T-1");
    assert_int_equal(s_long(pg, "SELECT count(*) FROM timer_commands WHERE case_no = '%s'", "T-1"),
                     0);
    s_decide(db, "T-1");
    s_decide(db, "T-1"); /* a second decision changes nothing */
    s_accept(db, "T-1");
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s'"
                            " AND op = 'schedule' AND NOT acked",
                            "T-1"),
                     2);
    assert_int_equal(s_long(pg,
                            "SELECT due_at_us FROM timer_commands"
                            " WHERE timer_key = 'evaluation:rating_invite:%s'",
                            "T-1"),
                     S_DECIDED + 3 * S_DAY);
    assert_int_equal(s_long(pg,
                            "SELECT due_at_us FROM timer_commands"
                            " WHERE timer_key = 'evaluation:rating_default:%s'",
                            "T-1"),
                     S_DECIDED + 7 * S_DAY);
    /* Decision first, acceptance later: the acceptance makes it rateable. */
    s_decide(db, "T-2");
    assert_int_equal(s_long(pg, "SELECT count(*) FROM timer_commands WHERE case_no = '%s'", "T-2"),
                     0);
    s_accept(db, "T-2");
    assert_int_equal(s_long(pg, "SELECT count(*) FROM timer_commands WHERE case_no = '%s'", "T-2"),
                     2);
    /* The sender has acknowledged them; a rating must still cancel them. */
    assert_int_equal(ow_db_run(db, "UPDATE timer_commands SET acked = true", &err), 0);
    assert_int_equal(s_rate(db, "k-t1", "T-1", 4, S_DECIDED + S_DAY, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s'"
                            " AND op = 'cancel' AND NOT acked",
                            "T-1"),
                     2);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s'"
                            " AND op = 'schedule'",
                            "T-2"),
                     2);
    /* Defaults off: only the invitation is asked for. */
    rating_window_t w = rating_window_defaults();
    w.default_enabled = false;
    ratings_set_window(&w);
    s_accept(db, "T-3");
    s_decide(db, "T-3");
    rating_window_t d = rating_window_defaults();
    ratings_set_window(&d);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM timer_commands WHERE case_no = '%s'", "T-3"),
                     1);
}

/* §6 late rating: open until decided + 7 days, closed at exactly 7 days (half-open), in both
 * evaluation.rate paths; nothing is written for a refused one. */
static void test_window_enforced(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    s_accept(db, "W-1");
    s_decide(db, "W-1");
    assert_int_equal(s_rate(db, "k-w1", "W-1", 5, S_DECIDED + 7 * S_DAY, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "window closed"));
    assert_int_equal(s_long(pg, "SELECT count(*) FROM ratings WHERE case_no = '%s'", "W-1"), 0);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM idempotency WHERE key = '%s'", "k-w1"), 0);
    assert_int_equal(s_rate(db, "k-w1b", "W-1", 5, S_DECIDED + 7 * S_DAY - 1, &err), 0);

    /* The batched path gives the same answer, the late one refused alone. */
    s_accept(db, "W-2");
    s_decide(db, "W-2");
    s_accept(db, "W-3");
    s_decide(db, "W-3");
    Onewindow__V1__RateCase req = ONEWINDOW__V1__RATE_CASE__INIT;
    req.grade = 4;
    req.channel = "app";
    uint8_t b2[128], b3[128];
    req.case_no = "W-2";
    size_t l2 = onewindow__v1__rate_case__pack(&req, b2);
    req.case_no = "W-3";
    size_t l3 = onewindow__v1__rate_case__pack(&req, b3);
    rating_batch_request_t reqs[] = {{"k-w2", b2, l2}, {"k-w3", b3, l3}};
    rating_batch_outcome_t out[2];
    /* W-2 was decided 8 days before this batch: its window has closed. */
    assert_int_equal(ow_db_run(db,
                               "UPDATE served_cases SET decided_at_us = decided_at_us - 8 *"
                               " 86400000000 WHERE case_no = 'W-2'",
                               &err),
                     0);
    assert_int_equal(rating_batch_record(db, NULL, reqs, 2, S_DECIDED + S_DAY, out, &err), 0);
    assert_null(out[0].reply);
    assert_int_equal(out[0].err.code, OW_FAILED_PRECONDITION);
    assert_non_null(out[1].reply);
    assert_true(out[1].fresh);
    free(out[1].reply);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM ratings WHERE case_no = '%s'", "W-2"), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s'"
                            " AND op = 'cancel'",
                            "W-3"),
                     2);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM timer_commands WHERE case_no = '%s'"
                            " AND op = 'cancel'",
                            "W-2"),
                     0);
}

/* timer.fired: the invitation for an unrated case only, once per event; the default
 * 基本满意 marked as a default, counted apart, once; other owners' timers ignored. */
static void test_fired_timers(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    s_accept(db, "F-1");
    s_decide(db, "F-1");
    assert_int_equal(
        s_fire(db, "evaluation", TIMER_RATING_INVITE, "F-1", S_DECIDED + 3 * S_DAY, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM outbox WHERE case_no = '%s'"
                            " AND type = 'rating.invitation_due'",
                            "F-1"),
                     1);
    PGresult *res = PQexec(ow_db_conn(db), "SELECT payload FROM outbox WHERE case_no = 'F-1'"
                                           " AND type = 'rating.invitation_due'");
    size_t blen = 0;
    unsigned char *bytes = PQunescapeBytea((unsigned char *)PQgetvalue(res, 0, 0), &blen);
    Onewindow__V1__RatingInvitation *inv =
        onewindow__v1__rating_invitation__unpack(NULL, blen, bytes);
    assert_non_null(inv);
    assert_string_equal(inv->case_no, "F-1");
    assert_string_equal(inv->centre_id, "330122000000");
    assert_int_equal(inv->decided_at_us, S_DECIDED);
    assert_int_equal(inv->rate_until_us, S_DECIDED + 7 * S_DAY);
    assert_int_equal(inv->default_at_us, S_DECIDED + 7 * S_DAY);
    onewindow__v1__rating_invitation__free_unpacked(inv, NULL);
    PQfreemem(bytes);
    PQclear(res);

    /* Someone else's timer, and a payload that is not a Timer. */
    assert_int_equal(s_fire(db, "intake", TIMER_RATING_DEFAULT, "F-1", S_DECIDED + 7 * S_DAY, &err),
                     0);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM ratings WHERE case_no = '%s'", "F-1"), 0);
    uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(s_apply(db, evaluation_on_timer_fired, "timer.fired", "F-1", S_DECIDED, junk,
                             sizeof junk, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    /* The default: grade 3, is_default, no channel, into the roll-ups as a default. */
    long long defaults_before = ow_test_pg_long(
        ow_db_conn(db), "SELECT coalesce(sum(defaults), 0) FROM rollups WHERE dimension = 'all'"
                        " AND period = 'year'");
    assert_int_equal(
        s_fire(db, "evaluation", TIMER_RATING_DEFAULT, "F-1", S_DECIDED + 7 * S_DAY, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM ratings WHERE case_no = '%s' AND is_default"
                            " AND grade = 3 AND channel = '' AND NOT is_bad",
                            "F-1"),
                     1);
    assert_int_equal(s_long(pg, "SELECT rated_at_us FROM ratings WHERE case_no = '%s'", "F-1"),
                     S_DECIDED + 7 * S_DAY);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db),
                                     "SELECT coalesce(sum(defaults), 0) FROM rollups"
                                     " WHERE dimension = 'all' AND period = 'year'"),
                     defaults_before + 1);
    assert_int_equal(ow_test_pg_long(ow_db_conn(db),
                                     "SELECT count(*) FROM rollups WHERE dimension = 'channel'"
                                     " AND key = ''"),
                     0);
    res = PQexec(ow_db_conn(db), "SELECT payload FROM outbox WHERE case_no = 'F-1'"
                                 " AND type = 'rating.recorded'");
    assert_int_equal(PQntuples(res), 1);
    bytes = PQunescapeBytea((unsigned char *)PQgetvalue(res, 0, 0), &blen);
    Onewindow__V1__Rating *r = onewindow__v1__rating__unpack(NULL, blen, bytes);
    assert_non_null(r);
    assert_true(r->is_default);
    assert_int_equal(r->grade, 3);
    onewindow__v1__rating__free_unpacked(r, NULL);
    PQfreemem(bytes);
    PQclear(res);
    /* Fired again (another event for the same timer): one rating per service still. */
    assert_int_equal(
        s_fire(db, "evaluation", TIMER_RATING_DEFAULT, "F-1", S_DECIDED + 7 * S_DAY, &err), 0);
    assert_int_equal(s_long(pg, "SELECT count(*) FROM ratings WHERE case_no = '%s'", "F-1"), 1);
    /* A late invitation for a case now rated: nothing. */
    assert_int_equal(
        s_fire(db, "evaluation", TIMER_RATING_INVITE, "F-1", S_DECIDED + 8 * S_DAY, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM outbox WHERE case_no = '%s'"
                            " AND type = 'rating.invitation_due'",
                            "F-1"),
                     1);

    /* A case the rater rated in time gets no default. */
    s_accept(db, "F-2");
    s_decide(db, "F-2");
    assert_int_equal(s_rate(db, "k-f2", "F-2", 1, S_DECIDED + 6 * S_DAY, &err), 0);
    assert_int_equal(
        s_fire(db, "evaluation", TIMER_RATING_DEFAULT, "F-2", S_DECIDED + 7 * S_DAY, &err), 0);
    assert_int_equal(s_long(pg,
                            "SELECT count(*) FROM ratings WHERE case_no = '%s' AND NOT is_default"
                            " AND grade = 1",
                            "F-2"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_follow_the_case),
        cmocka_unit_test(test_window_enforced),
        cmocka_unit_test(test_fired_timers),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
