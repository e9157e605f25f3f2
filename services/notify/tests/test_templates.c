/* Unit tests of notification templates (templates.h) and the notices built on them
 * (notices.h), as plain functions: checking at load, rendering, and the wording of each
 * notice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "notices.h"
#include "templates.h"

static int s_check(const char *kind, const char *body, ow_error_t *err)
{
    ow_error_clear(err);
    return templates_check(kind, body, err);
}

/* The refusal the brief asks for: a template naming an unknown placeholder. */
static void test_unknown_placeholder_refused(void **state)
{
    (void)state;
    ow_error_t err;
    assert_int_equal(s_check("case_accepted", "{applicant_name}您好，{case_number}已受理", &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "{case_number}"));
    assert_non_null(strstr(err.message, "case_accepted"));
    /* {reason} belongs to refusals only. */
    assert_int_equal(s_check("case_decided_approved", "已办结：{reason}", &err), -1);
    assert_int_equal(s_check("case_decided_refused", "不予许可：{reason}", &err), 0);

    templates_t *set = templates_new();
    assert_non_null(set);
    ow_error_clear(&err);
    assert_int_equal(templates_add(set, "rating_invitation", 1, "请评价{grade}", &err), -1);
    assert_int_equal(templates_version(set, "rating_invitation"), 0);
    templates_destroy(&set);
    assert_null(set);
    templates_destroy(&set); /* harmless twice */
}

static void test_syntax_errors(void **state)
{
    (void)state;
    ow_error_t err;
    const char *bad[] = {
        "未闭合{case_no", "空的{}", "孤立的}括号", "大写{Case_no}", "空格{ case_no }",
        "{case_no}}",     "",       "{{case_no}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = s_check("rating_invitation", bad[i], &err);
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    }
    assert_int_equal(s_check("no_such_kind", "text", &err), -1);
    assert_non_null(strstr(err.message, "no_such_kind"));
    char *long_body = malloc(TEMPLATE_BODY_MAX + 2);
    memset(long_body, 'x', TEMPLATE_BODY_MAX + 1);
    long_body[TEMPLATE_BODY_MAX + 1] = '\0';
    assert_int_equal(s_check("rating_invitation", long_body, &err), -1);
    free(long_body);
}

static void test_render(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    templates_t *set = templates_new();
    assert_int_equal(
        templates_add(set, "rating_invitation", 1, "{{{case_no}}} 请评价{item_name}", &err), 0);
    template_value_t values[] = {
        {"case_no", "C1"}, {"item_name", "食品经营许可"}, {"applicant_name", "李四"}};
    char *text = templates_render(set, "rating_invitation", values, 3, &err);
    assert_non_null(text);
    assert_string_equal(text, "{C1} 请评价食品经营许可");
    free(text);

    /* A higher version replaces, a lower one is ignored. */
    assert_int_equal(templates_add(set, "rating_invitation", 3, "v3 {case_no}", &err), 0);
    assert_int_equal(templates_add(set, "rating_invitation", 2, "v2 {case_no}", &err), 0);
    assert_int_equal(templates_version(set, "rating_invitation"), 3);
    text = templates_render(set, "rating_invitation", values, 3, &err);
    assert_string_equal(text, "v3 C1");
    free(text);

    /* A value the caller forgot is an error, not an empty hole in a letter. */
    text = templates_render(set, "rating_invitation", values + 1, 1, &err);
    assert_null(text);
    assert_int_equal(err.code, OW_INTERNAL);
    assert_non_null(strstr(err.message, "{case_no}"));
    /* Values are inserted as they are, never re-read as template text. */
    template_value_t tricky[] = {{"case_no", "{item_name}}"}};
    text = templates_render(set, "rating_invitation", tricky, 1, &err);
    assert_string_equal(text, "v3 {item_name}}");
    free(text);

    ow_error_clear(&err);
    assert_null(templates_render(set, "case_accepted", values, 3, &err));
    assert_int_equal(err.code, OW_NOT_FOUND);
    assert_int_equal(templates_check_complete(set, &err), -1);
    templates_destroy(&set);
}

