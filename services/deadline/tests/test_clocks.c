/* Tests of the clock table against a real PostgreSQL (OW_TEST_DATABASE_URL): starting and
 * stopping clocks, the red-card scan firing exactly once, a decision that arrives before the
 * acceptance, and the case.accepted / case.decided handlers on real payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <unistd.h>

#include "case_events.h"
#include "clock_requests.h"
#include "clocks.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "working_days.h"
#include "calendar_store.h"
#include "deadline_context.h"
#include "limits.h"
#include "supervision.h"
#include "thresholds.h"

/* The shipped calendars, as deadlined loads them (s_setup). */
static deadline_context_t s_ctx;

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

static int64_t s_local(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return ((int64_t)timegm(&tm) - 8 * 3600) * 1000000;
}

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *scratch = ow_test_pg_new("owtest_deadline_", "deadline-test", &err);
    if (!scratch || ow_migrate(ow_test_pg_db(scratch), deadline_core_migrations,
                               deadline_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&scratch);
        return -1;
    }
    s_ctx.db = ow_test_pg_db(scratch);
    s_ctx.thresholds = (deadline_thresholds_t)DEADLINE_THRESHOLDS_DEFAULT;
    if (clocks_prepare(s_ctx.db, &err) != 0 || supervision_prepare(s_ctx.db, &err) != 0 ||
        calendar_store_prepare(s_ctx.db, &err) != 0 || calendar_store_seed(s_ctx.db, &err) != 0 ||
        calendar_store_reload(&s_ctx, &err) != 1) {
        fprintf(stderr, "clocks_prepare / calendars: %s\n", err.message);
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
    deadline_calendar_destroy(&s_ctx.cal);
    return 0;
}

static clock_start_t s_start(const char *case_no, int64_t accepted_us, int32_t limit,
                             const char *unit)
{
    clock_start_t s = {
        .case_no = case_no,
        .centre_id = "330122000000",
        .item_code = "330100-01",
        .department_code = "D01",
        .accepted_at_us = accepted_us,
        .limit = limit,
        .unit = unit,
        .legal_limit = 20,
        .event_id = "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001",
    };
    return s;
}

/* Runs clocks_start in its own transaction; returns its result, err filled. */
static int s_start_tx(ow_db_t *db, const clock_start_t *s, int64_t now, ow_error_t *err)
{
    ow_error_clear(err);
    assert_int_equal(ow_db_begin(db, err), 0);
    int rc = clocks_start(&s_ctx, s, now, err);
    if (rc == 0)
        assert_int_equal(ow_db_commit(db, err), 0);
    else
        ow_db_rollback(db);
    return rc;
}

static void s_stop_tx(ow_db_t *db, const char *case_no, int64_t decided_at, int64_t now)
{
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(clocks_stop(&s_ctx, case_no, "approved", decided_at,
                                 "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0002", now, &err),
                     0);
    assert_int_equal(ow_db_commit(db, &err), 0);
}

static long long s_events(ow_test_pg_t *scratch, const char *type, const char *case_no)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE type = '%s' AND case_no = '%s'",
             type, case_no);
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)), sql);
}

