/* The outcomes at the door (outcome.h, DOMAIN.md §3 table): accepted, decided on the spot,
 * one-time notice listing everything at once, 容缺 with all its conditions, not accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "case_state.h"
#include "outcome.h"

static const intake_material_t s_materials[] = {
    {"M1", "申请书", "original", 1, true, false, false},
    {"M2", "营业执照", "copy", 1, true, false, true}, /* shared by data: never demanded */
    {"M3", "身份证明", "copy", 1, true, false, false},
    {"M4", "布局图", "original", 1, true, true, false},   /* 容缺-eligible */
    {"M5", "委托书", "original", 1, false, false, false}, /* optional */
};

static intake_item_t s_item = {
    .impl_code = "ITEM1",
    .name = "食品经营许可",
    .department_name = "县市场监督管理局",
    .handling_kind = "promised",
    .promised_limit = 10,
    .materials = s_materials,
    .material_count = 5,
};

#define DAY (86400LL * 1000000)
#define NOW (1795000000LL * 1000000)

static intake_receipt_t s_receipt(const char *const *in, size_t n)
{
    return (intake_receipt_t){.item = &s_item,
                              .handed_in = in,
                              .handed_in_count = n,
                              .within_powers = true,
                              .promised_due_us = NOW + 14 * DAY,
                              .supply_due_us = NOW + 7 * DAY,
                              .commitment_signed = true,
                              .now_us = NOW};
}

static void test_complete_is_accepted_or_decided_on_the_spot(void **state)
{
    (void)state;
    const char *in[] = {"M1", "M3", "M4"};
    intake_receipt_t r = s_receipt(in, 3);
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_ACCEPTED);
    assert_int_equal(d.listed_count, 0);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_ACCEPTED);
    /* A 容缺 request with nothing missing is plain acceptance. */
    r.rongque_requested = true;
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_ACCEPTED);
    s_item.handling_kind = "immediate";
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_DECIDED_ON_SPOT);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_APPROVED);
    s_item.handling_kind = "promised";
    assert_int_equal(err.violation_count, 0);
}

static void test_notice_lists_every_missing_and_defective_material(void **state)
{
    (void)state;
    const char *in[] = {"M3", "M5"};
    const intake_defect_t defects[] = {{"M3", "复印件不清晰"}, {"M5", "未签名"}};
    intake_receipt_t r = s_receipt(in, 2);
    r.defects = defects;
    r.defect_count = 2;
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_NOTICE);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_CORRECTION_STARTED);
    /* M1 missing, M3 defective, M4 missing, M5 (optional) defective; M2 shared: never. */
    assert_int_equal(d.listed_count, 4);
    assert_string_equal(d.listed[0].code, "M1");
    assert_string_equal(d.listed[0].why, "missing");
    assert_string_equal(d.listed[1].code, "M3");
    assert_string_equal(d.listed[1].why, "复印件不清晰");
    assert_string_equal(d.listed[2].code, "M4");
    assert_string_equal(d.listed[3].code, "M5");
    assert_string_equal(d.listed[3].why, "未签名");
    for (size_t i = 0; i < d.listed_count; i++)
        assert_string_not_equal(d.listed[i].code, "M2");
}

static void test_rongque_when_only_eligible_materials_are_missing(void **state)
{
    (void)state;
    const char *in[] = {"M1", "M3"};
    intake_receipt_t r = s_receipt(in, 2);
    r.rongque_requested = true;
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_RONGQUE);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_ACCEPTED);
    assert_int_equal(d.listed_count, 1);
    assert_string_equal(d.listed[0].code, "M4");
    /* The supply deadline may equal the promised date. */
    r.supply_due_us = r.promised_due_us;
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_RONGQUE);
}

