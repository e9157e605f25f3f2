/* applications: the submit body to SubmitApplication, and a case back to JSON. */
#include "test_support.h"

#include <stdlib.h>

#include "applications.h"

static const char s_good[] =
    "{\"item_code\":\"330100-01\","
    " \"applicant\":{\"name\":\"\xe5\xbc\xa0\xe4\xb8\x89\",\"id_type\":\"resident_id\","
    "   \"id_number\":\"330122199001010011\",\"phone\":\"13800000000\",\"email\":\"\"},"
    " \"materials\":[\"M1\",\"M2\"], \"channel\":\"window\", \"centre_id\":\"\"}";

/* Decodes text; returns the violation count (0 and an unpacked message on success). */
static size_t s_decode(const char *text, ow_error_t *err, Onewindow__V1__SubmitApplication **msg)
{
    json_t *body = test_json(text);
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_clear(err);
    int rc = applications_pack_submit(body, &buf, &len, err);
    json_decref(body);
    if (rc == 0) {
        assert_int_equal(err->code, OW_OK);
        *msg = onewindow__v1__submit_application__unpack(NULL, len, buf);
        assert_non_null(*msg);
        free(buf);
        return 0;
    }
    assert_int_equal(err->code, OW_INVALID_ARGUMENT);
    assert_true(err->violation_count > 0);
    assert_true(strlen(err->message) > 0);
    return err->violation_count;
}

static void test_good_body_packs_every_field(void **state)
{
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    assert_int_equal(s_decode(s_good, &err, &m), 0);
    assert_string_equal(m->item_code, "330100-01");
    assert_string_equal(m->applicant->name, "\xe5\xbc\xa0\xe4\xb8\x89");
    assert_string_equal(m->applicant->id_type, "resident_id");
    assert_string_equal(m->applicant->id_number, "330122199001010011");
    assert_string_equal(m->applicant->phone, "13800000000");
    assert_int_equal(m->n_material_codes, 2);
    assert_string_equal(m->material_codes[1], "M2");
    assert_string_equal(m->channel, "window");
    onewindow__v1__submit_application__free_unpacked(m, NULL);
}

static void test_minimal_body_and_empty_materials(void **state)
{
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    /* No materials handed in is intake's to judge (it names each missing one). */
    assert_int_equal(s_decode("{\"item_code\":\"X\",\"applicant\":{\"name\":\"N\","
                              "\"id_number\":\"1\"},\"materials\":[]}",
                              &err, &m),
                     0);
    assert_int_equal(m->n_material_codes, 0);
    assert_string_equal(m->channel, "");
    onewindow__v1__submit_application__free_unpacked(m, NULL);
}

static void test_every_invalid_field_is_named_at_once(void **state)
{
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    size_t n = s_decode("{\"item_code\": 5, \"applicant\": {\"name\": \"\", \"id_number\": 7,"
                        " \"phone\": [\"x\"], \"nickname\": \"y\"},"
                        " \"materials\": [\"M1\", 2, \"\"], \"channel\": true, \"extra\": 0}",
                        &err, &m);
    assert_true(test_has_violation(&err, "item_code"));
    assert_true(test_has_violation(&err, "applicant.name"));
    assert_true(test_has_violation(&err, "applicant.id_number"));
    assert_true(test_has_violation(&err, "applicant.phone"));
    assert_true(test_has_violation(&err, "applicant.nickname"));
    assert_true(test_has_violation(&err, "materials[1]"));
    assert_true(test_has_violation(&err, "materials[2]"));
    assert_true(test_has_violation(&err, "channel"));
    assert_true(test_has_violation(&err, "extra"));
    assert_int_equal(n, 9);
}

static void test_missing_required_fields(void **state)
{
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    assert_int_equal(s_decode("{}", &err, &m), 3);
    assert_true(test_has_violation(&err, "item_code"));
    assert_true(test_has_violation(&err, "applicant"));
    assert_true(test_has_violation(&err, "materials"));

    assert_int_equal(s_decode("{\"item_code\":\"X\",\"applicant\":{},\"materials\":[]}", &err, &m),
                     2);
    assert_true(test_has_violation(&err, "applicant.name"));
    assert_true(test_has_violation(&err, "applicant.id_number"));
}

static void test_wrong_shapes(void **state)
{
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    assert_int_equal(
        s_decode("{\"item_code\":\"X\",\"applicant\":\"me\",\"materials\":\"M1\"}", &err, &m), 2);
    assert_true(test_has_violation(&err, "applicant"));
    assert_true(test_has_violation(&err, "materials"));
}

