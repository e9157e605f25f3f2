/* ow_config: lookup precedence, file syntax and its errors, typed values, command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ow_config.h"

typedef struct {
    char dir[256];
    char path[300];
} s_fixture_t;

static const char *const s_env_vars[] = {"OW_TESTD_RPC_BIND", "OW_RPC_BIND", "OW_CONFIG",
                                         "OW_TESTD_LOG_LEVEL", "OW_LOG_LEVEL"};

static void s_clear_env(void)
{
    for (size_t i = 0; i < sizeof s_env_vars / sizeof s_env_vars[0]; i++)
        unsetenv(s_env_vars[i]);
}

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/owtest-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/ow.conf", f->dir);
    s_clear_env();
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    s_clear_env();
    return 0;
}

static void s_write(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_precedence(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_config_t *cfg = ow_config_new("testd");
    assert_non_null(cfg);
    assert_string_equal(ow_config_service(cfg), "testd");
    /* 5: default */
    assert_string_equal(ow_config_get(cfg, "rpc.bind", "dflt"), "dflt");
    assert_null(ow_config_get(cfg, "rpc.bind", NULL));
    s_write(f->path, "rpc.bind = file-global\n"
                     "[testd]\n"
                     "rpc.bind = file-service\n"
                     "[otherd]\n"
                     "rpc.bind = file-other\n");
    /* 4: file <key> */
    ow_config_t *plain = ow_config_new("plaind");
    assert_int_equal(ow_config_load_file(plain, f->path, &err), 0);
    assert_string_equal(ow_config_get(plain, "rpc.bind", "dflt"), "file-global");
    /* 3: OW_<KEY> beats the file's plain key */
    setenv("OW_RPC_BIND", "env-global", 1);
    assert_string_equal(ow_config_get(plain, "rpc.bind", "dflt"), "env-global");
    ow_config_destroy(&plain);
    assert_null(plain);
    /* 2: file <svc>.<key> beats OW_<KEY> */
    assert_int_equal(ow_config_load_file(cfg, f->path, &err), 0);
    assert_string_equal(ow_config_get(cfg, "rpc.bind", "dflt"), "file-service");
    /* 1: OW_<SVC>_<KEY> beats everything */
    setenv("OW_TESTD_RPC_BIND", "env-service", 1);
    const char *v = ow_config_get(cfg, "rpc.bind", "dflt");
    assert_string_equal(v, "env-service");
    /* The returned string belongs to the configuration: changing the environment does not
     * change (or free) what we were given. */
    setenv("OW_TESTD_RPC_BIND", "changed", 1);
    assert_string_equal(v, "env-service");
    assert_string_equal(ow_config_get(cfg, "rpc.bind", "dflt"), "changed");
    /* Section keys are also reachable by their full name. */
    assert_string_equal(ow_config_get(cfg, "otherd.rpc.bind", "dflt"), "file-other");
    ow_config_destroy(&cfg);
    ow_config_destroy(&cfg); /* harmless */
}

static void test_env_name_mapping(void **state)
{
    (void)state;
    ow_config_t *cfg = ow_config_new("testd");
    setenv("OW_LOG_LEVEL", "debug", 1);
    assert_string_equal(ow_config_get(cfg, "log.level", "info"), "debug");
    setenv("OW_TESTD_LOG_LEVEL", "warn", 1);
    assert_string_equal(ow_config_get(cfg, "log-level", "info"), "warn");
    ow_config_destroy(&cfg);
}

static void test_file_syntax(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_config_t *cfg = ow_config_new("testd");
    s_write(f->path, "# a comment\n"
                     "\n"
                     "   spaced.key   =   value with spaces   \r\n"
                     "quoted = \"  kept  \"\n"
                     "empty =\n"
                     "url = postgresql:///x?host=/tmp&user=a=b\n"
                     "  # indented comment\n"
                     "dup = first\n"
                     "dup = second\n"
                     "[ testd ]\n"
                     "n = 42\n");
    assert_int_equal(ow_config_load_file(cfg, f->path, &err), 0);
    assert_string_equal(ow_config_get(cfg, "spaced.key", NULL), "value with spaces");
    assert_string_equal(ow_config_get(cfg, "quoted", NULL), "  kept  ");
    assert_string_equal(ow_config_get(cfg, "empty", "dflt"), "");
    assert_string_equal(ow_config_get(cfg, "url", NULL), "postgresql:///x?host=/tmp&user=a=b");
    assert_string_equal(ow_config_get(cfg, "dup", NULL), "second");
    assert_string_equal(ow_config_get(cfg, "n", NULL), "42");
    /* ow_config_set acts like the file, and replaces. */
    assert_int_equal(ow_config_set(cfg, "dup", "third"), 0);
    assert_string_equal(ow_config_get(cfg, "dup", NULL), "third");
    assert_int_equal(ow_config_set(cfg, "bad key", "x"), -1);
    ow_config_destroy(&cfg);
}

static void s_expect_error(s_fixture_t *f, const char *text, const char *fragment)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_config_t *cfg = ow_config_new("testd");
    assert_int_equal(ow_config_set(cfg, "kept", "yes"), 0);
    s_write(f->path, text);
    assert_int_equal(ow_config_load_file(cfg, f->path, &err), -1);
    assert_int_not_equal(err.code, OW_OK);
    if (!strstr(err.message, f->path) || !strstr(err.message, fragment))
        fail_msg("error '%s' does not name '%s' and '%s'", err.message, f->path, fragment);
    /* A bad file changes nothing, not even the lines before the error. */
    assert_string_equal(ow_config_get(cfg, "kept", NULL), "yes");
    assert_null(ow_config_get(cfg, "good", NULL));
    ow_config_destroy(&cfg);
}

