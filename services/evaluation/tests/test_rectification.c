/* The rectification ticket's state machine (rectification.h, DOMAIN.md §6) as plain functions:
 * every action from every state (real-name and anonymous) against a table written from §6, the
 * command checks, who may act, the appeal rules and the overdue card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ow_test_error.h"
#include "rectification.h"

/* A valid command for each action. */
static rect_command_t s_cmd(rect_action_t a)
{
    rect_command_t c = {.action = rect_action_name(a)};
    if (a == RECT_CLASSIFY)
        c.classification = "fix_by_deadline";
    if (a == RECT_RECTIFY || a == RECT_APPEAL || a == RECT_UPHOLD || a == RECT_REJECT)
        c.note = "窗口已整改";
    if (a == RECT_REVISIT)
        c.revisit_grade = 4;
    if (a == RECT_APPEAL)
        c.appeal_reason = "mistaken";
    return c;
}

/* The expected successor of (state, action), or -1 when refused. §6 read as a table. */
static int s_expected(rect_state_t s, rect_action_t a, bool anonymous, bool appealed_once)
{
    switch (a) {
    case RECT_VERIFY:
        return s == RECT_OPEN ? RECT_VERIFIED : -1;
    case RECT_CLASSIFY:
        return s == RECT_VERIFIED ? RECT_CLASSIFIED : -1;
    case RECT_RECTIFY:
        return s == RECT_CLASSIFIED ? RECT_RECTIFIED : -1;
    case RECT_TELL_RATER:
        return !anonymous && s == RECT_RECTIFIED ? RECT_RATER_TOLD : -1;
    case RECT_REVISIT:
        return s == RECT_RATER_TOLD ? RECT_REVISITED : -1;
    case RECT_CLOSE:
        return s == RECT_REVISITED || (anonymous && s == RECT_RECTIFIED) ? RECT_CLOSED : -1;
    case RECT_APPEAL:
        return !appealed_once && (s == RECT_OPEN || s == RECT_VERIFIED || s == RECT_CLASSIFIED)
                   ? RECT_APPEALED
                   : -1;
    case RECT_UPHOLD:
        return s == RECT_APPEALED ? RECT_APPEAL_UPHELD : -1;
    case RECT_REJECT:
        return s == RECT_APPEALED ? -2 : -1; /* -2: back where the appeal came from */
    default:
        return -1;
    }
}

static void test_every_state_and_action(void **state)
{
    (void)state;
    for (int anon = 0; anon < 2; anon++)
        for (int once = 0; once < 2; once++)
            for (int s = 0; s < RECT_STATE_COUNT; s++)
                for (int a = 0; a < RECT_ACTION_COUNT; a++) {
                    rect_ticket_t t = rect_ticket_opened("D01", anon);
                    t.state = (rect_state_t)s;
                    t.appealed_once = once;
                    t.appeal_from = RECT_VERIFIED;
                    rect_ticket_t before = t;
                    rect_command_t c = s_cmd((rect_action_t)a);
                    rect_effects_t fx;
                    ow_error_t err;
                    ow_error_clear(&err);
                    int want = s_expected((rect_state_t)s, (rect_action_t)a, anon, once);
                    int rc = rect_apply(&t, &c, "S2", &fx, &err);
                    if (want == -1) {
                        assert_int_equal(rc, -1);
                        assert_int_equal(err.code, OW_FAILED_PRECONDITION);
                        assert_memory_equal(&t, &before, sizeof t); /* unchanged */
                        continue;
                    }
                    assert_int_equal(rc, 0);
                    assert_int_equal(t.state, want == -2 ? RECT_VERIFIED : want);
                    assert_int_equal(fx.from, s);
                    assert_int_equal(fx.to, t.state);
                    assert_non_null(fx.event);
                    assert_true(strncmp(fx.event, "rectification.", 14) == 0);
                    /* Counted once, at the step that does it (§6 rates). */
                    assert_int_equal(fx.count_rectified, a == RECT_RECTIFY);
                    assert_int_equal(fx.count_revisited, a == RECT_REVISIT);
                    assert_int_equal(fx.exclude_rating, a == RECT_UPHOLD);
                    assert_int_equal(fx.cancel_deadline, a == RECT_RECTIFY || a == RECT_UPHOLD);
                }
}

