/* Tests of issue 5's second half against a real PostgreSQL (OW_TEST_DATABASE_URL): routing's
 * clock events (suspension, resumption, extension within and beyond art. 42, stage clocks)
 * recomputing due times from the stored intervals; yellow, red and cleared cards raised once
 * each and in the order they fell due; per-item thresholds; the supervision statistics; and
 * the pure card rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "calendar_store.h"
#include "case_events.h"
#include "clocks.h"
#include "deadline_context.h"
#include "expiry_scan.h"
#include "limits.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_inbox.h"
#include "ow_migrate.h"
#include "ow_rpc.h"
#include "ow_test_pg.h"
#include "supervision.h"
#include "thresholds.h"
#include "timers.h"
#include "working_days.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

static deadline_context_t s_ctx;
static ow_test_pg_t *s_scratch;

#define S_DAY_US 86400000000LL
#define S_EVENT  "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001"

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
    s_scratch = ow_test_pg_new("owtest_deadline_cards_", "deadline-test", &err);
    if (!s_scratch || ow_migrate(ow_test_pg_db(s_scratch), deadline_core_migrations,
                                 deadline_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&s_scratch);
        return -1;
    }
    s_ctx.db = ow_test_pg_db(s_scratch);
    s_ctx.thresholds = (deadline_thresholds_t)DEADLINE_THRESHOLDS_DEFAULT;
    if (clocks_prepare(s_ctx.db, &err) != 0 || timers_prepare(s_ctx.db, &err) != 0 ||
        supervision_prepare(s_ctx.db, &err) != 0 || calendar_store_prepare(s_ctx.db, &err) != 0 ||
        calendar_store_seed(s_ctx.db, &err) != 0 || calendar_store_reload(&s_ctx, &err) != 1) {
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

static void s_start(const char *case_no, const char *item, int64_t at, int32_t limit, int32_t legal)
{
    ow_error_t err;
    ow_error_clear(&err);
    clock_start_t s = {.case_no = case_no,
                       .centre_id = "330122000000",
                       .item_code = item,
                       .department_code = "D01",
                       .accepted_at_us = at,
                       .limit = limit,
                       .unit = "working_days",
                       .legal_limit = legal,
                       .event_id = S_EVENT};
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(clocks_start(&s_ctx, &s, at, &err), 0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
}

static int64_t s_end_of_wd(int32_t from, int32_t n)
{
    deadline_frame_t f = {.cal = s_ctx.cal, .centre_id = "330122000000"};
    return deadline_end_of_day_us(deadline_add_working_days(&f, from, n));
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

/* Packs a routing event and applies it with handler in its own transaction. */
static int s_apply(ow_inbox_apply_fn *fn, const char *type, const char *case_no,
                   const ProtobufCMessage *msg, ow_error_t *err)
{
    uint8_t buf[1024];
    size_t len = protobuf_c_message_pack(msg, buf);
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "6f1c1b52-3f0e-4a7c-9a43-%012ld",
             (long)(random() % 1000000000));
    snprintf(ev.source, sizeof ev.source, "routing");
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

