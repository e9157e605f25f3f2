/* test_binary_array — the binary array format byte for byte (the round trips through PostgreSQL
 * are test_rating_batch's and test_outbox's: every batch's ratings and events travel this way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ow_binary_array.h"

static uint32_t s_int32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_header_and_elements(void **state)
{
    (void)state;
    ow_binary_array_t a;
    ow_binary_array_init(&a, OW_BINARY_ARRAY_INT2);
    ow_binary_array_add_int2(&a, 5);
    ow_binary_array_add_int2(&a, -2);
    int len = 0;
    const uint8_t *p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    assert_int_equal(len, 20 + 2 * (4 + 2));
    assert_int_equal(s_int32_at(p), 1);      /* one dimension */
    assert_int_equal(s_int32_at(p + 4), 0);  /* no NULLs */
    assert_int_equal(s_int32_at(p + 8), 21); /* int2 */
    assert_int_equal(s_int32_at(p + 12), 2); /* two elements */
    assert_int_equal(s_int32_at(p + 16), 1); /* from index 1 */
    assert_int_equal(s_int32_at(p + 20), 2);
    assert_memory_equal(p + 24, "\x00\x05", 2);
    assert_int_equal(s_int32_at(p + 26), 2);
    assert_memory_equal(p + 30, "\xff\xfe", 2);
    ow_binary_array_clear(&a);

    ow_binary_array_init(&a, OW_BINARY_ARRAY_TEXT);
    ow_binary_array_add_text(&a, "窗口\"好\"\\");
    ow_binary_array_add_text(&a, NULL);
    p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    size_t n = strlen("窗口\"好\"\\");
    assert_int_equal(s_int32_at(p + 20), n);
    assert_memory_equal(p + 24, "窗口\"好\"\\", n); /* as is: nothing to escape */
    assert_int_equal(s_int32_at(p + 24 + n), 0);    /* NULL is the empty text */
    assert_int_equal(len, 20 + 4 + (int)n + 4);
    ow_binary_array_clear(&a);
}

static void test_uuid_and_bool(void **state)
{
    (void)state;
    ow_binary_array_t a;
    ow_binary_array_init(&a, OW_BINARY_ARRAY_UUID);
    ow_binary_array_add_uuid(&a, "0123abcd-4567-89ef-ABCD-0123456789ab");
    int len = 0;
    const uint8_t *p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    assert_int_equal(s_int32_at(p + 8), 2950);
    assert_int_equal(s_int32_at(p + 20), 16);
    assert_memory_equal(p + 24, "\x01\x23\xab\xcd\x45\x67\x89\xef\xab\xcd\x01\x23\x45\x67\x89\xab",
                        16);
    /* Not a UUID: the array fails as a whole, rather than carrying a wrong id. */
    ow_binary_array_add_uuid(&a, "0123abcd-4567-89ef-ABCD-0123456789a");
    assert_null(ow_binary_array_finish(&a, &len));
    ow_binary_array_clear(&a);
    ow_binary_array_init(&a, OW_BINARY_ARRAY_UUID);
    ow_binary_array_add_uuid(&a, "0123abcd-4567-89ef-ABCD-0123456789ax");
    assert_null(ow_binary_array_finish(&a, &len));
    ow_binary_array_clear(&a);

    ow_binary_array_init(&a, OW_BINARY_ARRAY_BOOL);
    ow_binary_array_add_bool(&a, true);
    ow_binary_array_add_bool(&a, false);
    p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    assert_int_equal(s_int32_at(p + 8), 16);
    assert_memory_equal(p + 24, "\x01", 1);
    assert_memory_equal(p + 29, "\x00", 1);
    ow_binary_array_clear(&a);

    /* An empty element may come as NULL (an event without payload). */
    ow_binary_array_init(&a, OW_BINARY_ARRAY_BYTEA);
    ow_binary_array_add_bytes(&a, NULL, 0);
    p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    assert_int_equal(len, 24);
    assert_int_equal(s_int32_at(p + 20), 0);
    ow_binary_array_clear(&a);

    ow_binary_array_init(&a, OW_BINARY_ARRAY_INT8);
    ow_binary_array_add_int8(&a, 1764000000123456);
    ow_binary_array_add_int8(&a, -1);
    p = ow_binary_array_finish(&a, &len);
    assert_non_null(p);
    assert_int_equal(s_int32_at(p + 8), 20);
    assert_int_equal(s_int32_at(p + 20), 8);
    assert_memory_equal(p + 24, "\x00\x06\x44\x59\x41\x64\x22\x40", 8);
    assert_memory_equal(p + 36, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    ow_binary_array_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_elements),
        cmocka_unit_test(test_uuid_and_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