static void test_happy_path_and_appeal(void **state)
{
    (void)state;
    rect_ticket_t t = rect_ticket_opened("D01", false);
    rect_effects_t fx;
    ow_error_t err;
    const rect_action_t path[] = {RECT_VERIFY,     RECT_CLASSIFY, RECT_RECTIFY,
                                  RECT_TELL_RATER, RECT_REVISIT,  RECT_CLOSE};
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        rect_command_t c = s_cmd(path[i]);
        ow_error_clear(&err);
        assert_int_equal(rect_apply(&t, &c, "S1", &fx, &err), 0);
    }
    assert_int_equal(t.state, RECT_CLOSED);
    assert_true(rect_state_final(t.state));
    assert_string_equal(t.classification, "fix_by_deadline");
    assert_int_equal(t.revisit_grade, 4);

    /* Appeal, rejected: back to classified; a second appeal is refused. */
    t = rect_ticket_opened("D01", false);
    rect_command_t c = s_cmd(RECT_VERIFY);
    assert_int_equal(rect_apply(&t, &c, "S1", &fx, &err), 0);
    c = s_cmd(RECT_CLASSIFY);
    assert_int_equal(rect_apply(&t, &c, "S1", &fx, &err), 0);
    c = s_cmd(RECT_APPEAL);
    assert_int_equal(rect_apply(&t, &c, "S1", &fx, &err), 0);
    assert_string_equal(t.appeal_by, "S1");
    assert_string_equal(t.appeal_reason, "mistaken");
    c = s_cmd(RECT_REJECT);
    assert_int_equal(rect_apply(&t, &c, "R1", &fx, &err), 0);
    assert_int_equal(t.state, RECT_CLASSIFIED);
    assert_string_equal(t.appeal_decision, "rejected");
    c = s_cmd(RECT_APPEAL);
    ow_error_clear(&err);
    assert_int_equal(rect_apply(&t, &c, "S1", &fx, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "one appeal"));
}

static void test_command_checks(void **state)
{
    (void)state;
    rect_action_t a;
    ow_error_t err;
    ow_error_clear(&err);
    rect_command_t c = {.action = "explode", .note = "bad\x01", .revisit_grade = 9};
    assert_int_equal(rect_check_command(&c, &a, &err), -1);
    assert_int_equal(a, RECT_ACTION_NONE);
    assert_true(ow_test_error_has(&err, "action", NULL));
    assert_true(ow_test_error_has(&err, "note", NULL));

    /* Every problem of a known action at once. */
    ow_error_clear(&err);
    c = (rect_command_t){.action = "appeal",
                         .appeal_reason = "spite",
                         .revisit_grade = 3,
                         .classification = "fix_now"};
    assert_int_equal(rect_check_command(&c, &a, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&err, "appeal_reason", NULL));
    assert_true(ow_test_error_has(&err, "note", "required"));
    assert_true(ow_test_error_has(&err, "revisit_grade", "only for revisit"));
    assert_true(ow_test_error_has(&err, "classification", "only for classify"));

    ow_error_clear(&err);
    c = (rect_command_t){.action = "classify", .classification = "ignore"};
    assert_int_equal(rect_check_command(&c, &a, &err), -1);
    assert_true(ow_test_error_has(&err, "classification", NULL));
    for (int g = 0; g <= 6; g++) {
        ow_error_clear(&err);
        c = (rect_command_t){.action = "revisit", .revisit_grade = g};
        assert_int_equal(rect_check_command(&c, &a, &err), g >= 1 && g <= 5 ? 0 : -1);
    }
    /* 1000 characters of Chinese pass, 1001 do not. */
    static char note[RECT_NOTE_BYTES + 8];
    note[0] = '\0';
    for (int i = 0; i < RECT_NOTE_MAX_CHARS; i++)
        strcat(note, "改");
    ow_error_clear(&err);
    c = (rect_command_t){.action = "rectify", .note = note};
    assert_int_equal(rect_check_command(&c, &a, &err), 0);
    strcat(note, "改");
    ow_error_clear(&err);
    assert_int_equal(rect_check_command(&c, &a, &err), -1);
    for (int i = 0; i < RECT_ACTION_COUNT; i++) {
        ow_error_clear(&err);
        c = s_cmd((rect_action_t)i);
        assert_int_equal(rect_check_command(&c, &a, &err), 0);
        assert_int_equal(a, i);
    }
}