/* Pure: the card at a moment and the next instant. */
static void test_card_rules(void **state)
{
    (void)state;
    deadline_times_t t = {.due_at_us = 1000, .yellow_at_us = 800};
    assert_int_equal(deadline_card_at(&t, 799), DEADLINE_CARD_NONE);
    assert_int_equal(deadline_card_at(&t, 800), DEADLINE_CARD_YELLOW);
    assert_int_equal(deadline_card_at(&t, 1000), DEADLINE_CARD_RED);
    assert_int_equal(deadline_card_next(&t, DEADLINE_CARD_NONE), 800);
    assert_int_equal(deadline_card_next(&t, DEADLINE_CARD_YELLOW), 1000);
    assert_true(deadline_card_next(&t, DEADLINE_CARD_RED) == DEADLINE_NEVER);
    deadline_times_t same = {.due_at_us = 1000, .yellow_at_us = 1000};
    assert_int_equal(deadline_card_next(&same, DEADLINE_CARD_NONE), 1000);
    deadline_card_t c;
    assert_int_equal(deadline_card_parse("yellow", &c), 0);
    assert_int_equal(c, DEADLINE_CARD_YELLOW);
    assert_int_equal(deadline_card_parse("purple", &c), -1);
    assert_string_equal(deadline_card_name(DEADLINE_CARD_RED), "red");

    /* 20 working days from Mon 23 Nov 2026: yellow with 4 left (20 % beats 1 day). */
    deadline_frame_t f = {.cal = s_ctx.cal, .centre_id = ""};
    deadline_thresholds_t th = DEADLINE_THRESHOLDS_DEFAULT;
    deadline_times_t times;
    assert_int_equal(deadline_limit_times(&f, s_local(2026, 11, 23, 9, 0), 20, 0,
                                          DEADLINE_UNIT_WORKING_DAYS, &th, &times),
                     0);
    assert_int_equal(times.due_at_us, s_local(2026, 12, 22, 0, 0));
    assert_int_equal(times.yellow_at_us, s_local(2026, 12, 16, 0, 0));
    /* 3 days: 1 day left beats 20 % (0.6). */
    assert_int_equal(deadline_limit_times(&f, s_local(2026, 11, 23, 9, 0), 3, 0,
                                          DEADLINE_UNIT_WORKING_DAYS, &th, &times),
                     0);
    assert_int_equal(times.yellow_at_us, s_local(2026, 11, 26, 0, 0));
    /* An extension lengthens the limit; too long is refused. */
    assert_int_equal(deadline_limit_times(&f, s_local(2026, 11, 23, 9, 0), 20, 10,
                                          DEADLINE_UNIT_WORKING_DAYS, &th, &times),
                     0);
    assert_int_equal(times.due_at_us, s_end_of_wd(20261123, 30));
    assert_int_equal(
        deadline_limit_times(&f, 0, DEADLINE_LIMIT_MAX, 1, DEADLINE_UNIT_WORKING_DAYS, &th, &times),
        -1);
    /* A 0 limit (即办件) has no yellow card. */
    assert_int_equal(deadline_limit_times(&f, s_local(2026, 11, 23, 9, 0), 0, 0,
                                          DEADLINE_UNIT_WORKING_DAYS, &th, &times),
                     0);
    assert_true(times.yellow_at_us == DEADLINE_NEVER);

    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(thresholds_validate("item", "330100-01", 2, 1, 30, &err), 0);
    assert_int_equal(thresholds_validate("town", "", -1, 2000, 101, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "scope"));
    assert_non_null(strstr(err.message, "percent"));
    ow_error_clear(&err);
    assert_int_equal(thresholds_validate("centre", "33012", 1, 1, 20, &err), -1);
    assert_non_null(strstr(err.message, "12-digit"));
}

