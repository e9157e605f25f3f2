/* command_line: every accepted and refused owctl command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "command_line.h"

/* Parses a NULL-terminated list of words after "owctl". */
static int s_parse(owctl_command_t *cmd, char *msg, size_t size, ...)
{
    char *argv[32] = {"owctl"};
    int argc = 1;
    va_list ap;
    va_start(ap, size);
    for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = w;
    va_end(ap);
    return command_line_parse(argc, argv, cmd, msg, size);
}

#define PARSE(cmd, msg, ...) s_parse(cmd, msg, sizeof msg, __VA_ARGS__, (char *)NULL)

static void test_submit_full(void **state)
{
    owctl_command_t cmd;
    char msg[256];
    assert_int_equal(PARSE(&cmd, msg, "--gateway", "http://h:1", "submit", "--item", "330100-01",
                           "--name", "\xe5\xbc\xa0\xe4\xb8\x89", "--id-number",
                           "330122199001010011", "--phone", "13800000000", "--material", "M1", "M2",
                           "--channel=online", "--material=M3", "--idempotency-key", "k-1",
                           "--json"),
                     0);
    assert_int_equal(cmd.verb, OWCTL_SUBMIT);
    assert_string_equal(cmd.gateway_url, "http://h:1");
    assert_string_equal(cmd.item, "330100-01");
    assert_string_equal(cmd.name, "\xe5\xbc\xa0\xe4\xb8\x89");
    assert_string_equal(cmd.id_number, "330122199001010011");
    assert_string_equal(cmd.phone, "13800000000");
    assert_string_equal(cmd.channel, "online");
    assert_string_equal(cmd.idempotency_key, "k-1");
    assert_true(cmd.json);
    assert_int_equal(cmd.material_count, 3);
    assert_string_equal(cmd.materials[0], "M1");
    assert_string_equal(cmd.materials[1], "M2");
    assert_string_equal(cmd.materials[2], "M3");
    command_line_free(&cmd);
    assert_null(cmd.materials);
}

static void test_remote_centre(void **state)
{
    owctl_command_t cmd;
    char msg[256];
    assert_int_equal(PARSE(&cmd, msg, "--remote", "tcp://gw:7170", "--key", "t.key", "case", "show",
                           "3301222026000001"),
                     0);
    assert_int_equal(cmd.verb, OWCTL_CASE_SHOW);
    assert_string_equal(cmd.remote, "tcp://gw:7170");
    assert_string_equal(cmd.key_file, "t.key");
    command_line_free(&cmd);
    /* one without the other, a URL that is not an endpoint, a command a centre cannot use */
    assert_int_equal(PARSE(&cmd, msg, "--remote", "tcp://gw:7170", "case", "show", "X"), -1);
    assert_non_null(strstr(msg, "--key"));
    command_line_free(&cmd);
    assert_int_equal(PARSE(&cmd, msg, "--key", "t.key", "case", "show", "X"), -1);
    command_line_free(&cmd);
    assert_int_equal(
        PARSE(&cmd, msg, "--remote", "http://gw:8080", "--key", "t.key", "case", "show", "X"), -1);
    assert_non_null(strstr(msg, "tcp://"));
    command_line_free(&cmd);
    assert_int_equal(PARSE(&cmd, msg, "--remote", "tcp://gw:1", "--key", "k", "clock", "show"), -1);
    assert_non_null(strstr(msg, "--remote does not apply"));
    command_line_free(&cmd);
}

static void test_submit_missing_options_are_all_named(void **state)
{
    owctl_command_t cmd;
    char msg[256];
    assert_int_equal(PARSE(&cmd, msg, "submit", "--name", "N"), -1);
    assert_non_null(strstr(msg, "--item"));
    assert_non_null(strstr(msg, "--id-number"));
    assert_non_null(strstr(msg, "--phone"));
    assert_non_null(strstr(msg, "--material"));
    assert_null(strstr(msg, "--name"));
    command_line_free(&cmd);
}

