/* pb_json: JSON to protobuf by descriptor (strict, every bad field named) and back; the
 * gateway-side paging of forward_page; the case history's merge in time order. */
#include "test_support.h"

#include <stdlib.h>

#include "case_history.h"
#include "forward.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_pack.h"
#include "pb_json.h"

static void *s_decode(const ProtobufCMessageDescriptor *d, const char *text, unsigned flags,
                      const pb_json_fixed_t *fixed, ow_error_t *err)
{
    json_t *obj = test_json(text);
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_clear(err);
    int rc = pb_json_pack(d, obj, fixed, flags, &buf, &len, err);
    json_decref(obj);
    if (rc != 0)
        return NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, buf);
    free(buf);
    assert_non_null(m);
    return m;
}

static void test_nested_repeated_and_times(void **state)
{
    (void)state;
    ow_error_t err;
    Onewindow__V1__ReceiveApplication *m = s_decode(
        &onewindow__v1__receive_application__descriptor,
        "{\"application\":{\"item_code\":\"I1\",\"applicant\":{\"name\":\"张三\"},"
        "\"material_codes\":[\"M1\",\"M2\"]},\"defects\":[{\"code\":\"M2\",\"reason\":\"复印件\"}],"
        "\"rongque_requested\":true,\"supply_due\":\"2026-11-23T00:00:00+08:00\"}",
        0, NULL, &err);
    assert_non_null(m);
    assert_string_equal(m->application->item_code, "I1");
    assert_string_equal(m->application->applicant->name, "张三");
    assert_int_equal(m->application->n_material_codes, 2);
    assert_string_equal(m->application->material_codes[1], "M2");
    assert_int_equal(m->n_defects, 1);
    assert_string_equal(m->defects[0]->reason, "复印件");
    assert_true(m->rongque_requested);
    assert_int_equal(m->supply_due_us, 1795363200000000LL);

    /* and back: the same names, the time as RFC 3339 in China time */
    json_t *out = pb_json_render(&m->base);
    assert_string_equal(json_string_value(json_object_get(out, "supply_due")),
                        "2026-11-23T00:00:00+08:00");
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(out, "application"), "material_codes"), 0)),
        "M1");
    assert_true(json_is_null(json_object_get(out, "deciding_centre_id")) == 0);
    json_decref(out);
    onewindow__v1__receive_application__free_unpacked(m, NULL);
}

static void test_every_bad_field_named(void **state)
{
    (void)state;
    ow_error_t err;
    void *m = s_decode(&onewindow__v1__receive_application__descriptor,
                       "{\"application\":{\"item_cod\":\"I1\",\"applicant\":5},"
                       "\"defects\":[{\"code\":1}],\"rongque_requested\":\"yes\","
                       "\"supply_due\":\"tomorrow\",\"supply_due_us\":1}",
                       0, NULL, &err);
    assert_null(m);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(test_has_violation(&err, "application.item_cod"));
    assert_true(test_has_violation(&err, "application.applicant"));
    assert_true(test_has_violation(&err, "defects[0].code"));
    assert_true(test_has_violation(&err, "rongque_requested"));
    assert_true(test_has_violation(&err, "supply_due"));
    assert_true(test_has_violation(&err, "supply_due_us")); /* only the API name */

    /* integers must fit, and 5.0 is not an integer */
    m = s_decode(&onewindow__v1__task_action__descriptor,
                 "{\"expected_days\":4294967296,\"extra_working_days\":5.0}", 0, NULL, &err);
    assert_null(m);
    assert_true(test_has_violation(&err, "expected_days"));
    assert_true(test_has_violation(&err, "extra_working_days"));

    /* a string over the bound */
    char *long_text = malloc(PB_JSON_STRING_MAX + 40);
    strcpy(long_text, "{\"reason\":\"");
    memset(long_text + 11, 'x', PB_JSON_STRING_MAX + 1);
    strcpy(long_text + 11 + PB_JSON_STRING_MAX + 1, "\"}");
    m = s_decode(&onewindow__v1__task_action__descriptor, long_text, 0, NULL, &err);
    free(long_text);
    assert_null(m);
    assert_true(test_has_violation(&err, "reason"));
}

static void test_fixed_fields_and_query(void **state)
{
    (void)state;
    ow_error_t err;
    const pb_json_fixed_t fixed[] = {{"task_id", "T-1"}, {NULL, NULL}};
    Onewindow__V1__TaskAction *a =
        s_decode(&onewindow__v1__task_action__descriptor, "{\"action\":\"claim\"}", 0, fixed, &err);
    assert_non_null(a);
    assert_string_equal(a->task_id, "T-1");
    onewindow__v1__task_action__free_unpacked(a, NULL);
    /* the body may not set what the path sets: it is an unknown field there */
    assert_null(s_decode(&onewindow__v1__task_action__descriptor,
                         "{\"action\":\"claim\",\"task_id\":\"T-2\"}", 0, fixed, &err));

    /* a query: every value a string, read as the field's type */
    Onewindow__V1__ComputeDue *d =
        s_decode(&onewindow__v1__compute_due__descriptor,
                 "{\"start_at\":\"2026-11-22T09:00:00+08:00\",\"amount\":\"5\","
                 "\"unit\":\"working_days\"}",
                 PB_JSON_QUERY, NULL, &err);
    assert_non_null(d);
    assert_int_equal(d->amount, 5);
    onewindow__v1__compute_due__free_unpacked(d, NULL);
    assert_null(s_decode(&onewindow__v1__compute_due__descriptor, "{\"amount\":\"5x\"}",
                         PB_JSON_QUERY, NULL, &err));
    assert_true(test_has_violation(&err, "amount"));
    /* a JSON number where a query has only text is fine in a body, not the other way */
    assert_null(
        s_decode(&onewindow__v1__compute_due__descriptor, "{\"amount\":\"5\"}", 0, NULL, &err));
}

