/* Workflows on a real Postgres (OW_TEST_DATABASE_URL), demo data loaded: routing.put_workflow
 * (administrator only, every problem at once, nothing written when refused, a repeated key);
 * a case of an item with a 会签 stage of three departments gets three parallel tasks and
 * stage.started with the co-signing 7 working days; the stage completes only with the third
 * approval and the final stage's task goes to a post whose approver may not take the
 * department's final decision — the chief representative does: case.decided 11, delivery
 * opened, delivered by post only with a tracking number; a refusal in 会签 cancels the other
 * tasks and decides 13; 或签's first approval completes the stage; an undelivered result's
 * timer.fired marks it overdue (art. 44). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "delivery.h"
#include "first_task.h"
#include "ow_migrate.h"
#include "ow_rpc.h"
#include "ow_test_error.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "routing_api.h"
#include "task_store.h"
#include "workflow_store.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_MARKET   "113301220025190176" /* TL0101 chief, TL0102, TL0103 */
#define S_HOUSING  "113301220025190251" /* TL0201 chief */
#define S_PLANNING "11330122002519033U" /* TL0301 chief */
#define S_ITEM_ALL "ITEM-COSIGN"
#define S_ITEM_ANY "ITEM-ANY"

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("routing_wf_", "routing_test_workflows", &err);
    ow_db_t *db = pg ? ow_test_pg_db(pg) : NULL;
    if (!db || ow_migrate(db, routing_core_migrations, routing_core_migrations_count, &err) < 0 ||
        routing_first_task_prepare(db, &err) < 0 || routing_decide_prepare(db, &err) < 0 ||
        routing_workflow_store_prepare(db, &err) < 0 || routing_delivery_prepare(db, &err) < 0 ||
        ow_test_pg_run_file(db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0) {
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

/* routing.put_workflow of stages[0..n) for item; returns the status (err filled). */
static ow_status_t s_put(ow_test_pg_t *pg, const char *key, const char *actor, const char *item,
                         Onewindow__V1__WorkflowStage **stages, size_t n, ow_error_t *err)
{
    Onewindow__V1__Workflow wf = ONEWINDOW__V1__WORKFLOW__INIT;
    wf.item_code = (char *)item;
    wf.n_stages = n;
    wf.stages = stages;
    uint8_t buf[4096];
    size_t len = onewindow__v1__workflow__pack(&wf, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    int rc = routing_workflow_put(ow_test_pg_db(pg), key, actor, buf, len, &reply, &reply_len, err);
    free(reply);
    return rc == 0 ? OW_OK : err->code;
}

static void s_dep(Onewindow__V1__WorkflowDepartment *d, const char *code, const char *post)
{
    onewindow__v1__workflow_department__init(d);
    d->department_code = (char *)code;
    d->post_code = (char *)post;
}

/* Defines S_ITEM_ALL (会审: all of market, housing, planning; 决定: market through post
 * MKT-FINAL, final) and S_ITEM_ANY (或签 of housing and planning). */
static void test_define(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        ow_db_run(ow_test_pg_db(pg),
                  "INSERT INTO posts (post_code, department_code, name, a_holder, b_holder)"
                  " VALUES ('MKT-FINAL', '" S_MARKET "', '决定岗', 'TL0102', 'TL0103')",
                  &err),
        0);
    Onewindow__V1__WorkflowDepartment d[6];
    Onewindow__V1__WorkflowDepartment *three[3] = {&d[0], &d[1], &d[2]};
    Onewindow__V1__WorkflowDepartment *final[1] = {&d[3]};
    s_dep(&d[0], S_MARKET, "");
    s_dep(&d[1], S_HOUSING, "");
    s_dep(&d[2], S_PLANNING, "");
    s_dep(&d[3], S_MARKET, "MKT-FINAL");
    Onewindow__V1__WorkflowStage s[2];
    Onewindow__V1__WorkflowStage *sp[2] = {&s[0], &s[1]};
    onewindow__v1__workflow_stage__init(&s[0]);
    s[0].name = (char *)"会审";
    s[0].mode = (char *)"all";
    s[0].n_departments = 3;
    s[0].departments = three;
    onewindow__v1__workflow_stage__init(&s[1]);
    s[1].name = (char *)"决定";
    s[1].mode = (char *)"single";
    s[1].n_departments = 1;
    s[1].departments = final;
    s[1].limit_days = 3;
    s[1].final_decision = true;

    /* Only an administrator; nothing written. */
    assert_int_equal(s_put(pg, "wf-1", "TL0101", S_ITEM_ALL, sp, 2, &err), OW_PERMISSION_DENIED);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM workflows"), 0);
    /* An unknown department and a post of another department: both named, nothing written. */
    s_dep(&d[4], "NO-SUCH-DEPT", "");
    s_dep(&d[5], S_HOUSING, "MKT-FINAL");
    Onewindow__V1__WorkflowDepartment *bad[2] = {&d[4], &d[5]};
    s[0].departments = bad;
    s[0].n_departments = 2;
    assert_int_equal(s_put(pg, "wf-2", "TL1004", S_ITEM_ALL, sp, 2, &err), OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "stages[0].departments[0].department_code", NULL));
    assert_true(ow_test_error_has(&err, "stages[0].departments[1].post_code", NULL));
    assert_int_equal(s_count(pg, "SELECT count(*) FROM workflows"), 0);
    s[0].departments = three;
    s[0].n_departments = 3;
    assert_int_equal(s_put(pg, "wf-3", "TL1004", S_ITEM_ALL, sp, 2, &err), OW_OK);
    assert_int_equal(s_put(pg, "wf-3", "TL1004", S_ITEM_ALL, sp, 2, &err), OW_OK); /* repeat */
    assert_int_equal(s_count(pg, "SELECT count(*) FROM workflow_stage_departments"), 4);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'workflow.defined'"), 1);

    Onewindow__V1__WorkflowDepartment *two[2] = {&d[1], &d[2]};
    Onewindow__V1__WorkflowStage any;
    Onewindow__V1__WorkflowStage *anyp[1] = {&any};
    onewindow__v1__workflow_stage__init(&any);
    any.name = (char *)"审查";
    any.mode = (char *)"any";
    any.n_departments = 2;
    any.departments = two;
    assert_int_equal(s_put(pg, "wf-4", "TL1004", S_ITEM_ANY, anyp, 1, &err), OW_OK);
}

static void s_accept(ow_test_pg_t *pg, const char *case_no, const char *item)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.state = 3;
    c.item_code = (char *)item;
    c.item_version = 1;
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
    assert_int_equal(
        ow_test_event_apply(ow_test_pg_db(pg), routing_apply_case_accepted, NULL, &ev, &err), 0);
    free(ev.payload);
}