/* Yellow then red, once each, in order, however late the scan comes; a decision clears. */
static void test_yellow_red_once_in_order(void **state)
{
    (void)state;
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-Y2", "I-1", mon, 2, 20); /* yellow end of Tue 24, red end of Wed 25 */
    s_start("C-Y3", "I-1", mon, 3, 20); /* yellow end of Wed 25, red end of Thu 26 */
    s_start("C-Y20", "I-1", mon, 20, 20);
    deadline_clock_t c = s_get("C-Y20", "");
    assert_int_equal(c.yellow_at_us, s_local(2026, 12, 16, 0, 0));
    assert_int_equal(c.legal_due_at_us, s_local(2026, 12, 22, 0, 0));
    assert_string_equal(c.card, "none");

    assert_int_equal(s_fire(s_local(2026, 11, 24, 23, 59)), 0);
    /* One late scan: Y2 yellow (24th), Y2 red + Y3 yellow (25th), Y3 red (26th). */
    assert_int_equal(s_fire(s_local(2026, 11, 27, 12, 0)), 4);
    assert_int_equal(s_fire(s_local(2026, 11, 27, 12, 0)), 0);
    assert_int_equal(s_fire(s_local(2026, 11, 28, 12, 0)), 0);
    PGresult *res = PQexec(ow_db_conn(s_ctx.db),
                           "SELECT payload, type FROM outbox WHERE type IN ('deadline.yellow',"
                           " 'deadline.red') AND case_no IN ('C-Y2', 'C-Y3') ORDER BY id");
    assert_int_equal(PQntuples(res), 4);
    int64_t last = 0;
    for (int i = 0; i < 4; i++) {
        size_t len = 0;
        unsigned char *bytes = PQunescapeBytea((unsigned char *)PQgetvalue(res, i, 0), &len);
        Onewindow__V1__Clock *m = onewindow__v1__clock__unpack(NULL, len, bytes);
        assert_non_null(m);
        assert_true(m->event_at_us >= last); /* in the order they fell due */
        last = m->event_at_us;
        assert_string_equal(m->card,
                            strcmp(PQgetvalue(res, i, 1), "deadline.red") == 0 ? "red" : "yellow");
        onewindow__v1__clock__free_unpacked(m, NULL);
        PQfreemem(bytes);
    }
    PQclear(res);
    c = s_get("C-Y2", "");
    assert_string_equal(c.state, "expired");
    assert_string_equal(c.card, "red");
    assert_int_equal(s_events("deadline.yellow", "C-Y2"), 1);
    assert_int_equal(s_events("deadline.red", "C-Y3"), 1);

    /* The decision clears the red card, once. */
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(clocks_stop(&s_ctx, "C-Y2", "approved", s_local(2026, 11, 30, 10, 0), S_EVENT,
                                 s_local(2026, 11, 30, 10, 0), &err),
                     0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);
    assert_int_equal(s_events("deadline.cleared", "C-Y2"), 1);
    c = s_get("C-Y2", "");
    assert_string_equal(c.state, "stopped");
    assert_int_equal(c.used_working_days, 5); /* 24, 25, 26, 27, 30 Nov */
}

/* Issue 5: a test clock jump fires timers and cards in one due order across both kinds, once.
 * 520 timers overflow a scan batch (500), so the scan must hold back cards due after the last
 * timer it claimed until the next batch. */
static void test_timers_and_cards_one_order(void **state)
{
    (void)state;
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-M2", "I-1", mon, 2, 20); /* yellow 25 Nov 00:00, red 26 Nov 00:00 */
    s_start("C-M3", "I-1", mon, 3, 20); /* yellow 26 Nov 00:00, red 27 Nov 00:00 */
    ow_error_t err;
    ow_error_clear(&err);
    /* Every 7 minutes from 24 Nov 12:00: the 500th falls on 26 Nov 22:13, before C-M3 red;
     * one timer ties with C-M2's red and C-M3's yellow at 26 Nov 00:00. */
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    for (int i = 0; i < 520; i++) {
        char key[32];
        snprintf(key, sizeof key, "order-%03d", i);
        Onewindow__V1__ScheduleTimer req = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
        req.timer_key = key;
        req.owner = "intake";
        req.kind = "test";
        req.case_no = "C-MT";
        req.due_at_us = i == 519 ? s_local(2026, 11, 26, 0, 0)
                                 : s_local(2026, 11, 24, 12, 0) + (int64_t)i * 7 * 60000000;
        Onewindow__V1__Timer *t = NULL;
        assert_int_equal(timers_schedule(s_ctx.db, &req, req.due_at_us, false, &t, &err), 0);
        timers_free(&t);
    }
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);

    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    expiry_scan_t *scan = expiry_scan_new(loop, &s_ctx, NULL, 3600, &err);
    assert_non_null(scan);
    int64_t jump = s_local(2026, 11, 28, 12, 0);
    assert_int_equal(expiry_scan_run(scan, jump), 524);
    assert_int_equal(expiry_scan_run(scan, jump), 0);
    expiry_scan_destroy(&scan);
    ow_loop_destroy(&loop);

    PGresult *res = PQexec(ow_db_conn(s_ctx.db),
                           "SELECT payload, type FROM outbox WHERE case_no IN ('C-M2', 'C-M3',"
                           " 'C-MT') AND type IN ('timer.fired', 'deadline.yellow',"
                           " 'deadline.red') ORDER BY id");
    assert_int_equal(PQntuples(res), 524);
    int64_t last = 0;
    bool last_card = false;
    int cards = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        size_t len = 0;
        unsigned char *bytes = PQunescapeBytea((unsigned char *)PQgetvalue(res, i, 0), &len);
        bool card = strcmp(PQgetvalue(res, i, 1), "timer.fired") != 0;
        int64_t at = 0;
        if (card) {
            Onewindow__V1__Clock *m = onewindow__v1__clock__unpack(NULL, len, bytes);
            assert_non_null(m);
            at = m->event_at_us;
            onewindow__v1__clock__free_unpacked(m, NULL);
            cards++;
        } else {
            Onewindow__V1__Timer *m = onewindow__v1__timer__unpack(NULL, len, bytes);
            assert_non_null(m);
            at = m->due_at_us;
            onewindow__v1__timer__free_unpacked(m, NULL);
        }
        PQfreemem(bytes);
        /* Due order across both kinds; at one instant timers before cards. */
        assert_true(at >= last);
        if (at == last && last_card)
            assert_true(card);
        last = at;
        last_card = card;
    }
    assert_int_equal(cards, 4);
    PQclear(res);
    assert_int_equal(
        s_count("SELECT count(*) FROM timers WHERE state = 'fired' AND case_no = '%s'", "C-MT"),
        520);
    assert_string_equal(s_get("C-M3", "").card, "red");
}

