/* ow_timer_client against a real PostgreSQL (OW_TEST_DATABASE_URL) and deadlined's real timer
 * handlers served in-process: a command is written only when its transaction commits, once
 * per key; a cancel replaces the schedule; the sender delivers both to deadlined until it
 * acknowledges them, keeps the due time deadlined computed for a relative period, and keeps a
 * refusal on the row instead of resending it forever. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "calendar_store.h"
#include "ow_migrate.h"
#include "ow_test_loop.h"
#include "ow_test_pg.h"
#include "ow_timer_client.h"
#include "timer_requests.h"
#include "timers.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

/* The columns ow_timer_client.h asks of a service's table (as intake's 0004 migration). */
static const char s_table[] =
    "CREATE TABLE timer_commands ("
    " timer_key text PRIMARY KEY CHECK (timer_key <> '' AND octet_length(timer_key) <= 200),"
    " case_no text NOT NULL DEFAULT '', kind text NOT NULL, centre_id text NOT NULL DEFAULT '',"
    " due_at_us bigint NOT NULL DEFAULT 0, start_at_us bigint NOT NULL DEFAULT 0,"
    " amount integer NOT NULL DEFAULT 0, unit text NOT NULL DEFAULT '',"
    " op text NOT NULL CHECK (op IN ('schedule', 'cancel')), acked boolean NOT NULL DEFAULT false,"
    " attempts integer NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '',"
    " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())";

/* 2026-06-01 09:00 +08:00, a Monday. */
#define S_START INT64_C(1780275600000000)
#define S_HOUR  INT64_C(3600000000)

typedef struct {
    ow_test_pg_t *client; /* the calling service's schema */
    ow_test_pg_t *server; /* deadlined's schema */
    deadline_context_t ctx;
} s_fixture_t;

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    s_fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->client = ow_test_pg_new("owtest_timerclient_", "timer-client-test", &err);
    f->server = f->client ? ow_test_pg_new("owtest_timerserver_", "deadline-test", &err) : NULL;
    if (!f->server || ow_migrate(ow_test_pg_db(f->client), NULL, 0, &err) < 0 ||
        ow_db_run(ow_test_pg_db(f->client), s_table, &err) != 0 ||
        ow_timer_client_prepare(ow_test_pg_db(f->client), &err) != 0 ||
        ow_migrate(ow_test_pg_db(f->server), deadline_core_migrations,
                   deadline_core_migrations_count, &err) < 0)
        goto fail;
    f->ctx.db = ow_test_pg_db(f->server);
    if (timers_prepare(f->ctx.db, &err) != 0 || calendar_store_prepare(f->ctx.db, &err) != 0 ||
        calendar_store_seed(f->ctx.db, &err) != 0 || calendar_store_reload(&f->ctx, &err) != 1)
        goto fail;
    *state = f;
    return 0;
fail:
    fprintf(stderr, "cannot set up the test database: %s\n", err.message);
    ow_test_pg_destroy(&f->client);
    ow_test_pg_destroy(&f->server);
    free(f);
    return -1;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    ow_test_pg_destroy(&f->client);
    ow_test_pg_destroy(&f->server);
    deadline_calendar_destroy(&f->ctx.cal);
    free(f);
    return 0;
}

static long s_long(ow_test_pg_t *pg, const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    PGconn *admin = ow_test_pg_admin(pg);
    ow_error_t err;
    ow_error_clear(&err);
    char set[200];
    snprintf(set, sizeof set, "SET search_path = %s", ow_test_pg_name(pg));
    assert_int_equal(ow_test_pg_run(admin, set, &err), 0);
    return ow_test_pg_long(admin, sql);
}

/* Rows exist only for committed transactions; a key is written once; an overlong key is
 * refused; a cancel replaces the schedule of one key or of every timer of a case. */
static void test_commands_follow_the_transaction(void **state)
{
    s_fixture_t *f = *state;
    ow_db_t *db = ow_test_pg_db(f->client);
    ow_error_t err;
    ow_error_clear(&err);
    char key[OW_TIMER_KEY_MAX + 1];
    ow_timer_key(key, sizeof key, "intake", "notice_duty", "C-1");
    assert_string_equal(key, "intake:notice_duty:C-1");

    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_schedule(db, "t:x:rolled", "x", "C-0", "", S_START, &err), 0);
    ow_db_rollback(db);
    assert_int_equal(s_long(f->client, "SELECT count(*) FROM timer_commands%s", ""), 0);

    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_schedule(db, "t:x:C-1", "x", "C-1", "C1", S_START + S_HOUR, &err), 0);
    assert_int_equal(ow_timer_schedule(db, "t:x:C-1", "x", "C-1", "C1", S_START + 2 * S_HOUR, &err),
                     0);
    assert_int_equal(ow_timer_schedule_relative(db, "t:y:C-1", "y", "C-1", "C1", S_START, 5,
                                                "working_days", &err),
                     0);
    assert_int_equal(ow_timer_schedule(db, "t:x:C-2", "x", "C-2", NULL, S_START, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_long(f->client, "SELECT count(*) FROM timer_commands%s", ""), 3);
    assert_true(s_long(f->client, "SELECT due_at_us FROM timer_commands WHERE timer_key = '%s'",
                       "t:x:C-1") == (long)(S_START + S_HOUR));

    char longkey[OW_TIMER_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_schedule(db, longkey, "x", "", "", S_START, &err), -1);
    assert_int_equal(err.code, OW_INTERNAL);
    ow_db_rollback(db);

    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_cancel(db, "t:x:C-2", &err), 0);
    assert_int_equal(ow_timer_cancel(db, "t:x:unknown", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(
        s_long(f->client, "SELECT count(*) FROM timer_commands WHERE op = '%s'", "cancel"), 1);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_cancel_case(db, "C-1", &err), 0);
    ow_db_rollback(db);
    assert_int_equal(
        s_long(f->client, "SELECT count(*) FROM timer_commands WHERE op = '%s'", "cancel"), 1);
    assert_int_equal(ow_db_run(db, "DELETE FROM timer_commands", &err), 0);
}