static void test_rongque_refusals_all_listed(void **state)
{
    (void)state;
    const char *in[] = {"M3"}; /* M1 (critical) and M4 missing */
    intake_receipt_t r = s_receipt(in, 1);
    r.rongque_requested = true;
    r.dishonest = true;
    r.commitment_signed = false;
    r.supply_due_us = r.promised_due_us + 1;
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* critical M1, 失信, no commitment, deadline past the promise */
    assert_int_equal(err.violation_count, 4);
    assert_non_null(strstr(err.violations[0].description, "M1"));
    assert_non_null(strstr(err.violations[1].description, "失信"));
    assert_string_equal(err.violations[2].field, "rongque.commitment_signed");
    assert_string_equal(err.violations[3].field, "rongque.supply_due");

    /* Each condition alone refuses. */
    const char *in2[] = {"M1", "M3"};
    intake_receipt_t ok = s_receipt(in2, 2);
    ok.rongque_requested = true;
    intake_receipt_t bad[4] = {ok, ok, ok, ok};
    bad[0].dishonest = true;
    bad[1].commitment_signed = false;
    bad[2].supply_due_us = ok.promised_due_us + 1;
    bad[3].supply_due_us = NOW; /* not in the future */
    for (int i = 0; i < 4; i++) {
        ow_error_clear(&err);
        assert_int_equal(intake_outcome_decide(&bad[i], &d, &err), -1);
        assert_int_equal(err.violation_count, 1);
    }
    /* A 即办件 is never 容缺. */
    s_item.handling_kind = "immediate";
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&ok, &d, &err), -1);
    assert_int_equal(err.violation_count, 1);
    s_item.handling_kind = "promised";
}

static void test_not_accepted_names_the_authority(void **state)
{
    (void)state;
    intake_receipt_t r = s_receipt(NULL, 0);
    r.within_powers = false;
    r.refer_to = "杭州市市场监督管理局";
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_NOT_ACCEPTED);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_REJECTED);
    assert_non_null(strstr(d.reason, "杭州市市场监督管理局"));
    r.refer_to = NULL; /* default: the item's department */
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_non_null(strstr(d.reason, "县市场监督管理局"));
}

/* 收件 only (art. 32: the decision within 5 days): nothing examined, state 1; a finding made
 * now is a decision and may not be deferred — every such finding listed. */
static void test_decide_later(void **state)
{
    (void)state;
    const char *in[] = {"M1"};
    intake_receipt_t r = s_receipt(in, 1);
    r.decide_later = true;
    intake_decision_t d;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_outcome_decide(&r, &d, &err), 0);
    assert_int_equal(d.outcome, INTAKE_OUTCOME_RECEIVED);
    assert_int_equal(d.listed_count, 0);
    assert_int_equal(intake_outcome_state(d.outcome), INTAKE_STATE_RECEIVED);
    assert_string_equal(intake_outcome_name(d.outcome), "received");
    intake_defect_t defect = {"M1", "illegible"};
    r.defects = &defect;
    r.defect_count = 1;
    r.rongque_requested = true;
    r.within_powers = false;
    assert_int_equal(intake_outcome_decide(&r, &d, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 3);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(intake_outcome_name(INTAKE_OUTCOME_ACCEPTED), "accepted");
    assert_string_equal(intake_outcome_name(INTAKE_OUTCOME_DECIDED_ON_SPOT), "decided_on_spot");
    assert_string_equal(intake_outcome_name(INTAKE_OUTCOME_NOTICE), "notice");
    assert_string_equal(intake_outcome_name(INTAKE_OUTCOME_RONGQUE), "rongque");
    assert_string_equal(intake_outcome_name(INTAKE_OUTCOME_NOT_ACCEPTED), "not_accepted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_is_accepted_or_decided_on_the_spot),
        cmocka_unit_test(test_notice_lists_every_missing_and_defective_material),
        cmocka_unit_test(test_rongque_when_only_eligible_materials_are_missing),
        cmocka_unit_test(test_rongque_refusals_all_listed),
        cmocka_unit_test(test_not_accepted_names_the_authority),
        cmocka_unit_test(test_decide_later),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
