/* The first task of an accepted case, the task lists and routing.decide on a real Postgres
 * (OW_TEST_DATABASE_URL) with the demonstration departments and staff loaded
 * (deploy/demo/routing.sql): what is written and emitted, who may decide, and that repeats
 * change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "first_task.h"
#include "ow_clock.h"
#include "routing_api.h"
#include "supply_store.h"
#include "ow_migrate.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "task_store.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_MARKET "113301220025190176" /* 桐庐县市场监督管理局, approver TL0101 */
#define S_FOOD   S_MARKET "000117004000"

typedef struct {
    ow_test_pg_t *pg;
    ow_db_t *db; /* owned by pg */
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("routing_test_tasks_", "routing-test", &err);
    fx->db = fx->pg ? ow_test_pg_db(fx->pg) : NULL;
    /* The demonstration data twice: loading it again must change nothing. */
    if (!fx->db ||
        ow_migrate(fx->db, routing_core_migrations, routing_core_migrations_count, &err) < 0 ||
        routing_first_task_prepare(fx->db, &err) < 0 || routing_decide_prepare(fx->db, &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/routing.sql", &err) < 0 ||
        ow_db_run(fx->db,
                  "INSERT INTO departments (code, name) VALUES ('NOAPPROVER', '无审批人部门')",
                  &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&fx->pg);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    ow_test_pg_destroy(&fx->pg);
    free(fx);
    return 0;
}

/* Applies a case.accepted event for case_no in department as the inbox would: inside one
 * transaction, committed on success. */
static int s_accept_in_lane(s_fixture_t *fx, const char *case_no, const char *department,
                            bool green, bool love, int64_t promised_due_us, ow_error_t *err)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.green_lane = green;
    c.love_lane = love;
    c.promised_due_us = promised_due_us;
    c.case_no = (char *)case_no;
    c.state = 3;
    c.item_code = (char *)S_FOOD;
    c.department_code = (char *)department;
    c.centre_id = (char *)"330122000000";
    Onewindow__V1__CaseAccepted a = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    a.case_ = &c;
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.source, sizeof ev.source, "intake");
    snprintf(ev.type, sizeof ev.type, "case.accepted");
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.time_us = ow_clock_now_us();
    ev.payload_len = onewindow__v1__case_accepted__get_packed_size(&a);
    ev.payload = malloc(ev.payload_len + 1);
    onewindow__v1__case_accepted__pack(&a, ev.payload);
    int rc = ow_test_event_apply(fx->db, routing_apply_case_accepted, NULL, &ev, err);
    free(ev.payload);
    return rc;
}

static int s_accept(s_fixture_t *fx, const char *case_no, const char *department, ow_error_t *err)
{
    return s_accept_in_lane(fx, case_no, department, false, false, 0, err);
}

static long s_count(s_fixture_t *fx, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(fx->db), sql);
}

/* The task_id of the case's first task, into out (37 bytes). */
static void s_task_of(s_fixture_t *fx, const char *case_no, char *out)
{
    ow_error_t err;
    ow_error_clear(&err);
    routing_tasks_t *tasks = routing_task_list_case(fx->db, case_no, &err);
    assert_non_null(tasks);
    assert_int_equal(routing_tasks_count(tasks), 1);
    snprintf(out, 37, "%s", routing_tasks_get(tasks, 0)->task_id);
    routing_tasks_destroy(&tasks);
}

static uint8_t *s_decide_request(const char *task_id, const char *decision, const char *comment,
                                 size_t *len)
{
    Onewindow__V1__DecideTask d = ONEWINDOW__V1__DECIDE_TASK__INIT;
    d.task_id = (char *)task_id;
    d.decision = (char *)decision;
    d.comment = (char *)comment;
    *len = onewindow__v1__decide_task__get_packed_size(&d);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__decide_task__pack(&d, buf);
    return buf;
}

