/* Appointments (appointment_rules.h) and the hall queue (queue_ticket.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "appointment_rules.h"
#include "hall_policy.h"
#include "ow_clock.h"
#include "queue_ticket.h"

#define S   1000000LL
#define MIN (60 * S)
#define H   (3600 * S)
#define DAY (86400 * S)

static int64_t s_at(const char *rfc3339)
{
    int64_t us = 0;
    assert_int_equal(ow_clock_parse_rfc3339(rfc3339, &us), 0);
    return us;
}

static void test_cancel_and_no_show_thresholds(void **state)
{
    (void)state;
    intake_appointment_policy_t p = intake_appointment_policy_default();
    int64_t slot = s_at("2026-11-23T10:00:00+08:00");
    assert_true(intake_appointment_may_cancel(&p, slot, slot - 2 * H));
    assert_false(intake_appointment_may_cancel(&p, slot, slot - 2 * H + 1));
    assert_false(intake_appointment_is_no_show(&p, slot, slot + 30 * MIN - 1));
    assert_true(intake_appointment_is_no_show(&p, slot, slot + 30 * MIN));
    assert_int_equal(intake_appointment_no_show_due(&p, slot), slot + 30 * MIN);
    assert_true(intake_appointment_may_arrive(&p, slot, slot + 29 * MIN));
    assert_false(intake_appointment_may_arrive(&p, slot, slot + 30 * MIN));
    assert_false(intake_appointment_may_arrive(&p, slot, slot - 61 * MIN));
    /* Configurable: 1 h and 15 min. */
    p.cancel_before_s = 3600;
    p.no_show_after_s = 900;
    assert_true(intake_appointment_may_cancel(&p, slot, slot - H));
    assert_true(intake_appointment_is_no_show(&p, slot, slot + 15 * MIN));
}

static void test_two_no_shows_in_90_days_block_for_3_months(void **state)
{
    (void)state;
    intake_appointment_policy_t p = intake_appointment_policy_default();
    int64_t first = s_at("2026-01-31T10:30:00+08:00");
    int64_t second = s_at("2026-03-01T10:30:00+08:00");
    int64_t now = second + H;
    int64_t one[] = {first};
    assert_int_equal(intake_appointment_blocked_until(&p, one, 1, now), 0);
    int64_t two[] = {second, first}; /* any order */
    assert_int_equal(intake_appointment_blocked_until(&p, two, 2, now),
                     s_at("2026-06-01T10:30:00+08:00"));
    assert_int_equal(
        intake_appointment_blocked_until(&p, two, 2, s_at("2026-06-01T10:30:00+08:00")), 0);
    /* 91 days apart: not within the window. */
    int64_t apart[] = {first, first + 91 * DAY};
    assert_int_equal(intake_appointment_blocked_until(&p, apart, 2, first + 92 * DAY), 0);
    /* Month arithmetic clamps to the month's end. */
    assert_int_equal(intake_add_months_us(s_at("2026-11-30T09:00:00+08:00"), 3),
                     s_at("2027-02-28T09:00:00+08:00"));
    assert_int_equal(intake_add_months_us(s_at("2027-11-30T09:00:00+08:00"), 3),
                     s_at("2028-02-29T09:00:00+08:00"));
    /* Configurable limit 3. */
    p.no_show_limit = 3;
    assert_int_equal(intake_appointment_blocked_until(&p, two, 2, now), 0);
}

static void test_booking_reasons_all_listed(void **state)
{
    (void)state;
    intake_appointment_policy_t p = intake_appointment_policy_default();
    int64_t now = s_at("2026-11-22T09:00:00+08:00");
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(
        intake_appointment_check_booking(&p, now + DAY, 5, 4, false, NULL, 0, now, &err), 0);
    int64_t ns[] = {now - 10 * DAY, now - 5 * DAY};
    assert_int_equal(intake_appointment_check_booking(&p, now - 1, 5, 5, true, ns, 2, now, &err),
                     4);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.violations[3].description, "blocked until 2027-02-17T09:00:00"));
}

static void test_ticket_moves(void **state)
{
    (void)state;
    int allowed[7][7] = {0};
    allowed[INTAKE_TICKET_WAITING][INTAKE_TICKET_CALLED] = 1;
    allowed[INTAKE_TICKET_WAITING][INTAKE_TICKET_VOID] = 1;
    allowed[INTAKE_TICKET_CALLED][INTAKE_TICKET_SERVING] = 1;
    allowed[INTAKE_TICKET_CALLED][INTAKE_TICKET_MISSED] = 1;
    allowed[INTAKE_TICKET_MISSED][INTAKE_TICKET_WAITING] = 1;
    allowed[INTAKE_TICKET_MISSED][INTAKE_TICKET_VOID] = 1;
    allowed[INTAKE_TICKET_SERVING][INTAKE_TICKET_DONE] = 1;
    for (int f = 1; f <= 6; f++)
        for (int t = 1; t <= 6; t++)
            assert_int_equal(intake_ticket_can_move(f, t), allowed[f][t]);
    for (int s = 1; s <= 6; s++)
        assert_int_equal(intake_ticket_state_parse(intake_ticket_state_name(s)), s);
    assert_null(intake_ticket_state_name(0));
    assert_int_equal(intake_ticket_state_parse("gone"), -1);
    intake_ticket_t t = {.state = INTAKE_TICKET_MISSED, .requeues = 0};
    assert_true(intake_ticket_may_requeue(&t, 1));
    t.requeues = 1;
    assert_false(intake_ticket_may_requeue(&t, 1));
    t.state = INTAKE_TICKET_CALLED;
    t.requeues = 0;
    assert_false(intake_ticket_may_requeue(&t, 1));
}