static void test_bytes_round_trip(void **state)
{
    (void)state;
    ow_error_t err;
    Onewindow__V1__ScheduleTimer *t = s_decode(&onewindow__v1__schedule_timer__descriptor,
                                               "{\"context\":\"AAEC/w==\"}", 0, NULL, &err);
    assert_non_null(t);
    assert_int_equal(t->context.len, 4);
    assert_int_equal(t->context.data[3], 0xff);
    json_t *out = pb_json_render(&t->base);
    assert_string_equal(json_string_value(json_object_get(out, "context")), "AAEC/w==");
    json_decref(out);
    onewindow__v1__schedule_timer__free_unpacked(t, NULL);
    assert_null(s_decode(&onewindow__v1__schedule_timer__descriptor, "{\"context\":\"AAE\"}", 0,
                         NULL, &err));
    assert_true(test_has_violation(&err, "context"));
}

static void test_page(void **state)
{
    (void)state;
    json_t *items = test_json("[{\"seq\":1},{\"seq\":2},{\"seq\":3}]");
    char *next = NULL;
    json_t *page = forward_page(items, "seq", "", 2, &next);
    assert_int_equal(json_array_size(page), 2);
    assert_string_equal(next, "2");
    json_decref(page);
    free(next);
    page = forward_page(items, "seq", "2", 2, &next);
    assert_int_equal(json_array_size(page), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "seq")), 3);
    assert_string_equal(next, "");
    json_decref(page);
    free(next);
    json_decref(items);
}

static void s_take(case_history_t *h, case_history_part_t part, const ProtobufCMessage *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_t err;
    assert_int_equal(ow_pack(msg, &buf, &len, &err), 0);
    ow_rpc_result_t r = {.status = OW_OK, .message = "", .payload = buf, .payload_len = len};
    case_history_take(h, part, &r);
    free(buf);
}

static void test_history_merge(void **state)
{
    (void)state;
    case_history_t *h = case_history_new();
    Onewindow__V1__HistoryEntry e1 = ONEWINDOW__V1__HISTORY_ENTRY__INIT, *entries[] = {&e1};
    e1.at_us = 300;
    e1.action = "task.decided";
    e1.actor = "S01";
    Onewindow__V1__CaseHistoryReply hr = ONEWINDOW__V1__CASE_HISTORY_REPLY__INIT;
    hr.n_entries = 1;
    hr.entries = entries;
    s_take(h, CASE_HISTORY_ROUTING, &hr.base);

    Onewindow__V1__Document d = ONEWINDOW__V1__DOCUMENT__INIT, *docs[] = {&d};
    d.issued_at_us = 100;
    d.kind = "receipt";
    d.title = "受理凭证";
    Onewindow__V1__DocumentList dl = ONEWINDOW__V1__DOCUMENT_LIST__INIT;
    dl.n_documents = 1;
    dl.documents = docs;
    s_take(h, CASE_HISTORY_INTAKE, &dl.base);

    ow_rpc_result_t none = {.status = OW_NOT_FOUND, .message = "no clock"};
    case_history_take(h, CASE_HISTORY_DEADLINE, &none);
    ow_rpc_result_t down = {.status = OW_DEADLINE_EXCEEDED, .message = "evaluation"};
    case_history_take(h, CASE_HISTORY_EVALUATION, &down);
    ow_rpc_result_t junk = {
        .status = OW_OK, .message = "", .payload = (const uint8_t *)"\xff", .payload_len = 1};
    case_history_take(h, CASE_HISTORY_NOTIFY, &junk);

    json_t *out = case_history_render(h, "C1", 0, 10);
    json_t *list = json_object_get(out, "entries");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "action")),
                        "document.receipt");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "actor")),
                        "S01");
    json_t *degraded = json_object_get(out, "degraded");
    assert_int_equal(json_array_size(degraded), 2); /* evaluation down, notify's reply junk */
    assert_string_equal(json_string_value(json_object_get(out, "next_after")), "");
    json_decref(out);

    out = case_history_render(h, "C1", 0, 1);
    assert_string_equal(json_string_value(json_object_get(out, "next_after")), "1");
    json_decref(out);
    case_history_destroy(&h);
    assert_null(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_repeated_and_times),
        cmocka_unit_test(test_every_bad_field_named),
        cmocka_unit_test(test_fixed_fields_and_query),
        cmocka_unit_test(test_bytes_round_trip),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_history_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
