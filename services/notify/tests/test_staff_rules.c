/* notify_test_staff_rules — who among the staff is told what (staff_rules.h, issue 7), the
 * urgency of red cards, and the applicant's further notices' wording (applicant_notices.h).
 * Pure functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "applicant_notices.h"
#include "event_rules.h"
#include "quiet_hours.h"
#include "staff_rules.h"
#include "templates.h"

static void test_new_task_tells_the_assignee(void **state)
{
    (void)state;
    staff_task_t t = {.task_id = "t1", .assignee = "TL0101", .on_behalf_of = "", .state = "open"};
    assert_string_equal(staff_task_notice("", &t), TEMPLATE_TASK_ASSIGNED);
    /* The same holder after a suspension or extension: nothing new to tell. */
    t.state = "suspended";
    assert_null(staff_task_notice("TL0101", &t));
    /* An unheld task in a post's queue has nobody to tell; a closed one neither. */
    t.assignee = "";
    assert_null(staff_task_notice("TL0101", &t));
    t.assignee = "TL0102";
    t.state = "done";
    assert_null(staff_task_notice("TL0101", &t));
    t.state = "cancelled";
    assert_null(staff_task_notice("", &t));
}

/* A held task closed with its case: its holder is told why; a stage's leftover task, an unheld
 * one or an open one is not. */
static void test_task_closed_with_its_case(void **state)
{
    (void)state;
    staff_task_t t = {
        .task_id = "t1", .assignee = "TL0101", .on_behalf_of = "", .state = "cancelled"};
    assert_true(staff_task_closed_notice(&t, "case_withdrawn"));
    assert_true(staff_task_closed_notice(&t, "case_terminated"));
    assert_non_null(strstr(staff_task_closed_why("case_withdrawn"), "撤回"));
    assert_non_null(strstr(staff_task_closed_why("case_terminated"), "终止"));
    assert_false(staff_task_closed_notice(&t, "stage_decided"));
    assert_false(staff_task_closed_notice(&t, ""));
    assert_false(staff_task_closed_notice(&t, NULL));
    assert_null(staff_task_closed_why("stage_decided"));
    /* Still the new-task rule's answer: a cancelled task is never "assigned". */
    assert_null(staff_task_notice("", &t));
    t.assignee = "";
    assert_false(staff_task_closed_notice(&t, "case_withdrawn"));
    t.assignee = "TL0101";
    t.state = "open";
    assert_false(staff_task_closed_notice(&t, "case_withdrawn"));
    /* The template takes exactly the facts the notice supplies. */
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        templates_check(TEMPLATE_TASK_CLOSED, "{staff_name}{case_no}{item_name}{stage}{why}", &err),
        0);
    assert_int_equal(templates_check(TEMPLATE_TASK_CLOSED, "{applicant_name}", &err), -1);
}

static void test_task_from_an_absent_colleague(void **state)
{
    (void)state;
    /* DOMAIN.md §4/§8: A away → B holds the work on A's behalf and is told so. */
    staff_task_t t = {
        .task_id = "t1", .assignee = "TL0103", .on_behalf_of = "TL0102", .state = "open"};
    assert_string_equal(staff_task_notice("", &t), TEMPLATE_TASK_ASSIGNED_ON_BEHALF);
    assert_string_equal(staff_task_notice("TL0102", &t), TEMPLATE_TASK_ASSIGNED_ON_BEHALF);
    assert_null(staff_task_notice("TL0103", &t));
    /* A back from leave takes the work back: told as their own task. */
    staff_task_t back = {
        .task_id = "t1", .assignee = "TL0102", .on_behalf_of = "", .state = "open"};
    assert_string_equal(staff_task_notice("TL0103", &back), TEMPLATE_TASK_ASSIGNED);
    /* on_behalf_of naming the holder themself is no absence. */
    back.on_behalf_of = "TL0102";
    assert_string_equal(staff_task_notice("", &back), TEMPLATE_TASK_ASSIGNED);
}

static void test_card_holders(void **state)
{
    (void)state;
    staff_task_t tasks[] = {
        {.task_id = "a", .assignee = "TL0101", .stage = "受理", .state = "done"},
        {.task_id = "b", .assignee = "TL0202", .stage = "审查", .state = "open"},
        {.task_id = "c", .assignee = "TL0302", .stage = "审查", .state = "suspended"},
        {.task_id = "d", .assignee = "TL0202", .stage = "决定", .state = "extension_requested"},
        {.task_id = "e", .assignee = "", .stage = "决定", .state = "open"},
    };
    size_t out[8];
    /* The case clock: every open holder once, in order; done and unheld tasks skipped. */
    size_t n = staff_card_holders(tasks, 5, "", out, 8);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    /* A stage clock: the holders of that stage (DOMAIN.md §5: a stage can be late alone). */
    n = staff_card_holders(tasks, 5, "决定", out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 3);
    /* A stage nobody holds: every open holder rather than nobody. */
    n = staff_card_holders(tasks, 5, "受理", out, 8);
    assert_int_equal(n, 2);
    /* Bounded by max. */
    assert_int_equal(staff_card_holders(tasks, 5, "", out, 1), 1);
    assert_int_equal(staff_card_holders(tasks, 0, "", out, 8), 0);
}

