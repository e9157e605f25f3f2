/* tasks: list query and decision body to protobuf; Task back to JSON. */
#include "test_support.h"

#include <stdlib.h>

#include "tasks.h"

static Onewindow__V1__ListTasks *s_list(const char *query_json, ow_error_t *err)
{
    json_t *q = test_json(query_json);
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_clear(err);
    int rc = tasks_pack_list(q, &buf, &len, err);
    json_decref(q);
    if (rc != 0) {
        assert_int_equal(err->code, OW_INVALID_ARGUMENT);
        return NULL;
    }
    Onewindow__V1__ListTasks *m = onewindow__v1__list_tasks__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(m);
    return m;
}

static void test_list_query(void **state)
{
    ow_error_t err;
    Onewindow__V1__ListTasks *m =
        s_list("{\"assignee\":\"S01\",\"state\":\"done\",\"limit\":\"20\",\"after\":\"T9\"}", &err);
    assert_non_null(m);
    assert_string_equal(m->assignee, "S01");
    assert_string_equal(m->state, "done");
    assert_int_equal(m->limit, 20);
    assert_string_equal(m->after_task_id, "T9");
    onewindow__v1__list_tasks__free_unpacked(m, NULL);

    m = s_list("{\"assignee\":\"S01\"}", &err);
    assert_non_null(m);
    assert_int_equal(m->limit, 0); /* routing's default page */
    onewindow__v1__list_tasks__free_unpacked(m, NULL);
}

static void test_list_query_refusals(void **state)
{
    ow_error_t err;
    assert_null(s_list("{\"state\":\"closed\",\"limit\":\"0\",\"sort\":\"x\"}", &err));
    assert_int_equal(err.violation_count, 4);
    assert_true(test_has_violation(&err, "assignee"));
    assert_true(test_has_violation(&err, "state"));
    assert_true(test_has_violation(&err, "limit"));
    assert_true(test_has_violation(&err, "sort"));

    static const char *const limits[] = {"501", "-1", "+5", "5x", "", "1e2", "99999999999"};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char q[128];
        snprintf(q, sizeof q, "{\"assignee\":\"S\",\"limit\":\"%s\"}", limits[i]);
        Onewindow__V1__ListTasks *m = s_list(q, &err);
        if (limits[i][0] == '\0') { /* an empty limit means none */
            assert_non_null(m);
            onewindow__v1__list_tasks__free_unpacked(m, NULL);
            continue;
        }
        if (m)
            fail_msg("limit=%s was accepted", limits[i]);
        assert_true(test_has_violation(&err, "limit"));
    }
}

static int s_decide(const char *body_json, Onewindow__V1__DecideTask **out, char *actor,
                    ow_error_t *err)
{
    json_t *body = test_json(body_json);
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_clear(err);
    int rc = tasks_pack_decide(body, "T1", &buf, &len, actor, err);
    json_decref(body);
    if (rc == 0) {
        *out = onewindow__v1__decide_task__unpack(NULL, len, buf);
        assert_non_null(*out);
        free(buf);
    } else {
        assert_int_equal(err->code, OW_INVALID_ARGUMENT);
    }
    return rc;
}

static void test_decision_body(void **state)
{
    ow_error_t err;
    char actor[TASKS_ID_MAX + 1];
    Onewindow__V1__DecideTask *m = NULL;
    assert_int_equal(
        s_decide(
            "{\"decision\":\"refuse\",\"comment\":\"\xe6\x9d\x90\xe6\x96\x99\",\"actor\":\"S01\"}",
            &m, actor, &err),
        0);
    assert_string_equal(m->task_id, "T1");
    assert_string_equal(m->decision, "refuse");
    assert_string_equal(m->comment, "\xe6\x9d\x90\xe6\x96\x99");
    assert_string_equal(actor, "S01");
    onewindow__v1__decide_task__free_unpacked(m, NULL);
}