static void test_file_errors(void **state)
{
    s_fixture_t *f = *state;
    s_expect_error(f, "good = 1\nno equals sign here\n", ":2:");
    s_expect_error(f, "good = 1\n\n\n= value\n", ":4:");
    s_expect_error(f, "good = 1\n[unclosed\n", ":2:");
    s_expect_error(f, "good = 1\nbad key = 2\n", ":2:");
    /* A NUL byte in a line is refused (it would silently cut the value). */
    FILE *fp = fopen(f->path, "w");
    fwrite("good = 1\nk = a\0b\n", 1, 17, fp);
    fclose(fp);
    ow_error_t err;
    ow_config_t *cfg = ow_config_new("testd");
    assert_int_equal(ow_config_load_file(cfg, f->path, &err), -1);
    assert_non_null(strstr(err.message, ":2:"));
    /* An unreadable file names itself. */
    char missing[320];
    snprintf(missing, sizeof missing, "%s/missing.conf", f->dir);
    assert_int_equal(ow_config_load_file(cfg, missing, &err), -1);
    assert_non_null(strstr(err.message, missing));
    ow_config_destroy(&cfg);
}

static void test_typed_values(void **state)
{
    (void)state;
    ow_error_t err;
    ow_config_t *cfg = ow_config_new("testd");
    long n = 0;
    bool b = false;
    assert_int_equal(ow_config_get_int(cfg, "n", 7, &n, &err), 0);
    assert_int_equal(n, 7);
    ow_config_set(cfg, "n", "-12");
    assert_int_equal(ow_config_get_int(cfg, "n", 7, &n, &err), 0);
    assert_int_equal(n, -12);
    const char *bad_ints[] = {"12x", "", "x", "99999999999999999999999", "1.5"};
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++) {
        ow_config_set(cfg, "n", bad_ints[i]);
        assert_int_equal(ow_config_get_int(cfg, "n", 7, &n, &err), -1);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, "n"));
    }
    assert_int_equal(ow_config_get_bool(cfg, "flag", true, &b, &err), 0);
    assert_true(b);
    const char *yes[] = {"true", "YES", "on", "1"};
    const char *no[] = {"false", "No", "OFF", "0"};
    for (size_t i = 0; i < 4; i++) {
        ow_config_set(cfg, "flag", yes[i]);
        assert_int_equal(ow_config_get_bool(cfg, "flag", false, &b, &err), 0);
        assert_true(b);
        ow_config_set(cfg, "flag", no[i]);
        assert_int_equal(ow_config_get_bool(cfg, "flag", true, &b, &err), 0);
        assert_false(b);
    }
    ow_config_set(cfg, "flag", "treu");
    assert_int_equal(ow_config_get_bool(cfg, "flag", true, &b, &err), -1);
    assert_non_null(strstr(err.message, "flag"));
    assert_non_null(strstr(err.message, "treu"));
    ow_config_destroy(&cfg);
}

static void test_args(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    s_write(f->path, "a = from-file\nb = from-file\n");
    ow_config_t *cfg = ow_config_new("testd");
    /* --set wins over the file whatever the order on the command line. */
    char *argv[] = {"testd", "--set", "a=from-set", "--config", f->path, "--set=c=x=y", NULL};
    assert_int_equal(ow_config_from_args(cfg, 6, argv, &err), 0);
    assert_string_equal(ow_config_get(cfg, "a", NULL), "from-set");
    assert_string_equal(ow_config_get(cfg, "b", NULL), "from-file");
    assert_string_equal(ow_config_get(cfg, "c", NULL), "x=y");
    ow_config_destroy(&cfg);

    /* OW_CONFIG names the file when --config is absent. */
    setenv("OW_CONFIG", f->path, 1);
    cfg = ow_config_new("testd");
    char *argv2[] = {"testd", NULL};
    assert_int_equal(ow_config_from_args(cfg, 1, argv2, &err), 0);
    assert_string_equal(ow_config_get(cfg, "b", NULL), "from-file");
    ow_config_destroy(&cfg);
    unsetenv("OW_CONFIG");

    cfg = ow_config_new("testd");
    char *bad1[] = {"testd", "--bogus", NULL};
    assert_int_equal(ow_config_from_args(cfg, 2, bad1, &err), -1);
    assert_non_null(strstr(err.message, "--bogus"));
    char *bad2[] = {"testd", "--set", "novalue", NULL};
    assert_int_equal(ow_config_from_args(cfg, 3, bad2, &err), -1);
    char *bad3[] = {"testd", "--config", NULL};
    assert_int_equal(ow_config_from_args(cfg, 2, bad3, &err), -1);
    char missing[320];
    snprintf(missing, sizeof missing, "%s/nope.conf", f->dir);
    char *bad4[] = {"testd", "--config", missing, NULL};
    assert_int_equal(ow_config_from_args(cfg, 3, bad4, &err), -1);
    assert_non_null(strstr(err.message, missing));
    char *help[] = {"testd", "--help", NULL};
    assert_int_equal(ow_config_from_args(cfg, 2, help, &err), 1);
    ow_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_precedence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_env_name_mapping, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_file_syntax, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_typed_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_args, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