/* The red card: nothing before the due time, exactly one event at it, none after. */
static void test_expiry_scan_fires_once(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    int64_t friday = s_local(2026, 11, 20, 16, 0);
    clock_start_t s = s_start("C-RED", friday, 1, "working_days");
    assert_int_equal(s_start_tx(db, &s, friday, &err), 0);
    assert_int_equal(s_events(scratch, "deadline.started", "C-RED"), 1);

    deadline_clock_t clock;
    assert_int_equal(clocks_get(db, "C-RED", "", &clock, &err), 0);
    assert_string_equal(clock.state, "running");
    int64_t due = s_local(2026, 11, 24, 0, 0); /* end of Monday 23 Nov */
    assert_int_equal(clock.due_at_us, due);
    assert_int_equal(clock.limit, 1);
    assert_string_equal(clock.unit, "working_days");

    ow_error_clear(&err);
    /* 1 working day: yellow at once (the end of the acceptance day), red at the due time. */
    assert_int_equal(clocks_fire_cards(&s_ctx, due - 1, 100, NULL, &err), 1);
    assert_int_equal(s_events(scratch, "deadline.yellow", "C-RED"), 1);
    assert_int_equal(s_events(scratch, "deadline.red", "C-RED"), 0);
    assert_int_equal(clocks_fire_cards(&s_ctx, due, 100, NULL, &err), 1);
    assert_int_equal(s_events(scratch, "deadline.red", "C-RED"), 1);
    assert_int_equal(clocks_fire_cards(&s_ctx, due + 1, 100, NULL, &err), 0);
    assert_int_equal(clocks_fire_cards(&s_ctx, due + 86400000000LL * 30, 100, NULL, &err), 0);
    assert_int_equal(s_events(scratch, "deadline.red", "C-RED"), 1);

    assert_int_equal(clocks_get(db, "C-RED", "", &clock, &err), 0);
    assert_string_equal(clock.state, "expired");
    assert_int_equal(clock.red_at_us, due);
    assert_int_equal(clocks_remaining_working_days(s_ctx.cal, &clock, due), -1);

    /* The red event carries the clock as it was when it went red. */
    PGresult *res = PQexec(ow_db_conn(db), "SELECT payload FROM outbox WHERE type = "
                                           "'deadline.red' AND case_no = 'C-RED'");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    size_t len = 0;
    unsigned char *bytes = PQunescapeBytea((unsigned char *)PQgetvalue(res, 0, 0), &len);
    Onewindow__V1__Clock *msg = onewindow__v1__clock__unpack(NULL, len, bytes);
    assert_non_null(msg);
    assert_string_equal(msg->case_no, "C-RED");
    assert_string_equal(msg->state, "expired");
    assert_int_equal(msg->due_at_us, due);
    assert_int_equal(msg->remaining_working_days, -1);
    onewindow__v1__clock__free_unpacked(msg, NULL);
    PQfreemem(bytes);
    PQclear(res);

    /* A late decision stops the expired clock; the red card stays on record. */
    s_stop_tx(db, "C-RED", due + 3600000000LL, due + 3600000000LL);
    assert_int_equal(clocks_get(db, "C-RED", "", &clock, &err), 0);
    assert_string_equal(clock.state, "stopped");
    assert_int_equal(clock.red_at_us, due);
    assert_int_equal(s_events(scratch, "deadline.stopped", "C-RED"), 1);
}

/* A case decided in time never goes red, and a second stop changes nothing. */
static void test_stopped_clock_never_expires(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    int64_t monday = s_local(2026, 11, 23, 9, 0);
    clock_start_t s = s_start("C-INTIME", monday, 3, "working_days");
    assert_int_equal(s_start_tx(db, &s, monday, &err), 0);
    int64_t decided = s_local(2026, 11, 24, 10, 0);
    s_stop_tx(db, "C-INTIME", decided, decided);
    s_stop_tx(db, "C-INTIME", decided + 1, decided + 1);
    assert_int_equal(s_events(scratch, "deadline.stopped", "C-INTIME"), 1);

    deadline_clock_t clock;
    assert_int_equal(clocks_get(db, "C-INTIME", "", &clock, &err), 0);
    assert_string_equal(clock.state, "stopped");
    assert_int_equal(clock.stopped_at_us, decided);
    /* Frozen at the stop: Wed and Thu were left. */
    assert_int_equal(clocks_remaining_working_days(s_ctx.cal, &clock, s_local(2027, 1, 1, 0, 0)),
                     2);
    assert_true(clocks_fire_cards(&s_ctx, s_local(2027, 1, 1, 0, 0), 100, NULL, &err) >= 0);
    assert_int_equal(s_events(scratch, "deadline.red", "C-INTIME"), 0);

    /* A repeated acceptance leaves the clock alone and emits nothing. */
    assert_int_equal(s_start_tx(db, &s, monday, &err), 0);
    assert_int_equal(s_events(scratch, "deadline.started", "C-INTIME"), 1);
}

