/* access: roles, centre coverage, who may touch a case or read an event. */
#include "test_support.h"

#include <stdio.h>

#include "access.h"

#define COUNTY    "330122000000"
#define TOWN_A    "330122101000"
#define TOWN_B    "330122102000"
#define VILLAGE   "330122101001"
#define ELSEWHERE "330106000000"

static access_principal_t s_who(access_role_t role, const char *centre, const char *subs)
{
    access_principal_t w;
    memset(&w, 0, sizeof w);
    w.role = role;
    snprintf(w.centre, sizeof w.centre, "%s", centre);
    snprintf(w.subscriptions, sizeof w.subscriptions, "%s", subs);
    snprintf(w.subject, sizeof w.subject, "S01");
    return w;
}

static void test_roles_round_trip(void **state)
{
    assert_int_equal(access_role_parse("clerk"), ACCESS_ROLE_CLERK);
    assert_int_equal(access_role_parse("admin"), ACCESS_ROLE_ADMIN);
    assert_int_equal(access_role_parse("Admin"), ACCESS_ROLE_NONE);
    assert_int_equal(access_role_parse(NULL), ACCESS_ROLE_NONE);
    assert_string_equal(access_role_name(ACCESS_ROLE_SUPERVISOR), "supervisor");
    assert_string_equal(access_role_name(ACCESS_ROLE_NONE), "none");
}

static void test_centre_hierarchy(void **state)
{
    assert_true(access_centre_covers(COUNTY, COUNTY));
    assert_true(access_centre_covers(COUNTY, TOWN_A));
    assert_true(access_centre_covers(TOWN_A, VILLAGE));
    assert_false(access_centre_covers(TOWN_A, TOWN_B));
    assert_false(access_centre_covers(TOWN_A, COUNTY));
    assert_false(access_centre_covers(COUNTY, ELSEWHERE));
    assert_false(access_centre_covers("33012200000", TOWN_A)); /* 11 digits */
    assert_false(access_centre_covers(COUNTY, "33012210100x"));
}

static void test_who_may_touch_a_case(void **state)
{
    access_principal_t clerk = s_who(ACCESS_ROLE_CLERK, TOWN_A, "");
    access_principal_t sup_town = s_who(ACCESS_ROLE_SUPERVISOR, TOWN_A, "");
    access_principal_t sup_county = s_who(ACCESS_ROLE_SUPERVISOR, COUNTY, "");
    access_principal_t admin = s_who(ACCESS_ROLE_ADMIN, COUNTY, "");
    access_principal_t integrator = s_who(ACCESS_ROLE_INTEGRATOR, COUNTY, "*");

    assert_true(access_may_touch_case(&clerk, TOWN_A, COUNTY));
    assert_false(access_may_touch_case(&clerk, TOWN_B, COUNTY));
    assert_false(access_may_touch_case(&clerk, VILLAGE, COUNTY)); /* own centre only */
    assert_false(access_may_touch_case(&clerk, "", COUNTY));      /* "" is the county's */
    assert_true(access_may_touch_case(&sup_town, VILLAGE, COUNTY));
    assert_false(access_may_touch_case(&sup_town, TOWN_B, COUNTY));
    assert_true(access_may_touch_case(&sup_county, TOWN_B, COUNTY));
    assert_true(access_may_touch_case(&sup_county, "", COUNTY));
    assert_true(access_may_touch_case(&admin, ELSEWHERE, COUNTY));
    assert_false(access_may_touch_case(&integrator, TOWN_A, COUNTY));
}

static void test_who_may_read_an_event(void **state)
{
    access_principal_t integ = s_who(ACCESS_ROLE_INTEGRATOR, COUNTY, "case.,rating.recorded");
    access_principal_t all = s_who(ACCESS_ROLE_INTEGRATOR, COUNTY, "*");
    access_principal_t none = s_who(ACCESS_ROLE_INTEGRATOR, COUNTY, "");
    access_principal_t sup = s_who(ACCESS_ROLE_SUPERVISOR, TOWN_A, "");
    access_principal_t clerk = s_who(ACCESS_ROLE_CLERK, TOWN_A, "");

    assert_true(access_may_read_event(&integ, "case.accepted", TOWN_B, COUNTY));
    assert_true(access_may_read_event(&integ, "rating.recorded", "", COUNTY));
    assert_false(access_may_read_event(&integ, "task.created", "", COUNTY));
    assert_true(access_may_read_event(&all, "task.created", "", COUNTY));
    assert_false(access_may_read_event(&none, "case.accepted", "", COUNTY));
    assert_true(access_may_read_event(&sup, "task.created", VILLAGE, COUNTY));
    assert_false(access_may_read_event(&sup, "task.created", "", COUNTY));
    assert_false(access_may_read_event(&clerk, "case.accepted", TOWN_A, COUNTY));
}

static void test_subscription_lists(void **state)
{
    assert_true(access_subscriptions_valid(""));
    assert_true(access_subscriptions_valid("*"));
    assert_true(access_subscriptions_valid("case.,rating.recorded"));
    assert_false(access_subscriptions_valid("case.,"));
    assert_false(access_subscriptions_valid(",case."));
    assert_false(access_subscriptions_valid("case.,,x"));
    assert_false(access_subscriptions_valid("Case."));
    assert_false(access_subscriptions_valid("case accepted"));
}

/* The prefix the hall methods apply (intake's scope_centre). */
static void test_centre_scope(void **state)
{
    (void)state;
    char out[ACCESS_CENTRE_LEN + 1];
    access_principal_t who = {.role = ACCESS_ROLE_CLERK, .centre = TOWN_A};
    assert_true(access_centre_scope(&who, out, sizeof out));
    assert_string_equal(out, TOWN_A);
    who.role = ACCESS_ROLE_SUPERVISOR;
    assert_true(access_centre_scope(&who, out, sizeof out));
    assert_string_equal(out, "330122101");
    strcpy(who.centre, COUNTY);
    assert_true(access_centre_scope(&who, out, sizeof out));
    assert_string_equal(out, "330122");
    who.role = ACCESS_ROLE_ADMIN;
    assert_true(access_centre_scope(&who, out, sizeof out));
    assert_string_equal(out, "");
    who.role = ACCESS_ROLE_INTEGRATOR;
    assert_false(access_centre_scope(&who, out, sizeof out));
    who.role = ACCESS_ROLE_CLERK;
    strcpy(who.centre, "33012");
    assert_false(access_centre_scope(&who, out, sizeof out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_round_trip),     cmocka_unit_test(test_centre_hierarchy),
        cmocka_unit_test(test_who_may_touch_a_case), cmocka_unit_test(test_who_may_read_an_event),
        cmocka_unit_test(test_subscription_lists),   cmocka_unit_test(test_centre_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
