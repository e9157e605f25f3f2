/* A/B posts with absences (substitution.h): A away → B on behalf of A; both away → the chief
 * representative, then a supervisor; A returns mid-task → handed back, or kept until done
 * when configured; absences that would leave a post empty refused unless overridden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "substitution.h"

#define H (3600LL * 1000000LL) /* one hour in µs */

static routing_post_view_t s_post(bool a_away, bool b_away, bool chief_away, bool sup_away)
{
    return (routing_post_view_t){.a_holder = "A1",
                                 .b_holder = "B1",
                                 .chief = "CHIEF",
                                 .supervisor = "SUP",
                                 .a_away = a_away,
                                 .b_away = b_away,
                                 .chief_away = chief_away,
                                 .supervisor_away = sup_away};
}

static void s_expect(routing_post_view_t post, const char *holder, const char *on_behalf_of,
                     routing_held_by_t by)
{
    routing_holder_t h;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_post_holder(&post, &h, &err), 0);
    assert_string_equal(h.holder, holder);
    assert_string_equal(h.on_behalf_of, on_behalf_of);
    assert_int_equal(h.held_by, by);
}

/* Every combination of who is away, against the chain A → B → chief → supervisor. */
static void test_chain_exhaustive(void **state)
{
    (void)state;
    for (int mask = 0; mask < 16; mask++) {
        bool a = mask & 1, b = mask & 2, c = mask & 4, s = mask & 8;
        routing_post_view_t post = s_post(a, b, c, s);
        if (!a)
            s_expect(post, "A1", "", ROUTING_HELD_BY_A);
        else if (!b)
            s_expect(post, "B1", "A1", ROUTING_HELD_BY_B);
        else if (!c)
            s_expect(post, "CHIEF", "A1", ROUTING_HELD_BY_CHIEF);
        else if (!s)
            s_expect(post, "SUP", "A1", ROUTING_HELD_BY_SUPERVISOR);
        else {
            routing_holder_t h;
            ow_error_t err;
            ow_error_clear(&err);
            assert_int_equal(routing_post_holder(&post, &h, &err), -1);
            assert_int_equal(err.code, OW_FAILED_PRECONDITION);
            assert_non_null(strstr(err.message, "A1"));
        }
    }
}

static void test_missing_places_are_skipped(void **state)
{
    (void)state;
    /* A post without a B holder goes straight to the chief representative. */
    routing_post_view_t post = {
        .a_holder = "A1", .b_holder = "", .chief = "CHIEF", .supervisor = NULL, .a_away = true};
    s_expect(post, "CHIEF", "A1", ROUTING_HELD_BY_CHIEF);
    post.chief = "";
    post.supervisor = "SUP";
    s_expect(post, "SUP", "A1", ROUTING_HELD_BY_SUPERVISOR);
    /* The chief representative who is also the A holder acts in their own right. */
    post = (routing_post_view_t){.a_holder = "CHIEF", .b_holder = "B1", .chief = "CHIEF"};
    s_expect(post, "CHIEF", "", ROUTING_HELD_BY_A);
    assert_string_equal(routing_held_by_name(ROUTING_HELD_BY_B), "b");
    assert_string_equal(routing_held_by_name(ROUTING_HELD_BY_CHIEF), "chief_representative");
}

static void s_rehold(routing_post_view_t post, const char *current, bool keep, const char *holder,
                     const char *on_behalf_of, bool moved)
{
    routing_holder_t h;
    bool m = !moved;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_post_rehold(&post, current, keep, &h, &m, &err), 0);
    assert_string_equal(h.holder, holder);
    assert_string_equal(h.on_behalf_of, on_behalf_of);
    assert_int_equal(m, moved);
}

