/* requests: the HTTP request each command stands for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "requests.h"

static void test_submit_body(void **state)
{
    const char *materials[] = {"M1", "M2"};
    owctl_command_t cmd = {.verb = OWCTL_SUBMIT,
                           .item = "330100-01",
                           .name = "\xe5\xbc\xa0\xe4\xb8\x89",
                           .id_number = "330122199001010011",
                           .phone = "13800000000",
                           .materials = materials,
                           .material_count = 2};
    owctl_request_t req;
    char msg[128];
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.path, "/v1/applications");
    assert_true(req.needs_idempotency_key);
    assert_string_equal(json_string_value(json_object_get(req.body, "item_code")), "330100-01");
    assert_string_equal(json_string_value(json_object_get(req.body, "channel")), "window");
    assert_null(json_object_get(req.body, "centre_id"));
    json_t *a = json_object_get(req.body, "applicant");
    assert_string_equal(json_string_value(json_object_get(a, "name")), "\xe5\xbc\xa0\xe4\xb8\x89");
    assert_string_equal(json_string_value(json_object_get(a, "phone")), "13800000000");
    /* A person unless told otherwise (--id-type uscc for an organisation). */
    assert_string_equal(json_string_value(json_object_get(a, "id_type")), "resident_id");
    json_t *m = json_object_get(req.body, "materials");
    assert_int_equal(json_array_size(m), 2);
    assert_string_equal(json_string_value(json_array_get(m, 1)), "M2");
    requests_clear(&req);
    assert_null(req.body);
}

static void test_submit_refuses_bytes_that_are_not_text(void **state)
{
    const char *materials[] = {"M1"};
    owctl_command_t cmd = {.verb = OWCTL_SUBMIT,
                           .item = "X",
                           .name = "\xff\xfe",
                           .id_number = "1",
                           .phone = "2",
                           .materials = materials,
                           .material_count = 1};
    owctl_request_t req;
    char msg[128];
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "--name"));
    requests_clear(&req);
}

static void test_case_show_path_is_encoded(void **state)
{
    owctl_command_t cmd = {.verb = OWCTL_CASE_SHOW, .case_no = "330122 1/2"};
    owctl_request_t req;
    char msg[128];
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/v1/cases/330122%201%2F2");
    assert_null(req.body);
    assert_false(req.needs_idempotency_key);
    requests_clear(&req);

    char long_no[300];
    memset(long_no, '9', sizeof long_no - 1);
    long_no[sizeof long_no - 1] = '\0';
    cmd.case_no = long_no;
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), -1);
    requests_clear(&req);
}

static void test_case_accept_body(void **state)
{
    (void)state;
    const char *defects[] = {"M1=unclear copy", "M2=a=b"};
    owctl_command_t cmd = {.verb = OWCTL_CASE_ACCEPT,
                           .case_no = "3301222026112210001",
                           .defects = defects,
                           .defect_count = 2,
                           .rongque = true,
                           .commitment = true,
                           .supply_due = "2026-11-30T00:00:00+08:00"};
    owctl_request_t req;
    char msg[128];
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.path, "/v1/cases/3301222026112210001/acceptance");
    assert_true(req.needs_idempotency_key);
    const json_t *d = json_object_get(req.body, "defects");
    assert_int_equal(json_array_size(d), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "code")), "M1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "reason")), "a=b");
    assert_true(json_is_true(json_object_get(req.body, "rongque_requested")));
    assert_true(json_is_true(json_object_get(req.body, "commitment_signed")));
    assert_string_equal(json_string_value(json_object_get(req.body, "supply_due")),
                        "2026-11-30T00:00:00+08:00");
    assert_null(json_object_get(req.body, "not_a_matter"));
    requests_clear(&req);
    /* Nothing given: an empty body, the window judges the materials handed in. */
    owctl_command_t plain = {.verb = OWCTL_CASE_ACCEPT, .case_no = "1"};
    assert_int_equal(requests_build(&plain, &req, msg, sizeof msg), 0);
    assert_int_equal(json_object_size(req.body), 0);
    requests_clear(&req);
}

