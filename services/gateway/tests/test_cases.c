/* cases: the case view merged from four services. */
#include "test_support.h"

#include <stdlib.h>

#include "cases.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

static uint8_t s_case_buf[512], s_tasks_buf[512], s_clock_buf[512], s_rating_buf[512];
static size_t s_case_len, s_tasks_len, s_clock_len, s_rating_len;

static int s_setup(void **state)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = "C1";
    c.state = 3;
    Onewindow__V1__CaseReply cr = ONEWINDOW__V1__CASE_REPLY__INIT;
    cr.case_ = &c;
    s_case_len = onewindow__v1__case_reply__pack(&cr, s_case_buf);

    Onewindow__V1__Task t = ONEWINDOW__V1__TASK__INIT;
    t.task_id = "T1";
    t.case_no = "C1";
    Onewindow__V1__Task *tasks[] = {&t};
    Onewindow__V1__TaskList tl = ONEWINDOW__V1__TASK_LIST__INIT;
    tl.n_tasks = 1;
    tl.tasks = tasks;
    s_tasks_len = onewindow__v1__task_list__pack(&tl, s_tasks_buf);

    Onewindow__V1__Clock k = ONEWINDOW__V1__CLOCK__INIT;
    k.case_no = "C1";
    k.state = "running";
    k.limit = 5;
    k.remaining_working_days = 4;
    Onewindow__V1__CaseClockReply kr = ONEWINDOW__V1__CASE_CLOCK_REPLY__INIT;
    kr.clock = &k;
    s_clock_len = onewindow__v1__case_clock_reply__pack(&kr, s_clock_buf);

    Onewindow__V1__Rating r = ONEWINDOW__V1__RATING__INIT;
    r.case_no = "C1";
    r.grade = 5;
    Onewindow__V1__RatingReply rr = ONEWINDOW__V1__RATING_REPLY__INIT;
    rr.rating = &r;
    s_rating_len = onewindow__v1__rating_reply__pack(&rr, s_rating_buf);
    return 0;
}

static ow_rpc_result_t s_ok(const uint8_t *buf, size_t len)
{
    return (ow_rpc_result_t){.status = OW_OK, .message = "", .payload = buf, .payload_len = len};
}

static ow_rpc_result_t s_fail(ow_status_t status)
{
    return (ow_rpc_result_t){.status = status, .message = "down"};
}

static void test_complete_view(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r;
    assert_false(case_view_complete(v));
    r = s_ok(s_rating_buf, s_rating_len);
    case_view_take(v, CASES_PART_RATING, &r);
    r = s_ok(s_clock_buf, s_clock_len);
    case_view_take(v, CASES_PART_CLOCK, &r);
    r = s_ok(s_tasks_buf, s_tasks_len);
    case_view_take(v, CASES_PART_TASKS, &r);
    r = s_ok(s_case_buf, s_case_len);
    case_view_take(v, CASES_PART_CASE, &r);
    assert_true(case_view_complete(v));

    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "case"), "case_no")), "C1");
    assert_int_equal(json_array_size(json_object_get(body, "tasks")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "clock"), "state")),
                        "running");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(body, "rating"), "grade")),
                     5);
    assert_int_equal(json_array_size(json_object_get(body, "degraded")), 0);
    json_decref(body);
    case_view_destroy(&v);
    assert_null(v);
    case_view_destroy(&v); /* harmless */
}

static void test_not_found_parts_are_empty_not_degraded(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r = s_ok(s_case_buf, s_case_len);
    case_view_take(v, CASES_PART_CASE, &r);
    r = s_fail(OW_NOT_FOUND);
    case_view_take(v, CASES_PART_TASKS, &r);
    case_view_take(v, CASES_PART_CLOCK, &r);
    case_view_take(v, CASES_PART_RATING, &r);

    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 200);
    assert_true(json_is_array(json_object_get(body, "tasks")));
    assert_int_equal(json_array_size(json_object_get(body, "tasks")), 0);
    assert_true(json_is_null(json_object_get(body, "clock")));
    assert_true(json_is_null(json_object_get(body, "rating")));
    assert_int_equal(json_array_size(json_object_get(body, "degraded")), 0);
    json_decref(body);
    case_view_destroy(&v);
}

