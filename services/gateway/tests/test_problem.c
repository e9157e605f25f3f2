/* problem: problem+json from errors and from service replies. */
#include "test_support.h"

#include "problem.h"

static void test_problem_from_error_with_violations(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_error_add_violation(&err, "applicant.id_number", "must be 18 characters");
    ow_error_add_violation(&err, "materials[0]", "unknown material");
    ow_error_finish_violations(&err);

    int status = 0;
    json_t *p = problem_from_error(&err, &status);
    assert_non_null(p);
    assert_int_equal(status, 400);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "about:blank");
    assert_string_equal(json_string_value(json_object_get(p, "title")), "INVALID_ARGUMENT");
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 400);
    assert_non_null(strstr(json_string_value(json_object_get(p, "detail")), "2 problems"));
    json_t *params = json_object_get(p, "invalid_params");
    assert_int_equal(json_array_size(params), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 0), "name")),
                        "applicant.id_number");
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 1), "reason")),
                        "unknown material");
    json_decref(p);
}

static void test_problem_without_violations_has_no_params(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_error_set(&err, OW_FAILED_PRECONDITION, "task T1 is already decided");
    int status = 0;
    json_t *p = problem_from_error(&err, &status);
    assert_int_equal(status, 412);
    assert_null(json_object_get(p, "invalid_params"));
    assert_string_equal(json_string_value(json_object_get(p, "detail")),
                        "task T1 is already decided");
    json_decref(p);
}

static void test_problem_from_results(void **state)
{
    const ow_violation_t v[] = {{"materials", "material M2 is missing"}};
    ow_rpc_result_t invalid = {.status = OW_INVALID_ARGUMENT,
                               .message = "1 problem",
                               .violation_count = 1,
                               .violations = v};
    int status = 0;
    json_t *p = problem_from_result(&invalid, "intake", &status);
    assert_int_equal(status, 400);
    assert_string_equal(json_string_value(json_object_get(p, "title")), "INVALID_ARGUMENT");
    assert_int_equal(json_array_size(json_object_get(p, "invalid_params")), 1);
    json_decref(p);

    ow_rpc_result_t late = {.status = OW_DEADLINE_EXCEEDED, .message = ""};
    p = problem_from_result(&late, "routing", &status);
    assert_int_equal(status, 504);
    assert_non_null(strstr(json_string_value(json_object_get(p, "detail")), "routing"));
    json_decref(p);

    ow_rpc_result_t cancelled = {.status = OW_CANCELLED, .message = ""};
    p = problem_from_result(&cancelled, "routing", &status);
    assert_int_equal(status, 503);
    json_decref(p);

    ow_rpc_result_t missing = {.status = OW_NOT_FOUND, .message = "no case 1"};
    p = problem_from_result(&missing, "intake", &status);
    assert_int_equal(status, 404);
    assert_string_equal(json_string_value(json_object_get(p, "detail")), "no case 1");
    json_decref(p);

    ow_rpc_result_t dup = {.status = OW_ALREADY_EXISTS, .message = "already rated"};
    p = problem_from_result(&dup, "evaluation", &status);
    assert_int_equal(status, 409);
    json_decref(p);
}

static void test_problem_survives_cut_utf8(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    /* A message cut inside a Chinese character must still render. */
    ow_error_set(&err, OW_INTERNAL, "\xe6\x9d\x90\xe6");
    int status = 0;
    json_t *p = problem_from_error(&err, &status);
    assert_non_null(p);
    assert_int_equal(status, 500);
    json_decref(p);
}

static void test_problem_new(void **state)
{
    json_t *p = problem_new(405, "METHOD_NOT_ALLOWED", "use POST");
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 405);
    assert_string_equal(json_string_value(json_object_get(p, "title")), "METHOD_NOT_ALLOWED");
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_from_error_with_violations),
        cmocka_unit_test(test_problem_without_violations_has_no_params),
        cmocka_unit_test(test_problem_from_results),
        cmocka_unit_test(test_problem_survives_cut_utf8),
        cmocka_unit_test(test_problem_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