static void test_a_leaves_and_returns_mid_task(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        /* A goes away: open work moves to B on A's behalf, whatever the policy. */
        s_rehold(s_post(true, false, false, false), "A1", keep, "B1", "A1", true);
        /* Both away: B's work moves on to the chief representative. */
        s_rehold(s_post(true, true, false, false), "B1", keep, "CHIEF", "A1", true);
        /* Nothing changes for someone who is still the right holder. */
        s_rehold(s_post(false, false, false, false), "A1", keep, "A1", "", false);
        /* A stranger to the post (e.g. transferred away) never keeps its work. */
        s_rehold(s_post(false, false, false, false), "GONE", keep, "A1", "", true);
    }
    /* A returns mid-task: handed back by default … */
    s_rehold(s_post(false, false, false, false), "B1", false, "A1", "", true);
    /* … or kept by B until done when configured, still recorded as on A's behalf. */
    s_rehold(s_post(false, false, false, false), "B1", true, "B1", "A1", false);
    /* The chief representative holding both-away work: B returns → B (hand back) or keep. */
    s_rehold(s_post(true, false, false, false), "CHIEF", false, "B1", "A1", true);
    s_rehold(s_post(true, false, false, false), "CHIEF", true, "CHIEF", "A1", false);
    /* A keeper who goes away themselves loses the task even under keep-until-done. */
    s_rehold(s_post(false, true, false, false), "B1", true, "A1", "", true);
    /* Nobody left: an error, not a silent drop. */
    routing_post_view_t empty = s_post(true, true, true, true);
    routing_holder_t h;
    bool m;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(routing_post_rehold(&empty, "A1", true, &h, &m, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
}

static int s_allowed(routing_absence_t abs, const routing_absence_t *others, size_t n,
                     bool override, const char *b, const char *chief, const char *sup,
                     ow_error_t *err)
{
    ow_error_clear(err);
    const char *fallbacks[2] = {chief, sup};
    return routing_absence_allowed(&abs, "P-01", "A1", b, fallbacks, 2, others, n, override, err);
}

/* Every chief representative and every supervisor counts, not the first of each only: the
 * post is covered while any one of them is there, moment by moment. */
static void test_absence_counts_every_fallback(void **state)
{
    (void)state;
    ow_error_t err;
    routing_absence_t a_leave = {"A1", 10 * H, 20 * H};
    const char *many[] = {"CHIEF1", "CHIEF2", "SUP1", "SUP2"};
    /* B away for all of it; the first chief and the first supervisor away too, the second
     * supervisor is there: allowed (before the fix, refused). */
    routing_absence_t firsts_away[] = {
        {"B1", 0, 100 * H}, {"CHIEF1", 0, 100 * H}, {"SUP1", 0, 100 * H}};
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", many, 4, firsts_away, 3, true, &err),
        0);
    /* Likewise the second chief alone. */
    routing_absence_t chief2_only[] = {
        {"B1", 0, 100 * H}, {"CHIEF1", 0, 100 * H}, {"SUP1", 0, 100 * H}, {"SUP2", 0, 100 * H}};
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", many, 4, chief2_only, 4, true, &err),
        0);
    /* All four away at once, even for an hour: refused, naming the post. */
    routing_absence_t all_away[] = {{"B1", 0, 100 * H},
                                    {"CHIEF1", 0, 100 * H},
                                    {"SUP1", 0, 100 * H},
                                    {"SUP2", 0, 100 * H},
                                    {"CHIEF2", 15 * H, 16 * H}};
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", many, 4, all_away, 5, true, &err),
        -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "P-01"));
    /* Relayed: CHIEF1 away for the first half, CHIEF2 for the second, the supervisors all
     * along — someone is there at every moment: allowed. */
    routing_absence_t relay[] = {{"B1", 0, 100 * H},
                                 {"CHIEF1", 0, 15 * H},
                                 {"CHIEF2", 15 * H, 100 * H},
                                 {"SUP1", 0, 100 * H},
                                 {"SUP2", 0, 100 * H}};
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", many, 4, relay, 5, true, &err), 0);
    /* A gap between two relays (CHIEF2 comes back an hour after CHIEF1 leaves): refused. */
    routing_absence_t gap[] = {{"B1", 0, 100 * H},
                               {"CHIEF1", 14 * H, 100 * H},
                               {"CHIEF2", 0, 15 * H},
                               {"SUP1", 0, 100 * H},
                               {"SUP2", 0, 100 * H}};
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", many, 4, gap, 5, true, &err), -1);
    /* No fallbacks at all: refused even with the override. */
    ow_error_clear(&err);
    assert_int_equal(
        routing_absence_allowed(&a_leave, "P-01", "A1", "B1", NULL, 0, firsts_away, 3, true, &err),
        -1);
}