static void test_over_long_values(void **state)
{
    /* 101 Chinese characters: the name limit is in characters. */
    char name[101 * 3 + 1];
    for (int i = 0; i < 101; i++)
        memcpy(name + i * 3, "\xe5\xbc\xa0", 3);
    name[101 * 3] = '\0';
    char text[2048];
    snprintf(text, sizeof text,
             "{\"item_code\":\"X\",\"applicant\":{\"name\":\"%s\",\"id_number\":\"1\"},"
             "\"materials\":[], \"centre_id\":\"3301220000001234\"}",
             name);
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    assert_int_equal(s_decode(text, &err, &m), 2);
    assert_true(test_has_violation(&err, "applicant.name"));
    assert_true(test_has_violation(&err, "centre_id"));

    /* 100 characters is fine. */
    name[100 * 3] = '\0';
    snprintf(text, sizeof text,
             "{\"item_code\":\"X\",\"applicant\":{\"name\":\"%s\",\"id_number\":\"1\"},"
             "\"materials\":[]}",
             name);
    assert_int_equal(s_decode(text, &err, &m), 0);
    onewindow__v1__submit_application__free_unpacked(m, NULL);
}

static void test_too_many_materials(void **state)
{
    char text[4096] = "{\"item_code\":\"X\",\"applicant\":{\"name\":\"N\",\"id_number\":\"1\"},"
                      "\"materials\":[";
    for (int i = 0; i <= APPLICATIONS_MATERIALS_MAX; i++)
        strcat(text, i ? ",\"M\"" : "\"M\"");
    strcat(text, "]}");
    ow_error_t err;
    Onewindow__V1__SubmitApplication *m = NULL;
    assert_int_equal(s_decode(text, &err, &m), 1);
    assert_true(test_has_violation(&err, "materials"));
}

static void test_case_json(void **state)
{
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = "\xe5\xbc\xa0\xe4\xb8\x89";
    a.id_number = "330122199001010011";
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = "330122-1";
    c.state = 3;
    c.state_name = "\xe5\xb7\xb2\xe5\x8f\x97\xe7\x90\x86"; /* 已受理 */
    c.applicant = &a;
    c.received_at_us = 1795352400000000LL; /* 2026-11-22T21:00:00+08:00 */
    c.promised_limit = 5;
    c.limit_unit = "working_days";

    json_t *j = applications_case_json(&c);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "case_no")), "330122-1");
    assert_int_equal(json_integer_value(json_object_get(j, "state")), 3);
    assert_string_equal(json_string_value(json_object_get(j, "received_at")),
                        "2026-11-22T21:00:00+08:00");
    assert_true(json_is_null(json_object_get(j, "decided_at")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "applicant"), "name")),
                        "\xe5\xbc\xa0\xe4\xb8\x89");
    assert_int_equal(json_integer_value(json_object_get(j, "promised_limit")), 5);
    assert_true(json_is_false(json_object_get(j, "awaiting_materials")));
    /* Every CASE field of the contract is there. */
    static const char *const fields[] = {
        "case_no",      "state",           "state_name",      "item_code",         "item_name",
        "item_version", "department_code", "department_name", "applicant",         "channel",
        "centre_id",    "received_at",     "accepted_at",     "decided_at",        "promised_limit",
        "limit_unit",   "legal_limit",     "rongque",         "awaiting_materials"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!json_object_get(j, fields[i]))
            fail_msg("CASE lacks %s", fields[i]);
    assert_int_equal(json_object_size(j), sizeof fields / sizeof fields[0]);
    json_decref(j);
}

static void test_case_reply_round_trip_and_garbage(void **state)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = "N1";
    Onewindow__V1__CaseReply reply = ONEWINDOW__V1__CASE_REPLY__INIT;
    reply.case_ = &c;
    uint8_t buf[256];
    size_t len = onewindow__v1__case_reply__pack(&reply, buf);

    ow_error_t err;
    ow_error_clear(&err);
    json_t *j = applications_case_reply_json(buf, len, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "case"), "case_no")),
                        "N1");
    json_decref(j);

    /* A reply without a case, and bytes that are not protobuf at all. */
    Onewindow__V1__CaseReply empty = ONEWINDOW__V1__CASE_REPLY__INIT;
    len = onewindow__v1__case_reply__pack(&empty, buf);
    assert_null(applications_case_reply_json(buf, len, &err));
    assert_int_equal(err.code, OW_INTERNAL);
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x0f};
    ow_error_clear(&err);
    assert_null(applications_case_reply_json(garbage, sizeof garbage, &err));
    assert_int_equal(err.code, OW_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_body_packs_every_field),
        cmocka_unit_test(test_minimal_body_and_empty_materials),
        cmocka_unit_test(test_every_invalid_field_is_named_at_once),
        cmocka_unit_test(test_missing_required_fields),
        cmocka_unit_test(test_wrong_shapes),
        cmocka_unit_test(test_over_long_values),
        cmocka_unit_test(test_too_many_materials),
        cmocka_unit_test(test_case_json),
        cmocka_unit_test(test_case_reply_round_trip_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
