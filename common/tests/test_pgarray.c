/* test_pgarray — array literals: quoting makes any text data, hex round-trips bytes, and
 * the literal parses back in PostgreSQL to the same elements (OW_TEST_DATABASE_URL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ow_db.h"
#include "ow_pgarray.h"
#include "ow_test_pg.h"

static void test_literals(void **state)
{
    (void)state;
    ow_pgarray_t *a = ow_pgarray_new();
    assert_non_null(a);
    assert_string_equal(ow_pgarray_text(a), "{}");
    assert_int_equal(ow_pgarray_add_text(a, "a\"b\\c,{}"), 0);
    assert_int_equal(ow_pgarray_add_text(a, ""), 0);
    assert_int_equal(ow_pgarray_add_int64(a, -42), 0);
    const uint8_t bytes[] = {0x00, 0xff, 0x10};
    assert_int_equal(ow_pgarray_add_hex(a, bytes, sizeof bytes), 0);
    assert_string_equal(ow_pgarray_text(a), "{\"a\\\"b\\\\c,{}\",\"\",\"-42\",\"00ff10\"}");
    assert_int_equal(ow_pgarray_count(a), 4);
    ow_pgarray_destroy(&a);
    assert_null(a);
    ow_pgarray_destroy(&a);
}

/* Grows past its first buffer and the server reads back exactly what went in. */
static void test_server_reads_it_back(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("t_pgarray_", "test_pgarray", &err);
    if (!pg)
        fail_msg("%s", err.message);
    ow_pgarray_t *a = ow_pgarray_new();
    char text[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof text, "张\"%d\\,", i);
        assert_int_equal(ow_pgarray_add_text(a, text), 0);
    }
    PGconn *conn = ow_db_conn(ow_test_pg_db(pg));
    const char *params[1] = {ow_pgarray_text(a)};
    PGresult *res = PQexecParams(conn,
                                 "SELECT count(*), bool_and(x = '张\"' || (o - 1) || '\\,') "
                                 "FROM unnest($1::text[]) WITH ORDINALITY AS t(x, o)",
                                 1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "1000");
    assert_string_equal(PQgetvalue(res, 0, 1), "t");
    PQclear(res);
    ow_pgarray_destroy(&a);
    ow_test_pg_destroy(&pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_server_reads_it_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
