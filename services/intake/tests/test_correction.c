/* 补正 (correction.h): only what the notice listed may be supplied; art. 32 dating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "case_state.h"
#include "correction.h"

static const char *const s_listed[] = {"M1", "M3", "M4"};

static void test_supplying_listed_materials(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *in[] = {"M1", "M4"};
    assert_int_equal(intake_correction_check(s_listed, 3, NULL, 0, in, 2, &err), 0);
    assert_int_equal(intake_correction_remaining(s_listed, 3, in, 2), 1);
    const char *all[] = {"M4", "M3", "M1"};
    assert_int_equal(intake_correction_remaining(s_listed, 3, all, 3), 0);
    /* A replacement of something supplied before is accepted. */
    const char *outstanding[] = {"M3"};
    const char *before[] = {"M1", "M4"};
    const char *again[] = {"M1", "M3"};
    assert_int_equal(intake_correction_check(outstanding, 1, before, 2, again, 2, &err), 0);
    assert_int_equal(err.violation_count, 0);
}

static void test_nothing_beyond_the_notice(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *in[] = {"M2", "M1", "M9", "M1"};
    /* M2 and M9 were not listed, M1 twice: three problems, all at once */
    assert_int_equal(intake_correction_check(s_listed, 3, NULL, 0, in, 4, &err), 3);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.violations[0].description, "M2"));
    assert_non_null(strstr(err.violations[0].description, "not listed"));
    assert_non_null(strstr(err.violations[1].description, "M9"));
    assert_non_null(strstr(err.violations[2].description, "twice"));
    ow_error_clear(&err);
    assert_int_equal(intake_correction_check(s_listed, 3, NULL, 0, NULL, 0, &err), 1);
}

#define DAY (86400LL * 1000000)

static void test_art32_dating(void **state)
{
    (void)state;
    int64_t received = 1000 * DAY, due = received + 7 * DAY; /* 5 working days later */
    /* Notice on the spot, complete 10 days later: accepted when complete. */
    assert_int_equal(intake_art32_accepted_at(received, received, due, received + 10 * DAY),
                     received + 10 * DAY);
    /* Notice on the last moment of the duty: still in time. */
    assert_int_equal(intake_art32_accepted_at(received, due, due, received + 9 * DAY),
                     received + 9 * DAY);
    /* Notice late: the duty lapsed, accepted as of receipt. */
    assert_int_equal(intake_art32_accepted_at(received, due + 1, due, received + 9 * DAY),
                     received);
    /* No notice at all: accepted as of receipt. */
    assert_int_equal(intake_art32_accepted_at(received, 0, due, received + 3 * DAY), received);
    /* Never before receipt. */
    assert_int_equal(intake_art32_accepted_at(received, received, due, received - 1), received);

    assert_false(intake_art32_lapsed(0, due, due));
    assert_true(intake_art32_lapsed(0, due, due + 1));
    assert_false(intake_art32_lapsed(received, due, due + 100 * DAY));
    assert_true(intake_art32_lapsed(due + 1, due, due + 1));
}

/* What the watched periods do when they fire (art. 32; DOMAIN §3 容缺). */
static void test_timer_outcomes(void **state)
{
    (void)state;
    assert_true(intake_notice_duty_deems_accepted(INTAKE_STATE_RECEIVED));
    for (int s = 2; s <= 15; s++)
        assert_false(intake_notice_duty_deems_accepted(s)); /* decided or withdrawn in time */
    assert_true(intake_rongque_supply_missed(true, INTAKE_STATE_ACCEPTED, 1));
    assert_true(intake_rongque_supply_missed(true, INTAKE_STATE_IN_DEPARTMENT, 2));
    assert_false(intake_rongque_supply_missed(true, INTAKE_STATE_ACCEPTED, 0));  /* supplied */
    assert_false(intake_rongque_supply_missed(false, INTAKE_STATE_ACCEPTED, 1)); /* no 容缺 */
    assert_false(intake_rongque_supply_missed(true, INTAKE_STATE_APPROVED_WITH_GAPS, 1));
    assert_false(intake_rongque_supply_missed(true, INTAKE_STATE_WITHDRAWN, 1));
    assert_false(intake_rongque_supply_missed(true, INTAKE_STATE_REFUSED, 1)); /* once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supplying_listed_materials),
        cmocka_unit_test(test_nothing_beyond_the_notice),
        cmocka_unit_test(test_art32_dating),
        cmocka_unit_test(test_timer_outcomes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
