/* catalogue_csv and the import's chunks: the spreadsheet layout of the catalogue, read and
 * written (quoted fields, commas and line breaks inside them, UTF-8 Chinese text, a BOM,
 * continuation rows, problems named by row and column). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "catalogue_command.h"
#include "catalogue_csv.h"

#define HEADER                                                                                     \
    "impl_code,item_code,name,level,parent_code,item_type,department_code,department_name,"        \
    "legal_basis,handling_kind,legal_limit,promised_limit,limit_unit,fee_yuan,centres,lanes,"      \
    "material_code,material_name,material_form,material_copies,material_required,"                 \
    "material_rongque,material_shared\r\n"

typedef struct {
    json_t *items, *rows, *problems;
    char msg[256];
} s_read_t;

static int s_read(const char *text, s_read_t *r)
{
    memset(r, 0, sizeof *r);
    return catalogue_csv_read(text, strlen(text), &r->items, &r->rows, &r->problems, r->msg,
                              sizeof r->msg);
}

static void s_free(s_read_t *r)
{
    json_decref(r->items);
    json_decref(r->rows);
    json_decref(r->problems);
}

static const char *s_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_reads_items_with_their_material_rows(void **state)
{
    (void)state;
    const char *text =
        "\xEF\xBB\xBF" HEADER
        "M1,000117,主项一,main,,licensing,D1,市场监管局,,promised,20,5,,,,,,,,,,,\r\n"
        "B1,000117001,\"食品经营许可, 新办\",business,M1,licensing,D1,市场监管局,"
        "\"《食品安全法》第三十五条\n\"\"许可\"\"\",promised,20,5,working_days,12.5,"
        "330122000000; 330122100000,love;green,A1,申请书,original,2,yes,no,no\r\n"
        ",,,,,,,,,,,,,,,,,,,,,,\r\n" /* an empty row is skipped */
        "B1,,,,,,,,,,,,,,,,A2,营业执照,copy,,否,是,yes\n"
        "B2,000117002,即办件,business,M1,licensing,D1,市场监管局,,immediate,3,0,,,,,,,,,,,";
    s_read_t r;
    assert_int_equal(s_read(text, &r), 0);
    if (json_array_size(r.problems))
        fail_msg("%s", json_dumps(r.problems, 0));
    assert_int_equal(json_array_size(r.items), 3);
    const json_t *b1 = json_array_get(r.items, 1);
    assert_string_equal(s_str(b1, "name"), "食品经营许可, 新办");
    assert_string_equal(s_str(b1, "legal_basis"), "《食品安全法》第三十五条\n\"许可\"");
    assert_int_equal(json_integer_value(json_object_get(b1, "fee_cents")), 1250);
    assert_int_equal(json_array_size(json_object_get(b1, "centres")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b1, "centres"), 1)),
                        "330122100000");
    const json_t *mats = json_object_get(b1, "materials");
    assert_int_equal(json_array_size(mats), 2);
    const json_t *a2 = json_array_get(mats, 1);
    assert_string_equal(s_str(a2, "code"), "A2");
    assert_int_equal(json_integer_value(json_object_get(a2, "copies")), 1); /* empty = 1 */
    assert_true(json_is_false(json_object_get(a2, "required")));
    assert_true(json_is_true(json_object_get(a2, "rongque_allowed")));
    assert_true(json_is_true(json_object_get(a2, "shared_by_data")));
    /* rows: the spreadsheet's (header = 1; the line break inside a quoted field is one row) */
    const json_t *info = json_array_get(r.rows, 1);
    assert_int_equal(json_integer_value(json_object_get(info, "row")), 3);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(info, "materials"), 1)), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r.rows, 2), "row")), 6);
    assert_int_equal(json_array_size(json_object_get(json_array_get(r.items, 0), "materials")), 0);
    s_free(&r);
}

static void test_cell_problems_name_row_and_column(void **state)
{
    (void)state;
    const char *text =
        HEADER "B1,1,甲,business,,licensing,D1,局,,promised,twenty,5,,abc,,,A1,书,original,1,maybe,"
               "no,no\r\n"
               "B1,1,乙,,,,,,,,,,,,,,A2,书,copy,200,yes,no,no\r\n"
               "B2,2,丙,business,,licensing,D1,局,,promised,20,5,,,,,A1,书,original,1,yes,no,no\r\n"
               ",,,,,,,,,,,,,,,,A9,书,copy,1,yes,no,no\r\n";
    s_read_t r;
    assert_int_equal(s_read(text, &r), 0);
    /* B1 is left out (its cells cannot be read), B2 is read */
    assert_int_equal(json_array_size(r.items), 1);
    assert_string_equal(s_str(json_array_get(r.items, 0), "impl_code"), "B2");
    char seen[512] = "";
    size_t i;
    json_t *p;
    json_array_foreach(r.problems, i, p)
    {
        char one[64];
        snprintf(one, sizeof one, "%lld:%s ",
                 (long long)json_integer_value(json_object_get(p, "row")), s_str(p, "field"));
        strcat(seen, one);
    }
    assert_non_null(strstr(seen, "2:legal_limit "));
    assert_non_null(strstr(seen, "3:name ")); /* a continuation row that differs */
    assert_non_null(strstr(seen, "3:material_copies "));
    assert_non_null(strstr(seen, "5:impl_code "));
    s_free(&r);
}

