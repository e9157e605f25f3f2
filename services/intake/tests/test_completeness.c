/* The completeness check (completeness.h): every missing required material named at once
 * with the item; shared-by-data materials never demanded; unknown codes reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "completeness.h"

static const intake_material_t s_materials[] = {
    {"SPJY-01", "食品经营许可申请书", "original", 1, true, false, false},
    {"SPJY-02", "营业执照", "copy", 1, true, false, true}, /* shared by data */
    {"SPJY-03", "法定代表人（负责人）身份证明", "copy", 1, true, false, false},
    {"SPJY-04", "设备设施布局、操作流程等文件", "original", 1, true, true, false}, /* 容缺 */
    {"SPJY-06", "授权委托书", "original", 1, false, false, false},                 /* optional */
};

static const intake_item_t s_item = {
    .impl_code = "113301220025190176000117004000",
    .item_code = "000117004000",
    .version = 1,
    .name = "食品经营许可证核发（新办）",
    .materials = s_materials,
    .material_count = sizeof s_materials / sizeof s_materials[0],
};

static int s_count_with(const ow_error_t *err, const char *fragment)
{
    int n = 0;
    for (size_t i = 0; i < err->violation_count; i++)
        if (strstr(err->violations[i].description, fragment))
            n++;
    return n;
}

static void test_complete_when_every_required_material_is_in(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *given[] = {"SPJY-01", "SPJY-03", "SPJY-04"};
    assert_int_equal(intake_check_materials(&s_item, given, 3, &err), 0);
    assert_int_equal(err.code, OW_OK);
    /* Optional and shared materials may be handed in too; duplicates are harmless. */
    const char *more[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-06", "SPJY-02", "SPJY-01"};
    assert_int_equal(intake_check_materials(&s_item, more, 6, &err), 0);
}

static void test_every_missing_material_is_named_with_the_item(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(intake_check_materials(&s_item, NULL, 0, &err), 3);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    for (size_t i = 0; i < err.violation_count; i++) {
        assert_string_equal(err.violations[i].field, "materials");
        assert_non_null(strstr(err.violations[i].description, "113301220025190176000117004000"));
        assert_non_null(strstr(err.violations[i].description, "食品经营许可证核发（新办）"));
    }
    assert_int_equal(s_count_with(&err, "SPJY-01"), 1);
    assert_int_equal(s_count_with(&err, "食品经营许可申请书"), 1);
    assert_int_equal(s_count_with(&err, "SPJY-03"), 1);
    /* 容缺 does not excuse a material before the applicant signs a commitment. */
    assert_int_equal(s_count_with(&err, "SPJY-04"), 1);
    /* DOMAIN §2: a material obtained by data sharing is never demanded. */
    assert_int_equal(s_count_with(&err, "SPJY-02"), 0);
    /* An optional material is never demanded. */
    assert_int_equal(s_count_with(&err, "SPJY-06"), 0);
}

static void test_one_missing(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *given[] = {"SPJY-01", "SPJY-04"};
    assert_int_equal(intake_check_materials(&s_item, given, 2, &err), 1);
    assert_int_equal(s_count_with(&err, "'法定代表人（负责人）身份证明' (SPJY-03) is missing"), 1);
}

static void test_unknown_codes_are_reported_once(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    const char *given[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-99", "SPJY-99"};
    assert_int_equal(intake_check_materials(&s_item, given, 5, &err), 1);
    assert_int_equal(s_count_with(&err, "'SPJY-99' is not on the list"), 1);
}

static void test_item_without_materials(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    intake_item_t bare = s_item;
    bare.materials = NULL;
    bare.material_count = 0;
    assert_int_equal(intake_check_materials(&bare, NULL, 0, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_when_every_required_material_is_in),
        cmocka_unit_test(test_every_missing_material_is_named_with_the_item),
        cmocka_unit_test(test_one_missing),
        cmocka_unit_test(test_unknown_codes_are_reported_once),
        cmocka_unit_test(test_item_without_materials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
