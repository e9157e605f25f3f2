/* A case that ends before a decision (case.withdrawn, case.terminated) against a real
 * PostgreSQL (OW_TEST_DATABASE_URL): every clock of the case stops with the reason, a card it
 * showed is cleared and none follows, a repeat or a later decision changes nothing, the end
 * applied before case.accepted or stage.started makes those clocks start stopped, and the
 * supervision statistics count the case as ended early — never decided, late or overdue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "calendar_store.h"
#include "case_events.h"
#include "clocks.h"
#include "deadline_context.h"
#include "limits.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_inbox.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "supervision.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

static deadline_context_t s_ctx;
static ow_test_pg_t *s_scratch;

#define S_EVENT "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001"
#define S_YEAR  (366 * 86400000000LL)

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
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    s_scratch = ow_test_pg_new("owtest_deadline_ends_", "deadline-test", &err);
    if (!s_scratch || ow_migrate(ow_test_pg_db(s_scratch), deadline_core_migrations,
                                 deadline_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&s_scratch);
        return -1;
    }
    s_ctx.db = ow_test_pg_db(s_scratch);
    s_ctx.thresholds = (deadline_thresholds_t)DEADLINE_THRESHOLDS_DEFAULT;
    if (clocks_prepare(s_ctx.db, &err) != 0 || supervision_prepare(s_ctx.db, &err) != 0 ||
        calendar_store_prepare(s_ctx.db, &err) != 0 || calendar_store_seed(s_ctx.db, &err) != 0 ||
        calendar_store_reload(&s_ctx, &err) != 1) {
        fprintf(stderr, "prepare / calendars: %s\n", err.message);
        ow_test_pg_destroy(&s_scratch);
        return -1;
    }
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    ow_test_pg_destroy(&s_scratch);
    deadline_calendar_destroy(&s_ctx.cal);
    return 0;
}

static long s_count(const char *sql_fmt, const char *case_no)
{
    char sql[512];
    snprintf(sql, sizeof sql, sql_fmt, case_no);
    return ow_test_pg_long(ow_db_conn(s_ctx.db), sql);
}

static long s_events(const char *type, const char *case_no)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE type = '%s' AND case_no = '%%s'",
             type);
    return s_count(sql, case_no);
}

/* Every deadline.* event of the case: what a consumer (notifyd) could react to. */
static long s_all_events(const char *case_no)
{
    return s_count("SELECT count(*) FROM outbox WHERE case_no = '%s'", case_no);
}

static deadline_clock_t s_get(const char *case_no, const char *stage)
{
    ow_error_t err;
    ow_error_clear(&err);
    deadline_clock_t c;
    assert_int_equal(clocks_get(s_ctx.db, case_no, stage, &c, &err), 0);
    return c;
}

static int s_fire(int64_t now)
{
    ow_error_t err;
    ow_error_clear(&err);
    int n = clocks_fire_cards(&s_ctx, now, 100, NULL, &err);
    assert_true(n >= 0);
    return n;
}

/* Packs msg as an event of source, type and case, and applies it with handler in its own
 * transaction, as the inbox would. */
static int s_apply(ow_inbox_apply_fn *fn, const char *source, const char *type, const char *case_no,
                   const ProtobufCMessage *msg, ow_error_t *err)
{
    uint8_t buf[8192];
    assert_true(!msg || protobuf_c_message_get_packed_size(msg) <= sizeof buf);
    size_t len = msg ? protobuf_c_message_pack(msg, buf) : 0;
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "6f1c1b52-3f0e-4a7c-9a43-%012ld",
             (long)(random() % 1000000000));
    snprintf(ev.source, sizeof ev.source, "%s", source);
    ev.seq = 1;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = s_local(2026, 11, 23, 9, 0);
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = buf;
    ev.payload_len = len;
    ow_error_clear(err);
    assert_int_equal(ow_db_begin(s_ctx.db, err), 0);
    int rc = fn(s_ctx.db, &ev, &s_ctx, err);
    if (rc == 0)
        assert_int_equal(ow_db_commit(s_ctx.db, err), 0);
    else
        ow_db_rollback(s_ctx.db);
    return rc;
}

