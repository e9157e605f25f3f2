/* Organisation and absences: the pure checks of organisation.h (row-named violations, who
 * may manage and record), then on a real Postgres (OW_TEST_DATABASE_URL) routing.put_org all
 * or nothing, routing.record_absence moving a post's open work to B on A's behalf, the
 * refusal of an absence that leaves a post empty (and the supervisor's override), the
 * hand-back on return (and keep-until-done), and the sweep of an absence recorded ahead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "absence_store.h"
#include "org_store.h"
#include "organisation.h"
#include "ow_clock.h"
#include "ow_migrate.h"
#include "ow_rpc.h"
#include "ow_test_error.h"
#include "ow_test_pg.h"
#include "routing_api.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_MARKET "113301220025190176" /* TL0101 chief, TL0102, TL0103 */
#define S_ADMIN  "TL1004"
#define S_SUP    "TL1003"
#define S_HOUR   3600000000LL

static void s_centre_rules(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_centre_t county = {"330122000000", "桐庐县政务服务中心", "county", ""};
    assert_int_equal(routing_centre_check(&county, NULL, 0, &err), 0);
    routing_centre_t town = {"330122101000", "城南街道便民服务中心", "township", "330122000000"};
    assert_int_equal(routing_centre_check(&town, "county", 1, &err), 0);
    routing_centre_t village = {"330122101201", "某村便民服务站", "village", "330122101000"};
    assert_int_equal(routing_centre_check(&village, "township", 2, &err), 0);
    /* A village under the county, outside its township's code, a county with a parent. */
    routing_centre_t bad = {"330122999201", "x", "village", "330122000000"};
    assert_int_equal(routing_centre_check(&bad, "county", 3, &err), 2);
    routing_centre_t bad2 = {"33012200000", "", "county", "330122000000"};
    assert_int_equal(routing_centre_check(&bad2, NULL, 4, &err), 3);
    assert_true(ow_test_error_has(&err, "centres[3].parent_id", "township"));
    assert_true(ow_test_error_has(&err, "centres[3].centre_id", "9 digits"));
    assert_true(ow_test_error_has(&err, "centres[4].centre_id", "12-digit"));
    assert_true(ow_test_error_has(&err, "centres[4].name", ""));
    assert_true(ow_test_error_has(&err, "centres[4].parent_id", "no parent"));
}

static void s_row_rules(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_staff_t s = {"TL9", "某", "D1", "boss"};
    assert_int_equal(routing_staff_check(&s, 7, &err), 1);
    assert_true(ow_test_error_has(&err, "staff[7].role", "department_head"));
    routing_post_t p = {"P 1", "D1", "岗", "TL9", "TL9"};
    assert_int_equal(routing_post_check(&p, 2, &err), 2);
    assert_true(ow_test_error_has(&err, "posts[2].post_code", ""));
    assert_true(ow_test_error_has(&err, "posts[2].b_holder", "other than"));
    assert_int_equal(routing_absence_check("TL9", "holiday", 10, 5, "", &err), 2);
    assert_true(ow_test_error_has(&err, "kind", "leave"));
    assert_true(ow_test_error_has(&err, "end_at_us", "after"));
}