/* Routing's case.decided applied before intake's case.accepted: the clock starts stopped. */
static void test_decision_before_acceptance(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    int64_t accepted = s_local(2026, 11, 23, 9, 0);
    int64_t decided = s_local(2026, 11, 23, 15, 0);
    s_stop_tx(db, "C-EARLY", decided, decided);
    assert_int_equal(s_events(scratch, "deadline.stopped", "C-EARLY"), 0);
    clock_start_t s = s_start("C-EARLY", accepted, 5, "natural_days");
    assert_int_equal(s_start_tx(db, &s, decided + 1, &err), 0);
    deadline_clock_t clock;
    assert_int_equal(clocks_get(db, "C-EARLY", "", &clock, &err), 0);
    assert_string_equal(clock.state, "stopped");
    assert_int_equal(clock.stopped_at_us, decided);
    assert_int_equal(clock.due_at_us, s_local(2026, 11, 29, 0, 0));
    assert_int_equal(s_events(scratch, "deadline.started", "C-EARLY"), 1);
    assert_int_equal(s_events(scratch, "deadline.stopped", "C-EARLY"), 1);
}

static void test_bad_input_and_unknown_case(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    clock_start_t s = s_start("C-BAD", s_local(2026, 11, 23, 9, 0), 5, "fortnights");
    assert_int_equal(s_start_tx(db, &s, 0, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "fortnights"));
    s = s_start("C-BAD", s_local(2026, 11, 23, 9, 0), -3, "working_days");
    assert_int_equal(s_start_tx(db, &s, 0, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "promised_limit"));

    deadline_clock_t clock;
    ow_error_clear(&err);
    assert_int_equal(clocks_get(db, "C-BAD", "", &clock, &err), -1);
    assert_int_equal(err.code, OW_NOT_FOUND);
    assert_int_equal(ow_test_pg_long(ow_db_conn(ow_test_pg_db(scratch)),
                                     "SELECT count(*) FROM clocks WHERE case_no = "
                                     "'C-BAD'"),
                     0);
}

static ow_event_t s_event(const char *type, const char *case_no, uint8_t *payload, size_t len)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0abc");
    snprintf(ev.source, sizeof ev.source, "intake");
    ev.seq = 7;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = s_local(2026, 11, 23, 9, 0);
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = payload;
    ev.payload_len = len;
    return ev;
}

