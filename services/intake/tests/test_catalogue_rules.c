/* Catalogue validation (catalogue_rules.h): what the law forbids, every problem listed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "catalogue_rules.h"
#include "catalogue_store.h"

static const intake_material_t s_good_materials[] = {
    {"M1", "申请书", "original", 1, true, false, false},
    {"M2", "营业执照", "copy", 0, true, true, true},
};

static intake_item_t s_good(void)
{
    return (intake_item_t){.impl_code = "330122-01-01",
                           .item_code = "000117004000",
                           .version = 1,
                           .name = "食品经营许可证核发（新办）",
                           .item_type = "licensing",
                           .department_code = "SCJG",
                           .department_name = "县市场监督管理局",
                           .handling_kind = "promised",
                           .legal_limit = 20,
                           .promised_limit = 5,
                           .limit_unit = "working_days",
                           .materials = s_good_materials,
                           .material_count = 2,
                           .level = "business",
                           .parent_code = "330122-01"};
}

static int s_validate(const intake_item_t *it, ow_error_t *err)
{
    ow_error_clear(err);
    return intake_item_validate(it, "row 4", err);
}

static bool s_has(const ow_error_t *err, const char *field)
{
    for (size_t i = 0; i < err->violation_count; i++)
        if (strcmp(err->violations[i].field, field) == 0)
            return true;
    return false;
}

static void test_good_items(void **state)
{
    (void)state;
    ow_error_t err;
    intake_item_t it = s_good();
    assert_int_equal(s_validate(&it, &err), 0);
    it.handling_kind = "immediate";
    it.promised_limit = 0; /* a 即办件 may keep its legal limit */
    assert_int_equal(s_validate(&it, &err), 0);
    it = s_good();
    it.promised_limit = it.legal_limit; /* equal is allowed */
    assert_int_equal(s_validate(&it, &err), 0);
    it.level = "main";
    it.parent_code = "";
    assert_int_equal(s_validate(&it, &err), 0);
    it.level = NULL; /* business by default */
    it.parent_code = "P1";
    assert_int_equal(s_validate(&it, &err), 0);
    it.parent_code = ""; /* a business item may stand alone */
    assert_int_equal(s_validate(&it, &err), 0);
    it.parent_code = "not a code";
    assert_int_equal(s_validate(&it, &err), 1);
    assert_true(s_has(&err, "row 4.parent_code"));
    it.lanes = (const char *const[]){"love", "green", "love", "fast"};
    it.lane_count = 4;
    it.parent_code = "P1";
    assert_int_equal(s_validate(&it, &err), 2); /* lanes[2] twice, lanes[3] unknown */
}

static void test_the_laws_refusals(void **state)
{
    (void)state;
    ow_error_t err;
    intake_item_t it = s_good();
    it.promised_limit = 21;
    assert_int_equal(s_validate(&it, &err), 1);
    assert_true(s_has(&err, "row 4.promised_limit"));
    assert_non_null(strstr(err.violations[0].description, "法定时限 20"));
    it = s_good();
    it.handling_kind = "immediate"; /* a 即办件 with a limit */
    assert_int_equal(s_validate(&it, &err), 1);
    assert_true(s_has(&err, "row 4.promised_limit"));
    it = s_good();
    it.promised_limit = 0; /* a 承诺件 without one */
    assert_int_equal(s_validate(&it, &err), 1);
    it = s_good();
    it.department_code = "";
    assert_int_equal(s_validate(&it, &err), 1);
    assert_true(s_has(&err, "row 4.department_code"));
}