static void test_other_commands(void **state)
{
    owctl_command_t cmd;
    char msg[256];

    assert_int_equal(PARSE(&cmd, msg, "db", "init", "--database-url", "postgresql:///x"), 0);
    assert_int_equal(cmd.verb, OWCTL_DB_INIT);
    assert_string_equal(cmd.database_url, "postgresql:///x");
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "case", "show", "330122-7", "--json"), 0);
    assert_int_equal(cmd.verb, OWCTL_CASE_SHOW);
    assert_string_equal(cmd.case_no, "330122-7");
    assert_true(cmd.json);
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "clock", "advance", "3600"), 0);
    assert_int_equal(cmd.verb, OWCTL_CLOCK_ADVANCE);
    assert_int_equal(cmd.seconds, 3600);
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "clock", "advance", "3d", "--gateway=http://x:9"), 0);
    assert_int_equal(cmd.seconds, 3 * 86400);
    assert_string_equal(cmd.gateway_url, "http://x:9");
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "--config", "/etc/ow.conf", "clock", "show"), 0);
    assert_int_equal(cmd.verb, OWCTL_CLOCK_SHOW);
    assert_string_equal(cmd.config_path, "/etc/ow.conf");
    command_line_free(&cmd);
}

static void test_help(void **state)
{
    owctl_command_t cmd;
    char msg[256];
    assert_int_equal(PARSE(&cmd, msg, "--help"), 0);
    assert_int_equal(cmd.verb, OWCTL_HELP);
    assert_null(cmd.help_topic);
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "submit", "--help"), 0);
    assert_int_equal(cmd.verb, OWCTL_HELP);
    assert_string_equal(cmd.help_topic, "submit");
    command_line_free(&cmd);

    /* Help wins even over an otherwise incomplete command. */
    assert_int_equal(PARSE(&cmd, msg, "case", "show", "-h"), 0);
    assert_string_equal(cmd.help_topic, "case");
    command_line_free(&cmd);

    assert_int_equal(PARSE(&cmd, msg, "help", "clock"), 0);
    assert_string_equal(cmd.help_topic, "clock");
    assert_non_null(strstr(command_line_help("clock"), "clock advance"));
    assert_non_null(strstr(command_line_help("submit"), "--idempotency-key"));
    assert_non_null(strstr(command_line_help(NULL), "exit status"));
    assert_ptr_equal(command_line_help("nonsense"), command_line_help(NULL));
    command_line_free(&cmd);
}