/* intake's case.accepted for case_no in item, accepted at `at`. */
static int s_accept(const char *case_no, const char *item, int64_t at, int32_t limit)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.centre_id = "330122000000";
    c.item_code = (char *)item;
    c.department_code = "D01";
    c.accepted_at_us = at;
    c.promised_limit = limit;
    c.legal_limit = 20;
    c.limit_unit = "working_days";
    Onewindow__V1__CaseAccepted a = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    a.case_ = &c;
    ow_error_t err;
    return s_apply(deadline_on_case_accepted, "intake", "case.accepted", case_no, &a.base, &err);
}

/* intake's case.withdrawn / case.terminated (CaseChanged) for case_no, ended at `at`. */
static int s_end(const char *type, const char *case_no, int64_t at, const char *reason,
                 ow_error_t *err)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.centre_id = "330122000000";
    c.state = strcmp(type, "case.withdrawn") == 0 ? 14 : 13;
    c.closed_reason = (char *)reason;
    Onewindow__V1__Document d = ONEWINDOW__V1__DOCUMENT__INIT;
    d.case_no = (char *)case_no;
    d.kind = strcmp(type, "case.withdrawn") == 0 ? "withdrawal" : "termination";
    d.issued_at_us = at;
    Onewindow__V1__CaseChanged cc = ONEWINDOW__V1__CASE_CHANGED__INIT;
    cc.case_ = &c;
    cc.document = &d;
    cc.previous_state = 3;
    return s_apply(deadline_on_case_ended, "intake", type, case_no, &cc.base, err);
}

static int s_stage(ow_inbox_apply_fn *fn, const char *type, const char *case_no, const char *stage,
                   int64_t at)
{
    Onewindow__V1__StageEvent st = ONEWINDOW__V1__STAGE_EVENT__INIT;
    st.case_no = (char *)case_no;
    st.stage = (char *)stage;
    st.limit = 2;
    st.unit = "working_days";
    st.at_us = at;
    st.department_code = "D02";
    ow_error_t err;
    return s_apply(fn, "routing", type, case_no, &st.base, &err);
}

/* Withdrawal while the case and a stage run, the case showing a yellow card: both stop with
 * the reason, the card is cleared, nothing is raised afterwards, and a repeat, a late
 * decision or a late stage.completed change nothing. */