static void test_first_task_goes_to_the_departments_approver(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    assert_int_equal(s_accept(fx, "3301222026112210001", S_MARKET, &err), 0);
    routing_tasks_t *tasks = routing_task_list_case(fx->db, "3301222026112210001", &err);
    assert_int_equal(routing_tasks_count(tasks), 1);
    const Onewindow__V1__Task *t = routing_tasks_get(tasks, 0);
    assert_string_equal(t->assignee, "TL0101");
    assert_string_equal(t->department_code, S_MARKET);
    assert_string_equal(t->item_code, S_FOOD);
    assert_string_equal(t->stage, "审查决定");
    assert_string_equal(t->state, "open");
    assert_string_equal(t->decision, "");
    assert_true(t->created_at_us > 0);
    routing_tasks_destroy(&tasks);

    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox WHERE type = 'task.created'"
                                 " AND case_no = '3301222026112210001'"
                                 " AND centre_id = '330122000000'"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.created'"),
                     1);

    /* The same event again (an inbox reset): no second task, no second event. */
    assert_int_equal(s_accept(fx, "3301222026112210001", S_MARKET, &err), 0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks"), 1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), 1);
}

static void test_unroutable_cases_are_poison(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    assert_int_equal(s_accept(fx, "3301222026112210002", "NO-SUCH-DEPT", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "NO-SUCH-DEPT is not known"));
    assert_int_equal(s_accept(fx, "3301222026112210002", "NOAPPROVER", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "has no approver"));
    assert_int_equal(s_accept(fx, "not-a-number", S_MARKET, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    uint8_t junk[] = {0x0a, 0x05, 0x01};
    ev.payload = junk;
    ev.payload_len = sizeof junk;
    ow_error_clear(&err);
    assert_int_equal(routing_apply_case_accepted(fx->db, &ev, NULL, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(
        s_count(fx, "SELECT count(*) FROM tasks WHERE case_no = '3301222026112210002'"), 0);
}

static void test_lists_are_ordered_and_paged(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    char case_no[32];
    for (int i = 10; i < 15; i++) {
        snprintf(case_no, sizeof case_no, "33012220261122100%02d", i);
        assert_int_equal(s_accept(fx, case_no, S_MARKET, &err), 0);
    }
    bool more = false;
    ow_error_clear(&err);
    routing_tasks_t *page = routing_task_list(fx->db, "TL0101", "open", NULL, 4, &more, &err);
    assert_non_null(page);
    assert_int_equal(routing_tasks_count(page), 4);
    assert_true(more);
    for (size_t i = 1; i < 4; i++)
        assert_true(routing_tasks_get(page, i - 1)->created_at_us <=
                    routing_tasks_get(page, i)->created_at_us);
    char after[37];
    snprintf(after, sizeof after, "%s", routing_tasks_get(page, 3)->task_id);
    routing_tasks_destroy(&page);
    page = routing_task_list(fx->db, "TL0101", "open", after, 4, &more, &err);
    assert_int_equal(routing_tasks_count(page), 2); /* 6 open tasks in all */
    assert_false(more);
    routing_tasks_destroy(&page);
    page = routing_task_list(fx->db, "TL0102", "open", NULL, 50, &more, &err);
    assert_int_equal(routing_tasks_count(page), 0);
    routing_tasks_destroy(&page);
    ow_error_clear(&err);
    assert_null(routing_task_list(fx->db, "TL0101", "open", "00000000-0000-4000-8000-000000000000",
                                  4, &more, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

static void test_decide(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    char task_id[37];
    assert_int_equal(s_accept(fx, "3301222026112210020", S_MARKET, &err), 0);
    s_task_of(fx, "3301222026112210020", task_id);
    long outbox = s_count(fx, "SELECT count(*) FROM outbox");

    size_t len;
    uint8_t *req = s_decide_request(task_id, "approve", "符合条件，准予许可", &len);
    uint8_t *reply = NULL, *again = NULL;
    size_t reply_len = 0, again_len = 0;

    /* Someone else, nobody, no key, an unknown task. */
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-1", "TL0102", req, len, &reply, &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-1", "", req, len, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "", "TL0101", req, len, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    size_t unknown_len;
    uint8_t *unknown =
        s_decide_request("00000000-0000-4000-8000-000000000000", "approve", "", &unknown_len);
    ow_error_clear(&err);
    assert_int_equal(
        routing_decide(fx->db, "d-0", "TL0101", unknown, unknown_len, &reply, &reply_len, &err),
        -1);
    assert_int_equal(err.code, OW_NOT_FOUND);
    free(unknown);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox); /* nothing emitted */

    /* The assignee approves. */
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-1", "TL0101", req, len, &reply, &reply_len, &err),
                     0);
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    assert_int_equal(r->status, OW_OK);
    Onewindow__V1__TaskReply *tr =
        onewindow__v1__task_reply__unpack(NULL, r->payload.len, r->payload.data);
    assert_string_equal(tr->task->state, "done");
    assert_string_equal(tr->task->decision, "approve");
    assert_string_equal(tr->task->decided_by, "TL0101");
    assert_string_equal(tr->task->comment, "符合条件，准予许可");
    assert_true(tr->task->decided_at_us >= tr->task->created_at_us);
    onewindow__v1__task_reply__free_unpacked(tr, NULL);
    onewindow__v1__reply__free_unpacked(r, NULL);

    /* task.decided and case.decided (approved, 11), in this order, in the same commit. */
    PGresult *res = PQexecParams(ow_db_conn(fx->db),
                                 "SELECT type, payload FROM outbox WHERE case_no ="
                                 " '3301222026112210020' AND type <> 'task.created' ORDER BY id",
                                 0, NULL, NULL, NULL, NULL, 1);
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), "task.decided");
    assert_string_equal(PQgetvalue(res, 1, 0), "case.decided");
    Onewindow__V1__CaseDecided *cd = onewindow__v1__case_decided__unpack(
        NULL, (size_t)PQgetlength(res, 1, 1), (const uint8_t *)PQgetvalue(res, 1, 1));
    assert_non_null(cd);
    assert_string_equal(cd->case_no, "3301222026112210020");
    assert_string_equal(cd->outcome, "approved");
    assert_int_equal(cd->state, 11);
    assert_string_equal(cd->decided_by, "TL0101");
    assert_string_equal(cd->task_id, task_id);
    assert_true(cd->decided_at_us > 0);
    onewindow__v1__case_decided__free_unpacked(cd, NULL);
    PQclear(res);

    /* The same key again: the first answer; a new key: already decided. */
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-1", "TL0101", req, len, &again, &again_len, &err),
                     0);
    assert_int_equal(again_len, reply_len);
    assert_memory_equal(again, reply, reply_len);
    size_t refuse_len;
    uint8_t *refuse = s_decide_request(task_id, "refuse", "again", &refuse_len);
    uint8_t *r3 = NULL;
    size_t r3_len = 0;
    ow_error_clear(&err);
    assert_int_equal(
        routing_decide(fx->db, "d-2", "TL0101", refuse, refuse_len, &r3, &r3_len, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox + 2);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.decided'"),
                     1);
    free(refuse);
    free(again);
    free(reply);
    free(req);
}

static void test_refusal(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    char task_id[37];
    assert_int_equal(s_accept(fx, "3301222026112210021", S_MARKET, &err), 0);
    s_task_of(fx, "3301222026112210021", task_id);
    size_t len;
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    uint8_t *bare = s_decide_request(task_id, "refuse", "", &len);
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-3", "TL0101", bare, len, &reply, &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT); /* a refusal gives its reasons */
    free(bare);

    uint8_t *req =
        s_decide_request(task_id, "refuse", "经营场所不符合要求；可依法申请行政复议", &len);
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "d-4", "TL0101", req, len, &reply, &reply_len, &err),
                     0);
    PGresult *res = PQexecParams(ow_db_conn(fx->db),
                                 "SELECT payload FROM outbox WHERE case_no ="
                                 " '3301222026112210021' AND type = 'case.decided'",
                                 0, NULL, NULL, NULL, NULL, 1);
    assert_int_equal(PQntuples(res), 1);
    Onewindow__V1__CaseDecided *cd = onewindow__v1__case_decided__unpack(
        NULL, (size_t)PQgetlength(res, 0, 0), (const uint8_t *)PQgetvalue(res, 0, 0));
    assert_string_equal(cd->outcome, "refused");
    assert_int_equal(cd->state, 13);
    onewindow__v1__case_decided__free_unpacked(cd, NULL);
    PQclear(res);
    free(reply);
    free(req);

    /* The audit trail is append-only. */
    assert_int_equal(ow_db_run(fx->db, "DELETE FROM audit_trail", &err), -1);
}

