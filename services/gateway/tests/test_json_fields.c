/* json_fields: strict, bounded reading of request bodies. */
#include "test_support.h"

#include "json_fields.h"

static void test_parse_object_accepts_an_object(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    const char text[] = "{\"a\": 1}";
    json_t *obj = json_fields_parse_object(text, strlen(text), &err);
    assert_non_null(obj);
    assert_int_equal(err.code, OW_OK);
    json_decref(obj);
}

static void test_parse_object_refuses_what_is_not_an_object(void **state)
{
    static const char *const bad[] = {
        "",                                 /* empty */
        "[1,2]",                            /* not an object */
        "\"text\"",                         /* not an object */
        "{\"a\": 1",                        /* truncated */
        "{\"a\": 1, \"a\": 2}",             /* duplicate key */
        "{\"a\": \"x\\u0000y\"}",           /* NUL in a string */
        "{\"a\": \"\xff\"}",                /* invalid UTF-8 */
        "{\"a\": 99999999999999999999999}", /* integer overflow */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        json_t *obj = json_fields_parse_object(bad[i], strlen(bad[i]), &err);
        assert_null(obj);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
        assert_true(test_has_violation(&err, "body"));
        assert_true(strlen(err.message) > 0);
    }
}

static void test_parse_object_error_names_the_line(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    const char text[] = "{\n\"a\": tru\n}";
    assert_null(json_fields_parse_object(text, strlen(text), &err));
    assert_non_null(strstr(err.violations[0].description, "line 2"));
}

static void test_string_rules(void **state)
{
    json_t *obj = test_json("{\"s\":\"abc\", \"n\": 5, \"e\": \"\", \"z\": null,"
                            " \"zh\": \"\xe5\xbc\xa0\xe4\xb8\x89\"}");
    ow_error_t err;
    ow_error_clear(&err);

    assert_string_equal(json_fields_string(obj, "", "s", 3, true, &err), "abc");
    assert_string_equal(json_fields_string(obj, "", "missing", 3, false, &err), "");
    assert_string_equal(json_fields_string(obj, "", "z", 3, false, &err), "");
    /* Two Chinese characters are two characters, though six bytes. */
    assert_string_equal(json_fields_string(obj, "", "zh", 2, true, &err),
                        "\xe5\xbc\xa0\xe4\xb8\x89");
    assert_int_equal(err.violation_count, 0);

    assert_null(json_fields_string(obj, "p.", "s", 2, true, &err));  /* too long */
    assert_null(json_fields_string(obj, "p.", "n", 10, true, &err)); /* wrong type */
    assert_null(json_fields_string(obj, "p.", "e", 10, true, &err)); /* empty but required */
    assert_null(json_fields_string(obj, "p.", "z", 10, true, &err)); /* null but required */
    assert_null(json_fields_string(obj, "p.", "zh", 1, true, &err)); /* too long */
    assert_int_equal(err.violation_count, 5);
    assert_true(test_has_violation(&err, "p.s"));
    assert_true(test_has_violation(&err, "p.n"));
    assert_true(test_has_violation(&err, "p.e"));
    assert_true(test_has_violation(&err, "p.z"));
    assert_true(test_has_violation(&err, "p.zh"));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    json_decref(obj);
}

static void test_int_rules(void **state)
{
    json_t *obj =
        test_json("{\"i\": 7, \"r\": 7.0, \"s\": \"7\", \"big\": 4294967296, \"z\": null}");
    ow_error_t err;
    ow_error_clear(&err);
    int64_t v = 0;

    assert_int_equal(json_fields_int(obj, "", "i", 1, 10, true, &v, &err), 1);
    assert_int_equal(v, 7);
    assert_int_equal(json_fields_int(obj, "", "missing", 1, 10, false, &v, &err), 0);
    assert_int_equal(json_fields_int(obj, "", "z", 1, 10, false, &v, &err), 0);
    assert_int_equal(err.violation_count, 0);

    assert_int_equal(json_fields_int(obj, "", "r", 1, 10, true, &v, &err), -1);
    assert_int_equal(json_fields_int(obj, "", "s", 1, 10, true, &v, &err), -1);
    assert_int_equal(json_fields_int(obj, "", "big", INT32_MIN, INT32_MAX, true, &v, &err), -1);
    assert_int_equal(json_fields_int(obj, "", "i", 8, 10, true, &v, &err), -1);
    assert_int_equal(json_fields_int(obj, "", "missing", 1, 10, true, &v, &err), -1);
    assert_int_equal(err.violation_count, 5);
    assert_true(test_has_violation(&err, "r"));
    assert_true(test_has_violation(&err, "s"));
    assert_true(test_has_violation(&err, "big"));
    assert_true(test_has_violation(&err, "missing"));
    json_decref(obj);
}

static void test_unknown_fields_are_named(void **state)
{
    json_t *obj = test_json("{\"item_code\": \"x\", \"item_cod\": \"y\", \"extra\": 1}");
    static const char *const allowed[] = {"item_code", NULL};
    ow_error_t err;
    ow_error_clear(&err);
    json_fields_reject_unknown(obj, "app.", allowed, &err);
    assert_int_equal(err.violation_count, 2);
    assert_true(test_has_violation(&err, "app.item_cod"));
    assert_true(test_has_violation(&err, "app.extra"));
    json_decref(obj);
}

static void test_utf8(void **state)
{
    assert_true(json_fields_utf8_valid("plain"));
    assert_true(json_fields_utf8_valid("\xe5\xbc\xa0"));
    assert_false(json_fields_utf8_valid("\xe5\xbc"));     /* cut sequence */
    assert_false(json_fields_utf8_valid("\xc0\xaf"));     /* overlong '/' */
    assert_false(json_fields_utf8_valid("\xed\xa0\x80")); /* surrogate */
    assert_int_equal(json_fields_utf8_length("a\xe5\xbc\xa0"
                                             "b"),
                     3);

    /* A message cut inside a character still renders, with a replacement character. */
    json_t *s = json_fields_text("ok \xe5\xbc");
    assert_non_null(s);
    assert_string_equal(json_string_value(s), "ok \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object_accepts_an_object),
        cmocka_unit_test(test_parse_object_refuses_what_is_not_an_object),
        cmocka_unit_test(test_parse_object_error_names_the_line),
        cmocka_unit_test(test_string_rules),
        cmocka_unit_test(test_int_rules),
        cmocka_unit_test(test_unknown_fields_are_named),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