static void test_withdrawal_stops_every_clock(void **state)
{
    (void)state;
    const char *no = "33012220261123200001";
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    assert_int_equal(s_accept(no, "I-END", mon, 3), 0);
    assert_int_equal(s_stage(deadline_on_stage_started, "stage.started", no, "审查", mon), 0);
    /* 3 working days: yellow at the end of Wed 25 Nov (1 day left). */
    s_fire(s_local(2026, 11, 26, 9, 0));
    assert_string_equal(s_get(no, "").card, "yellow");
    long cards_before = s_events("deadline.yellow", no) + s_events("deadline.red", no);

    int64_t withdrawn = s_local(2026, 11, 26, 10, 0);
    ow_error_t err;
    assert_int_equal(s_end("case.withdrawn", no, withdrawn, "申请人撤回", &err), 0);
    deadline_clock_t c = s_get(no, ""), st = s_get(no, "审查");
    assert_string_equal(c.state, "stopped");
    assert_string_equal(c.stop_reason, "withdrawn");
    assert_string_equal(c.card, "none");
    assert_int_equal(c.stopped_at_us, withdrawn);
    assert_string_equal(st.state, "stopped");
    assert_string_equal(st.stop_reason, "withdrawn");
    assert_int_equal(s_events("deadline.stopped", no), 2);
    assert_true(s_events("deadline.cleared", no) >= 1);
    assert_int_equal(s_count("SELECT count(*) FROM case_outcomes WHERE case_no = '%s'"
                             " AND kind = 'withdrawn' AND reason = '申请人撤回'",
                             no),
                     1);

    /* No card ever again, however late it gets. */
    long events = s_all_events(no);
    s_fire(withdrawn + S_YEAR);
    assert_int_equal(s_events("deadline.yellow", no) + s_events("deadline.red", no), cards_before);

    /* The same event again, a decision routing made meanwhile, the stage's completion. */
    assert_int_equal(s_end("case.withdrawn", no, withdrawn + 5, "again", &err), 0);
    assert_int_equal(s_end("case.terminated", no, withdrawn + 6, "", &err), 0);
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(
        clocks_stop(&s_ctx, no, "approved", withdrawn + 7, S_EVENT, withdrawn + 7, &err), 0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    assert_int_equal(
        s_stage(deadline_on_stage_completed, "stage.completed", no, "审查", withdrawn + 8), 0);
    assert_int_equal(s_all_events(no), events);
    c = s_get(no, "");
    assert_string_equal(c.stop_reason, "withdrawn");
    assert_int_equal(c.stopped_at_us, withdrawn);
}

/* intake's end applied before the acceptance reaches deadlined, and routing's stage.started
 * after it (two sources replayed independently): the clocks are created stopped, with the
 * end's reason, and never raise a card. */
static void test_end_before_the_clocks(void **state)
{
    (void)state;
    const char *no = "33012220261123200002";
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    int64_t ended = s_local(2026, 11, 27, 17, 0);
    ow_error_t err;
    assert_int_equal(s_end("case.terminated", no, ended, "容缺材料逾期未补齐", &err), 0);
    assert_int_equal(s_all_events(no), 0);

    assert_int_equal(s_accept(no, "I-END", mon, 2), 0);
    deadline_clock_t c = s_get(no, "");
    assert_string_equal(c.state, "stopped");
    assert_string_equal(c.stop_reason, "terminated");
    assert_int_equal(c.stopped_at_us, ended);

    /* A stage that routing started after the end: stopped at its own start. */
    int64_t stage_at = s_local(2026, 11, 30, 9, 0);
    assert_int_equal(s_stage(deadline_on_stage_started, "stage.started", no, "决定", stage_at), 0);
    deadline_clock_t st = s_get(no, "决定");
    assert_string_equal(st.state, "stopped");
    assert_string_equal(st.stop_reason, "terminated");
    assert_int_equal(st.stopped_at_us, stage_at);
    /* ...and one started before it: stopped at the end. */
    assert_int_equal(s_stage(deadline_on_stage_started, "stage.started", no, "审查", mon), 0);
    assert_int_equal(s_get(no, "审查").stopped_at_us, ended);

    assert_int_equal(s_events("deadline.started", no), 3);
    assert_int_equal(s_events("deadline.stopped", no), 3);
    s_fire(ended + S_YEAR);
    assert_int_equal(s_events("deadline.yellow", no) + s_events("deadline.red", no), 0);
    assert_int_equal(s_all_events(no), 6);
}

/* routing's decision applied before intake's withdrawal (intake refused that decision: the
 * case was withdrawn first): the clock stays stopped where it was, but its reason becomes the
 * withdrawal. */
static void test_end_after_a_decision_seen_first(void **state)
{
    (void)state;
    const char *no = "33012220261123200003";
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    assert_int_equal(s_accept(no, "I-END", mon, 5), 0);
    ow_error_t err;
    ow_error_clear(&err);
    int64_t decided = s_local(2026, 11, 24, 9, 0);
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(clocks_stop(&s_ctx, no, "approved", decided, S_EVENT, decided, &err), 0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    assert_string_equal(s_get(no, "").stop_reason, "decided");
    long events = s_all_events(no);
    assert_int_equal(s_end("case.withdrawn", no, decided - 60000000, "", &err), 0);
    deadline_clock_t c = s_get(no, "");
    assert_string_equal(c.stop_reason, "withdrawn");
    assert_int_equal(c.stopped_at_us, decided);
    assert_int_equal(s_all_events(no), events);
}

/* Payloads that are not an end: poison, nothing written. */
static void test_bad_payloads(void **state)
{
    (void)state;
    ow_error_t err;
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.type, sizeof ev.type, "case.withdrawn");
    ev.payload = junk;
    ev.payload_len = sizeof junk;
    ow_error_clear(&err);
    assert_int_equal(deadline_on_case_ended(s_ctx.db, &ev, &s_ctx, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    Onewindow__V1__CaseChanged empty = ONEWINDOW__V1__CASE_CHANGED__INIT;
    assert_int_equal(
        s_apply(deadline_on_case_ended, "intake", "case.withdrawn", "X", &empty.base, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no case"));

    /* The envelope names another case. */
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = "33012220261123200008";
    Onewindow__V1__CaseChanged cc = ONEWINDOW__V1__CASE_CHANGED__INIT;
    cc.case_ = &c;
    assert_int_equal(
        s_apply(deadline_on_case_ended, "intake", "case.withdrawn", "OTHER", &cc.base, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "envelope"));
    /* A type this handler does not know. */
    c.case_no = "33012220261123200007";
    assert_int_equal(s_apply(deadline_on_case_ended, "intake", "case.received",
                             "33012220261123200007", &cc.base, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* An over-long reason. */
    char *long_reason = malloc(CLOCK_END_REASON_MAX + 2);
    memset(long_reason, 'x', CLOCK_END_REASON_MAX + 1);
    long_reason[CLOCK_END_REASON_MAX + 1] = '\0';
    assert_int_equal(s_end("case.withdrawn", "33012220261123200007", 1, long_reason, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "closed_reason"));
    free(long_reason);
    assert_int_equal(
        s_count("SELECT count(*) FROM case_outcomes WHERE case_no = '%s'", "33012220261123200007"),
        0);
}

/* Supervision: of four cases of one item accepted in March — decided in time, withdrawn,
 * terminated after its due time, still open past due — one is decided (on time), two ended
 * early, and only the open one is overdue. */
static void test_statistics_count_ended_early(void **state)
{
    (void)state;
    int64_t mar = s_local(2026, 3, 2, 9, 0);
    const char *nos[] = {"E-DECIDED", "E-WITHDRAWN", "E-TERMINATED", "E-OPEN"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(s_accept(nos[i], "ENDS-ITEM", mar, 5), 0);
    s_fire(s_local(2026, 3, 20, 9, 0)); /* all four red */
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(
        clocks_stop(&s_ctx, "E-DECIDED", "approved", s_local(2026, 3, 4, 9, 0), S_EVENT, mar, &err),
        0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    assert_int_equal(s_end("case.withdrawn", "E-WITHDRAWN", s_local(2026, 3, 20, 10, 0), "", &err),
                     0);
    assert_int_equal(
        s_end("case.terminated", "E-TERMINATED", s_local(2026, 3, 20, 11, 0), "", &err), 0);
    assert_string_equal(s_get("E-TERMINATED", "").card, "none");

    char from[24], to[24], now[24];
    snprintf(from, sizeof from, "%lld", (long long)s_local(2026, 3, 1, 0, 0));
    snprintf(to, sizeof to, "%lld", (long long)s_local(2026, 4, 1, 0, 0));
    snprintf(now, sizeof now, "%lld", (long long)s_local(2026, 4, 1, 0, 0));
    const char *params[] = {"item", from, to, "", "", "ENDS-ITEM", now, "100"};
    PGresult *res = ow_db_exec(s_ctx.db, "deadline_statistics", 7, params, &err);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 1), "4"); /* accepted */
    assert_string_equal(PQgetvalue(res, 0, 2), "1"); /* decided */
    assert_string_equal(PQgetvalue(res, 0, 3), "1"); /* on time */
    assert_string_equal(PQgetvalue(res, 0, 4), "0"); /* late */
    assert_string_equal(PQgetvalue(res, 0, 5), "1"); /* open overdue */
    assert_string_equal(PQgetvalue(res, 0, 8), "2"); /* ended early */
    PQclear(res);
    res = ow_db_exec(s_ctx.db, "deadline_overdue", 8, params, &err);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), "E-OPEN");
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_withdrawal_stops_every_clock),
        cmocka_unit_test(test_end_before_the_clocks),
        cmocka_unit_test(test_end_after_a_decision_seen_first),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_statistics_count_ended_early),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