static void test_calling_order(void **state)
{
    (void)state;
    int64_t now = 1000 * H;
    intake_ticket_t q[] = {
        {.taken_at_us = 1, .state = INTAKE_TICKET_WAITING},
        {.taken_at_us = 5,
         .state = INTAKE_TICKET_WAITING,
         .booked = true,
         .slot_start_us = now - H,
         .slot_end_us = now + H},
        {.taken_at_us = 9, .state = INTAKE_TICKET_WAITING, .love = true},
        {.taken_at_us = 0, .state = INTAKE_TICKET_SERVING, .love = true},
        {.taken_at_us = 2,
         .state = INTAKE_TICKET_WAITING,
         .booked = true,
         .slot_start_us = now + H,
         .slot_end_us = now + 2 * H}, /* outside its slot */
    };
    assert_int_equal(intake_ticket_next(q, 5, now), 2); /* love first */
    q[2].state = INTAKE_TICKET_CALLED;
    assert_int_equal(intake_ticket_next(q, 5, now), 1); /* booked within its slot */
    q[1].state = INTAKE_TICKET_DONE;
    assert_int_equal(intake_ticket_next(q, 5, now), 0); /* then by time taken */
    q[0].state = INTAKE_TICKET_VOID;
    assert_int_equal(intake_ticket_next(q, 5, now), 4);
    q[4].state = INTAKE_TICKET_CALLED;
    assert_int_equal(intake_ticket_next(q, 5, now), -1);
    assert_int_equal(intake_ticket_next(NULL, 0, now), -1);
}

static void test_requeue_goes_to_the_back(void **state)
{
    (void)state;
    int64_t now = 1000 * H;
    intake_ticket_t q[] = {
        {.taken_at_us = 1, .requeued_at_us = 50, .state = INTAKE_TICKET_WAITING},
        {.taken_at_us = 5, .state = INTAKE_TICKET_WAITING},
        {.taken_at_us = 60, .state = INTAKE_TICKET_WAITING},
    };
    /* Taken first, but missed and requeued at 50: behind 5, ahead of 60. */
    assert_int_equal(intake_ticket_next(q, 3, now), 1);
    q[1].state = INTAKE_TICKET_CALLED;
    assert_int_equal(intake_ticket_next(q, 3, now), 0);
    /* A requeued 爱心通道 ticket still goes before ordinary ones. */
    q[2].love = true;
    assert_int_equal(intake_ticket_next(q, 3, now), 2);
}

static void test_policy_from_configuration(void **state)
{
    (void)state;
    ow_config_t *cfg = ow_config_new("intaked-hall-test");
    assert_non_null(cfg);
    intake_hall_policy_t p;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_hall_policy_load(cfg, &p, &err), 0);
    assert_int_equal(p.appointments.cancel_before_s, 2 * 3600);
    assert_int_equal(p.appointments.no_show_after_s, 30 * 60);
    assert_int_equal(p.appointments.no_show_limit, 2);
    assert_int_equal(p.appointments.no_show_window_s, 90LL * 86400);
    assert_int_equal(p.appointments.block_months, 3);
    assert_int_equal(p.max_requeues, 1);
    ow_config_set(cfg, "intake.cancel_min_hours", "1");
    ow_config_set(cfg, "intake.no_show_grace_minutes", "15");
    ow_config_set(cfg, "intake.queue_max_requeues", "2");
    assert_int_equal(intake_hall_policy_load(cfg, &p, &err), 0);
    assert_int_equal(p.appointments.cancel_before_s, 3600);
    assert_int_equal(p.appointments.no_show_after_s, 900);
    assert_int_equal(p.max_requeues, 2);
    /* Every bad key at once; the policy is left as it was. */
    ow_config_set(cfg, "intake.no_show_limit", "two");
    ow_config_set(cfg, "intake.booking_block_months", "0");
    ow_config_set(cfg, "intake.no_show_window_days", "99999");
    assert_int_equal(intake_hall_policy_load(cfg, &p, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 3);
    assert_string_equal(err.violations[0].field, "intake.no_show_limit");
    assert_int_equal(p.max_requeues, 2);
    ow_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_and_no_show_thresholds),
        cmocka_unit_test(test_two_no_shows_in_90_days_block_for_3_months),
        cmocka_unit_test(test_booking_reasons_all_listed),
        cmocka_unit_test(test_ticket_moves),
        cmocka_unit_test(test_calling_order),
        cmocka_unit_test(test_requeue_goes_to_the_back),
        cmocka_unit_test(test_policy_from_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