static void test_supervisors_and_urgency(void **state)
{
    (void)state;
    assert_string_equal(staff_supervisor_kind("deadline.red", false), SUPERVISOR_RED_CARD);
    assert_null(staff_supervisor_kind("deadline.yellow", false));
    assert_string_equal(staff_supervisor_kind("rating.recorded", true), SUPERVISOR_BAD_REVIEW);
    assert_null(staff_supervisor_kind("rating.recorded", false));
    assert_true(staff_supervisor_kind_valid("overdue_rectification"));
    assert_false(staff_supervisor_kind_valid("yellow_card"));
    assert_false(staff_supervisor_kind_valid(NULL));
    /* Only a red card ignores the SMS quiet hours (issue 7). */
    assert_true(event_rules_urgent(STAFF_NOTICE_RED));
    assert_false(event_rules_urgent(STAFF_NOTICE_YELLOW));
    assert_false(event_rules_urgent(STAFF_NOTICE_TASK));
    assert_false(event_rules_urgent("case_accepted"));
    quiet_hours_t q = {.start_min = 22 * 60, .end_min = 8 * 60};
    int64_t night = (int64_t)(23 - 8) * 3600 * 1000000LL; /* 1970-01-01 23:00 local */
    assert_true(quiet_hours_next_allowed(&q, night, event_rules_urgent(STAFF_NOTICE_RED)) == night);
    assert_true(quiet_hours_next_allowed(&q, night, event_rules_urgent(STAFF_NOTICE_YELLOW)) >
                night);
}

static void test_contact_check_lists_every_problem(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    staff_contact_t good = {.staff_id = "TL0101",
                            .name = "陈建国",
                            .phone = "13900000001",
                            .email = "chen@example.org",
                            .channel = "sms",
                            .centre_id = "330122000000",
                            .department_code = "113301220025190176"};
    assert_int_equal(staff_contact_check(&good, "contacts[0]", &err), 0);
    staff_contact_t bad = {
        .staff_id = "", .phone = "13x", .email = "nobody", .channel = "fax", .centre_id = "3301"};
    assert_int_equal(staff_contact_check(&bad, "contacts[1]", &err), 5);
    assert_int_equal(ow_error_finish_violations(&err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal((int)err.violation_count, 5);
    assert_string_equal(err.violations[0].field, "contacts[1].staff_id");
    ow_error_clear(&err);
    staff_contact_t no_phone = {.staff_id = "TL0102", .channel = "sms"};
    assert_int_equal(staff_contact_check(&no_phone, "c", &err), 1);
    /* The channel: preference, else SMS, else e-mail; none obeyed; off channels skipped. */
    assert_string_equal(staff_channel(&good, true, true), "sms");
    good.channel = "email";
    assert_string_equal(staff_channel(&good, true, true), "email");
    assert_string_equal(staff_channel(&good, true, false), "sms");
    good.channel = "none";
    assert_null(staff_channel(&good, true, true));
    good.channel = "";
    good.phone = "";
    assert_string_equal(staff_channel(&good, true, true), "email");
}

static void test_applicant_wording(void **state)
{
    (void)state;
    assert_string_equal(applicant_procedure_name("expert_review"), "专家评审");
    assert_string_equal(applicant_procedure_name("correction"), "补正");
    assert_null(applicant_procedure_name("lottery"));
    char buf[64];
    applicant_expected_length(15, "working_days", buf, sizeof buf);
    assert_string_equal(buf, "15个工作日");
    applicant_expected_length(10, "natural_days", buf, sizeof buf);
    assert_string_equal(buf, "10个自然日");
    applicant_expected_length(0, "", buf, sizeof buf);
    assert_string_equal(buf, "另行告知的时间");

    Onewindow__V1__ListedMaterial a = ONEWINDOW__V1__LISTED_MATERIAL__INIT,
                                  b = ONEWINDOW__V1__LISTED_MATERIAL__INIT;
    a.name = "营业执照";
    a.why = "missing";
    b.code = "M02";
    b.why = "已过期";
    Onewindow__V1__ListedMaterial *list[] = {&a, &b};
    char text[APPLICANT_MATERIALS_MAX + 1];
    assert_int_equal(applicant_materials_text(list, 2, text, sizeof text), 2);
    assert_string_equal(text, "营业执照（未提交）、M02（已过期）");
    /* Too long for the room: cut between entries, marked 等, never half an entry. */
    char small[40];
    assert_int_equal(applicant_materials_text(list, 2, small, sizeof small), 1);
    assert_string_equal(small, "营业执照（未提交）等");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_task_tells_the_assignee),
        cmocka_unit_test(test_task_closed_with_its_case),
        cmocka_unit_test(test_task_from_an_absent_colleague),
        cmocka_unit_test(test_card_holders),
        cmocka_unit_test(test_supervisors_and_urgency),
        cmocka_unit_test(test_contact_check_lists_every_problem),
        cmocka_unit_test(test_applicant_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