/* The inbox handlers on real payloads, and on bytes that are not one. */
static void test_event_handlers(void **state)
{
    ow_test_pg_t *scratch = *state;
    ow_db_t *db = ow_test_pg_db(scratch);
    ow_error_t err;
    ow_error_clear(&err);

    Onewindow__V1__CaseSummary summary = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    summary.case_no = "33012220261123100001";
    summary.centre_id = "330122000000";
    summary.item_code = "330100-01";
    summary.department_code = "D01";
    summary.accepted_at_us = s_local(2026, 11, 23, 9, 0);
    summary.promised_limit = 20;
    summary.limit_unit = "working_days";
    Onewindow__V1__CaseAccepted accepted = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    accepted.case_ = &summary;
    uint8_t buf[512];
    size_t len = onewindow__v1__case_accepted__pack(&accepted, buf);
    ow_event_t ev = s_event("case.accepted", summary.case_no, buf, len);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deadline_on_case_accepted(db, &ev, &s_ctx, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    deadline_clock_t clock;
    assert_int_equal(clocks_get(db, summary.case_no, "", &clock, &err), 0);
    assert_string_equal(clock.state, "running");
    /* Mon 23 Nov + 20 working days: last day Mon 21 Dec. */
    assert_int_equal(clock.due_at_us, s_local(2026, 12, 22, 0, 0));

    Onewindow__V1__CaseDecided decided = ONEWINDOW__V1__CASE_DECIDED__INIT;
    decided.case_no = summary.case_no;
    decided.outcome = "refused";
    decided.state = 13;
    decided.decided_at_us = s_local(2026, 11, 25, 11, 0);
    len = onewindow__v1__case_decided__pack(&decided, buf);
    ev = s_event("case.decided", summary.case_no, buf, len);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deadline_on_case_decided(db, &ev, &s_ctx, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(clocks_get(db, summary.case_no, "", &clock, &err), 0);
    assert_string_equal(clock.state, "stopped");
    assert_int_equal(clock.stopped_at_us, decided.decided_at_us);

    /* Garbage, a case with no case, and a payload naming another case: poison, not crash. */
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    ev = s_event("case.accepted", "X", junk, sizeof junk);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deadline_on_case_accepted(db, &ev, &s_ctx, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    ow_db_rollback(db);

    Onewindow__V1__CaseAccepted empty = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    len = onewindow__v1__case_accepted__pack(&empty, buf);
    ev = s_event("case.accepted", "X", buf, len);
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deadline_on_case_accepted(db, &ev, &s_ctx, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no case"));
    ow_db_rollback(db);

    len = onewindow__v1__case_accepted__pack(&accepted, buf);
    ev = s_event("case.accepted", "ANOTHER-CASE", buf, len);
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deadline_on_case_accepted(db, &ev, &s_ctx, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "envelope"));
    ow_db_rollback(db);
}

/* deadline.get_clock over a real ROUTER/DEALER pair on one loop (ipc:// in a private
 * directory): the reply decodes as CaseClockReply; unknown cases and junk get their codes. */
static void test_get_clock_over_the_socket(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    char dir[80];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/owtest_deadline_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char endpoint[160], path[128];
    snprintf(path, sizeof path, "%s/deadline.sock", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    ow_rpc_server_t *server = ow_rpc_server_new(loop, endpoint, &err);
    assert_non_null(server);
    ow_rpc_server_handle(server, "deadline.get_clock", clock_requests_get_clock, &s_ctx);
    ow_rpc_client_t *client = ow_rpc_client_new(loop, endpoint, &err);
    assert_non_null(client);

    Onewindow__V1__GetClock req = ONEWINDOW__V1__GET_CLOCK__INIT;
    req.case_no = "C-RED"; /* expired, then stopped late, by test_expiry_scan_fires_once */
    uint8_t buf[128];
    size_t len = onewindow__v1__get_clock__pack(&req, buf);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.get_clock", NULL, buf, len, 5000, &out,
                                          &out_len, &err),
                     OW_OK);
    Onewindow__V1__CaseClockReply *reply =
        onewindow__v1__case_clock_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_non_null(reply->clock);
    assert_string_equal(reply->clock->case_no, "C-RED");
    assert_string_equal(reply->clock->state, "stopped");
    assert_string_equal(reply->clock->unit, "working_days");
    assert_int_equal(reply->clock->due_at_us, s_local(2026, 11, 24, 0, 0));
    onewindow__v1__case_clock_reply__free_unpacked(reply, NULL);
    free(out);
    out = NULL;

    req.case_no = "C-NOBODY";
    len = onewindow__v1__get_clock__pack(&req, buf);
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.get_clock", NULL, buf, len, 5000, &out,
                                          &out_len, &err),
                     OW_NOT_FOUND);
    free(out);
    out = NULL;
    req.case_no = "";
    len = onewindow__v1__get_clock__pack(&req, buf);
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.get_clock", NULL, buf, len, 5000, &out,
                                          &out_len, &err),
                     OW_INVALID_ARGUMENT);
    free(out);
    out = NULL;
    uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.get_clock", NULL, junk, sizeof junk,
                                          5000, &out, &out_len, &err),
                     OW_INVALID_ARGUMENT);
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
        cmocka_unit_test(test_expiry_scan_fires_once),
        cmocka_unit_test(test_stopped_clock_never_expires),
        cmocka_unit_test(test_decision_before_acceptance),
        cmocka_unit_test(test_bad_input_and_unknown_case),
        cmocka_unit_test(test_event_handlers),
        cmocka_unit_test(test_get_clock_over_the_socket),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