/* The id of case_no's task of department at stage (size 40); "" when none. */
static void s_task(ow_test_pg_t *pg, const char *case_no, const char *stage, const char *dept,
                   char *out, char *state_out)
{
    ow_error_t err;
    ow_error_clear(&err);
    routing_tasks_t *tasks = routing_task_list_case(ow_test_pg_db(pg), case_no, &err);
    assert_non_null(tasks);
    out[0] = 0;
    for (size_t i = 0; i < routing_tasks_count(tasks); i++) {
        const Onewindow__V1__Task *t = routing_tasks_get(tasks, i);
        if (strcmp(t->stage, stage) == 0 && strcmp(t->department_code, dept) == 0) {
            snprintf(out, 40, "%s", t->task_id);
            if (state_out)
                snprintf(state_out, 32, "%s", t->state);
        }
    }
    routing_tasks_destroy(&tasks);
}

static ow_status_t s_decide(ow_test_pg_t *pg, const char *key, const char *actor,
                            const char *task_id, const char *decision, const char *comment)
{
    Onewindow__V1__DecideTask req = ONEWINDOW__V1__DECIDE_TASK__INIT;
    req.task_id = (char *)task_id;
    req.decision = (char *)decision;
    req.comment = (char *)comment;
    uint8_t buf[1024];
    size_t len = onewindow__v1__decide_task__pack(&req, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    int rc = routing_decide(ow_test_pg_db(pg), key, actor, buf, len, &reply, &reply_len, &err);
    free(reply);
    return rc == 0 ? OW_OK : err.code;
}

static long s_events(ow_test_pg_t *pg, const char *type, const char *case_no)
{
    return s_count(pg, "SELECT count(*) FROM outbox WHERE type = '%s' AND case_no = '%s'", type,
                   case_no);
}

static ow_status_t s_deliver(ow_test_pg_t *pg, const char *key, const char *case_no,
                             const char *method, const char *tracking, ow_error_t *err)
{
    Onewindow__V1__Delivery d = ONEWINDOW__V1__DELIVERY__INIT;
    d.case_no = (char *)case_no;
    d.method = (char *)method;
    d.tracking_no = (char *)tracking;
    uint8_t buf[512];
    size_t len = onewindow__v1__delivery__pack(&d, buf);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(err);
    int rc = routing_deliver(ow_test_pg_db(pg), key, "TL1001", buf, len, &reply, &reply_len, err);
    free(reply);
    return rc == 0 ? OW_OK : err->code;
}

static void test_cosign_all_approve(void **state)
{
    ow_test_pg_t *pg = *state;
    const char *cn = "3301222026112240001";
    s_accept(pg, cn, S_ITEM_ALL);
    s_accept(pg, cn, S_ITEM_ALL); /* a repeat creates nothing */
    assert_int_equal(s_count(pg, "SELECT count(*) FROM tasks WHERE case_no = '%s'", cn), 3);
    assert_int_equal(s_events(pg, "task.created", cn), 3);
    /* stage.started carries the co-signing default: 7 working days. */
    assert_int_equal(s_events(pg, "stage.started", cn), 1);
    ow_error_t err;
    ow_error_clear(&err);
    char m[40], h[40], p[40], f[40], st[32];
    s_task(pg, cn, "会审", S_MARKET, m, NULL);
    s_task(pg, cn, "会审", S_HOUSING, h, NULL);
    s_task(pg, cn, "会审", S_PLANNING, p, NULL);
    assert_true(m[0] && h[0] && p[0]);
    assert_int_equal(s_decide(pg, "c1-m", "TL0101", m, "approve", "ok"), OW_OK);
    assert_int_equal(s_decide(pg, "c1-h", "TL0201", h, "approve", "ok"), OW_OK);
    /* Two of three: the stage waits, nothing decided. */
    assert_int_equal(s_events(pg, "stage.completed", cn), 0);
    assert_int_equal(s_events(pg, "case.decided", cn), 0);
    assert_int_equal(s_decide(pg, "c1-p", "TL0301", p, "approve", "ok"), OW_OK);
    assert_int_equal(s_events(pg, "stage.completed", cn), 1);
    assert_int_equal(s_events(pg, "case.decided", cn), 0);
    /* The final stage: through post MKT-FINAL to its A holder, an approver. */
    s_task(pg, cn, "决定", S_MARKET, f, st);
    assert_true(f[0]);
    assert_string_equal(st, "open");
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM tasks WHERE task_id = '%s' AND assignee ="
                             " 'TL0102' AND final_decision",
                             f),
                     1);
    assert_int_equal(s_events(pg, "stage.started", cn), 2);
    /* DOMAIN §4: the department's final decision is the chief representative's. */
    assert_int_equal(s_decide(pg, "c1-f0", "TL0102", f, "approve", "ok"), OW_PERMISSION_DENIED);
    assert_int_equal(s_events(pg, "case.decided", cn), 0);
    assert_int_equal(s_decide(pg, "c1-f", "TL0101", f, "approve", "准予许可"), OW_OK);
    assert_int_equal(s_events(pg, "case.decided", cn), 1);
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM case_workflows WHERE case_no = '%s' AND"
                             " outcome = 'approved'",
                             cn),
                     1);
    /* Delivery: by post needs a tracking number; then once. */
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM deliveries WHERE case_no = '%s' AND"
                             " state = 'awaiting' AND NOT timer_scheduled",
                             cn),
                     1);
    assert_int_equal(s_deliver(pg, "d1", cn, "post", "", &err), OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "tracking_no", NULL));
    assert_int_equal(s_deliver(pg, "d2", cn, "post", "SF1234567890", &err), OW_OK);
    assert_int_equal(s_deliver(pg, "d2", cn, "post", "SF1234567890", &err), OW_OK); /* repeat */
    assert_int_equal(s_deliver(pg, "d3", cn, "pickup", "", &err), OW_FAILED_PRECONDITION);
    assert_int_equal(s_events(pg, "case.delivered", cn), 1);
    assert_int_equal(s_deliver(pg, "d4", "3301222026112249999", "pickup", "", &err), OW_NOT_FOUND);
}