static void test_refuses_what_is_not_a_catalogue(void **state)
{
    (void)state;
    s_read_t r;
    assert_int_equal(s_read("", &r), -1);
    assert_int_equal(s_read("impl_code,colour\r\n", &r), -1);
    assert_non_null(strstr(r.msg, "unknown column 'colour'"));
    assert_int_equal(s_read("impl_code,name\r\n", &r), -1);
    assert_non_null(strstr(r.msg, "is missing"));
    assert_int_equal(s_read(HEADER "\"B1,never closed\r\n", &r), -1);
    assert_non_null(strstr(r.msg, "row 2: a quoted field is never closed"));
    assert_int_equal(s_read(HEADER "\xff\xfe,\r\n", &r), -1);
    assert_non_null(strstr(r.msg, "UTF-8"));
    assert_null(r.items);
}

static void test_write_then_read_is_the_same(void **state)
{
    (void)state;
    json_t *items = json_loads(
        "[{\"impl_code\":\"B1\",\"item_code\":\"1\",\"name\":\"许可, \\\"新办\\\"\","
        "\"level\":\"business\",\"parent_code\":\"M1\",\"item_type\":\"licensing\","
        "\"department_code\":\"D1\",\"department_name\":\"局\",\"legal_basis\":\"第一条\\n第二款\","
        "\"handling_kind\":\"promised\",\"legal_limit\":20,\"promised_limit\":5,"
        "\"limit_unit\":\"natural_days\",\"fee_cents\":1205,\"centres\":[\"330122000000\"],"
        "\"lanes\":[\"love\"],\"materials\":[{\"code\":\"A1\",\"name\":\"书\",\"form\":"
        "\"original\","
        "\"copies\":2,\"required\":true,\"rongque_allowed\":false,\"shared_by_data\":false},"
        "{\"code\":\"A2\",\"name\":\"照\",\"form\":\"copy\",\"copies\":0,\"required\":false,"
        "\"rongque_allowed\":true,\"shared_by_data\":true}]},"
        "{\"impl_code\":\"M1\",\"item_code\":\"2\",\"name\":\"主项\",\"level\":\"main\","
        "\"parent_code\":\"\",\"item_type\":\"licensing\",\"department_code\":\"D1\","
        "\"department_name\":\"局\",\"legal_basis\":\"\",\"handling_kind\":\"immediate\","
        "\"legal_limit\":0,\"promised_limit\":0,\"limit_unit\":\"working_days\",\"fee_cents\":0,"
        "\"centres\":[],\"lanes\":[],\"materials\":[]}]",
        0, NULL);
    assert_non_null(items);
    char *text = catalogue_csv_write(items);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"许可, \"\"新办\"\"\""));
    assert_non_null(strstr(text, ",12.05,"));
    s_read_t r;
    assert_int_equal(s_read(text, &r), 0);
    assert_int_equal(json_array_size(r.problems), 0);
    /* the reader leaves out empty strings; compare what carries meaning */
    json_t *b1 = json_array_get(r.items, 0), *m1 = json_array_get(r.items, 1);
    assert_true(json_equal(json_object_get(b1, "materials"),
                           json_object_get(json_array_get(items, 0), "materials")));
    assert_string_equal(s_str(b1, "legal_basis"), "第一条\n第二款");
    assert_int_equal(json_integer_value(json_object_get(b1, "fee_cents")), 1205);
    assert_string_equal(s_str(b1, "limit_unit"), "natural_days");
    assert_string_equal(s_str(m1, "level"), "main");
    assert_int_equal(json_array_size(json_object_get(m1, "materials")), 0);
    s_free(&r);
    free(text);
    json_decref(items);
}

static void test_locate_maps_api_fields_to_cells(void **state)
{
    (void)state;
    json_t *info = json_loads("{\"row\":7,\"materials\":[7,8,9]}", 0, NULL);
    int row = 0;
    char column[64];
    catalogue_csv_locate(info, "materials[2].form", &row, column, sizeof column);
    assert_int_equal(row, 9);
    assert_string_equal(column, "material_form");
    catalogue_csv_locate(info, "materials[1].rongque_allowed", &row, column, sizeof column);
    assert_int_equal(row, 8);
    assert_string_equal(column, "material_rongque");
    catalogue_csv_locate(info, "fee_cents", &row, column, sizeof column);
    assert_int_equal(row, 7);
    assert_string_equal(column, "fee_yuan");
    catalogue_csv_locate(info, "centres[1]", &row, column, sizeof column);
    assert_string_equal(column, "centres");
    catalogue_csv_locate(info, "promised_limit", &row, column, sizeof column);
    assert_string_equal(column, "promised_limit");
    json_decref(info);
}

static void test_chunks_bound_items_and_bytes(void **state)
{
    (void)state;
    json_t *items = json_array();
    for (int i = 0; i < 450; i++)
        json_array_append_new(items, json_pack("{s:s}", "impl_code", "X"));
    size_t ends[450];
    assert_int_equal(catalogue_command_chunks(items, 200, 1 << 20, ends), 3);
    assert_int_equal(ends[0], 200);
    assert_int_equal(ends[2], 450);
    /* each item is 17 bytes of JSON (+1): 2 fit in 45 bytes; an item over the bound alone */
    assert_int_equal(catalogue_command_chunks(items, 200, 45, ends), 225);
    assert_int_equal(catalogue_command_chunks(items, 200, 5, ends), 450);
    json_decref(items);
    json_t *none = json_array();
    assert_int_equal(catalogue_command_chunks(none, 200, 45, ends), 0);
    json_decref(none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_items_with_their_material_rows),
        cmocka_unit_test(test_cell_problems_name_row_and_column),
        cmocka_unit_test(test_refuses_what_is_not_a_catalogue),
        cmocka_unit_test(test_write_then_read_is_the_same),
        cmocka_unit_test(test_locate_maps_api_fields_to_cells),
        cmocka_unit_test(test_chunks_bound_items_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
