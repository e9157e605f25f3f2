/* A case's first task through the department's default A/B post on a real Postgres
 * (OW_TEST_DATABASE_URL), with absences recorded: A there → A; A away → B on behalf of A;
 * both away → the chief representative; everyone of the department away → a supervisor;
 * nobody at all → poison for an operator. The audit trail shows on whose behalf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "first_task.h"
#include "ow_clock.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"
#include "routing_api.h"
#include "audit_history.h"
#include "task_store.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_MARKET "113301220025190176" /* 桐庐县市场监督管理局: TL0101 chief, TL0102, TL0103 */

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("routing_posts_", "routing_test_posts", &err);
    ow_db_t *db = pg ? ow_test_pg_db(pg) : NULL;
    if (!db || ow_migrate(db, routing_core_migrations, routing_core_migrations_count, &err) < 0 ||
        routing_first_task_prepare(db, &err) < 0 || routing_audit_history_prepare(db, &err) < 0 ||
        ow_test_pg_run_file(db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0 ||
        ow_db_run(db,
                  "INSERT INTO staff (staff_id, name, department_code, role) VALUES"
                  " ('TL0SUP', '督查员', '12330122002519105H', 'supervisor');"
                  "INSERT INTO posts (post_code, department_code, name, a_holder, b_holder,"
                  "  is_default) VALUES ('MKT-01', '" S_MARKET "', '食品经营许可审查岗',"
                  "  'TL0102', 'TL0103', true)",
                  &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static void s_away(ow_db_t *db, const char *staff_id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO absences (staff_id, kind, start_at, end_at, recorded_by, recorded_at)"
             " VALUES ('%s', 'leave', now() - interval '1 hour', now() + interval '1 day',"
             " 'TL0SUP', now())",
             staff_id);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_run(db, sql, &err), 0);
}

/* Applies case.accepted for case_no as the inbox would. Returns the handler's result. */
static int s_accept(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.state = 3;
    c.item_code = (char *)S_MARKET "000117004000";
    c.department_code = (char *)S_MARKET;
    c.centre_id = (char *)"330122000000";
    Onewindow__V1__CaseAccepted a = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    a.case_ = &c;
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.source, sizeof ev.source, "intake");
    snprintf(ev.type, sizeof ev.type, "case.accepted");
    ev.payload_len = onewindow__v1__case_accepted__get_packed_size(&a);
    ev.payload = malloc(ev.payload_len + 1);
    onewindow__v1__case_accepted__pack(&a, ev.payload);
    ow_error_clear(err);
    int rc = ow_db_begin(db, err);
    if (rc == 0)
        rc = routing_apply_case_accepted(db, &ev, NULL, err);
    if (rc == 0)
        rc = ow_db_commit(db, err);
    else
        ow_db_rollback(db);
    free(ev.payload);
    return rc;
}

static void s_expect(ow_test_pg_t *pg, const char *case_no, const char *assignee,
                     const char *on_behalf_of)
{
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    assert_int_equal(s_accept(db, case_no, &err), 0);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM tasks t JOIN audit_trail a USING (task_id)"
             " WHERE t.case_no = '%s' AND t.assignee = '%s' AND t.on_behalf_of = '%s'"
             "   AND t.post_code = 'MKT-01' AND a.action = 'task.created'"
             "   AND a.on_behalf_of = '%s'",
             case_no, assignee, on_behalf_of, on_behalf_of);
    char full[700];
    snprintf(full, sizeof full, "SET search_path TO %s", ow_test_pg_name(pg));
    ow_error_clear(&err);
    assert_int_equal(ow_test_pg_run(ow_test_pg_admin(pg), full, &err), 0);
    assert_int_equal(ow_test_pg_long(ow_test_pg_admin(pg), sql), 1);
    /* Exactly one outbox event per case: task.created. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE case_no = '%s'", case_no);
    assert_int_equal(ow_test_pg_long(ow_test_pg_admin(pg), sql), 1);
}

static void test_assignment_follows_absences(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    s_expect(pg, "330122202611220001", "TL0102", "");
    s_away(db, "TL0102");
    s_expect(pg, "330122202611220002", "TL0103", "TL0102");
    s_away(db, "TL0103");
    s_expect(pg, "330122202611220003", "TL0101", "TL0102");
    s_away(db, "TL0101");
    s_expect(pg, "330122202611220004", "TL0SUP", "TL0102");
    s_away(db, "TL0SUP");
    s_expect(pg, "330122202611220005", "TL1003", "TL0102"); /* the demo's supervisor */
    s_away(db, "TL1003");
    ow_error_t err;
    assert_int_equal(s_accept(db, "330122202611220006", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT); /* poison: an operator must act */
    assert_non_null(strstr(err.message, "TL0102"));
}