static void test_cosign_refusal(void **state)
{
    ow_test_pg_t *pg = *state;
    const char *cn = "3301222026112240002";
    s_accept(pg, cn, S_ITEM_ALL);
    char m[40], h[40], p[40], st[32];
    s_task(pg, cn, "会审", S_MARKET, m, NULL);
    s_task(pg, cn, "会审", S_HOUSING, h, NULL);
    s_task(pg, cn, "会审", S_PLANNING, p, NULL);
    assert_int_equal(s_decide(pg, "c2-m", "TL0101", m, "approve", "ok"), OW_OK);
    assert_int_equal(s_decide(pg, "c2-h", "TL0201", h, "refuse", "不符合规划条件"), OW_OK);
    /* 会签: one refusal refuses the stage and the case (13); the open task is withdrawn. */
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM outbox WHERE type = 'case.decided' AND"
                             " case_no = '%s'",
                             cn),
                     1);
    s_task(pg, cn, "会审", S_PLANNING, p, st);
    assert_string_equal(st, "cancelled");
    assert_int_equal(s_events(pg, "task.updated", cn), 1);
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM audit_trail WHERE case_no = '%s' AND action ="
                             " 'task.cancelled'",
                             cn),
                     1);
    assert_int_equal(s_decide(pg, "c2-p", "TL0301", p, "approve", "ok"), OW_FAILED_PRECONDITION);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM deliveries WHERE case_no = '%s'", cn), 0);
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM case_workflows WHERE case_no = '%s' AND"
                             " outcome = 'refused'",
                             cn),
                     1);
    assert_int_equal(s_count(pg,
                             "SELECT count(*) FROM tasks WHERE case_no = '%s' AND stage ="
                             " '决定'",
                             cn),
                     0);
}