static void test_absence_never_leaves_a_post_empty(void **state)
{
    (void)state;
    ow_error_t err;
    routing_absence_t a_leave = {"A1", 10 * H, 20 * H};
    /* B is there: fine, with or without others' unrelated absences. */
    routing_absence_t unrelated[] = {{"X9", 0, 100 * H}, {"B1", 0, 10 * H}, {"B1", 20 * H, 30 * H}};
    assert_int_equal(s_allowed(a_leave, unrelated, 3, false, "B1", "CHIEF", "SUP", &err), 0);
    /* B away during part of it: refused without override, naming the post. */
    routing_absence_t b_trip[] = {{"B1", 15 * H, 40 * H}};
    assert_int_equal(s_allowed(a_leave, b_trip, 1, false, "B1", "CHIEF", "SUP", &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "P-01"));
    assert_non_null(strstr(err.message, "override"));
    /* The same, for B's absence when A is already away. */
    routing_absence_t a_away[] = {{"A1", 0, 12 * H}};
    routing_absence_t b_leave = {"B1", 11 * H, 13 * H};
    assert_int_equal(s_allowed(b_leave, a_away, 1, false, "B1", "CHIEF", "SUP", &err), -1);
    /* A post with no B holder at all: any absence of A needs the override. */
    assert_int_equal(s_allowed(a_leave, NULL, 0, false, "", "CHIEF", "SUP", &err), -1);
    /* Supervisor override: allowed while the chief representative or a supervisor is there. */
    assert_int_equal(s_allowed(a_leave, b_trip, 1, true, "B1", "CHIEF", "SUP", &err), 0);
    routing_absence_t chief_too[] = {{"B1", 15 * H, 40 * H}, {"CHIEF", 0, 100 * H}};
    assert_int_equal(s_allowed(a_leave, chief_too, 2, true, "B1", "CHIEF", "SUP", &err), 0);
    routing_absence_t all_away[] = {
        {"B1", 15 * H, 40 * H}, {"CHIEF", 0, 100 * H}, {"SUP", 19 * H, 21 * H}};
    assert_int_equal(s_allowed(a_leave, all_away, 3, true, "B1", "CHIEF", "SUP", &err), -1);
    assert_non_null(strstr(err.message, "nobody"));
    /* No chief and no supervisor at all: even an override cannot leave the post empty. */
    assert_int_equal(s_allowed(a_leave, b_trip, 1, true, "B1", "", NULL, &err), -1);
    /* Absences that only touch (end == start) do not overlap. */
    routing_absence_t touching[] = {{"B1", 20 * H, 30 * H}, {"B1", 0, 10 * H}};
    assert_int_equal(s_allowed(a_leave, touching, 2, false, "B1", "CHIEF", "SUP", &err), 0);
    /* Someone who holds neither place of this post is no concern of it. */
    routing_absence_t other = {"X9", 0, 100 * H};
    assert_int_equal(s_allowed(other, NULL, 0, false, "", "", "", &err), 0);
}

static void test_absence_fields(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    routing_absence_t bad = {"", 20 * H, 10 * H};
    assert_int_equal(routing_absence_check_fields(&bad, &err), 2);
    assert_string_equal(err.violations[0].field, "staff_id");
    assert_string_equal(err.violations[1].field, "end");
    ow_error_clear(&err);
    routing_absence_t zero = {"A1", 10 * H, 10 * H};
    assert_int_equal(routing_absence_check_fields(&zero, &err), 1);
    ow_error_clear(&err);
    routing_absence_t ok = {"A1", 10 * H, 11 * H};
    assert_int_equal(routing_absence_check_fields(&ok, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_exhaustive),
        cmocka_unit_test(test_missing_places_are_skipped),
        cmocka_unit_test(test_a_leaves_and_returns_mid_task),
        cmocka_unit_test(test_absence_never_leaves_a_post_empty),
        cmocka_unit_test(test_absence_counts_every_fallback),
        cmocka_unit_test(test_absence_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
