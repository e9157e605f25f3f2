/* notify_test_evaluation — the provincial 好差评 push (provincial_push.h: its JSON, its
 * configuration, which claimed deliveries are pushes) and evaluation's notices
 * (evaluation_notices.h: who is told, wording; templates.h: the new kinds and their
 * placeholders, which never include the rater's identity). Pure functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "evaluation_notices.h"
#include "provincial_push.h"
#include "push_sample.h"
#include "staff_rules.h"
#include "templates.h"

static Onewindow__V1__RatingPush s_push(void)
{
    return push_sample("5d7df5e9-a191-4aaa-b691-55195583a9d8", "3301222026112210001", 2,
                       1790000000123456);
}

static void test_push_json_carries_every_domain_field(void **state)
{
    (void)state;
    Onewindow__V1__RatingPush p = s_push();
    ow_error_t err;
    ow_error_clear(&err);
    char *text = provincial_push_json(&p, &err);
    assert_non_null(text);
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    assert_non_null(o);
    /* DOMAIN.md §6: case number, item and implementation code, area, department, applicant
     * identity and type, case status, channel, staff rated, grade, time. */
    assert_string_equal(json_string_value(json_object_get(o, "case_no")), p.case_no);
    assert_string_equal(json_string_value(json_object_get(o, "item_code")), "330100-01");
    assert_int_equal(json_integer_value(json_object_get(o, "item_version")), 3);
    assert_string_equal(json_string_value(json_object_get(o, "area_code")), "330122000000");
    assert_string_equal(json_string_value(json_object_get(o, "department_name")), "市场监督管理局");
    assert_string_equal(json_string_value(json_object_get(o, "applicant_name")), "张\"三\"");
    assert_string_equal(json_string_value(json_object_get(o, "applicant_id_number")),
                        "33012219800101001X");
    assert_string_equal(json_string_value(json_object_get(o, "applicant_type")), "natural_person");
    assert_string_equal(json_string_value(json_object_get(o, "case_status")), "approved");
    assert_string_equal(json_string_value(json_object_get(o, "staff_id")), "TL0101");
    assert_int_equal(json_integer_value(json_object_get(o, "grade")), 2);
    assert_true(json_integer_value(json_object_get(o, "rated_at_us")) == 1790000000123456);
    assert_true(json_is_false(json_object_get(o, "is_default")));
    assert_true(json_is_false(json_object_get(o, "anonymous")));
    assert_int_equal(json_object_size(o), 21); /* every RatingPush field, nothing else */
    json_decref(o);
    free(text);

    /* Text that is not UTF-8 is refused, and the message never echoes a value. */
    p.applicant_name = "\xff\xfe";
    ow_error_clear(&err);
    assert_null(provincial_push_json(&p, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(strstr(err.message, "33012219800101001X"));
}

static void test_push_bounds(void **state)
{
    (void)state;
    Onewindow__V1__RatingPush p = s_push();
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(provincial_push_check(&p, &err), 0);
    char long_name[PROVINCIAL_PUSH_FIELD_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    p.rating_id = "";
    p.applicant_id_number = long_name;
    p.grade = 0;
    assert_int_equal(provincial_push_check(&p, &err), 3);
    assert_null(strstr(err.message, long_name));
}

static void test_push_configuration(void **state)
{
    (void)state;
    ow_error_t err;
    provincial_push_config_t off = {.url = "", .secret = "", .max_attempts = 1000};
    ow_error_clear(&err);
    assert_int_equal(provincial_push_config_check(&off, &err), 0);
    provincial_push_config_t on = {
        .url = "https://province.example/hcp", .secret = "0123456789abcdef", .max_attempts = 1000};
    assert_int_equal(provincial_push_config_check(&on, &err), 0);
    on.secret = "short";
    assert_int_equal(provincial_push_config_check(&on, &err), -1);
    assert_null(strstr(err.message, "short")); /* never the secret */
    on.secret = "0123456789abcdef";
    on.url = "ftp://province.example";
    assert_int_equal(provincial_push_config_check(&on, &err), -1);
    on.url = "http://127.0.0.1:9/hcp";
    on.max_attempts = 0;
    assert_int_equal(provincial_push_config_check(&on, &err), -1);
}

static void test_which_deliveries_are_pushes(void **state)
{
    (void)state;
    assert_true(provincial_push_is_push(PROVINCIAL_PUSH_EVENT, false));
    /* an integrator's subscription signs with its own secret and budget */
    assert_false(provincial_push_is_push(PROVINCIAL_PUSH_EVENT, true));
    assert_false(provincial_push_is_push("rating.recorded", false));
    assert_false(provincial_push_is_push(NULL, false));
}

static void test_ticket_notices(void **state)
{
    (void)state;
    assert_string_equal(evaluation_ticket_notice("rectification.rater_told", false),
                        EVALUATION_NOTICE_RESULT);
    /* DOMAIN.md §6: an anonymous rater cannot be told. */
    assert_null(evaluation_ticket_notice("rectification.rater_told", true));
    assert_string_equal(evaluation_ticket_notice("rectification.overdue", true),
                        EVALUATION_NOTICE_OVERDUE);
    assert_null(evaluation_ticket_notice("rectification.verified", false));
    assert_null(evaluation_ticket_notice("rectification.closed", false));
    assert_null(evaluation_ticket_notice(NULL, false));
    assert_string_equal(staff_supervisor_kind("rectification.overdue", false),
                        SUPERVISOR_OVERDUE_RECTIFY);
    assert_null(staff_supervisor_kind("rectification.rater_told", false));
    assert_string_equal(evaluation_classification_text("fix_now"), "立即整改");
    assert_string_equal(evaluation_classification_text("fix_by_deadline"), "限期整改");
    assert_string_equal(evaluation_classification_text("explain"), "解释说明");
    assert_string_equal(evaluation_classification_text(""), "整改");
    assert_string_equal(evaluation_grade_text(1), "“非常不满意”");
    assert_string_equal(evaluation_grade_text(2), "“不满意”");
}

static void test_templates_refuse_the_identity(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(templates_check(TEMPLATE_RATING_REMINDER,
                                     "{applicant_name}：请于{rate_until_date}前评价{case_no}",
                                     &err),
                     0);
    assert_int_equal(templates_check(TEMPLATE_RECTIFICATION_RESULT,
                                     "{item_name}已{classification}：{rectify_note}", &err),
                     0);
    assert_int_equal(templates_check(TEMPLATE_OVERDUE_RECTIFICATION,
                                     "{staff_name}：{department}{grade_text}{due_date}", &err),
                     0);
    /* The rater's identity is no notice's fact: a template naming it stops start-up. */
    const char *kinds[] = {TEMPLATE_RATING_REMINDER, TEMPLATE_RECTIFICATION_RESULT,
                           TEMPLATE_OVERDUE_RECTIFICATION};
    for (size_t i = 0; i < 3; i++) {
        ow_error_clear(&err);
        assert_int_equal(templates_check(kinds[i], "证件号{applicant_id_number}", &err), -1);
        assert_non_null(strstr(err.message, "applicant_id_number"));
    }
    /* The reminder has no decision wording; the overdue notice no applicant. */
    assert_int_equal(templates_check(TEMPLATE_RATING_REMINDER, "{reason}", &err), -1);
    assert_int_equal(templates_check(TEMPLATE_OVERDUE_RECTIFICATION, "{applicant_name}", &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_json_carries_every_domain_field),
        cmocka_unit_test(test_push_bounds),
        cmocka_unit_test(test_push_configuration),
        cmocka_unit_test(test_which_deliveries_are_pushes),
        cmocka_unit_test(test_ticket_notices),
        cmocka_unit_test(test_templates_refuse_the_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