static void test_any_first_approval(void **state)
{
    ow_test_pg_t *pg = *state;
    const char *cn = "3301222026112240003";
    s_accept(pg, cn, S_ITEM_ANY);
    char h[40], p[40], st[32];
    s_task(pg, cn, "审查", S_HOUSING, h, NULL);
    s_task(pg, cn, "审查", S_PLANNING, p, NULL);
    /* 或签 has no clock of its own unless given: no stage events. */
    assert_int_equal(s_events(pg, "stage.started", cn), 0);
    assert_int_equal(s_decide(pg, "c3-h", "TL0201", h, "approve", "ok"), OW_OK);
    s_task(pg, cn, "审查", S_PLANNING, p, st);
    assert_string_equal(st, "cancelled");
    assert_int_equal(s_events(pg, "case.decided", cn), 1);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM deliveries WHERE case_no = '%s'", cn), 1);
}

static void s_fire(ow_test_pg_t *pg, const char *owner, const char *kind, const char *case_no)
{
    char key[96];
    snprintf(key, sizeof key, "routing.%s.%s", kind, case_no);
    Onewindow__V1__Timer t = ONEWINDOW__V1__TIMER__INIT;
    t.timer_key = key;
    t.owner = (char *)owner;
    t.kind = (char *)kind;
    t.case_no = (char *)case_no;
    t.state = (char *)"fired";
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.source, sizeof ev.source, "deadline");
    snprintf(ev.type, sizeof ev.type, "timer.fired");
    ev.payload_len = onewindow__v1__timer__get_packed_size(&t);
    ev.payload = malloc(ev.payload_len + 1);
    onewindow__v1__timer__pack(&t, ev.payload);
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        ow_test_event_apply(ow_test_pg_db(pg), routing_apply_timer_fired, NULL, &ev, &err), 0);
    free(ev.payload);
}

static void test_delivery_overdue(void **state)
{
    ow_test_pg_t *pg = *state;
    const char *cn = "3301222026112240003";   /* approved above, not delivered */
    s_fire(pg, "intake", "delivery_10d", cn); /* not routing's */
    s_fire(pg, "routing", "other_kind", cn);
    assert_int_equal(s_events(pg, "delivery.overdue", cn), 0);
    s_fire(pg, "routing", ROUTING_DELIVERY_TIMER_KIND, cn);
    assert_int_equal(s_events(pg, "delivery.overdue", cn), 1);
    assert_int_equal(
        s_count(pg, "SELECT count(*) FROM deliveries WHERE case_no = '%s' AND state = 'overdue'",
                cn),
        1);
    /* The delivered case of the first test is not overdue. */
    s_fire(pg, "routing", ROUTING_DELIVERY_TIMER_KIND, "3301222026112240001");
    assert_int_equal(s_events(pg, "delivery.overdue", "3301222026112240001"), 0);
    /* A case without a workflow keeps one task, and its approval opens a delivery too. */
    const char *plain = "3301222026112240004";
    s_accept(pg, plain, "PLAIN-ITEM");
    assert_int_equal(s_count(pg, "SELECT count(*) FROM tasks WHERE case_no = '%s'", plain), 1);
    char t[40];
    s_task(pg, plain, "审查决定", S_MARKET, t, NULL);
    assert_int_equal(s_decide(pg, "c4", "TL0101", t, "approve", "ok"), OW_OK);
    assert_int_equal(s_events(pg, "case.decided", plain), 1);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM deliveries WHERE case_no = '%s'", plain), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_define),           cmocka_unit_test(test_cosign_all_approve),
        cmocka_unit_test(test_cosign_refusal),   cmocka_unit_test(test_any_first_approval),
        cmocka_unit_test(test_delivery_overdue),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