static void test_clock_requests(void **state)
{
    owctl_command_t cmd = {.verb = OWCTL_CLOCK_ADVANCE, .seconds = 86400};
    owctl_request_t req;
    char msg[128];
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/admin/clock");
    assert_string_equal(req.method, "POST");
    assert_int_equal(json_integer_value(json_object_get(req.body, "advance_seconds")), 86400);
    assert_true(req.needs_idempotency_key);
    requests_clear(&req);

    cmd.verb = OWCTL_CLOCK_SHOW;
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/v1/admin/clock");
    requests_clear(&req);

    cmd.verb = OWCTL_DB_INIT;
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), -1);
    requests_clear(&req);
}

/* The operations commands: parsed from argv, then their requests. */
static void test_operations_commands(void **state)
{
    (void)state;
    owctl_command_t cmd;
    owctl_request_t req;
    char msg[256];
    char *argv1[] = {"owctl", "notify", "resend", "d-1/x", NULL};
    assert_int_equal(command_line_parse(4, argv1, &cmd, msg, sizeof msg), 0);
    assert_int_equal(cmd.verb, OWCTL_NOTIFY_RESEND);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.path, "/v1/admin/dead-letters/d-1%2Fx/resend");
    assert_true(req.needs_idempotency_key);
    requests_clear(&req);
    command_line_free(&cmd);

    char *argv2[] = {"owctl", "notify", "dead", "--limit", "5", "--after", "D9", NULL};
    assert_int_equal(command_line_parse(7, argv2, &cmd, msg, sizeof msg), 0);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/v1/admin/dead-letters?after_delivery_id=D9&limit=5");
    requests_clear(&req);
    command_line_free(&cmd);

    char *argv3[] = {"owctl", "calendar", "load", "2027.json", NULL};
    assert_int_equal(command_line_parse(4, argv3, &cmd, msg, sizeof msg), 0);
    assert_string_equal(cmd.file, "2027.json");
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/admin/calendars");
    requests_clear(&req);
    command_line_free(&cmd);

    char *argv4[] = {"owctl", "calendar", "load", NULL};
    assert_int_equal(command_line_parse(3, argv4, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "FILE"));
    command_line_free(&cmd);
    char *argv5[] = {"owctl", "notify", "resend", "--limit", "3", "X", NULL};
    assert_int_equal(command_line_parse(6, argv5, &cmd, msg, sizeof msg), -1);
    command_line_free(&cmd);
}

static void test_report_commands(void **state)
{
    (void)state;
    owctl_command_t cmd;
    owctl_request_t req;
    char msg[256];
    char *argv1[] = {"owctl",  "report",     "centre", "330122101000", "--period", "month",
                     "--from", "2026-01-01", "--to",   "2026-12-31",   "--csv",    "--limit",
                     "50",     NULL};
    assert_int_equal(command_line_parse(13, argv1, &cmd, msg, sizeof msg), 0);
    assert_int_equal(cmd.verb, OWCTL_REPORT);
    assert_true(cmd.csv);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/v1/reports/ratings?dimension=centre&key=330122101000&period="
                                  "month&from=2026-01-01&to=2026-12-31&page_size=50");
    requests_clear(&req);
    command_line_free(&cmd);

    char *argv2[] = {"owctl", "report", "all", "--period", "month", NULL};
    assert_int_equal(command_line_parse(5, argv2, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "--from"));
    command_line_free(&cmd);

    char *argv3[] = {"owctl", "assessment", "month", "2026-10", NULL};
    assert_int_equal(command_line_parse(4, argv3, &cmd, msg, sizeof msg), 0);
    assert_int_equal(cmd.verb, OWCTL_ASSESSMENT_MONTH);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/assessments/2026-10?limit=500");
    requests_clear(&req);
    command_line_free(&cmd);

    char *argv4[] = {"owctl", "assessment", "month", NULL};
    assert_int_equal(command_line_parse(3, argv4, &cmd, msg, sizeof msg), -1);
    command_line_free(&cmd);
    char *argv5[] = {"owctl", "assessment", "month", "2026-10", "--csv", NULL};
    assert_int_equal(command_line_parse(5, argv5, &cmd, msg, sizeof msg), -1);
    command_line_free(&cmd);

    char *argv6[] = {"owctl", "assessment", "year", "2026", "--limit", "20", NULL};
    assert_int_equal(command_line_parse(6, argv6, &cmd, msg, sizeof msg), 0);
    assert_int_equal(cmd.verb, OWCTL_ASSESSMENT_YEAR);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/assessments/years/2026?limit=20");
    requests_clear(&req);
    command_line_free(&cmd);
    char *argv7[] = {"owctl", "assessment", "year", NULL};
    assert_int_equal(command_line_parse(3, argv7, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "YYYY"));
    command_line_free(&cmd);
    char *argv8[] = {"owctl", "assessment", "week", "7", NULL};
    assert_int_equal(command_line_parse(4, argv8, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "assessment year"));
    command_line_free(&cmd);
}

