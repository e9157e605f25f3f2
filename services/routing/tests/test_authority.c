/* Who may do what to a task (authority.h) — holder, substitute, chief representative for
 * final decisions, head for extensions, claim/release — and the art. 42 ceilings
 * (extension.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "authority.h"
#include "extension.h"

#define DEPT  "D1"
#define OTHER "D2"

static routing_actor_t s_actor(const char *id, const char *dept, const char *role)
{
    return (routing_actor_t){.staff_id = id, .department_code = dept, .role = role, .active = true};
}

static routing_task_view_t s_task(const char *state, bool final_stage)
{
    return (routing_task_view_t){.holder = "B1",
                                 .substitute = "",
                                 .department_code = DEPT,
                                 .post_a = "A1",
                                 .post_b = "B1",
                                 .state = state,
                                 .final_stage = final_stage};
}

static int s_may(routing_actor_t actor, routing_action_t action, routing_task_view_t task,
                 ow_status_t *code)
{
    ow_error_t err;
    ow_error_clear(&err);
    int rc = routing_authorise(&actor, action, &task, &err);
    *code = err.code;
    return rc;
}

static void test_holder_actions(void **state)
{
    (void)state;
    static const routing_action_t holder_actions[] = {
        ROUTING_ACT_DECIDE,   ROUTING_ACT_RETURN,
        ROUTING_ACT_SUSPEND,  ROUTING_ACT_REQUEST_EXTENSION,
        ROUTING_ACT_TRANSFER, ROUTING_ACT_RELEASE};
    ow_status_t code;
    for (size_t i = 0; i < sizeof holder_actions / sizeof holder_actions[0]; i++) {
        routing_action_t act = holder_actions[i];
        routing_task_view_t t = s_task("open", false);
        /* The holder may. */
        assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), act, t, &code), 0);
        /* The substitute of an absent holder may. */
        t.holder = "A1";
        t.substitute = "B1";
        assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), act, t, &code), 0);
        /* The department's chief representative may. */
        assert_int_equal(s_may(s_actor("C1", DEPT, "chief_representative"), act, t, &code), 0);
        /* A colleague, another department's chief, a head, a supervisor may not. */
        assert_int_equal(s_may(s_actor("X1", DEPT, "approver"), act, t, &code), -1);
        assert_int_equal(code, OW_PERMISSION_DENIED);
        assert_int_equal(s_may(s_actor("C2", OTHER, "chief_representative"), act, t, &code), -1);
        assert_int_equal(s_may(s_actor("H1", DEPT, "department_head"), act, t, &code), -1);
        assert_int_equal(s_may(s_actor("S1", DEPT, "supervisor"), act, t, &code), -1);
        /* The holder, inactive, may not. */
        routing_actor_t gone = s_actor("A1", DEPT, "approver");
        gone.active = false;
        assert_int_equal(s_may(gone, act, t, &code), -1);
        assert_int_equal(code, OW_PERMISSION_DENIED);
        /* Permission first, then state: a stranger learns nothing about a done task. */
        t.state = "done";
        assert_int_equal(s_may(s_actor("X1", DEPT, "approver"), act, t, &code), -1);
        assert_int_equal(code, OW_PERMISSION_DENIED);
        assert_int_equal(s_may(s_actor("A1", DEPT, "approver"), act, t, &code), -1);
        assert_int_equal(code, OW_FAILED_PRECONDITION);
        t.state = "suspended";
        assert_int_equal(s_may(s_actor("A1", DEPT, "approver"), act, t, &code), -1);
        assert_int_equal(code, OW_FAILED_PRECONDITION);
    }
    /* No actor at all. */
    routing_task_view_t t = s_task("open", false);
    assert_int_equal(s_may(s_actor("", DEPT, "approver"), ROUTING_ACT_DECIDE, t, &code), -1);
    assert_int_equal(code, OW_PERMISSION_DENIED);
    assert_int_equal(s_may(s_actor(NULL, DEPT, "approver"), ROUTING_ACT_DECIDE, t, &code), -1);
}

static void test_final_decision_is_the_chief_representatives(void **state)
{
    (void)state;
    ow_status_t code;
    routing_task_view_t t = s_task("open", true);
    /* The holder of a final stage may not decide it … */
    assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), ROUTING_ACT_DECIDE, t, &code), -1);
    assert_int_equal(code, OW_PERMISSION_DENIED);
    /* … the chief representative and a named delegate may … */
    assert_int_equal(
        s_may(s_actor("C1", DEPT, "chief_representative"), ROUTING_ACT_DECIDE, t, &code), 0);
    routing_actor_t delegate = s_actor("D9", DEPT, "approver");
    delegate.chief_delegate = true;
    assert_int_equal(s_may(delegate, ROUTING_ACT_DECIDE, t, &code), 0);
    /* … but not for another department's part. */
    assert_int_equal(
        s_may(s_actor("C2", OTHER, "chief_representative"), ROUTING_ACT_DECIDE, t, &code), -1);
    delegate.department_code = OTHER;
    assert_int_equal(s_may(delegate, ROUTING_ACT_DECIDE, t, &code), -1);
    /* The holder may still do the other actions of a final stage (return, suspend, …). */
    assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), ROUTING_ACT_RETURN, t, &code), 0);
}