static void s_who_may(void **state)
{
    (void)state;
    ow_error_t err;
    routing_actor_t admin = {"A", "C", "administrator", true, false};
    routing_actor_t sup = {"S", "C", "supervisor", true, false};
    routing_actor_t chief = {"H", "D1", "chief_representative", true, false};
    routing_actor_t other_chief = {"H2", "D2", "chief_representative", true, false};
    routing_actor_t self = {"X", "D1", "approver", true, false};
    routing_actor_t gone = {"A2", "C", "administrator", false, false};
    ow_error_clear(&err);
    assert_int_equal(routing_may_manage_org(&admin, &err), 0);
    assert_int_equal(routing_may_manage_org(&sup, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(routing_may_manage_org(&gone, &err), -1);
    assert_int_equal(routing_may_record_absence(&self, "X", "D1", false, &err), 0);
    assert_int_equal(routing_may_record_absence(&chief, "X", "D1", false, &err), 0);
    assert_int_equal(routing_may_record_absence(&other_chief, "X", "D1", false, &err), -1);
    assert_int_equal(routing_may_record_absence(&admin, "X", "D1", false, &err), 0);
    /* Only a supervisor overrides. */
    assert_int_equal(routing_may_record_absence(&admin, "X", "D1", true, &err), -1);
    assert_int_equal(routing_may_record_absence(&chief, "X", "D1", true, &err), -1);
    assert_int_equal(routing_may_record_absence(&sup, "X", "D1", true, &err), 0);
}

/* ---- Postgres ---- */

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("routing_org_", "routing_test_org", &err);
    ow_db_t *db = pg ? ow_test_pg_db(pg) : NULL;
    if (!db || ow_migrate(db, routing_core_migrations, routing_core_migrations_count, &err) < 0 ||
        routing_org_store_prepare(db, &err) < 0 ||
        ow_test_pg_run_file(db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static long s_count(ow_db_t *db, const char *sql)
{
    PGresult *res = PQexec(ow_db_conn(db), sql);
    long n = PQresultStatus(res) == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0)) : -1;
    if (n < 0)
        fprintf(stderr, "%s: %s\n", sql, PQresultErrorMessage(res));
    PQclear(res);
    return n;
}

static void s_run(ow_db_t *db, const char *sql)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_run(db, sql, &err) < 0)
        fail_msg("%s: %s", sql, err.message);
}

/* Reads the AbsenceReply out of a packed Reply. */
static Onewindow__V1__AbsenceReply *s_absence_reply(const uint8_t *reply, size_t len)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, len, reply);
    assert_non_null(r);
    Onewindow__V1__AbsenceReply *ar =
        onewindow__v1__absence_reply__unpack(NULL, r->payload.len, r->payload.data);
    onewindow__v1__reply__free_unpacked(r, NULL);
    assert_non_null(ar);
    return ar;
}

static int s_put(ow_db_t *db, const char *key, const char *actor,
                 const Onewindow__V1__Organisation *o, ow_error_t *err)
{
    size_t len = onewindow__v1__organisation__get_packed_size(o);
    uint8_t *buf = malloc(len + 1), *reply = NULL;
    size_t reply_len = 0;
    onewindow__v1__organisation__pack(o, buf);
    ow_error_clear(err);
    int rc = routing_org_put(db, key, actor, buf, len, false, &reply, &reply_len, err);
    free(buf);
    free(reply);
    return rc;
}