/* A batch is decided set-based (one statement per step for all of it): each decision gets
 * its own answer, refusals change nothing, and everything a single decision writes is written
 * for each; the same batch again returns the first answers; a batch naming one task twice
 * takes the per-decision path and decides it once. */
static void test_decide_batch(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    char a[37], b[37], c[37];
    assert_int_equal(s_accept(fx, "3301222026112210030", S_MARKET, &err), 0);
    assert_int_equal(s_accept(fx, "3301222026112210031", S_MARKET, &err), 0);
    assert_int_equal(s_accept(fx, "3301222026112210032", S_MARKET, &err), 0);
    s_task_of(fx, "3301222026112210030", a);
    s_task_of(fx, "3301222026112210031", b);
    s_task_of(fx, "3301222026112210032", c);
    long outbox = s_count(fx, "SELECT count(*) FROM outbox");
    long audit = s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.decided'");
    long deliveries = s_count(fx, "SELECT count(*) FROM deliveries");

    size_t len[4];
    uint8_t *req[4] = {
        s_decide_request(a, "approve", "准予", &len[0]),
        s_decide_request(b, "refuse", "不予许可；可申请复议", &len[1]),
        s_decide_request(c, "approve", "", &len[2]),
        s_decide_request("00000000-0000-4000-8000-000000000001", "approve", "", &len[3])};
    routing_decide_item_t items[4] = {
        {.idempotency_key = "b-1", .actor = "TL0101", .request = req[0], .len = len[0]},
        {.idempotency_key = "b-2", .actor = "TL0101", .request = req[1], .len = len[1]},
        {.idempotency_key = "b-3", .actor = "TL0102", .request = req[2], .len = len[2]},
        {.idempotency_key = "b-4", .actor = "TL0101", .request = req[3], .len = len[3]}};
    routing_decide_batch(fx->db, items, 4);
    assert_int_equal(items[0].rc, 0);
    assert_int_equal(items[1].rc, 0);
    assert_int_equal(items[2].rc, -1);
    assert_int_equal(items[2].err.code, OW_PERMISSION_DENIED);
    assert_int_equal(items[3].rc, -1);
    assert_int_equal(items[3].err.code, OW_NOT_FOUND);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox + 4);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.decided'"
                                 " AND before <> '' AND after <> ''"),
                     audit + 2);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM deliveries"), deliveries + 1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM deliveries WHERE case_no ="
                                 " '3301222026112210030' AND timer_key <> ''"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks WHERE state = 'done' AND case_no IN"
                                 " ('3301222026112210030', '3301222026112210031')"),
                     2);
    /* Each case's task.decided precedes its case.decided. */
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox t JOIN outbox d USING (case_no)"
                                 " WHERE t.type = 'task.decided' AND d.type = 'case.decided'"
                                 " AND t.id < d.id AND case_no IN ('3301222026112210030',"
                                 " '3301222026112210031')"),
                     2);

    /* The same batch again: the first answers, nothing new. */
    routing_decide_item_t again[4];
    memcpy(again, items, sizeof again);
    routing_decide_batch(fx->db, again, 4);
    assert_int_equal(again[0].rc, 0);
    assert_int_equal(again[0].reply_len, items[0].reply_len);
    assert_memory_equal(again[0].reply, items[0].reply, items[0].reply_len);
    assert_int_equal(again[1].rc, 0);
    assert_memory_equal(again[1].reply, items[1].reply, items[1].reply_len);
    assert_int_equal(again[2].err.code, OW_PERMISSION_DENIED);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox + 4);

    /* One task twice in a batch: decided once; the other is refused as already decided. */
    routing_decide_item_t twice[2] = {
        {.idempotency_key = "b-5", .actor = "TL0101", .request = req[2], .len = len[2]},
        {.idempotency_key = "b-6", .actor = "TL0101", .request = req[2], .len = len[2]}};
    routing_decide_batch(fx->db, twice, 2);
    assert_int_equal(twice[0].rc, 0);
    assert_int_equal(twice[1].rc, -1);
    assert_int_equal(twice[1].err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox + 6);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.decided'"),
                     audit + 3);

    for (size_t i = 0; i < 4; i++) {
        free(items[i].reply);
        free(again[i].reply);
        free(req[i]);
    }
    free(twice[0].reply);
    free(twice[1].reply);
}