static void test_extension_grant_is_the_heads(void **state)
{
    (void)state;
    ow_status_t code;
    routing_task_view_t t = s_task("extension_requested", false);
    assert_int_equal(
        s_may(s_actor("H1", DEPT, "department_head"), ROUTING_ACT_GRANT_EXTENSION, t, &code), 0);
    /* Not the holder, the chief representative, another department's head or a supervisor. */
    const routing_actor_t refused[] = {
        s_actor("B1", DEPT, "approver"), s_actor("C1", DEPT, "chief_representative"),
        s_actor("H2", OTHER, "department_head"), s_actor("S1", DEPT, "supervisor"),
        s_actor("AD", DEPT, "administrator")};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(s_may(refused[i], ROUTING_ACT_GRANT_EXTENSION, t, &code), -1);
        assert_int_equal(code, OW_PERMISSION_DENIED);
    }
    /* Only a requested extension can be granted. */
    t.state = "open";
    assert_int_equal(
        s_may(s_actor("H1", DEPT, "department_head"), ROUTING_ACT_GRANT_EXTENSION, t, &code), -1);
    assert_int_equal(code, OW_FAILED_PRECONDITION);
}

static void test_claim_release_resume(void **state)
{
    (void)state;
    ow_status_t code;
    routing_task_view_t queued = s_task("open", false);
    queued.holder = "";
    assert_int_equal(s_may(s_actor("A1", DEPT, "approver"), ROUTING_ACT_CLAIM, queued, &code), 0);
    assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), ROUTING_ACT_CLAIM, queued, &code), 0);
    assert_int_equal(
        s_may(s_actor("C1", DEPT, "chief_representative"), ROUTING_ACT_CLAIM, queued, &code), 0);
    assert_int_equal(s_may(s_actor("X1", DEPT, "approver"), ROUTING_ACT_CLAIM, queued, &code), -1);
    assert_int_equal(code, OW_PERMISSION_DENIED);
    /* Held work cannot be claimed; unheld work cannot be released. */
    routing_task_view_t held = s_task("open", false);
    assert_int_equal(s_may(s_actor("A1", DEPT, "approver"), ROUTING_ACT_CLAIM, held, &code), -1);
    assert_int_equal(code, OW_FAILED_PRECONDITION);
    assert_int_equal(
        s_may(s_actor("C1", DEPT, "chief_representative"), ROUTING_ACT_RELEASE, queued, &code), -1);
    assert_int_equal(code, OW_FAILED_PRECONDITION);
    /* Resume only from a suspension. */
    routing_task_view_t suspended = s_task("suspended", false);
    assert_int_equal(s_may(s_actor("B1", DEPT, "approver"), ROUTING_ACT_RESUME, suspended, &code),
                     0);
    assert_int_equal(
        s_may(s_actor("B1", DEPT, "approver"), ROUTING_ACT_RESUME, s_task("open", false), &code),
        -1);
    assert_int_equal(code, OW_FAILED_PRECONDITION);
    assert_string_equal(routing_action_name(ROUTING_ACT_GRANT_EXTENSION), "grant_extension");
}

static void test_art42_ceilings(void **state)
{
    (void)state;
    assert_int_equal(routing_extension_ceiling(false), 10);
    assert_int_equal(routing_extension_ceiling(true), 15);
    for (int joint = 0; joint < 2; joint++) {
        int ceiling = joint ? 15 : 10;
        for (int granted = 0; granted <= ceiling + 1; granted++)
            for (int extra = -1; extra <= ceiling + 1; extra++) {
                ow_error_t err;
                ow_error_clear(&err);
                int n = routing_extension_check(joint, granted, extra, "现场核查需要", &err);
                bool ok = extra >= 1 && granted + extra <= ceiling;
                assert_int_equal(n, ok ? 0 : 1);
                if (!ok)
                    assert_string_equal(err.violations[0].field, "extra_working_days");
            }
    }
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_extension_check(false, 4, 7, "", &err), 2);
    assert_non_null(strstr(err.violations[0].description, "6 left"));
    assert_string_equal(err.violations[1].field, "reason");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holder_actions),
        cmocka_unit_test(test_final_decision_is_the_chief_representatives),
        cmocka_unit_test(test_extension_grant_is_the_heads),
        cmocka_unit_test(test_claim_release_resume),
        cmocka_unit_test(test_art42_ceilings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