/* Art. 45: a suspension does not count; resuming recomputes from the stored interval. */
static void test_suspension_moves_due(void **state)
{
    (void)state;
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-SUSP", "I-2", mon, 5, 20);
    assert_int_equal(s_get("C-SUSP", "").due_at_us, s_local(2026, 12, 1, 0, 0));

    Onewindow__V1__CaseSuspended su = ONEWINDOW__V1__CASE_SUSPENDED__INIT;
    su.case_no = "C-SUSP";
    su.kind = "expert_review";
    su.expected_days = 2;
    su.expected_unit = "working_days";
    su.started_at_us = s_local(2026, 11, 25, 10, 0);
    ow_error_t err;
    assert_int_equal(
        s_apply(deadline_on_case_suspended, "case.suspended", "C-SUSP", &su.base, &err), 0);
    deadline_clock_t c = s_get("C-SUSP", "");
    assert_string_equal(c.state, "suspended");
    assert_int_equal(c.suspended_at_us, su.started_at_us);
    /* Frozen as of the suspension (Wed 25): Thu 26, Fri 27, Mon 30 Nov are left. */
    assert_int_equal(clocks_remaining_working_days(s_ctx.cal, &c, s_local(2026, 12, 20, 0, 0)), 3);
    /* Suspended clocks get no card, however late. */
    s_fire(s_local(2026, 12, 20, 0, 0));
    assert_int_equal(s_events("deadline.yellow", "C-SUSP"), 0);
    /* A second suspension while one is open changes nothing. */
    su.started_at_us = s_local(2026, 11, 26, 10, 0);
    assert_int_equal(
        s_apply(deadline_on_case_suspended, "case.suspended", "C-SUSP", &su.base, &err), 0);
    assert_int_equal(s_events("deadline.suspended", "C-SUSP"), 1);

    Onewindow__V1__CaseResumed re = ONEWINDOW__V1__CASE_RESUMED__INIT;
    re.case_no = "C-SUSP";
    re.resumed_at_us = s_local(2026, 11, 27, 10, 0);
    assert_int_equal(s_apply(deadline_on_case_resumed, "case.resumed", "C-SUSP", &re.base, &err),
                     0);
    c = s_get("C-SUSP", "");
    assert_string_equal(c.state, "running");
    /* 25 and 26 Nov do not count: 24, 27, 30 Nov, 1, 2 Dec. */
    assert_int_equal(c.due_at_us, s_local(2026, 12, 3, 0, 0));
    assert_int_equal(s_events("deadline.resumed", "C-SUSP"), 1);
    /* A resume without an open suspension changes nothing. */
    assert_int_equal(s_apply(deadline_on_case_resumed, "case.resumed", "C-SUSP", &re.base, &err),
                     0);
    assert_int_equal(s_events("deadline.resumed", "C-SUSP"), 1);

    /* Garbage and bad fields are poison, nothing written. */
    su.kind = "";
    su.case_no = "C-SUSP";
    assert_int_equal(
        s_apply(deadline_on_case_suspended, "case.suspended", "C-SUSP", &su.base, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "kind"));
    su.kind = "testing";
    assert_int_equal(s_apply(deadline_on_case_suspended, "case.suspended", "OTHER", &su.base, &err),
                     -1);
    assert_non_null(strstr(err.message, "envelope"));
    assert_int_equal(s_count("SELECT count(*) FROM suspensions WHERE case_no = '%s'", "C-SUSP"), 1);
}

