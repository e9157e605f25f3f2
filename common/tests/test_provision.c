/* ow_provision against a real PostgreSQL (OW_TEST_DATABASE_URL, an administrator URL):
 * in a fresh database, two provisioners at once and a third after them all succeed; then
 * ow_intake can create and use a table in schema intake, and is refused (permission denied)
 * reading routing's table, creating in routing, and creating in public. Without a reachable
 * server the test fails: it never skips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "ow_envelope.h"
#include "ow_provision.h"
#include "ow_test_pg.h"

typedef struct {
    ow_test_pg_t *pg; /* the test database */
    char *target;     /* its conninfo, as the administrator */
    PGconn *admin;    /* owned by pg */
} s_fixture_t;

/* The test database's conninfo as user (caller frees). */
static char *s_conninfo(s_fixture_t *f, const char *user)
{
    ow_error_t err;
    ow_error_clear(&err);
    char *conninfo = ow_test_pg_conninfo(f->pg, user, &err);
    if (!conninfo)
        fail_msg("%s", err.message);
    return conninfo;
}

static PGconn *s_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("cannot connect (%s): %s", conninfo, PQerrorMessage(conn));
    return conn;
}

/* Runs sql; returns its SQLSTATE ("00000" on success) in a static buffer. */
static const char *s_exec(PGconn *conn, const char *sql)
{
    static char state[6];
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        snprintf(state, sizeof state, "00000");
    else
        snprintf(state, sizeof state, "%s",
                 PQresultErrorField(res, PG_DIAG_SQLSTATE)
                     ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                     : "?????");
    PQclear(res);
    return state;
}

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    ow_error_t err;
    ow_error_clear(&err);
    f->pg = ow_test_pg_new_database("ow_test_provision_", &err);
    if (!f->pg) {
        print_error("%s\n", err.message);
        free(f);
        return -1;
    }
    f->admin = ow_test_pg_admin(f->pg);
    f->target = ow_test_pg_conninfo(f->pg, NULL, &err);
    if (!f->target) {
        print_error("%s\n", err.message);
        ow_test_pg_destroy(&f->pg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    ow_test_pg_destroy(&f->pg);
    free(f->target);
    free(f);
    return 0;
}

typedef struct {
    const char *conninfo;
    int rc;
    ow_error_t err;
} s_run_t;

static void *s_provision_thread(void *arg)
{
    s_run_t *r = arg;
    ow_error_clear(&r->err);
    r->rc = ow_provision(r->conninfo, &r->err);
    return NULL;
}

static void test_concurrent_and_idempotent(void **state)
{
    s_fixture_t *f = *state;
    s_run_t a = {.conninfo = f->target}, b = {.conninfo = f->target};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, s_provision_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, s_provision_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.rc != 0 || b.rc != 0)
        fail_msg("concurrent provisioning failed: [%s] [%s]", a.err.message, b.err.message);

    s_run_t c = {.conninfo = f->target};
    s_provision_thread(&c);
    if (c.rc != 0)
        fail_msg("provisioning again failed: %s", c.err.message);

    /* Every source has its role and owns its schema. */
    PGconn *db = s_connect(f->target);
    for (size_t i = 0; ow_provision_sources[i]; i++) {
        const char *params[] = {ow_provision_sources[i]};
        PGresult *res = PQexecParams(db,
                                     "SELECT r.rolname, r.rolcanlogin FROM pg_namespace n "
                                     "JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = $1",
                                     1, NULL, params, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
        assert_int_equal(PQntuples(res), 1);
        char want[64];
        snprintf(want, sizeof want, "ow_%s", ow_provision_sources[i]);
        assert_string_equal(PQgetvalue(res, 0, 0), want);
        assert_string_equal(PQgetvalue(res, 0, 1), "t");
        PQclear(res);
    }
    PQfinish(db);
}

static void test_roles_are_confined_to_their_schema(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_provision(f->target, &err) != 0)
        fail_msg("provisioning failed: %s", err.message);
    char *as_routing = s_conninfo(f, "ow_routing");
    PGconn *routing = s_connect(as_routing);
    assert_string_equal(s_exec(routing, "CREATE TABLE routing.tasks (id int)"), "00000");
    assert_string_equal(s_exec(routing, "INSERT INTO routing.tasks VALUES (1)"), "00000");

    char *as_intake = s_conninfo(f, "ow_intake");
    PGconn *intake = s_connect(as_intake);
    assert_string_equal(s_exec(intake, "CREATE TABLE intake.cases (no text)"), "00000");
    assert_string_equal(s_exec(intake, "INSERT INTO intake.cases VALUES ('x')"), "00000");
    assert_string_equal(s_exec(intake, "SELECT * FROM intake.cases"), "00000");
    /* 42501 = insufficient_privilege ("permission denied for schema routing"). */
    assert_string_equal(s_exec(intake, "SELECT * FROM routing.tasks"), "42501");
    assert_string_equal(s_exec(intake, "CREATE TABLE routing.sneaky (id int)"), "42501");
    assert_string_equal(s_exec(intake, "CREATE TABLE public.sneaky (id int)"), "42501");

    PQfinish(intake);
    PQfinish(routing);
    free(as_intake);
    free(as_routing);
}

static void test_password_from_environment(void **state)
{
    s_fixture_t *f = *state;
    char pw[37];
    ow_uuid_v4(pw);
    setenv("OW_NOTIFY_DB_PASSWORD", pw, 1);
    ow_error_t err;
    ow_error_clear(&err);
    int rc = ow_provision(f->target, &err);
    unsetenv("OW_NOTIFY_DB_PASSWORD");
    if (rc != 0)
        fail_msg("provisioning with a password failed: %s", err.message);
    PGresult *res = PQexec(f->admin, "SELECT rolpassword IS NOT NULL FROM pg_authid "
                                     "WHERE rolname = 'ow_notify'");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_provision("host=/nonexistent/socket/dir dbname=x connect_timeout=2", &err),
                     -1);
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_non_null(strstr(err.message, "cannot connect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_and_idempotent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_roles_are_confined_to_their_schema, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_password_from_environment, s_setup, s_teardown),
        cmocka_unit_test(test_unreachable_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