/* DOMAIN §4: the work list goes green channel, love channel, then earliest due (unknown
 * last) — with lane and due taken from the accepted case, whatever the order of acceptance
 * and even when the green case is due last. */
static void test_work_list_follows_the_cases_lanes(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    int64_t now = ow_clock_now_us(), day = 86400LL * 1000000;
    static const char *expected[] = {"3301222026112210041", "3301222026112210042",
                                     "3301222026112210043", "3301222026112210044"};
    assert_int_equal(s_accept_in_lane(fx, expected[3], S_MARKET, false, false, 0, &err), 0);
    assert_int_equal(s_accept_in_lane(fx, expected[2], S_MARKET, false, false, now + 5 * day, &err),
                     0);
    assert_int_equal(s_accept_in_lane(fx, expected[1], S_MARKET, false, true, now + 20 * day, &err),
                     0);
    assert_int_equal(s_accept_in_lane(fx, expected[0], S_MARKET, true, true, now + 30 * day, &err),
                     0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks WHERE case_no = '3301222026112210041'"
                                 " AND lane_rank = 2 AND due_at IS NOT NULL"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks WHERE case_no = '3301222026112210044'"
                                 " AND lane_rank = 0 AND due_at IS NULL"),
                     1);
    ow_error_clear(&err);
    routing_tasks_t *mine = routing_work_list(fx->db, "mine", "TL0101", 500, now, &err);
    assert_non_null(mine);
    /* Every other open task of TL0101 is in no lane: the two lanes lead the whole list. */
    assert_string_equal(routing_tasks_get(mine, 0)->case_no, expected[0]);
    assert_string_equal(routing_tasks_get(mine, 1)->case_no, expected[1]);
    size_t seen = 0;
    for (size_t i = 0; i < routing_tasks_count(mine) && seen < 4; i++)
        if (strcmp(routing_tasks_get(mine, i)->case_no, expected[seen]) == 0)
            seen++;
    assert_int_equal(seen, 4);
    routing_tasks_destroy(&mine);
}

