/* ratings: the rating body to RateCase; Rating back to JSON. */
#include "test_support.h"

#include <stdlib.h>

#include "ratings.h"

static int s_rate(const char *text, Onewindow__V1__RateCase **out, ow_error_t *err)
{
    json_t *body = test_json(text);
    uint8_t *buf = NULL;
    size_t len = 0;
    ow_error_clear(err);
    int rc = ratings_pack_rate(body, &buf, &len, err);
    json_decref(body);
    if (rc == 0) {
        *out = onewindow__v1__rate_case__unpack(NULL, len, buf);
        assert_non_null(*out);
        free(buf);
    } else {
        assert_int_equal(err->code, OW_INVALID_ARGUMENT);
        assert_true(err->violation_count > 0);
    }
    return rc;
}

static void test_good_rating(void **state)
{
    ow_error_t err;
    Onewindow__V1__RateCase *m = NULL;
    assert_int_equal(s_rate("{\"case_no\":\"C1\",\"grade\":5,\"comment\":\"\xe5\xa5\xbd\","
                            "\"channel\":\"web\"}",
                            &m, &err),
                     0);
    assert_string_equal(m->case_no, "C1");
    assert_int_equal(m->grade, 5);
    assert_string_equal(m->channel, "web");
    onewindow__v1__rate_case__free_unpacked(m, NULL);

    /* The 1–5 range is evaluation's rule: a 9 goes through to be refused there. */
    assert_int_equal(s_rate("{\"case_no\":\"C1\",\"grade\":9}", &m, &err), 0);
    assert_int_equal(m->grade, 9);
    onewindow__v1__rate_case__free_unpacked(m, NULL);
}

static void test_bad_ratings(void **state)
{
    static const struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{\"case_no\":\"C1\",\"grade\":5.0}", "grade"},
        {"{\"case_no\":\"C1\",\"grade\":\"5\"}", "grade"},
        {"{\"case_no\":\"C1\",\"grade\":4294967296}", "grade"},
        {"{\"case_no\":\"C1\"}", "grade"},
        {"{\"grade\":5}", "case_no"},
        {"{\"case_no\":7,\"grade\":5}", "case_no"},
        {"{\"case_no\":\"C1\",\"grade\":5,\"channel\":[]}", "channel"},
        {"{\"case_no\":\"C1\",\"grade\":5,\"stars\":5}", "stars"},
        {"{\"case_no\":\"123456789012345678901234567890123456789012345678\",\"grade\":5}",
         "case_no"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ow_error_t err;
        Onewindow__V1__RateCase *m = NULL;
        if (s_rate(cases[i].body, &m, &err) == 0)
            fail_msg("accepted %s", cases[i].body);
        if (!test_has_violation(&err, cases[i].field))
            fail_msg("%s: no violation for %s (%s)", cases[i].body, cases[i].field, err.message);
    }
}

static void test_rating_json(void **state)
{
    Onewindow__V1__Rating r = ONEWINDOW__V1__RATING__INIT;
    r.rating_id = "R1";
    r.case_no = "C1";
    r.grade = 2;
    r.is_bad = 1;
    r.rated_at_us = 1795352400000000LL;
    r.department_code = "D1"; /* not part of RATING in the API */
    Onewindow__V1__RatingReply reply = ONEWINDOW__V1__RATING_REPLY__INIT;
    reply.rating = &r;
    uint8_t buf[256];
    size_t len = onewindow__v1__rating_reply__pack(&reply, buf);

    ow_error_t err;
    ow_error_clear(&err);
    json_t *j = ratings_rating_reply_json(buf, len, &err);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 7);
    assert_int_equal(json_integer_value(json_object_get(j, "grade")), 2);
    assert_true(json_is_true(json_object_get(j, "is_bad")));
    assert_string_equal(json_string_value(json_object_get(j, "rated_at")),
                        "2026-11-22T21:00:00+08:00");
    json_decref(j);

    Onewindow__V1__RatingReply empty = ONEWINDOW__V1__RATING_REPLY__INIT;
    len = onewindow__v1__rating_reply__pack(&empty, buf);
    assert_null(ratings_rating_reply_json(buf, len, &err));
    assert_int_equal(err.code, OW_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_rating),
        cmocka_unit_test(test_bad_ratings),
        cmocka_unit_test(test_rating_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