static void test_failed_services_are_degraded(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r = s_ok(s_case_buf, s_case_len);
    case_view_take(v, CASES_PART_CASE, &r);
    r = s_fail(OW_DEADLINE_EXCEEDED);
    case_view_take(v, CASES_PART_CLOCK, &r);
    r = s_fail(OW_UNAVAILABLE);
    case_view_take(v, CASES_PART_RATING, &r);
    /* Bytes that are not a task list: routing is at fault, so degraded too. */
    const uint8_t garbage[] = {0x0a, 0x7f};
    r = s_ok(garbage, sizeof garbage);
    case_view_take(v, CASES_PART_TASKS, &r);

    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 200);
    json_t *degraded = json_object_get(body, "degraded");
    assert_int_equal(json_array_size(degraded), 3);
    assert_string_equal(json_string_value(json_array_get(degraded, 0)), "routing");
    assert_string_equal(json_string_value(json_array_get(degraded, 1)), "deadline");
    assert_string_equal(json_string_value(json_array_get(degraded, 2)), "evaluation");
    assert_true(json_is_null(json_object_get(body, "clock")));
    json_decref(body);
    case_view_destroy(&v);
}

static void test_unknown_case_is_404(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r = {.status = OW_NOT_FOUND, .message = "no case C9"};
    case_view_take(v, CASES_PART_CASE, &r);
    r = s_ok(s_tasks_buf, s_tasks_len);
    case_view_take(v, CASES_PART_TASKS, &r);
    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 404);
    assert_string_equal(json_string_value(json_object_get(body, "title")), "NOT_FOUND");
    assert_string_equal(json_string_value(json_object_get(body, "detail")), "no case C9");
    json_decref(body);
    case_view_destroy(&v);
}

static void test_intake_down_fails_the_request(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r = s_fail(OW_DEADLINE_EXCEEDED);
    case_view_take(v, CASES_PART_CASE, &r);
    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 504);
    assert_non_null(strstr(json_string_value(json_object_get(body, "detail")), "intake"));
    json_decref(body);
    case_view_destroy(&v);
}

static void test_first_answer_wins(void **state)
{
    case_view_t *v = case_view_new();
    ow_rpc_result_t r = s_ok(s_case_buf, s_case_len);
    case_view_take(v, CASES_PART_CASE, &r);
    r = s_fail(OW_NOT_FOUND);
    case_view_take(v, CASES_PART_CASE, &r);
    json_t *body = NULL;
    assert_int_equal(case_view_render(v, &body), 200);
    json_decref(body);
    case_view_destroy(&v);
}

static void test_requests_name_the_case(void **state)
{
    for (int i = 0; i < CASES_PART_COUNT; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        ow_error_t err;
        assert_int_equal(cases_pack_request((cases_part_t)i, "C1", &buf, &len, &err), 0);
        /* Every request message has case_no as field 1: tag 0x0a, length 2, "C1". */
        assert_int_equal(len, 4);
        assert_memory_equal(buf,
                            "\x0a\x02"
                            "C1",
                            4);
        free(buf);
    }
    assert_string_equal(cases_part_method(CASES_PART_CLOCK), "deadline.get_clock");
    assert_string_equal(cases_part_service(CASES_PART_RATING), "evaluation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_view),
        cmocka_unit_test(test_not_found_parts_are_empty_not_degraded),
        cmocka_unit_test(test_failed_services_are_degraded),
        cmocka_unit_test(test_unknown_case_is_404),
        cmocka_unit_test(test_intake_down_fails_the_request),
        cmocka_unit_test(test_first_answer_wins),
        cmocka_unit_test(test_requests_name_the_case),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
