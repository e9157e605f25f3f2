/* route: which operation a method and path name; query decoding. */
#include "test_support.h"

#include "endpoints.h"
#include "route.h"

/* The real table: these tests prove what the daemon answers. */
#define MATCH(m, p, r, e) route_match(endpoints, endpoints_count, (m), (p), (r), (e))

static void s_expect(const char *method, const char *path, const char *name, const char *param)
{
    route_t r;
    ow_error_t err;
    int status = MATCH(method, path, &r, &err);
    if (status != 0)
        fail_msg("%s %s: expected a match, got %d (%s)", method, path, status, err.message);
    assert_string_equal(r.name, name);
    assert_string_equal(r.param, param);
}

static int s_refuse(const char *method, const char *path, route_t *r)
{
    ow_error_t err;
    int status = MATCH(method, path, r, &err);
    assert_int_not_equal(status, 0);
    assert_null(r->def);
    assert_true(strlen(err.message) > 0);
    return status;
}

static void test_every_operation_matches(void **state)
{
    s_expect("POST", "/v1/applications", "POST /v1/applications", "");
    s_expect("GET", "/v1/cases/330122202611220001", "GET /v1/cases/{case_no}",
             "330122202611220001");
    s_expect("GET", "/v1/tasks", "GET /v1/tasks", "");
    s_expect("POST", "/v1/tasks/T-42/decision", "POST /v1/tasks/{task_id}/decision", "T-42");
    s_expect("POST", "/v1/ratings", "POST /v1/ratings", "");
    s_expect("POST", "/v1/admin/clock", "POST /v1/admin/clock", "");
    s_expect("GET", "/v1/admin/clock", "GET /v1/admin/clock", "");
    s_expect("GET", "/v1/events", "GET /v1/events", "");
    s_expect("POST", "/v1/admin/tokens", "POST /v1/admin/tokens", "");
    s_expect("GET", "/v1/admin/tokens", "GET /v1/admin/tokens", "");
    s_expect("POST", "/v1/admin/tokens/tk_0123/revoke", "POST /v1/admin/tokens/{token_id}/revoke",
             "tk_0123");
    /* An escaped parameter is decoded. */
    s_expect("GET", "/v1/cases/%41B-1", "GET /v1/cases/{case_no}", "AB-1");
}

static void test_route_names_are_labels(void **state)
{
    route_t r;
    ow_error_t err;
    assert_int_equal(MATCH("GET", "/v1/cases/X1", &r, &err), 0);
    assert_string_equal(r.name, "GET /v1/cases/{case_no}");
    assert_int_equal(MATCH("GET", "/nope", &r, &err), 404);
    assert_string_equal(r.name, "unmatched");
}

static void test_unknown_paths_are_404(void **state)
{
    static const char *const paths[] = {
        "/",
        "/v1",
        "/v1/",
        "/v2/applications",
        "/v1/applications/", /* trailing slash is another path */
        "/v1/cases",
        "/v1/cases/",
        "/v1/cases/1/2",
        "/v1/tasks/T1",
        "/v1/tasks/T1/decision/x",
        "/v1/tasks//decision",
        "/v1/admin",
        "/V1/applications",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        route_t r;
        assert_int_equal(s_refuse("GET", paths[i], &r), 404);
    }
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    route_t r;
    assert_int_equal(s_refuse("GET", "/v1/applications", &r), 405);
    assert_string_equal(r.allow, "POST");
    assert_int_equal(s_refuse("DELETE", "/v1/cases/1", &r), 405);
    assert_string_equal(r.allow, "GET");
    assert_int_equal(s_refuse("PUT", "/v1/admin/clock", &r), 405);
    assert_string_equal(r.allow, "GET, POST");
    assert_int_equal(s_refuse("GET", "/v1/tasks/T1/decision", &r), 405);
    assert_string_equal(r.allow, "POST");
}

static void test_malformed_parameters_are_400(void **state)
{
    char long_path[600];
    memset(long_path, 0, sizeof long_path);
    strcpy(long_path, "/v1/cases/");
    memset(long_path + strlen(long_path), '1', ROUTE_PARAM_MAX + 1);

    static const char *const paths[] = {
        "/v1/cases/a%2Fb",     /* encoded slash */
        "/v1/cases/a%20b",     /* space */
        "/v1/cases/%00",       /* NUL */
        "/v1/cases/%zz",       /* broken escape */
        "/v1/cases/%4",        /* cut escape */
        "/v1/cases/%E5%BC%A0", /* not an identifier */
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        route_t r;
        ow_error_t err;
        int status = MATCH("GET", paths[i], &r, &err);
        if (status != 400)
            fail_msg("%s: expected 400, got %d", paths[i], status);
        assert_true(test_has_violation(&err, "case_no"));
    }
    route_t r;
    ow_error_t err;
    assert_int_equal(MATCH("GET", long_path, &r, &err), 400);
    assert_int_equal(MATCH("POST", "/v1/tasks/a%3Bb/decision", &r, &err), 400);
    assert_true(test_has_violation(&err, "task_id"));
}

static void test_query_decoding(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    json_t *q = route_parse_query("assignee=S%2001&state=open&note=a+b&&flag", &err);
    assert_non_null(q);
    assert_string_equal(json_string_value(json_object_get(q, "assignee")), "S 01");
    assert_string_equal(json_string_value(json_object_get(q, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(q, "note")), "a b");
    assert_string_equal(json_string_value(json_object_get(q, "flag")), "");
    assert_int_equal(json_object_size(q), 4);
    json_decref(q);

    q = route_parse_query(NULL, &err);
    assert_non_null(q);
    assert_int_equal(json_object_size(q), 0);
    json_decref(q);
}

static void test_query_refusals(void **state)
{
    static const char *const bad[] = {
        "a=1&a=2", /* repeated */
        "a=%zz",   /* broken escape */
        "a=%0",    /* cut escape */
        "a=%00",   /* NUL */
        "a=%FF",   /* not UTF-8 */
        "=1",      /* no name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        json_t *q = route_parse_query(bad[i], &err);
        if (q)
            fail_msg("query %s was accepted", bad[i]);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
        assert_int_equal(err.violation_count, 1);
    }
    char big[ROUTE_QUERY_MAX + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ow_error_t err;
    ow_error_clear(&err);
    assert_null(route_parse_query(big, &err));
    assert_true(test_has_violation(&err, "query"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_operation_matches),
        cmocka_unit_test(test_route_names_are_labels),
        cmocka_unit_test(test_unknown_paths_are_404),
        cmocka_unit_test(test_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_malformed_parameters_are_400),
        cmocka_unit_test(test_query_decoding),
        cmocka_unit_test(test_query_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