static void test_every_problem_at_once(void **state)
{
    (void)state;
    static const intake_material_t bad_materials[] = {
        {"M1", "申请书", "original", 1, true, false, false},
        {"M1", "", "paper", 100, true, false, false}, /* twice, no name, form, copies */
        {"bad code", "x", "copy", 1, true, false, false},
    };
    static const char *const centres[] = {"330122000000", "3301"};
    intake_item_t it = {.impl_code = "",
                        .item_code = "a b",
                        .name = "",
                        .item_type = "permit",
                        .department_code = "",
                        .department_name = "",
                        .handling_kind = "soon",
                        .legal_limit = -1,
                        .promised_limit = 3,
                        .limit_unit = "weeks",
                        .materials = bad_materials,
                        .material_count = 3,
                        .level = "sub",
                        .parent_code = "",
                        .fee_cents = -5,
                        .centres = centres,
                        .centre_count = 2};
    ow_error_t err;
    int n = s_validate(&it, &err);
    const char *fields[] = {
        "row 4.impl_code",           "row 4.item_code",         "row 4.name",
        "row 4.item_type",           "row 4.parent_code",       "row 4.department_code",
        "row 4.department_name",     "row 4.handling_kind",     "row 4.limit_unit",
        "row 4.legal_limit",         "row 4.fee_cents",         "row 4.centres[1]",
        "row 4.materials[1].code",   "row 4.materials[1].name", "row 4.materials[1].form",
        "row 4.materials[1].copies", "row 4.materials[2].code"};
    assert_int_equal(n, (int)(sizeof fields / sizeof fields[0]));
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!s_has(&err, fields[i]))
            fail_msg("no violation for %s", fields[i]);
    }
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

static void test_hierarchy(void **state)
{
    (void)state;
    assert_true(intake_item_level_may_parent("main", "sub"));
    assert_true(intake_item_level_may_parent("sub", "business"));
    assert_true(intake_item_level_may_parent("main", "business"));
    assert_false(intake_item_level_may_parent("business", "business"));
    assert_false(intake_item_level_may_parent("sub", "sub"));
    assert_false(intake_item_level_may_parent("sub", "main"));
    assert_false(intake_item_level_may_parent(NULL, "sub"));
    ow_error_t err;
    intake_item_t it = s_good();
    it.level = "main";
    it.parent_code = "P";
    assert_int_equal(s_validate(&it, &err), 1);
    it = s_good();
    it.parent_code = it.impl_code;
    assert_int_equal(s_validate(&it, &err), 1);
    it.level = "chapter";
    assert_int_equal(s_validate(&it, &err), 1);
    assert_true(s_has(&err, "row 4.level"));
    ow_error_clear(&err);
    it = s_good();
    it.promised_limit = 99;
    assert_int_equal(intake_item_validate(&it, "", &err), 1);
    assert_string_equal(err.violations[0].field, "promised_limit");
}

/* The API's item (CatalogueItem) as intake.put_items and the import check it: the same rules
 * with the defaults spelt out (level business, unit working days), plus the message's bounds;
 * centres and lanes sorted so that order is not a change. */
static void test_api_item_check(void **state)
{
    (void)state;
    Onewindow__V1__CatalogueMaterial m = ONEWINDOW__V1__CATALOGUE_MATERIAL__INIT;
    m.code = "A1";
    m.name = "申请书";
    m.form = "original";
    m.copies = 1;
    Onewindow__V1__CatalogueMaterial *mats[] = {&m, &m};
    char *centres[] = {"330122100000", "330122000000", "330122000000"};
    char *lanes[] = {"love", "green"};
    Onewindow__V1__CatalogueItem it = ONEWINDOW__V1__CATALOGUE_ITEM__INIT;
    it.impl_code = "B1";
    it.item_code = "000117";
    it.name = "食品经营许可";
    it.item_type = "licensing";
    it.department_code = "D1";
    it.department_name = "市场监管局";
    it.handling_kind = "promised";
    it.legal_limit = 20;
    it.promised_limit = 5;
    it.materials = mats;
    it.n_materials = 1;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_catalogue_check(&it, "", &err), 0); /* "" level and unit: defaults */
    it.promised_limit = 30;
    it.department_code = "";
    it.n_materials = 2;
    it.centres = centres;
    it.n_centres = 3;
    assert_int_equal(intake_catalogue_check(&it, "items[1]", &err), 4);
    assert_true(s_has(&err, "items[1].promised_limit"));
    assert_true(s_has(&err, "items[1].department_code"));
    assert_true(s_has(&err, "items[1].materials[1].code"));
    assert_true(s_has(&err, "items[1].centres[2]"));
    it.lanes = lanes;
    it.n_lanes = 2;
    intake_catalogue_sort_sets(&it);
    assert_string_equal(it.centres[0], "330122000000");
    assert_string_equal(it.centres[2], "330122100000");
    assert_string_equal(it.lanes[0], "green");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_items),
        cmocka_unit_test(test_the_laws_refusals),
        cmocka_unit_test(test_every_problem_at_once),
        cmocka_unit_test(test_hierarchy),
        cmocka_unit_test(test_api_item_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