/* Art. 42: extensions within the ceilings with a recorded approval; a card that no longer
 * holds is cleared; beyond the ceiling or without an approver: refused and recorded. */
static void test_extension_and_cleared(void **state)
{
    (void)state;
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-EXT", "I-3", mon, 5, 20);
    s_fire(s_local(2026, 11, 30, 12, 0)); /* yellow: end of Fri 27 */
    assert_int_equal(s_events("deadline.yellow", "C-EXT"), 1);
    assert_string_equal(s_get("C-EXT", "").card, "yellow");

    Onewindow__V1__CaseExtended ex = ONEWINDOW__V1__CASE_EXTENDED__INIT;
    ex.case_no = "C-EXT";
    ex.extra_working_days = 5;
    ex.approved_by = "head01";
    ex.reason = "site inspection";
    ex.approved_at_us = s_local(2026, 11, 30, 11, 0);
    ow_error_t err;
    assert_int_equal(s_apply(deadline_on_case_extended, "case.extended", "C-EXT", &ex.base, &err),
                     0);
    deadline_clock_t c = s_get("C-EXT", "");
    assert_int_equal(c.extension_days, 5);
    assert_int_equal(c.due_at_us, s_end_of_wd(20261123, 10));
    assert_int_equal(c.legal_due_at_us, s_end_of_wd(20261123, 25));
    assert_string_equal(c.card, "none"); /* 8 of 10 used at yellow: end of Thu 3 Dec */
    assert_int_equal(s_events("deadline.extended", "C-EXT"), 1);
    assert_int_equal(s_events("deadline.cleared", "C-EXT"), 1);

    /* 5 + 6 > 10: refused and recorded; without an approver too. */
    ex.extra_working_days = 6;
    assert_int_equal(s_apply(deadline_on_case_extended, "case.extended", "C-EXT", &ex.base, &err),
                     0);
    ex.extra_working_days = 1;
    ex.approved_by = "";
    assert_int_equal(s_apply(deadline_on_case_extended, "case.extended", "C-EXT", &ex.base, &err),
                     0);
    assert_int_equal(s_get("C-EXT", "").extension_days, 5);
    assert_int_equal(s_count("SELECT count(*) FROM extensions WHERE case_no = '%s' AND NOT applied"
                             " AND refusal <> ''",
                             "C-EXT"),
                     2);
    /* Joint handling: 15 in total. */
    ex.approved_by = "county01";
    ex.joint_handling = true;
    ex.extra_working_days = 10;
    assert_int_equal(s_apply(deadline_on_case_extended, "case.extended", "C-EXT", &ex.base, &err),
                     0);
    assert_int_equal(s_get("C-EXT", "").extension_days, 15);
    /* Later the cards come again, once each, in order. */
    s_fire(s_local(2027, 3, 1, 0, 0));
    assert_int_equal(s_events("deadline.yellow", "C-EXT"), 2);
    assert_int_equal(s_events("deadline.red", "C-EXT"), 1);
}