static int64_t s_local(int y, int mo, int d, int h)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    return ((int64_t)timegm(&tm) - 8 * 3600) * 1000000;
}

/* The shipped wording (as in migrations/0001_deliveries.sql) with a real case. */
static templates_t *s_shipped(void)
{
    ow_error_t err;
    ow_error_clear(&err);
    templates_t *set = templates_new();
    assert_int_equal(templates_add(set, "case_accepted", 1,
                                   "{applicant_name}您好：您申请的“{item_name}”已于{accepted_date}"
                                   "受理，受理编号{case_no}，承诺办结时限{promised_limit}"
                                   "{limit_unit}。",
                                   &err),
                     0);
    assert_int_equal(templates_add(set, "case_decided_approved", 1,
                                   "“{item_name}”（{case_no}）于{decided_date}办结，准予许可。",
                                   &err),
                     0);
    assert_int_equal(templates_add(set, "case_decided_refused", 1,
                                   "“{item_name}”（{case_no}）于{decided_date}办结，不予许可，"
                                   "理由：{reason}。",
                                   &err),
                     0);
    assert_int_equal(templates_add(set, "rating_invitation", 1,
                                   "{applicant_name}您好：请对“{item_name}”作出评价。", &err),
                     0);
    /* Without the e-mail subjects the set is not complete. */
    assert_int_equal(templates_check_complete(set, &err), -1);
    assert_non_null(strstr(err.message, "subject"));
    const char *subjects[] = {"case_accepted_subject@email", "case_decided_subject@email",
                              "rating_invitation_subject@email"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(templates_add(set, subjects[i], 1, "“{item_name}”（{case_no}）", &err), 0);
    /* A channel's own text may use only its kind's placeholders too. */
    assert_int_equal(templates_add(set, "rating_invitation@sms", 1, "{reason}", &err), -1);
    assert_int_equal(templates_add(set, "rating_invitation@fax", 1, "x", &err), -1);
    assert_int_equal(templates_add(set, "rating_invitation@sms", 2, "请评价{case_no}", &err), 0);
    char buf[64];
    assert_string_equal(templates_pick(set, "rating_invitation", "sms", buf, sizeof buf),
                        "rating_invitation@sms");
    assert_string_equal(templates_pick(set, "rating_invitation", "email", buf, sizeof buf),
                        "rating_invitation");
    assert_int_equal(templates_version(set, "rating_invitation@sms"), 2);
    /* Issue 7: staff, supervisors and the applicant's further notices are needed too. */
    assert_int_equal(templates_check_complete(set, &err), -1);
    assert_non_null(strstr(err.message, "task_assigned"));
    const char *more[][2] = {
        {"task_assigned", "{staff_name}：新任务{case_no}“{item_name}”{stage}"},
        {"task_assigned_on_behalf", "{staff_name}：代{absent_name}办理{case_no}{item_name}{stage}"},
        {"deadline_yellow", "黄牌{staff_name}{case_no}{item_name}{scope}{due_time}{remaining}"},
        {"deadline_red", "红牌{staff_name}{case_no}{item_name}{scope}{due_time}"},
        {"deadline_red_supervisor", "红牌{staff_name}{case_no}{holder_names}"},
        {"bad_review", "差评{staff_name}{case_no}{item_name}{grade_text}{comment}"},
        {"case_notice_issued", "{applicant_name}{case_no}{item_name}{materials}"},
        {"case_rongque_accepted", "{applicant_name}{case_no}{materials}{supply_due_date}"},
        {"case_suspended", "{applicant_name}{case_no}{procedure}{expected_length}{reason}"},
        {"case_extended", "{applicant_name}{case_no}{item_name}{extra_days}{reason}"},
        {"notice_subject@email", "{item_name}（{case_no}）"},
        /* Issues 6/7: evaluation's notices (evaluation_notices.h). */
        {"rating_reminder", "{applicant_name}{case_no}{item_name}{rate_until_date}"},
        {"rectification_result", "{applicant_name}{case_no}{classification}{rectify_note}"},
        {"overdue_rectification", "{staff_name}{case_no}{department}{grade_text}{due_date}"},
        /* A held task closed with its case (withdrawn, 容缺 lapse). */
        {"task_closed", "{staff_name}{case_no}{item_name}{stage}{why}"},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_int_equal(templates_add(set, more[i][0], 1, more[i][1], &err), 0);
    /* Each kind only its own facts: a task notice has no absent colleague, a staff notice no
     * applicant, a bad review never the rater (DOMAIN.md §6). */
    assert_int_equal(templates_add(set, "task_assigned", 2, "{absent_name}", &err), -1);
    assert_int_equal(templates_add(set, "deadline_red", 2, "{applicant_name}", &err), -1);
    assert_int_equal(templates_add(set, "bad_review", 2, "{rater_name}", &err), -1);
    assert_int_equal(templates_check_complete(set, &err), 0);
    return set;
}

static void test_notices(void **state)
{
    (void)state;
    templates_t *set = s_shipped();
    case_contact_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.case_no, "33012220261123100001");
    strcpy(c.applicant_name, "张三");
    strcpy(c.phone, "13800000000");
    strcpy(c.item_name, "食品经营许可");
    c.promised_limit = 15;
    strcpy(c.limit_unit, "working_days");
    c.accepted_at_us = s_local(2026, 11, 23, 23); /* late evening: the local date counts */
    c.decided_at_us = s_local(2026, 12, 1, 10);
    strcpy(c.outcome, "approved");
    assert_string_equal(notices_recipient(&c), "13800000000");

    ow_error_t err;
    ow_error_clear(&err);
    const char *tkind = NULL;
    int version = 0;
    char *text = notices_render(set, NOTICE_CASE_ACCEPTED, &c, &tkind, &version, &err);
    assert_non_null(text);
    assert_string_equal(text, "张三您好：您申请的“食品经营许可”已于2026年11月23日受理，受理编号"
                              "33012220261123100001，承诺办结时限15个工作日。");
    assert_string_equal(tkind, "case_accepted");
    assert_int_equal(version, 1);
    free(text);

    text = notices_render(set, NOTICE_CASE_DECIDED, &c, &tkind, &version, &err);
    assert_string_equal(text,
                        "“食品经营许可”（33012220261123100001）于2026年12月1日办结，准予许可。");
    assert_string_equal(tkind, "case_decided_approved");
    free(text);

    strcpy(c.outcome, "refused");
    text = notices_render(set, NOTICE_CASE_DECIDED, &c, &tkind, &version, &err);
    assert_non_null(strstr(text, "不予许可，理由：详见书面决定。"));
    assert_string_equal(tkind, "case_decided_refused");
    free(text);
    strcpy(c.decision_comment, "经营场所不符合要求");
    text = notices_render(set, NOTICE_CASE_DECIDED, &c, &tkind, &version, &err);
    assert_non_null(strstr(text, "理由：经营场所不符合要求。"));
    free(text);

    text = notices_render(set, NOTICE_RATING_INVITATION, &c, &tkind, &version, &err);
    assert_string_equal(text, "张三您好：请对“食品经营许可”作出评价。");
    free(text);

    strcpy(c.outcome, "withdrawn");
    ow_error_clear(&err);
    assert_null(notices_render(set, NOTICE_CASE_DECIDED, &c, &tkind, &version, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    /* Without a phone the name is the recipient (contract: "<phone or name>"). */
    c.phone[0] = '\0';
    assert_string_equal(notices_recipient(&c), "张三");
    templates_destroy(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_placeholder_refused),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_notices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