/* Appointments and the hall queue: the words and options to the request. */
static void test_hall_commands(void **state)
{
    (void)state;
    owctl_command_t cmd;
    owctl_request_t req;
    char msg[200];

    char *slots[] = {"owctl", "slots", "--centre", "330122000000", "--item-group", "g 1", NULL};
    assert_int_equal(command_line_parse(6, slots, &cmd, msg, sizeof msg), 0);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/v1/slots?centre_id=330122000000&item_group=g%201");
    requests_clear(&req);
    command_line_free(&cmd);

    char *book[] = {"owctl",       "appointment",        "book",    "--slot", "7", "--name", "N",
                    "--id-number", "330122198001010011", "--phone", "139",    NULL};
    assert_int_equal(command_line_parse(11, book, &cmd, msg, sizeof msg), 0);
    assert_int_equal(cmd.verb, OWCTL_APPOINTMENT_BOOK);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/appointments");
    assert_true(req.needs_idempotency_key);
    assert_string_equal(json_string_value(json_object_get(req.body, "slot_id")), "7");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(req.body, "applicant"), "id_type")),
        "resident_id");
    requests_clear(&req);
    command_line_free(&cmd);

    char *cancel[] = {"owctl", "appointment", "cancel", "12", "--reason", "改期", NULL};
    assert_int_equal(command_line_parse(6, cancel, &cmd, msg, sizeof msg), 0);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/appointments/12/cancel");
    assert_string_equal(json_string_value(json_object_get(req.body, "reason")), "改期");
    requests_clear(&req);
    command_line_free(&cmd);

    char *call[] = {"owctl", "queue", "call", "A01", "--centre", "330122000000", NULL};
    assert_int_equal(command_line_parse(6, call, &cmd, msg, sizeof msg), 0);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/queue/windows/A01/call");
    assert_string_equal(json_string_value(json_object_get(req.body, "centre_id")), "330122000000");
    requests_clear(&req);
    command_line_free(&cmd);

    char *done[] = {"owctl", "queue", "done", "44", NULL};
    assert_int_equal(command_line_parse(4, done, &cmd, msg, sizeof msg), 0);
    assert_int_equal(requests_build(&cmd, &req, msg, sizeof msg), 0);
    assert_string_equal(req.path, "/v1/queue/tickets/44/done");
    requests_clear(&req);
    command_line_free(&cmd);

    /* Refusals name what is missing or wrong. */
    char *no_centre[] = {"owctl", "queue", "take", "--window", "A01", NULL};
    assert_int_equal(command_line_parse(5, no_centre, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "--centre"));
    command_line_free(&cmd);
    char *no_id[] = {"owctl", "appointment", "arrive", NULL};
    assert_int_equal(command_line_parse(3, no_id, &cmd, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "APPOINTMENT_ID"));
    command_line_free(&cmd);
    char *wrong[] = {"owctl", "queue", "skip", "1", NULL};
    assert_int_equal(command_line_parse(4, wrong, &cmd, msg, sizeof msg), -1);
    command_line_free(&cmd);
    char *reason[] = {"owctl", "queue", "done", "1", "--reason", "x", NULL};
    assert_int_equal(command_line_parse(6, reason, &cmd, msg, sizeof msg), -1);
    command_line_free(&cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_body),
        cmocka_unit_test(test_submit_refuses_bytes_that_are_not_text),
        cmocka_unit_test(test_case_show_path_is_encoded),
        cmocka_unit_test(test_case_accept_body),
        cmocka_unit_test(test_clock_requests),
        cmocka_unit_test(test_operations_commands),
        cmocka_unit_test(test_report_commands),
        cmocka_unit_test(test_hall_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
