/* routing.act and batched routing.decide on a real Postgres (OW_TEST_DATABASE_URL), demo
 * data loaded: special procedures stop and restart the clock with case.suspended /
 * case.resumed; an extension needs a head and stays within art. 42's ceiling
 * (case.extended); transfer, release and claim move the task between posts; every refusal
 * (stranger, bad fields, wrong state) writes nothing; every action has its audit entry with
 * the state before and after; decisions that arrive together commit together, each with its
 * own answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "act.h"
#include "decide.h"
#include "first_task.h"
#include "ow_migrate.h"
#include "ow_rpc.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "routing_api.h"
#include "task_store.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_MARKET "113301220025190176" /* TL0101 chief, TL0102, TL0103 */

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("routing_act_", "routing_test_act", &err);
    ow_db_t *db = pg ? ow_test_pg_db(pg) : NULL;
    if (!db || ow_migrate(db, routing_core_migrations, routing_core_migrations_count, &err) < 0 ||
        routing_first_task_prepare(db, &err) < 0 || routing_decide_prepare(db, &err) < 0 ||
        routing_act_prepare(db, &err) < 0 ||
        ow_test_pg_run_file(db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0 ||
        ow_db_run(db,
                  "INSERT INTO staff (staff_id, name, department_code, role) VALUES"
                  " ('TL0SUP', '督查员', '12330122002519105H', 'supervisor'),"
                  " ('TL0HEAD', '局长', '" S_MARKET "', 'department_head');"
                  "INSERT INTO posts (post_code, department_code, name, a_holder, b_holder,"
                  "  is_default) VALUES ('MKT-01', '" S_MARKET "', '审查岗', 'TL0102', 'TL0103',"
                  "  true), ('MKT-02', '" S_MARKET "', '复核岗', 'TL0103', NULL, false)",
                  &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static long s_count(ow_test_pg_t *pg, const char *fmt, ...)
{
    char sql[1024], full[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "SET search_path TO %s", ow_test_pg_name(pg));
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_pg_run(ow_test_pg_admin(pg), full, &err), 0);
    return ow_test_pg_long(ow_test_pg_admin(pg), sql);
}

/* Accepts case_no (as the inbox would) and returns its task id in task_id (size 40). */
static void s_accept(ow_test_pg_t *pg, const char *case_no, char *task_id)
{
    ow_db_t *db = ow_test_pg_db(pg);
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
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_event_apply(db, routing_apply_case_accepted, NULL, &ev, &err), 0);
    free(ev.payload);
    ow_error_clear(&err);
    routing_tasks_t *tasks = routing_task_list_case(db, case_no, &err);
    assert_non_null(tasks);
    assert_int_equal(routing_tasks_count(tasks), 1);
    snprintf(task_id, 40, "%s", routing_tasks_get(tasks, 0)->task_id);
    routing_tasks_destroy(&tasks);
}

/* Runs routing.act; returns the status, and the task after it in *out when OK. */
static ow_status_t s_act(ow_test_pg_t *pg, const char *key, const char *actor,
                         Onewindow__V1__TaskAction *req, char *state_out, char *holder_out,
                         ow_error_t *err)
{
    uint8_t buf[4096];
    size_t len = onewindow__v1__task_action__pack(req, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    if (routing_act(ow_test_pg_db(pg), key, actor, buf, len, &reply, &reply_len, err) < 0)
        return err->code;
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    assert_non_null(r);
    Onewindow__V1__TaskReply *tr =
        onewindow__v1__task_reply__unpack(NULL, r->payload.len, r->payload.data);
    assert_non_null(tr);
    if (state_out)
        snprintf(state_out, 32, "%s", tr->task->state);
    if (holder_out)
        snprintf(holder_out, 65, "%s", tr->task->assignee);
    onewindow__v1__task_reply__free_unpacked(tr, NULL);
    onewindow__v1__reply__free_unpacked(r, NULL);
    free(reply);
    return OW_OK;
}

static void test_suspend_resume(void **state)
{
    ow_test_pg_t *pg = *state;
    char task[40], st[32], holder[65];
    s_accept(pg, "3301222026112230001", task);
    ow_error_t err;
    Onewindow__V1__TaskAction a = ONEWINDOW__V1__TASK_ACTION__INIT;
    a.task_id = task;
    a.action = "suspend";
    /* Every missing field at once, nothing written. */
    assert_int_equal(s_act(pg, "s-0", "TL0102", &a, st, holder, &err), OW_INVALID_ARGUMENT);
    assert_true(err.violation_count >= 3); /* reason, expected_days, kind */
    a.kind = "hearing";
    a.expected_days = 10;
    a.reason = "依申请举行听证";
    /* A stranger (a supervisor of another department) may not: nothing changes. */
    assert_int_equal(s_act(pg, "s-1", "TL0SUP", &a, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM suspensions"), 0);
    assert_int_equal(s_act(pg, "s-2", "TL0102", &a, st, holder, &err), OW_OK);
    assert_string_equal(st, "suspended");
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.suspended' AND"
                                 " case_no = '3301222026112230001'"),
                     1);
    /* The same key: the first answer, nothing new. */
    assert_int_equal(s_act(pg, "s-2", "TL0102", &a, st, holder, &err), OW_OK);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM suspensions"), 1);
    /* Suspended: no second procedure, no decision. */
    assert_int_equal(s_act(pg, "s-3", "TL0102", &a, st, holder, &err), OW_FAILED_PRECONDITION);
    Onewindow__V1__TaskAction r = ONEWINDOW__V1__TASK_ACTION__INIT;
    r.task_id = task;
    r.action = "resume";
    assert_int_equal(s_act(pg, "s-4", "TL0103", &r, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_act(pg, "s-5", "TL0102", &r, st, holder, &err), OW_OK);
    assert_string_equal(st, "open");
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.resumed'"), 1);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM suspensions WHERE ended_at IS NOT NULL"), 1);
    /* Return for correction: a suspension of kind correction. */
    Onewindow__V1__TaskAction ret = ONEWINDOW__V1__TASK_ACTION__INIT;
    ret.task_id = task;
    ret.action = "return";
    ret.reason = "平面图缺少尺寸标注，请补正";
    ret.expected_days = 5;
    assert_int_equal(s_act(pg, "s-6", "TL0102", &ret, st, holder, &err), OW_OK);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM suspensions WHERE kind = 'correction'"), 1);
    /* Every action is in the audit trail with the state before and after. */
    assert_int_equal(s_count(pg, "SELECT count(*) FROM audit_trail WHERE action IN ('task.suspend',"
                                 " 'task.resume', 'task.return') AND before <> '' AND after <> ''"
                                 " AND before <> after"),
                     3);
}

static void test_extension(void **state)
{
    ow_test_pg_t *pg = *state;
    char task[40], st[32], holder[65];
    s_accept(pg, "3301222026112230002", task);
    ow_error_t err;
    Onewindow__V1__TaskAction rq = ONEWINDOW__V1__TASK_ACTION__INIT;
    rq.task_id = task;
    rq.action = "request_extension";
    rq.extra_working_days = 11;
    rq.reason = "需现场核查";
    /* art. 42: at most 10. */
    assert_int_equal(s_act(pg, "e-0", "TL0102", &rq, st, holder, &err), OW_INVALID_ARGUMENT);
    rq.extra_working_days = 8;
    assert_int_equal(s_act(pg, "e-1", "TL0102", &rq, st, holder, &err), OW_OK);
    assert_string_equal(st, "extension_requested");
    Onewindow__V1__TaskAction g = ONEWINDOW__V1__TASK_ACTION__INIT;
    g.task_id = task;
    g.action = "grant_extension";
    /* Only a head of the department grants; the holder and the chief may not. */
    assert_int_equal(s_act(pg, "e-2", "TL0102", &g, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_act(pg, "e-3", "TL0101", &g, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.extended'"), 0);
    assert_int_equal(s_act(pg, "e-4", "TL0HEAD", &g, st, holder, &err), OW_OK);
    assert_string_equal(st, "open");
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.extended'"), 1);
    /* The ceiling is cumulative: 2 left. */
    rq.extra_working_days = 3;
    assert_int_equal(s_act(pg, "e-5", "TL0102", &rq, st, holder, &err), OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "2 left"));
    rq.extra_working_days = 2;
    assert_int_equal(s_act(pg, "e-6", "TL0102", &rq, st, holder, &err), OW_OK);
    Onewindow__V1__TaskAction d = ONEWINDOW__V1__TASK_ACTION__INIT;
    d.task_id = task;
    d.action = "deny_extension";
    assert_int_equal(s_act(pg, "e-7", "TL0HEAD", &d, st, holder, &err), OW_INVALID_ARGUMENT);
    d.reason = "无需延长";
    assert_int_equal(s_act(pg, "e-8", "TL0HEAD", &d, st, holder, &err), OW_OK);
    assert_string_equal(st, "open");
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.extended'"), 1);
}

static void test_transfer_release_claim(void **state)
{
    ow_test_pg_t *pg = *state;
    char task[40], st[32], holder[65];
    s_accept(pg, "3301222026112230003", task);
    ow_error_t err;
    Onewindow__V1__TaskAction t = ONEWINDOW__V1__TASK_ACTION__INIT;
    t.task_id = task;
    t.action = "transfer";
    t.reason = "转复核岗";
    t.to_post_code = "NOPE";
    assert_int_equal(s_act(pg, "t-0", "TL0102", &t, st, holder, &err), OW_NOT_FOUND);
    t.to_post_code = "MKT-02";
    assert_int_equal(s_act(pg, "t-1", "TL0102", &t, st, holder, &err), OW_OK);
    assert_string_equal(holder, "TL0103");
    Onewindow__V1__TaskAction rel = ONEWINDOW__V1__TASK_ACTION__INIT;
    rel.task_id = task;
    rel.action = "release";
    assert_int_equal(s_act(pg, "t-2", "TL0102", &rel, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_act(pg, "t-3", "TL0103", &rel, st, holder, &err), OW_OK);
    assert_string_equal(holder, "");
    Onewindow__V1__TaskAction c = ONEWINDOW__V1__TASK_ACTION__INIT;
    c.task_id = task;
    c.action = "claim";
    assert_int_equal(s_act(pg, "t-4", "TL0SUP", &c, st, holder, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_act(pg, "t-5", "TL0101", &c, st, holder, &err), OW_OK); /* the chief */
    assert_string_equal(holder, "TL0101");
    assert_int_equal(s_act(pg, "t-6", "TL0103", &c, st, holder, &err), OW_FAILED_PRECONDITION);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'task.updated'"
                                 " AND case_no = '3301222026112230003'"),
                     3);
}

static size_t s_decide_body(const char *task_id, const char *decision, uint8_t *buf)
{
    Onewindow__V1__DecideTask d = ONEWINDOW__V1__DECIDE_TASK__INIT;
    d.task_id = (char *)task_id;
    d.decision = (char *)decision;
    d.comment = "符合条件";
    return onewindow__v1__decide_task__pack(&d, buf);
}

static void test_decide_batch(void **state)
{
    ow_test_pg_t *pg = *state;
    char t1[40], t2[40];
    s_accept(pg, "3301222026112230004", t1);
    s_accept(pg, "3301222026112230005", t2);
    uint8_t b1[256], b2[256], b3[256];
    size_t l1 = s_decide_body(t1, "approve", b1), l2 = s_decide_body(t2, "approve", b2);
    size_t l3 = s_decide_body(t2, "maybe", b3);
    routing_decide_item_t items[5] = {
        {.idempotency_key = "b-1", .actor = "TL0102", .request = b1, .len = l1},
        {.idempotency_key = "b-2", .actor = "TL0SUP", .request = b2, .len = l2}, /* stranger */
        {.idempotency_key = "b-3", .actor = "TL0102", .request = b2, .len = l2},
        {.idempotency_key = "b-1", .actor = "TL0102", .request = b1, .len = l1}, /* repeat */
        {.idempotency_key = "b-4", .actor = "TL0102", .request = b3, .len = l3}, /* invalid */
    };
    routing_decide_batch(ow_test_pg_db(pg), items, 5);
    assert_int_equal(items[0].rc, 0);
    assert_int_equal(items[1].rc, -1);
    assert_int_equal(items[1].err.code, OW_PERMISSION_DENIED);
    assert_int_equal(items[2].rc, 0);
    assert_int_equal(items[3].rc, 0);
    assert_int_equal(items[3].reply_len, items[0].reply_len);
    assert_memory_equal(items[3].reply, items[0].reply, items[0].reply_len);
    assert_int_equal(items[4].rc, -1);
    assert_int_equal(items[4].err.code, OW_INVALID_ARGUMENT);
    /* Two decisions, two case.decided, nothing of the refused ones. */
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'case.decided' AND"
                                 " case_no IN ('3301222026112230004', '3301222026112230005')"),
                     2);
    for (size_t i = 0; i < 5; i++)
        free(items[i].reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspend_resume),
        cmocka_unit_test(test_extension),
        cmocka_unit_test(test_transfer_release_claim),
        cmocka_unit_test(test_decide_batch),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
