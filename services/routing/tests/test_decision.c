/* The rules of deciding a task (decision.h): request checks, who may decide, and what the
 * decision means for the case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "decision.h"
#include "ow_test_error.h"

#define S_TASK "5f0c3b1e-8d2a-4c61-9e7f-0a1b2c3d4e5f"

static void test_outcome_mapping(void **state)
{
    (void)state;
    routing_outcome_t approve = routing_decision_outcome(ROUTING_DECISION_APPROVE);
    assert_string_equal(approve.outcome, "approved");
    assert_int_equal(approve.case_state, 11); /* 办结（通过） */
    routing_outcome_t refuse = routing_decision_outcome(ROUTING_DECISION_REFUSE);
    assert_string_equal(refuse.outcome, "refused");
    assert_int_equal(refuse.case_state, 13); /* 办结（不通过） */
    assert_string_equal(routing_decision_name(ROUTING_DECISION_APPROVE), "approve");
    assert_string_equal(routing_decision_name(ROUTING_DECISION_REFUSE), "refuse");
}

static void test_valid_requests(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_decision_t d = ROUTING_DECISION_REFUSE;
    assert_int_equal(routing_decision_check_request(S_TASK, "approve", "", &d, &err), 0);
    assert_int_equal(d, ROUTING_DECISION_APPROVE);
    assert_int_equal(routing_decision_check_request(S_TASK, "refuse",
                                                    "场所不符合卫生要求\n可申请复议", &d, &err),
                     0);
    assert_int_equal(d, ROUTING_DECISION_REFUSE);
    assert_int_equal(err.code, OW_OK);
}

static void test_every_problem_at_once(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_decision_t d = ROUTING_DECISION_APPROVE;
    assert_int_equal(routing_decision_check_request("42", "maybe", "\x01", &d, &err), 3);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "task_id", "UUID"));
    assert_true(ow_test_error_has(&err, "decision", "approve or refuse"));
    assert_true(ow_test_error_has(&err, "comment", "UTF-8"));

    ow_error_clear(&err);
    assert_int_equal(routing_decision_check_request("", "", NULL, &d, &err), 2);
    assert_true(ow_test_error_has(&err, "task_id", "missing"));
    assert_true(ow_test_error_has(&err, "decision", "missing"));
}

/* 行政许可法 art. 38: a refusal states its reasons. */
static void test_refusal_needs_reasons(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_decision_t d;
    assert_int_equal(routing_decision_check_request(S_TASK, "refuse", "", &d, &err), 1);
    assert_true(ow_test_error_has(&err, "comment", "reasons"));
    char long_comment[ROUTING_COMMENT_MAX + 2];
    memset(long_comment, 'a', sizeof long_comment - 1);
    long_comment[sizeof long_comment - 1] = '\0';
    ow_error_clear(&err);
    assert_int_equal(routing_decision_check_request(S_TASK, "approve", long_comment, &d, &err), 1);
}

static void test_only_the_assignee_may_decide(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise("TL0101", "TL0101", "open", &err), 0);
    assert_int_equal(err.code, OW_OK);

    assert_int_equal(routing_decision_authorise("TL0102", "TL0101", "open", &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_non_null(strstr(err.message, "TL0102"));

    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise("", "TL0101", "open", &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise(NULL, "TL0101", "open", &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    /* A caller that is not even an id is refused without being echoed. */
    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise("\xff\xfe", "TL0101", "open", &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
    assert_null(strstr(err.message, "\xff"));
}

static void test_a_decided_task_stays_decided(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise("TL0101", "TL0101", "done", &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    /* A stranger learns nothing about the state: permission comes first. */
    ow_error_clear(&err);
    assert_int_equal(routing_decision_authorise("TL0102", "TL0101", "done", &err), -1);
    assert_int_equal(err.code, OW_PERMISSION_DENIED);
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(routing_uuid_valid(S_TASK));
    assert_false(routing_uuid_valid("5f0c3b1e-8d2a-4c61-9e7f-0a1b2c3d4e5"));
    assert_false(routing_uuid_valid("5f0c3b1e+8d2a-4c61-9e7f-0a1b2c3d4e5f"));
    assert_true(routing_id_valid("113301220025190176"));
    assert_false(routing_id_valid("TL 0101"));
    assert_false(routing_id_valid(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_mapping),
        cmocka_unit_test(test_valid_requests),
        cmocka_unit_test(test_every_problem_at_once),
        cmocka_unit_test(test_refusal_needs_reasons),
        cmocka_unit_test(test_only_the_assignee_may_decide),
        cmocka_unit_test(test_a_decided_task_stays_decided),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