/* A stage's own clock; a suspension of the stage suspends it too; the decision stops it. */
static void test_stage_clocks(void **state)
{
    (void)state;
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-STG", "I-4", mon, 20, 20);
    Onewindow__V1__StageEvent st = ONEWINDOW__V1__STAGE_EVENT__INIT;
    st.case_no = "C-STG";
    st.stage = "审查";
    st.limit = 2;
    st.unit = "working_days";
    st.at_us = mon;
    st.department_code = "D02";
    ow_error_t err;
    assert_int_equal(s_apply(deadline_on_stage_started, "stage.started", "C-STG", &st.base, &err),
                     0);
    assert_int_equal(s_apply(deadline_on_stage_started, "stage.started", "C-STG", &st.base, &err),
                     0);
    deadline_clock_t c = s_get("C-STG", "审查");
    assert_int_equal(c.due_at_us, s_local(2026, 11, 26, 0, 0));
    assert_string_equal(c.centre_id, "330122000000");
    assert_string_equal(c.item_code, "I-4");
    assert_int_equal(s_events("deadline.started", "C-STG"), 2);

    /* The stage goes red while the case is in time (DOMAIN §5). */
    s_fire(s_local(2026, 11, 26, 1, 0));
    assert_int_equal(s_events("deadline.red", "C-STG"), 1);
    assert_string_equal(s_get("C-STG", "审查").card, "red");
    assert_string_equal(s_get("C-STG", "").card, "none");

    deadline_clock_t stages[4];
    assert_int_equal(clocks_list_stages(s_ctx.db, "C-STG", stages, 4, &err), 1);
    st.at_us = s_local(2026, 11, 26, 15, 0);
    assert_int_equal(
        s_apply(deadline_on_stage_completed, "stage.completed", "C-STG", &st.base, &err), 0);
    c = s_get("C-STG", "审查");
    assert_string_equal(c.state, "stopped");
    assert_int_equal(c.stopped_at_us, st.at_us);
    assert_int_equal(s_events("deadline.cleared", "C-STG"), 1);

    st.stage = "";
    assert_int_equal(s_apply(deadline_on_stage_started, "stage.started", "C-STG", &st.base, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    uint8_t junk[] = {0xff, 0xff, 0xff};
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.type, sizeof ev.type, "stage.started");
    ev.payload = junk;
    ev.payload_len = sizeof junk;
    ow_error_clear(&err);
    assert_int_equal(deadline_on_stage_started(s_ctx.db, &ev, &s_ctx, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

/* An item's threshold overrides the default. */
static void test_item_threshold(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_pg_run(ow_db_conn(s_ctx.db),
                                    "INSERT INTO yellow_thresholds (scope, key, days, hours,"
                                    " percent) VALUES ('item', 'I-HALF', 0, 0, 50),"
                                    " ('centre', '330122000000', 3, 1, 0)",
                                    &err),
                     0);
    int64_t mon = s_local(2026, 11, 23, 9, 0);
    s_start("C-HALF", "I-HALF", mon, 10, 20);
    assert_int_equal(s_get("C-HALF", "").yellow_at_us, s_end_of_wd(20261123, 5));
    s_start("C-CENTRE", "I-OTHER", mon, 10, 20); /* the centre's: 3 days left */
    assert_int_equal(s_get("C-CENTRE", "").yellow_at_us, s_end_of_wd(20261123, 7));
    assert_int_equal(ow_test_pg_run(ow_db_conn(s_ctx.db), "DELETE FROM yellow_thresholds", &err),
                     0);
}

/* deadline.statistics over a real socket: on-time rate, late, open overdue, days used. */
static void test_statistics(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    int64_t mar = s_local(2026, 3, 2, 9, 0); /* Monday */
    s_start("S-ONTIME", "STATS-ITEM", mar, 5, 20);
    s_start("S-LATE", "STATS-ITEM", mar, 5, 20);
    s_start("S-OPEN", "STATS-ITEM", mar, 5, 20);
    assert_int_equal(ow_db_begin(s_ctx.db, &err), 0);
    assert_int_equal(
        clocks_stop(&s_ctx, "S-ONTIME", "approved", s_local(2026, 3, 5, 10, 0), S_EVENT, mar, &err),
        0);
    assert_int_equal(
        clocks_stop(&s_ctx, "S-LATE", "approved", s_local(2026, 3, 20, 10, 0), S_EVENT, mar, &err),
        0);
    assert_int_equal(ow_db_commit(s_ctx.db, &err), 0);

    char dir[80], path[128], endpoint[160];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/owtest_cards_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/deadline.sock", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
    ow_loop_t *loop = ow_loop_new();
    ow_rpc_server_t *server = ow_rpc_server_new(loop, endpoint, &err);
    assert_non_null(server);
    ow_rpc_server_handle(server, "deadline.statistics", supervision_handle_statistics, &s_ctx);
    ow_rpc_client_t *client = ow_rpc_client_new(loop, endpoint, &err);
    assert_non_null(client);

    Onewindow__V1__Statistics req = ONEWINDOW__V1__STATISTICS__INIT;
    req.group_by = "item";
    req.item_code = "STATS-ITEM";
    req.from_us = s_local(2026, 3, 1, 0, 0);
    req.to_us = s_local(2026, 4, 1, 0, 0);
    uint8_t buf[256];
    size_t len = onewindow__v1__statistics__pack(&req, buf);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ow_status_t status = ow_rpc_call_blocking(client, "deadline.statistics", NULL, buf, len, 5000,
                                              &out, &out_len, &err);
    if (status != OW_OK)
        fprintf(stderr, "deadline.statistics: %s\n", err.message);
    assert_int_equal(status, OW_OK);
    Onewindow__V1__StatisticsReply *reply =
        onewindow__v1__statistics_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_int_equal(reply->n_rows, 1);
    Onewindow__V1__StatisticsRow *r = reply->rows[0];
    assert_string_equal(r->key, "STATS-ITEM");
    assert_int_equal(r->accepted, 3);
    assert_int_equal(r->decided, 2);
    assert_int_equal(r->on_time, 1);
    assert_int_equal(r->late, 1);
    assert_int_equal(r->open_overdue, 1);
    assert_true(r->on_time_rate > 0.49 && r->on_time_rate < 0.51);
    assert_true(r->avg_working_days_used > 8.49 && r->avg_working_days_used < 8.51); /* 3, 14 */
    assert_int_equal(r->within_legal, 2);
    assert_int_equal(reply->n_overdue, 1);
    assert_string_equal(reply->overdue[0]->case_no, "S-OPEN");
    onewindow__v1__statistics_reply__free_unpacked(reply, NULL);
    free(out);
    out = NULL;

    req.group_by = "month";
    len = onewindow__v1__statistics__pack(&req, buf);
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.statistics", NULL, buf, len, 5000, &out,
                                          &out_len, &err),
                     OW_OK);
    reply = onewindow__v1__statistics_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_int_equal(reply->n_rows, 1);
    assert_string_equal(reply->rows[0]->key, "2026-03");
    onewindow__v1__statistics_reply__free_unpacked(reply, NULL);
    free(out);
    out = NULL;

    req.group_by = "planet";
    req.to_us = 1;
    len = onewindow__v1__statistics__pack(&req, buf);
    assert_int_equal(ow_rpc_call_blocking(client, "deadline.statistics", NULL, buf, len, 5000, &out,
                                          &out_len, &err),
                     OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "group_by"));
    assert_non_null(strstr(err.message, "to_us"));
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
        cmocka_unit_test(test_card_rules),
        cmocka_unit_test(test_yellow_red_once_in_order),
        cmocka_unit_test(test_timers_and_cards_one_order),
        cmocka_unit_test(test_suspension_moves_due),
        cmocka_unit_test(test_extension_and_cleared),
        cmocka_unit_test(test_stage_clocks),
        cmocka_unit_test(test_item_threshold),
        cmocka_unit_test(test_statistics),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
