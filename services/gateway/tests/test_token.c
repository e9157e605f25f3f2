/* token: generation, hashing, bearer parsing; rate_limit: the token bucket. */
#include "test_support.h"

#include <stdio.h>

#include "rate_limit.h"
#include "token.h"

static void test_tokens_are_random_and_well_formed(void **state)
{
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
    char ida[TOKEN_ID_LEN + 1], idb[TOKEN_ID_LEN + 1];
    ow_error_t err;
    assert_int_equal(token_generate(a, ida, &err), 0);
    assert_int_equal(token_generate(b, idb, &err), 0);
    assert_int_equal(strlen(a), TOKEN_TEXT_LEN);
    assert_int_equal(strlen(ida), TOKEN_ID_LEN);
    assert_memory_equal(a, "owt_", 4);
    assert_memory_equal(ida, "tk_", 3);
    assert_string_not_equal(a, b);
    assert_string_not_equal(ida, idb);
}

static void test_hash_is_sha256(void **state)
{
    char hash[TOKEN_HASH_LEN + 1];
    assert_int_equal(token_hash("abc", 3, hash), 0);
    /* FIPS 180-2, appendix B.1 */
    assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(token_hash_valid(hash));
    assert_false(
        token_hash_valid("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    assert_false(token_hash_valid("abc"));
    assert_false(token_hash_valid(NULL));
}

static void test_bearer_header(void **state)
{
    size_t len = 0;
    const char *t = token_from_authorization("Bearer owt_abc", &len);
    assert_non_null(t);
    assert_int_equal(len, 7);
    assert_memory_equal(t, "owt_abc", 7);
    assert_non_null(token_from_authorization("bearer   x", &len));
    assert_int_equal(len, 1);
    assert_null(token_from_authorization(NULL, &len));
    assert_null(token_from_authorization("Basic dXNlcjpwYXNz", &len));
    assert_null(token_from_authorization("Bearer ", &len));
    assert_null(token_from_authorization("Bearer a b", &len));
    assert_null(token_from_authorization("Bearer a\tb", &len));
    char big[300] = "Bearer ";
    memset(big + 7, 'x', 260);
    big[267] = '\0';
    assert_null(token_from_authorization(big, &len));
}

static void test_rate_limit_bucket(void **state)
{
    rate_limit_t *rl = rate_limit_new(2, 3); /* 2 per second, bursts of 3 */
    int64_t t = 1000000;
    assert_int_equal(rate_limit_take(rl, "tk_a", t), 0);
    assert_int_equal(rate_limit_take(rl, "tk_a", t), 0);
    assert_int_equal(rate_limit_take(rl, "tk_a", t), 0);
    int wait = rate_limit_take(rl, "tk_a", t);
    assert_true(wait >= 1);
    /* Another token has its own bucket. */
    assert_int_equal(rate_limit_take(rl, "tk_b", t), 0);
    /* Half a second refills one request. */
    assert_int_equal(rate_limit_take(rl, "tk_a", t + 500000), 0);
    assert_true(rate_limit_take(rl, "tk_a", t + 500000) >= 1);
    /* Many tokens: the table never fails, it forgets the idle ones. */
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "tk_%d", i);
        assert_int_equal(rate_limit_take(rl, key, t + 600000 + i), 0);
    }
    rate_limit_destroy(&rl);
    assert_null(rl);
    rate_limit_destroy(&rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_are_random_and_well_formed),
        cmocka_unit_test(test_hash_is_sha256),
        cmocka_unit_test(test_bearer_header),
        cmocka_unit_test(test_rate_limit_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