typedef struct {
    ow_timer_sender_t *sender;
    uint64_t want;
} s_wait_t;

static bool s_acked(void *arg)
{
    s_wait_t *w = arg;
    return ow_timer_sender_acked(w->sender) >= w->want;
}

static bool s_none_pending(void *arg)
{
    return s_long(arg, "SELECT count(*) FROM timer_commands WHERE NOT acked%s", "") == 0;
}

/* The sender delivers schedules and cancels to deadlined's real handlers, records the due time
 * deadlined computed, and marks a refused command with the reason rather than resend it. */
static void test_sender_delivers_to_deadline(void **state)
{
    s_fixture_t *f = *state;
    ow_db_t *db = ow_test_pg_db(f->client);
    ow_error_t err;
    ow_error_clear(&err);
    char dir[80], endpoint[160];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/owtest_timerclient_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(endpoint, sizeof endpoint, "ipc://%s/deadline.sock", dir);
    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    ow_rpc_server_t *server = ow_rpc_server_new(loop, endpoint, &err);
    assert_non_null(server);
    ow_rpc_server_handle(server, "deadline.schedule_timer", timer_requests_schedule, &f->ctx);
    ow_rpc_server_handle(server, "deadline.cancel_timer", timer_requests_cancel, &f->ctx);
    ow_rpc_client_t *client = ow_rpc_client_new(loop, endpoint, &err);
    assert_non_null(client);

    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_schedule(db, "test:abs:C-1", "abs", "C-1", "", S_START, &err), 0);
    assert_int_equal(ow_timer_schedule_relative(db, "test:rel:C-1", "rel", "C-1", "", S_START, 5,
                                                "working_days", &err),
                     0);
    /* A unit deadlined does not know: refused for good. */
    assert_int_equal(ow_timer_schedule_relative(db, "test:bad:C-1", "bad", "C-1", "", S_START, 5,
                                                "fortnights", &err),
                     0);
    assert_int_equal(ow_db_commit(db, &err), 0);

    ow_timer_sender_t *sender = ow_timer_sender_new(loop, db, client, "test", &err);
    assert_non_null(sender);
    ow_timer_sender_kick(sender);
    s_wait_t w = {sender, 2};
    assert_true(ow_test_loop_until(loop, s_acked, &w, 10));
    assert_true(ow_test_loop_until(loop, s_none_pending, f->client, 10));
    assert_int_equal(ow_timer_sender_acked(sender), 2);
    assert_int_equal(s_long(f->server, "SELECT count(*) FROM timers WHERE state = '%s'", "pending"),
                     2);
    assert_int_equal(s_long(f->server, "SELECT count(*) FROM timers WHERE owner = '%s'", "test"),
                     2);
    /* The relative period came back as deadlined's due time, a working day after start. */
    assert_true(s_long(f->client, "SELECT due_at_us FROM timer_commands WHERE timer_key = '%s'",
                       "test:rel:C-1") > (long)S_START);
    assert_int_equal(s_long(f->client,
                            "SELECT count(*) FROM timer_commands WHERE timer_key = '%s'"
                            " AND acked AND last_error <> ''",
                            "test:bad:C-1"),
                     1);

    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_timer_cancel_case(db, "C-1", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    ow_timer_sender_kick(sender);
    w.want = 4;
    assert_true(ow_test_loop_until(loop, s_acked, &w, 10));
    assert_int_equal(
        s_long(f->server, "SELECT count(*) FROM timers WHERE state = '%s'", "cancelled"), 2);

    ow_timer_sender_destroy(&sender);
    ow_timer_sender_destroy(&sender);
    ow_rpc_client_destroy(&client);
    ow_rpc_server_destroy(&server);
    ow_loop_destroy(&loop);
    char sock[200];
    snprintf(sock, sizeof sock, "%s/deadline.sock", dir);
    remove(sock);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_follow_the_transaction),
        cmocka_unit_test(test_sender_delivers_to_deadline),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