static void test_refusals_name_the_problem(void **state)
{
    static const struct {
        const char *words[8];
        const char *expect; /* in the message */
    } cases[] = {
        {{NULL}, "no command"},
        {{"frobnicate"}, "frobnicate"},
        {{"db"}, "db init"},
        {{"db", "init"}, "--database-url"},
        {{"db", "init", "--database-url"}, "needs a value"},
        {{"db", "init", "--database-url", "--json"}, "needs a value"},
        {{"db", "init", "--database-url", "u", "extra"}, "extra"},
        {{"case", "show"}, "CASE_NO"},
        {{"case", "list"}, "case show"},
        {{"case", "show", "1", "2"}, "'2'"},
        {{"clock"}, "clock show"},
        {{"clock", "advance"}, "SECONDS"},
        {{"clock", "advance", "-5"}, "-5"},
        {{"clock", "advance", "5x"}, "5x"},
        {{"clock", "advance", "1.5"}, "1.5"},
        {{"clock", "advance", "99999999999d"}, "100 years"},
        {{"clock", "show", "--item", "X"}, "--item does not apply"},
        {{"clock", "advance", "5", "--json=yes"}, "takes no value"},
        {{"case", "show", "1", "--nope"}, "--nope"},
        {{"case", "show", "1", "-x"}, "-x"},
        {{"submit", "--material"}, "--material needs"},
        {{"submit", "--item", "A", "--item", "B"}, "twice"},
        {{"submit", "--item="}, "empty"},
        {{"case", "show", "1", "--database-url", "u"}, "does not apply"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {"owctl"};
        int argc = 1;
        for (size_t w = 0; cases[i].words[w]; w++)
            argv[argc++] = (char *)cases[i].words[w];
        owctl_command_t cmd;
        char msg[256];
        int rc = command_line_parse(argc, argv, &cmd, msg, sizeof msg);
        command_line_free(&cmd);
        if (rc != -1)
            fail_msg("case %zu was accepted", i);
        if (!strstr(msg, cases[i].expect))
            fail_msg("case %zu: message '%s' lacks '%s'", i, msg, cases[i].expect);
    }
}

/* case accept: the findings of the window's later decision (intake.decide_receipt). */
static void test_case_accept(void **state)
{
    (void)state;
    owctl_command_t cmd;
    char msg[256];
    assert_int_equal(PARSE(&cmd, msg, "case", "accept", "3301222026112210001", "--defect",
                           "M1=\xe4\xb8\x8d\xe6\xb8\x85", "--defect=M2=torn", "--rongque",
                           "--commitment", "--supply-due", "2026-11-30T00:00:00+08:00",
                           "--idempotency-key", "k-9", "--json"),
                     0);
    assert_int_equal(cmd.verb, OWCTL_CASE_ACCEPT);
    assert_string_equal(cmd.case_no, "3301222026112210001");
    assert_int_equal(cmd.defect_count, 2);
    assert_string_equal(cmd.defects[1], "M2=torn");
    assert_true(cmd.rongque && cmd.commitment && cmd.json);
    assert_false(cmd.not_a_matter);
    assert_string_equal(cmd.supply_due, "2026-11-30T00:00:00+08:00");
    assert_string_equal(cmd.idempotency_key, "k-9");
    command_line_free(&cmd);
    assert_null(cmd.defects);
    assert_int_equal(PARSE(&cmd, msg, "case", "accept", "1", "--not-a-matter", "--refer-to", "X"),
                     0);
    assert_true(cmd.not_a_matter);
    assert_string_equal(cmd.refer_to, "X");
    command_line_free(&cmd);
    /* Refused: no case, a defect without its reason, an option of another command, and
     * case show does not take accept's options. */
    static const char *const bad[][6] = {{"case", "accept"},
                                         {"case", "accept", "1", "--defect", "M1"},
                                         {"case", "accept", "1", "--defect", "=why"},
                                         {"case", "accept", "1", "--item", "X"},
                                         {"case", "show", "1", "--rongque"}};
    static const char *const expect[] = {"CASE_NO", "CODE=REASON", "CODE=REASON", "does not apply",
                                         "does not apply"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[8] = {"owctl"};
        int argc = 1;
        for (size_t w = 0; w < 6 && bad[i][w]; w++)
            argv[argc++] = (char *)bad[i][w];
        assert_int_equal(command_line_parse(argc, argv, &cmd, msg, sizeof msg), -1);
        command_line_free(&cmd);
        if (!strstr(msg, expect[i]))
            fail_msg("case %zu: message '%s' lacks '%s'", i, msg, expect[i]);
    }
}

static void test_durations(void **state)
{
    int64_t s = -1;
    assert_int_equal(command_line_duration("0", &s), 0);
    assert_int_equal(s, 0);
    assert_int_equal(command_line_duration("45s", &s), 0);
    assert_int_equal(s, 45);
    assert_int_equal(command_line_duration("90m", &s), 0);
    assert_int_equal(s, 5400);
    assert_int_equal(command_line_duration("36h", &s), 0);
    assert_int_equal(s, 129600);
    assert_int_equal(command_line_duration("20d", &s), 0);
    assert_int_equal(s, 20 * 86400);
    static const char *const bad[] = {
        "", "-1", "+1", " 1", "1w", "1dd", "d", "1.5h", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (command_line_duration(bad[i], &s) == 0)
            fail_msg("duration '%s' was accepted", bad[i]);
}

static void test_double_dash_ends_options(void **state)
{
    owctl_command_t cmd;
    char msg[256];
    /* A case number that starts with a dash can still be named. */
    assert_int_equal(PARSE(&cmd, msg, "case", "show", "--", "--odd"), 0);
    assert_string_equal(cmd.case_no, "--odd");
    command_line_free(&cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_full),
        cmocka_unit_test(test_remote_centre),
        cmocka_unit_test(test_submit_missing_options_are_all_named),
        cmocka_unit_test(test_other_commands),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_refusals_name_the_problem),
        cmocka_unit_test(test_case_accept),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_double_dash_ends_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