static void test_who_may_act(void **state)
{
    (void)state;
    rect_ticket_t t = rect_ticket_opened("D01", false);
    ow_error_t err;
    for (int a = 0; a < RECT_ACTION_COUNT; a++) {
        bool decision = a == RECT_UPHOLD || a == RECT_REJECT;
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "H1", RECT_ROLE_HANDLER, "D01", &err),
                         decision ? -1 : 0);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "H2", RECT_ROLE_HANDLER, "D02", &err), -1);
        assert_int_equal(err.code, OW_PERMISSION_DENIED);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "R1", RECT_ROLE_REVIEWER, "", &err),
                         decision ? 0 : -1);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "V1", RECT_ROLE_SUPERVISOR, "", &err), 0);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "A1", RECT_ROLE_ADMIN, "", &err), -1);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "X", RECT_ROLE_NONE, "", &err), -1);
        ow_error_clear(&err);
        assert_int_equal(rect_authorise(&t, a, "", RECT_ROLE_SUPERVISOR, "", &err), -1);
    }
    /* The appellant may not decide their own appeal, whatever the role. */
    snprintf(t.appeal_by, sizeof t.appeal_by, "V1");
    ow_error_clear(&err);
    assert_int_equal(rect_authorise(&t, RECT_UPHOLD, "V1", RECT_ROLE_SUPERVISOR, "", &err), -1);
    assert_non_null(strstr(err.message, "filed the appeal"));
    ow_error_clear(&err);
    assert_int_equal(rect_authorise(&t, RECT_REJECT, "V2", RECT_ROLE_SUPERVISOR, "", &err), 0);
    /* A ticket of no department: only a supervisor handles it. */
    rect_ticket_t nodept = rect_ticket_opened("", false);
    ow_error_clear(&err);
    assert_int_equal(rect_authorise(&nodept, RECT_VERIFY, "H", RECT_ROLE_HANDLER, "", &err), -1);
}

static void test_overdue_once(void **state)
{
    (void)state;
    for (int s = 0; s < RECT_STATE_COUNT; s++) {
        rect_ticket_t t = rect_ticket_opened("D01", false);
        t.state = (rect_state_t)s;
        bool pending =
            s == RECT_OPEN || s == RECT_VERIFIED || s == RECT_CLASSIFIED || s == RECT_APPEALED;
        assert_int_equal(rect_mark_overdue(&t), pending);
        assert_int_equal(t.overdue, pending);
        assert_false(rect_mark_overdue(&t)); /* the red card is raised once */
    }
    /* Late rectification is still allowed. */
    rect_ticket_t t = rect_ticket_opened("D01", false);
    t.state = RECT_CLASSIFIED;
    assert_true(rect_mark_overdue(&t));
    rect_command_t c = s_cmd(RECT_RECTIFY);
    rect_effects_t fx;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(rect_apply(&t, &c, "H1", &fx, &err), 0);
    assert_true(t.overdue);
}

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < RECT_STATE_COUNT; i++)
        assert_int_equal(rect_state_parse(rect_state_name((rect_state_t)i)), i);
    for (int i = 0; i < RECT_ACTION_COUNT; i++)
        assert_int_equal(rect_action_parse(rect_action_name((rect_action_t)i)), i);
    for (int i = RECT_ROLE_HANDLER; i <= RECT_ROLE_ADMIN; i++)
        assert_int_equal(rect_role_parse(rect_role_name((rect_role_t)i)), i);
    assert_int_equal(rect_role_parse("none"), RECT_ROLE_NONE);
    assert_int_equal(rect_state_parse("nope"), RECT_STATE_COUNT);
    assert_string_equal(rect_state_name(RECT_STATE_COUNT), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_and_action), cmocka_unit_test(test_happy_path_and_appeal),
        cmocka_unit_test(test_command_checks),         cmocka_unit_test(test_who_may_act),
        cmocka_unit_test(test_overdue_once),           cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