/* intake's case.withdrawn / case.terminated (CaseChanged) for case_no, as the inbox applies it. */
static int s_close(s_fixture_t *fx, ow_inbox_apply_fn *fn, const char *type, const char *case_no,
                   ow_error_t *err)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.centre_id = (char *)"330122000000";
    c.state = strcmp(type, "case.withdrawn") == 0 ? 14 : 13;
    c.closed_reason = (char *)"申请人撤回";
    Onewindow__V1__CaseChanged cc = ONEWINDOW__V1__CASE_CHANGED__INIT;
    cc.case_ = &c;
    cc.previous_state = 3;
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.source, sizeof ev.source, "intake");
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.time_us = ow_clock_now_us();
    ev.payload_len = onewindow__v1__case_changed__get_packed_size(&cc);
    ev.payload = malloc(ev.payload_len + 1);
    onewindow__v1__case_changed__pack(&cc, ev.payload);
    int rc = ow_test_event_apply(fx->db, fn, NULL, &ev, err);
    free(ev.payload);
    return rc;
}

/* Whether TL0101's work list shows a task of case_no. */
static bool s_in_work_list(s_fixture_t *fx, const char *case_no)
{
    ow_error_t err;
    ow_error_clear(&err);
    routing_tasks_t *mine =
        routing_work_list(fx->db, "mine", "TL0101", 500, ow_clock_now_us(), &err);
    assert_non_null(mine);
    bool found = false;
    for (size_t i = 0; i < routing_tasks_count(mine); i++)
        found = found || strcmp(routing_tasks_get(mine, i)->case_no, case_no) == 0;
    routing_tasks_destroy(&mine);
    return found;
}