/* A past or future absence does not count now. */
static void test_absence_outside_now(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        ow_db_run(db,
                  "INSERT INTO absences (staff_id, kind, start_at, end_at, recorded_by,"
                  " recorded_at) VALUES"
                  " ('TL0102', 'trip', now() - interval '2 days', now() - interval '1 day',"
                  "  'TL0SUP', now()),"
                  " ('TL0102', 'training', now() + interval '1 day', now() + interval '2 days',"
                  "  'TL0SUP', now())",
                  &err),
        0);
    s_expect(pg, "330122202611220011", "TL0102", "");
}

/* "My tasks" in work order, including work held on an absent colleague's behalf; overdue;
 * and the case's history from the audit trail. */
static void test_work_list_and_history(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_db_t *db = ow_test_pg_db(pg);
    ow_error_t err;
    ow_error_clear(&err);
    s_away(db, "TL0102");
    for (int i = 1; i <= 4; i++) {
        char no[32];
        snprintf(no, sizeof no, "33012220261122002%d", i);
        assert_int_equal(s_accept(db, no, &err), 0);
    }
    /* 1: normal, due late; 2: love; 3: green, due later than 4; 4: normal, overdue. */
    assert_int_equal(
        ow_db_run(db,
                  "UPDATE tasks SET due_at = now() + interval '9 days' WHERE case_no LIKE '%21';"
                  "UPDATE tasks SET lane_rank = 1 WHERE case_no LIKE '%22';"
                  "UPDATE tasks SET lane_rank = 2, due_at = now() + interval '5 days'"
                  " WHERE case_no LIKE '%23';"
                  "UPDATE tasks SET due_at = now() - interval '1 day' WHERE case_no LIKE '%24'",
                  &err),
        0);
    routing_tasks_t *mine = routing_work_list(db, "mine", "TL0103", 10, ow_clock_now_us(), &err);
    assert_non_null(mine);
    assert_int_equal(routing_tasks_count(mine), 4);
    const char *want[] = {"330122202611220023", "330122202611220022", "330122202611220024",
                          "330122202611220021"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(routing_tasks_get(mine, i)->case_no, want[i]);
        assert_string_equal(routing_tasks_get(mine, i)->on_behalf_of, "TL0102");
        assert_string_equal(routing_tasks_get(mine, i)->post_code, "MKT-01");
    }
    routing_tasks_destroy(&mine);
    routing_tasks_t *late = routing_work_list(db, "overdue", "", 10, ow_clock_now_us(), &err);
    assert_int_equal(routing_tasks_count(late), 1);
    assert_string_equal(routing_tasks_get(late, 0)->case_no, "330122202611220024");
    routing_tasks_destroy(&late);
    assert_null(routing_work_list(db, "everything", "", 10, 0, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    size_t len = 0;
    ow_error_clear(&err);
    uint8_t *buf = routing_case_history(db, "330122202611220021", &len, &err);
    assert_non_null(buf);
    Onewindow__V1__CaseHistoryReply *h = onewindow__v1__case_history_reply__unpack(NULL, len, buf);
    assert_non_null(h);
    assert_int_equal(h->n_entries, 1);
    assert_string_equal(h->entries[0]->action, "task.created");
    assert_string_equal(h->entries[0]->on_behalf_of, "TL0102");
    assert_string_equal(h->entries[0]->source, "routing");
    onewindow__v1__case_history_reply__free_unpacked(h, NULL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_absence_outside_now, s_setup, ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(test_assignment_follows_absences, s_setup,
                                        ow_test_pg_teardown),
        cmocka_unit_test_setup_teardown(test_work_list_and_history, s_setup, ow_test_pg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