static void test_decision_refusals(void **state)
{
    ow_error_t err;
    char actor[TASKS_ID_MAX + 1];
    Onewindow__V1__DecideTask *m = NULL;
    assert_int_equal(
        s_decide("{\"decision\":\"maybe\",\"comment\":3,\"who\":\"S01\"}", &m, actor, &err), -1);
    assert_int_equal(err.violation_count, 4);
    assert_true(test_has_violation(&err, "decision"));
    assert_true(test_has_violation(&err, "comment"));
    assert_true(test_has_violation(&err, "actor"));
    assert_true(test_has_violation(&err, "who"));

    assert_int_equal(s_decide("{}", &m, actor, &err), -1);
    assert_true(test_has_violation(&err, "decision"));
    assert_true(test_has_violation(&err, "actor"));

    char body[256];
    char long_actor[TASKS_ID_MAX + 2];
    memset(long_actor, 'S', sizeof long_actor - 1);
    long_actor[sizeof long_actor - 1] = '\0';
    snprintf(body, sizeof body, "{\"decision\":\"approve\",\"actor\":\"%s\"}", long_actor);
    assert_int_equal(s_decide(body, &m, actor, &err), -1);
    assert_true(test_has_violation(&err, "actor"));
}

static void test_task_json(void **state)
{
    Onewindow__V1__Task t = ONEWINDOW__V1__TASK__INIT;
    t.task_id = "T1";
    t.case_no = "C1";
    t.assignee = "S01";
    t.state = "open";
    t.created_at_us = 1795352400000000LL;
    t.stage = "\xe5\xae\xa1\xe6\x9f\xa5"; /* 审查 */

    json_t *j = tasks_task_json(&t);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 13);
    /* Why a cancelled task was closed; "" for an open one. */
    assert_string_equal(json_string_value(json_object_get(j, "closed_reason")), "");
    /* docs/api.md: an open task's decision and decider are "", its decided_at null. */
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "");
    assert_true(json_is_null(json_object_get(j, "decided_at")));
    assert_string_equal(json_string_value(json_object_get(j, "decided_by")), "");
    assert_string_equal(json_string_value(json_object_get(j, "created_at")),
                        "2026-11-22T21:00:00+08:00");
    assert_string_equal(json_string_value(json_object_get(j, "stage")), "\xe5\xae\xa1\xe6\x9f\xa5");
    json_decref(j);
}

static void test_task_list_json(void **state)
{
    Onewindow__V1__Task t1 = ONEWINDOW__V1__TASK__INIT;
    Onewindow__V1__Task t2 = ONEWINDOW__V1__TASK__INIT;
    t1.task_id = "T1";
    t2.task_id = "T2";
    Onewindow__V1__Task *tasks[] = {&t1, &t2};
    Onewindow__V1__TaskList list = ONEWINDOW__V1__TASK_LIST__INIT;
    list.n_tasks = 2;
    list.tasks = tasks;
    list.next_after = "T2";
    uint8_t buf[512];
    size_t len = onewindow__v1__task_list__pack(&list, buf);

    ow_error_t err;
    ow_error_clear(&err);
    json_t *j = tasks_task_list_json(buf, len, &err);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "tasks")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "next_after")), "T2");
    json_decref(j);

    list.next_after = "";
    list.n_tasks = 0;
    len = onewindow__v1__task_list__pack(&list, buf);
    j = tasks_task_list_json(buf, len, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "next_after")), "");
    json_decref(j);

    const uint8_t garbage[] = {0x0a, 0x7f, 0x01};
    assert_null(tasks_task_list_json(garbage, sizeof garbage, &err));
    assert_int_equal(err.code, OW_INTERNAL);
    assert_null(tasks_task_reply_json(garbage, sizeof garbage, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_query),    cmocka_unit_test(test_list_query_refusals),
        cmocka_unit_test(test_decision_body), cmocka_unit_test(test_decision_refusals),
        cmocka_unit_test(test_task_json),     cmocka_unit_test(test_task_list_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
