/* report: what the operator reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

/* Runs fn(out, answer) into a string (caller frees). */
static char *s_render(void (*fn)(FILE *, const json_t *), const char *answer_json)
{
    json_t *answer = json_loads(answer_json, 0, NULL);
    assert_non_null(answer);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    fn(out, answer);
    fclose(out);
    json_decref(answer);
    return text;
}

static void s_problem(FILE *out, const json_t *answer)
{
    report_problem(out, 400, answer);
}

static void test_problem_lists_every_field(void **state)
{
    char *text = s_render(s_problem,
                          "{\"type\":\"about:blank\",\"title\":\"INVALID_ARGUMENT\",\"status\":400,"
                          "\"detail\":\"2 problems\",\"invalid_params\":["
                          "{\"name\":\"applicant.id_number\",\"reason\":\"is required\"},"
                          "{\"name\":\"materials[0]\",\"reason\":\"unknown material\"}]}");
    assert_non_null(strstr(text, "error: HTTP 400 INVALID_ARGUMENT: 2 problems\n"));
    assert_non_null(strstr(text, "  - applicant.id_number: is required\n"));
    assert_non_null(strstr(text, "  - materials[0]: unknown material\n"));
    free(text);

    /* An answer that is not a problem document still says what happened. */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    report_problem(out, 502, NULL);
    fclose(out);
    assert_string_equal(buf, "error: HTTP 502\n");
    free(buf);
}

static const char s_view[] =
    "{\"case\":{\"case_no\":\"3301222026112200001\",\"state\":3,\"state_name\":\"accepted\","
    "\"item_code\":\"330100-01\",\"item_name\":\"Licence\",\"item_version\":1,"
    "\"department_code\":\"D01\",\"department_name\":\"Market\","
    "\"applicant\":{\"name\":\"Zhang San\",\"id_type\":\"resident_id\","
    "\"id_number\":\"330122199001010011\",\"phone\":\"13800000000\",\"email\":\"\"},"
    "\"channel\":\"window\",\"centre_id\":\"330122000000\","
    "\"received_at\":\"2026-11-22T21:00:00+08:00\",\"accepted_at\":\"2026-11-22T21:00:00+08:00\","
    "\"decided_at\":null,\"promised_limit\":5,\"limit_unit\":\"working_days\",\"legal_limit\":20},"
    "\"tasks\":[{\"task_id\":\"T1\",\"case_no\":\"3301222026112200001\",\"item_code\":\"330100-"
    "01\","
    "\"department_code\":\"D01\",\"assignee\":\"S01\",\"state\":\"done\",\"decision\":\"approve\","
    "\"comment\":\"complete\",\"created_at\":\"2026-11-22T21:00:01+08:00\","
    "\"decided_at\":\"2026-11-23T10:00:00+08:00\",\"decided_by\":\"S01\",\"stage\":\"review\"}],"
    "\"clock\":{\"state\":\"running\",\"started_at\":\"2026-11-22T21:00:00+08:00\","
    "\"due_at\":\"2026-11-27T23:59:59+08:00\",\"limit\":5,\"unit\":\"working_days\","
    "\"stopped_at\":null,\"remaining_working_days\":-2},"
    "\"rating\":null,\"degraded\":[\"evaluation\"]}";

static void test_case_summary(void **state)
{
    char *text = s_render(report_case, s_view);
    assert_non_null(strstr(text, "Case        3301222026112200001  accepted (state 3)"));
    /* The ID number is masked; the full number is in --json only. */
    assert_non_null(strstr(text, "3301**********0011"));
    assert_null(strstr(text, "330122199001010011"));
    assert_non_null(strstr(text, "Decided     \xe2\x80\x94"));
    assert_non_null(strstr(text, "T1  review  done  assignee S01"));
    assert_non_null(strstr(text, "approve by S01 at 2026-11-23T10:00:00+08:00: complete"));
    assert_non_null(strstr(text, "OVERDUE by 2 working days"));
    assert_non_null(strstr(text, "Rating      not rated"));
    assert_non_null(strstr(text, "no answer from evaluation"));
    free(text);
}

static void test_empty_case_parts(void **state)
{
    char *text =
        s_render(report_case, "{\"case\":{\"case_no\":\"C\"},\"tasks\":[],"
                              "\"clock\":null,\"rating\":{\"grade\":1,\"is_bad\":true,"
                              "\"channel\":\"web\",\"rated_at\":\"t\",\"comment\":\"slow\"},"
                              "\"degraded\":[]}");
    assert_non_null(strstr(text, "Tasks       none yet"));
    assert_non_null(strstr(text, "Clock       none yet"));
    assert_non_null(strstr(text, "Rating      1/5 (bad review) via web at t: slow"));
    assert_null(strstr(text, "no answer"));
    free(text);
}

static void test_clock_reports(void **state)
{
    char *text = s_render(report_clock_moved,
                          "{\"now\":\"2026-11-23T21:00:00+08:00\",\"offset_seconds\":86400}");
    assert_string_equal(text, "System time is now 2026-11-23T21:00:00+08:00 (offset 86400 s)\n");
    free(text);

    text = s_render(report_clock_survey,
                    "{\"now\":\"N\",\"offset_seconds\":60,\"test_clock\":true,"
                    "\"services\":{\"gateway\":{\"now\":\"N\",\"offset_seconds\":60},"
                    "\"intake\":{\"now\":\"N\",\"offset_seconds\":0}},\"degraded\":[\"notify\"]}");
    assert_non_null(strstr(text, "test clock on"));
    assert_non_null(strstr(text, "  intake      N  offset 0 s\n"));
    assert_non_null(strstr(text, "  notify      did not answer\n"));
    free(text);
}

static void test_mask(void **state)
{
    char out[32];
    report_mask_id("330122199001010011", out, sizeof out);
    assert_string_equal(out, "3301**********0011");
    report_mask_id("12345678", out, sizeof out);
    assert_string_equal(out, "********");
    report_mask_id("", out, sizeof out);
    assert_string_equal(out, "");
}

static void test_assessment_year(void **state)
{
    (void)state;
    char *text = s_render(
        report_assessment_year,
        "{\"year\":\"2026\",\"excellent_cap\":3,\"next_after\":\"S2\",\"rows\":[{\"staff_id\":"
        "\"S1\",\"rank\":1,\"grade\":\"优秀\",\"months\":[\"好\",\"好\",\"好\",\"好\","
        "\"一般\",\"一般\",\"一般\",\"一般\",\"一般\",\"一般\",\"一般\",\"一般\"],"
        "\"good_months\":4,\"fair_months\":8,\"full_year\":true,\"total_score\":1100},"
        "{\"staff_id\":\"S2\",\"rank\":2,\"grade\":\"不合格\",\"months\":[\"差\",\"差\","
        "\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"],\"poor_months\":2,"
        "\"longest_poor_run\":2,\"total_score\":100}]}");
    assert_non_null(strstr(text, "assessment 2026 (at most 3 优秀)\n"));
    assert_non_null(strstr(text, "S1"));
    assert_non_null(strstr(text, "好 好 好 好 一般"));
    assert_non_null(strstr(text, "差 差 - - -"));
    assert_non_null(strstr(text, "(not a full year)"));
    assert_non_null(strstr(text, "more: the same command with --after S2\n"));
    /* Only the second row is short of a full year. */
    assert_null(strstr(strstr(text, "S1"), "(not a full year)\n   2"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_lists_every_field),
        cmocka_unit_test(test_case_summary),
        cmocka_unit_test(test_empty_case_parts),
        cmocka_unit_test(test_clock_reports),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_assessment_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