static void s_put_org(void **state)
{
    ow_db_t *db = ow_test_pg_db(*state);
    ow_error_t err;
    Onewindow__V1__OrgCentre county = ONEWINDOW__V1__ORG_CENTRE__INIT, town = county;
    county.centre_id = "330122000000";
    county.name = "桐庐县政务服务中心";
    county.level = "county";
    town.centre_id = "330122101000";
    town.name = "城南街道便民服务中心";
    town.level = "township";
    town.parent_id = "330122000000";
    Onewindow__V1__OrgCentre *centres[2] = {&town, &county};
    Onewindow__V1__OrgStaff s1 = ONEWINDOW__V1__ORG_STAFF__INIT, s2 = s1;
    s1.staff_id = "TL0104";
    s1.name = "钱多多";
    s1.department_code = S_MARKET;
    s1.role = "approver";
    s2.staff_id = "TL0105";
    s2.name = "孙小美";
    s2.department_code = "NO-SUCH-DEPT"; /* refused by the database: row and field named */
    s2.role = "approver";
    Onewindow__V1__OrgStaff *staff[2] = {&s1, &s2};
    Onewindow__V1__OrgPost p = ONEWINDOW__V1__ORG_POST__INIT;
    p.post_code = "MKT-02";
    p.department_code = S_MARKET;
    p.name = "药品零售许可审查岗";
    p.a_holder = "TL0104";
    p.b_holder = "TL0201"; /* of another department */
    Onewindow__V1__OrgPost *posts[1] = {&p};
    Onewindow__V1__Organisation o = ONEWINDOW__V1__ORGANISATION__INIT;
    o.n_centres = 2;
    o.centres = centres;
    o.n_staff = 2;
    o.staff = staff;
    o.n_posts = 1;
    o.posts = posts;

    /* Not an administrator: refused, nothing written. */
    assert_int_equal(s_put(db, "org-1", "TL0101", &o, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    /* Two bad rows: both named, nothing written (not even the good ones). */
    assert_int_equal(s_put(db, "org-2", S_ADMIN, &o, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "staff[1].department_code", ""));
    assert_true(ow_test_error_has(&err, "posts[0].b_holder", ""));
    assert_int_equal(s_count(db, "SELECT count(*) FROM centres WHERE centre_id = '330122101000'"),
                     0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM staff WHERE staff_id = 'TL0104'"), 0);
    /* Fixed: all written, parents first whatever the order given. */
    s2.department_code = S_MARKET;
    p.b_holder = "TL0105";
    assert_int_equal(s_put(db, "org-3", S_ADMIN, &o, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM centres WHERE centre_id IN"
                                 " ('330122000000', '330122101000')"),
                     2);
    assert_int_equal(s_count(db, "SELECT count(*) FROM posts WHERE post_code = 'MKT-02'"
                                 " AND b_holder = 'TL0105'"),
                     1);
    assert_int_equal(s_count(db, "SELECT count(*) FROM outbox WHERE type = 'organisation.changed'"),
                     1);
    /* The same key again: the first answer, nothing new. */
    assert_int_equal(s_put(db, "org-3", S_ADMIN, &o, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM outbox WHERE type = 'organisation.changed'"),
                     1);
}

static int s_record(ow_db_t *db, const char *key, const char *actor, const char *staff_id,
                    int64_t start_us, int64_t end_us, bool override, unsigned *moved,
                    ow_error_t *err)
{
    Onewindow__V1__Absence a = ONEWINDOW__V1__ABSENCE__INIT;
    a.staff_id = (char *)staff_id;
    a.kind = "leave";
    a.start_at_us = start_us;
    a.end_at_us = end_us;
    a.reason = "年休假";
    a.supervisor_override = override;
    size_t len = onewindow__v1__absence__get_packed_size(&a), reply_len = 0;
    uint8_t *buf = malloc(len + 1), *reply = NULL;
    onewindow__v1__absence__pack(&a, buf);
    ow_error_clear(err);
    int rc = routing_absence_record(db, key, actor, buf, len, false, &reply, &reply_len, err);
    if (rc == 0) {
        Onewindow__V1__AbsenceReply *ar = s_absence_reply(reply, reply_len);
        if (moved)
            *moved = ar->tasks_moved;
        onewindow__v1__absence_reply__free_unpacked(ar, NULL);
    }
    free(buf);
    free(reply);
    return rc;
}

static void s_fixture_post(ow_db_t *db)
{
    s_run(db, "INSERT INTO posts (post_code, department_code, name, a_holder, b_holder,"
              " is_default) VALUES ('MKT-01', '" S_MARKET "', '食品经营许可审查岗', 'TL0102',"
              " 'TL0103', true);"
              "INSERT INTO tasks (case_no, item_code, department_code, assignee, stage,"
              " created_at, post_code) VALUES ('C1', 'I1', '" S_MARKET "', 'TL0102', 'S',"
              " now(), 'MKT-01'), ('C2', 'I1', '" S_MARKET "', 'TL0102', 'S', now(), 'MKT-01')");
}

static void s_absence_moves_work(void **state)
{
    ow_db_t *db = ow_test_pg_db(*state);
    ow_error_t err;
    s_fixture_post(db);
    int64_t now = ow_clock_now_us();
    unsigned moved = 0;
    /* A colleague of another department may not record it. */
    assert_int_equal(
        s_record(db, "abs-0", "TL0201", "TL0102", 0, now + 24 * S_HOUR, false, &moved, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    /* A (TL0102) leaves at once: both open tasks go to B on A's behalf, audited, emitted. */
    assert_int_equal(
        s_record(db, "abs-1", "TL0102", "TL0102", 0, now + 24 * S_HOUR, false, &moved, &err), 0);
    assert_int_equal(moved, 2);
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0103'"
                                 " AND on_behalf_of = 'TL0102'"),
                     2);
    assert_int_equal(s_count(db, "SELECT count(*) FROM audit_trail WHERE action ="
                                 " 'task.reassigned' AND on_behalf_of = 'TL0102'"),
                     2);
    assert_int_equal(s_count(db, "SELECT count(*) FROM outbox WHERE type = 'task.updated'"), 2);
    /* B (TL0103) too, overlapping: the post would be left empty — refused, nothing written. */
    long before = s_count(db, "SELECT count(*) FROM absences");
    assert_int_equal(s_record(db, "abs-2", "TL0103", "TL0103", now + S_HOUR, now + 2 * S_HOUR,
                              false, &moved, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "MKT-01"));
    /* An override by someone who is not a supervisor: PERMISSION_DENIED. */
    assert_int_equal(s_record(db, "abs-3", S_ADMIN, "TL0103", now + S_HOUR, now + 2 * S_HOUR, true,
                              &moved, &err),
                     -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_count(db, "SELECT count(*) FROM absences"), before);
    /* The supervisor overrides: recorded ahead of time, nothing moves yet. */
    assert_int_equal(
        s_record(db, "abs-4", S_SUP, "TL0103", now + S_HOUR, now + 2 * S_HOUR, true, &moved, &err),
        0);
    assert_int_equal(moved, 0);
    /* Its start comes: the sweep moves the work to the chief representative, on A's behalf. */
    assert_int_equal(routing_absence_sweep(db, now + S_HOUR + 1, false, &err), 1);
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0101'"
                                 " AND on_behalf_of = 'TL0102'"),
                     2);
    /* Nothing more to apply until it ends; then B takes the work back (A still away). */
    assert_int_equal(routing_absence_sweep(db, now + S_HOUR + 2, false, &err), 0);
    assert_int_equal(routing_absence_sweep(db, now + 2 * S_HOUR, false, &err), 1);
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0103'"), 2);
    /* A comes back early: routing.end_absence hands the work back to A. */
    PGresult *res = PQexec(ow_db_conn(db), "SELECT absence_id FROM absences WHERE staff_id ="
                                           " 'TL0102'");
    assert_int_equal(PQntuples(res), 1);
    Onewindow__V1__EndAbsence e = ONEWINDOW__V1__END_ABSENCE__INIT;
    e.absence_id = PQgetvalue(res, 0, 0);
    e.reason = "提前返岗";
    size_t len = onewindow__v1__end_absence__get_packed_size(&e), reply_len = 0;
    uint8_t *buf = malloc(len + 1), *reply = NULL;
    onewindow__v1__end_absence__pack(&e, buf);
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_end(db, "end-1", "TL0102", buf, len, false, &reply, &reply_len, &err), 0);
    Onewindow__V1__AbsenceReply *ar = s_absence_reply(reply, reply_len);
    assert_int_equal(ar->tasks_moved, 2);
    assert_true(ar->absence->ended);
    onewindow__v1__absence_reply__free_unpacked(ar, NULL);
    free(reply);
    reply = NULL;
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0102'"
                                 " AND on_behalf_of = ''"),
                     2);
    /* Ending it again: already over. */
    assert_int_equal(
        routing_absence_end(db, "end-2", "TL0102", buf, len, false, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    free(buf);
    PQclear(res);
}

static void s_keep_until_done(void **state)
{
    ow_db_t *db = ow_test_pg_db(*state);
    ow_error_t err;
    s_fixture_post(db);
    int64_t now = ow_clock_now_us();
    unsigned moved = 0;
    assert_int_equal(s_record(db, "k-1", "TL0102", "TL0102", now + S_HOUR, now + 2 * S_HOUR, false,
                              &moved, &err),
                     0);
    assert_int_equal(routing_absence_sweep(db, now + S_HOUR, true, &err), 1);
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0103'"), 2);
    /* routing.return_on_comeback = false: B keeps what B holds when A returns. */
    assert_int_equal(routing_absence_sweep(db, now + 2 * S_HOUR, true, &err), 1);
    assert_int_equal(s_count(db, "SELECT count(*) FROM tasks WHERE assignee = 'TL0103'"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s_centre_rules),
        cmocka_unit_test(s_row_rules),
        cmocka_unit_test(s_who_may),
        cmocka_unit_test_setup_teardown(s_put_org, s_setup, ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(s_absence_moves_work, s_setup, ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(s_keep_until_done, s_setup, ow_test_pg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