/* 撤回: the applicant's withdrawal closes the case's open task as a 容缺 lapse does — cancelled
 * with its reason, task.updated, the audit naming the withdrawal, gone from the work list —
 * and a decision on it afterwards is FAILED_PRECONDITION and changes nothing. Once only. */
static void test_withdrawal_closes_the_work(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    char task_id[37];
    const char *no = "3301222026112210050";
    assert_int_equal(s_accept(fx, no, S_MARKET, &err), 0);
    s_task_of(fx, no, task_id);
    assert_true(s_in_work_list(fx, no));

    assert_int_equal(s_close(fx, routing_apply_case_withdrawn, "case.withdrawn", no, &err), 0);
    routing_tasks_t *tasks = routing_task_list_case(fx->db, no, &err);
    assert_int_equal(routing_tasks_count(tasks), 1);
    assert_string_equal(routing_tasks_get(tasks, 0)->state, "cancelled");
    assert_string_equal(routing_tasks_get(tasks, 0)->closed_reason, "case_withdrawn");
    routing_tasks_destroy(&tasks);
    assert_false(s_in_work_list(fx, no));
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox WHERE type = 'task.updated'"
                                 " AND case_no = '3301222026112210050'"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.cancelled'"
                                 " AND case_no = '3301222026112210050'"
                                 " AND detail LIKE '%withdrew%'"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'case.withdrawn'"
                                 " AND case_no = '3301222026112210050'"),
                     1);
    long outbox = s_count(fx, "SELECT count(*) FROM outbox");
    long audit = s_count(fx, "SELECT count(*) FROM audit_trail");

    /* The holder decides anyway (a stale screen): refused, nothing written. */
    size_t len;
    uint8_t *req = s_decide_request(task_id, "approve", "同意", &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ow_error_clear(&err);
    assert_int_equal(routing_decide(fx->db, "w-1", "TL0101", req, len, &reply, &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    free(req);
    free(reply);

    /* The same withdrawal again, and a termination after it: nothing more. */
    assert_int_equal(s_close(fx, routing_apply_case_withdrawn, "case.withdrawn", no, &err), 0);
    assert_int_equal(s_close(fx, routing_apply_case_terminated, "case.terminated", no, &err), 0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), outbox);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail"), audit);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks WHERE case_no = '3301222026112210050'"
                                 " AND state = 'cancelled' AND decision IS NULL"),
                     1);

    /* A termination (容缺 lapse) goes the same way, with its own reason and wording. */
    const char *lapsed = "3301222026112210051";
    assert_int_equal(s_accept(fx, lapsed, S_MARKET, &err), 0);
    assert_int_equal(s_close(fx, routing_apply_case_terminated, "case.terminated", lapsed, &err),
                     0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM tasks WHERE case_no = '3301222026112210051'"
                                 " AND state = 'cancelled' AND closed_reason = 'case_terminated'"),
                     1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE action = 'task.cancelled'"
                                 " AND case_no = '3301222026112210051' AND detail LIKE '%容缺%'"),
                     1);
    assert_false(s_in_work_list(fx, lapsed));

    /* A withdrawal before acceptance (state 2): routing has nothing of the case. */
    assert_int_equal(
        s_close(fx, routing_apply_case_withdrawn, "case.withdrawn", "3301222026112210052", &err),
        0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM audit_trail WHERE case_no ="
                                 " '3301222026112210052'"),
                     0);
    /* Junk is poison. */
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.type, sizeof ev.type, "case.withdrawn");
    uint8_t junk[] = {0x0a, 0x05, 0x01};
    ev.payload = junk;
    ev.payload_len = sizeof junk;
    ow_error_clear(&err);
    assert_int_equal(routing_apply_case_withdrawn(fx->db, &ev, NULL, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_task_goes_to_the_departments_approver),
        cmocka_unit_test(test_unroutable_cases_are_poison),
        cmocka_unit_test(test_lists_are_ordered_and_paged),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_decide_batch),
        cmocka_unit_test(test_work_list_follows_the_cases_lanes),
        cmocka_unit_test(test_withdrawal_closes_the_work),
    };
    return cmocka_run_group_tests_name("tasks", tests, s_setup, s_teardown);
}
