/* test_db — ow_db against a real PostgreSQL (OW_TEST_DATABASE_URL): login and search_path,
 * SQLSTATE mapping, transactions, reconnect with re-prepare, back-off. Each test works in a
 * schema with a random name and drops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ow_db.h"
#include "ow_test_pg.h"

typedef struct {
    ow_test_pg_t *pg;
    const char *url;    /* the admin URL */
    PGconn *admin;      /* owned by pg */
    const char *schema; /* owned by pg */
    ow_db_t *db;        /* owned by pg */
} s_fixture_t;

static void s_admin_run(PGconn *admin, const char *fmt, const char *name)
{
    char *ident = PQescapeIdentifier(admin, name, strlen(name));
    assert_non_null(ident);
    char sql[512];
    snprintf(sql, sizeof sql, fmt, ident);
    PQfreemem(ident);
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_test_pg_run(admin, sql, &err) != 0)
        fail_msg("%s", err.message);
}

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("t_db_", "test_db", &err);
    if (!fx->pg)
        fail_msg("%s", err.message);
    fx->url = ow_test_pg_admin_url(&err);
    fx->admin = ow_test_pg_admin(fx->pg);
    fx->schema = ow_test_pg_name(fx->pg);
    fx->db = ow_test_pg_db(fx->pg);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    ow_test_pg_destroy(&fx->pg);
    free(fx);
    return 0;
}

static void s_run(ow_db_t *db, const char *sql)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_run(db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
}

static void s_prepare(ow_db_t *db, const char *name, const char *sql)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_prepare(db, name, sql, &err) != 0)
        fail_msg("prepare %s: %s", name, err.message);
}

/* Runs a prepared statement expected to return one row and copies its first value. */
static void s_value(ow_db_t *db, const char *name, char *out, size_t size)
{
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = ow_db_exec(db, name, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", name, err.message);
    assert_int_equal(PQntuples(res), 1);
    snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static long s_admin_count(s_fixture_t *fx, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.%s", fx->schema, table);
    return ow_test_pg_long(fx->admin, sql);
}

static void s_terminate_backend(s_fixture_t *fx, ow_db_t *db)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(ow_db_conn(db)));
    PGresult *res = PQexec(fx->admin, sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    /* pg_terminate_backend signals; give the backend a moment to go. */
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_login_schema_and_app(void **state)
{
    s_fixture_t *fx = *state;
    char v[128];
    s_prepare(fx->db, "schema", "SELECT current_schema()");
    s_value(fx->db, "schema", v, sizeof v);
    assert_string_equal(v, fx->schema);
    s_prepare(fx->db, "app", "SELECT current_setting('application_name')");
    s_value(fx->db, "app", v, sizeof v);
    assert_string_equal(v, "test_db");
    assert_string_equal(ow_db_schema(fx->db), fx->schema);
    assert_true(ow_db_ready(fx->db));
    /* JIT is off unless the URL turns it on (ow_db.c s_build_options). */
    s_prepare(fx->db, "jit", "SELECT current_setting('jit')");
    s_value(fx->db, "jit", v, sizeof v);
    assert_string_equal(v, "off");
    char url[1024];
    snprintf(url, sizeof url, "%s%soptions=-c%%20jit%%3Don", fx->url,
             strchr(fx->url, '?') ? "&" : "?");
    ow_error_t jit_err;
    ow_error_clear(&jit_err);
    ow_db_t *jit = ow_db_new(url, NULL, NULL, fx->schema, "test_db", &jit_err);
    if (!jit)
        fail_msg("connect with jit on: %s", jit_err.message);
    s_prepare(jit, "jit", "SELECT current_setting('jit')");
    s_value(jit, "jit", v, sizeof v);
    assert_string_equal(v, "on");
    s_prepare(jit, "schema", "SELECT current_schema()");
    s_value(jit, "schema", v, sizeof v);
    assert_string_equal(v, fx->schema);
    ow_db_destroy(&jit);

    /* An unqualified name lands in the schema. */
    s_run(fx->db, "CREATE TABLE t (k text PRIMARY KEY)");
    assert_int_equal(s_admin_count(fx, "t"), 0);

    /* role overrides the URL's user. */
    char role[32];
    ow_test_pg_random_name(role, sizeof role, "r_db_");
    s_admin_run(fx->admin, "CREATE ROLE %s LOGIN", role);
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *other = ow_db_new(fx->url, role, "unused-with-trust", fx->schema, "test_db", &err);
    if (!other)
        fail_msg("connect as %s: %s", role, err.message);
    s_prepare(other, "who", "SELECT current_user");
    s_value(other, "who", v, sizeof v);
    assert_string_equal(v, role);
    ow_db_destroy(&other);
    assert_null(other);
    ow_db_destroy(&other); /* harmless */
    s_admin_run(fx->admin, "DROP ROLE %s", role);
}

static void test_refusals(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_null(ow_db_new(fx->url, NULL, NULL, "bad schema; drop", "x", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    ow_error_clear(&err);
    assert_null(
        ow_db_new("postgresql:///postgres?host=/nonexistent-ow-dir", NULL, NULL, "x", "x", &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_non_null(strstr(err.message, "cannot connect"));

    ow_error_clear(&err);
    assert_null(ow_db_new("postgresql://[bad", NULL, NULL, "x", "x", &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
}

static void test_error_mapping(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE t (k text PRIMARY KEY, n int CHECK (n > 0))");
    s_prepare(db, "ins", "INSERT INTO t (k, n) VALUES ($1, $2)");
    ow_error_t err;
    ow_error_clear(&err);

    const char *ok[2] = {"a", "1"};
    PGresult *res = ow_db_exec(db, "ins", 2, ok, &err);
    assert_non_null(res);
    assert_string_equal(PQcmdTuples(res), "1");
    PQclear(res);

    assert_null(ow_db_exec(db, "ins", 2, ok, &err));
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    assert_non_null(strstr(err.message, "duplicate key"));
    assert_non_null(strstr(err.message, "Key (k)=(a) already exists"));

    const char *neg[2] = {"b", "-1"};
    assert_null(ow_db_exec(db, "ins", 2, neg, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "check constraint"));

    const char *text[2] = {"c", "not a number"};
    assert_null(ow_db_exec(db, "ins", 2, text, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);

    /* A refused statement is not registered and names itself. */
    ow_error_clear(&err);
    assert_int_equal(ow_db_prepare(db, "broken", "SELEC 1", &err), -1);
    assert_non_null(strstr(err.message, "broken"));
    ow_error_clear(&err);
    assert_int_equal(ow_db_prepare(db, "missing", "SELECT * FROM no_such_table", &err), -1);
    assert_int_equal(err.code, OW_INTERNAL);

    /* Registration is idempotent; the same name with other SQL is a mistake. */
    s_prepare(db, "ins", "INSERT INTO t (k, n) VALUES ($1, $2)");
    assert_int_equal(ow_db_prepare(db, "ins", "SELECT 1", &err), -1);

    /* NULL parameters are SQL NULL. */
    const char *null_n[2] = {"d", NULL};
    res = ow_db_exec(db, "ins", 2, null_n, &err);
    assert_non_null(res);
    PQclear(res);

    /* Binary parameters. */
    s_run(db, "CREATE TABLE b (v bytea)");
    s_prepare(db, "insb", "INSERT INTO b (v) VALUES ($1) RETURNING length(v)");
    const char bytes[4] = {0, 1, 0, 2};
    const char *values[1] = {bytes};
    const int lengths[1] = {4};
    const int formats[1] = {1};
    res = ow_db_execb(db, "insb", 1, values, lengths, formats, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "4");
    PQclear(res);

    ow_error_clear(&err);
    assert_int_equal(ow_db_run(db, "SELECT * FROM nowhere", &err), -1);
    assert_int_equal(err.code, OW_INTERNAL);
    assert_non_null(strstr(err.message, "nowhere"));
}

static void test_transactions(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE t (k text PRIMARY KEY)");
    s_prepare(db, "ins", "INSERT INTO t (k) VALUES ($1)");
    ow_error_t err;
    ow_error_clear(&err);
    const char *a[1] = {"a"}, *b[1] = {"b"}, *c[1] = {"c"};

    assert_false(ow_db_in_transaction(db));
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_true(ow_db_in_transaction(db));
    assert_int_equal(ow_db_begin(db, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    PQclear(ow_db_exec(db, "ins", 1, a, &err));
    assert_int_equal(s_admin_count(fx, "t"), 0); /* not visible before COMMIT */
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_false(ow_db_in_transaction(db));
    assert_int_equal(s_admin_count(fx, "t"), 1);

    assert_int_equal(ow_db_begin(db, &err), 0);
    PQclear(ow_db_exec(db, "ins", 1, b, &err));
    ow_db_rollback(db);
    assert_false(ow_db_in_transaction(db));
    assert_int_equal(s_admin_count(fx, "t"), 1);

    /* A failed statement poisons the transaction: later calls fail, COMMIT writes nothing
     * and says so. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    PQclear(ow_db_exec(db, "ins", 1, c, &err));
    assert_null(ow_db_exec(db, "ins", 1, a, &err));
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    assert_null(ow_db_exec(db, "ins", 1, b, &err));
    ow_error_clear(&err);
    assert_int_equal(ow_db_commit(db, &err), -1);
    assert_int_equal(err.code, OW_ABORTED);
    assert_false(ow_db_in_transaction(db));
    assert_int_equal(s_admin_count(fx, "t"), 1);

    assert_int_equal(ow_db_commit(db, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    ow_db_rollback(db); /* harmless outside a transaction */
}

/* ow_db_exec_planned: SQL text with parameters, no prepared name; errors mapped as
 * ow_db_exec's. */
static void test_exec_planned(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE p (k text PRIMARY KEY)");
    s_run(db, "INSERT INTO p VALUES ('a'), ('b')");
    ow_error_t err;
    ow_error_clear(&err);
    const char *keys[1] = {"{b,c}"};
    PGresult *res =
        ow_db_exec_planned(db, "SELECT k FROM p WHERE k = ANY($1::text[])", 1, keys, &err);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), "b");
    PQclear(res);
    const char *dup[1] = {"a"};
    assert_null(ow_db_exec_planned(db, "INSERT INTO p VALUES ($1)", 1, dup, &err));
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_error_clear(&err);
    assert_null(ow_db_exec_planned(db, "SELECT * FROM nowhere WHERE x = $1", 1, dup, &err));
    assert_int_equal(err.code, OW_INTERNAL);
}

static long s_count(ow_db_t *db, const char *sql)
{
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = ow_db_exec_planned(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* ow_db_defer: deferred statements run before the next call that waits, in order, in one
 * round trip; a failed one fails that call with its own error, and nothing after it ran; a
 * failure before COMMIT leaves nothing; a rollback drops them. */
static void test_defer(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE d (k text PRIMARY KEY)");
    s_prepare(db, "d_ins", "INSERT INTO d (k) VALUES ($1)");
    s_prepare(db, "d_count", "SELECT count(*) FROM d");
    ow_error_t err;
    ow_error_clear(&err);
    const char *a[1] = {"a"}, *b[1] = {"b"}, *c[1] = {"c"};

    assert_int_equal(ow_db_defer(db, "d_ins", 1, a, &err), -1); /* outside a transaction */
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    ow_error_clear(&err);

    /* Results in order: the read that waits sees both deferred rows. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, a, &err), 0);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, b, &err), 0);
    PGresult *res = ow_db_exec(db, "d_count", 0, NULL, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "2");
    PQclear(res);
    /* COMMIT waits for a deferred statement too. */
    assert_int_equal(ow_db_defer(db, "d_ins", 1, c, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d"), 3);

    /* A deferred failure is the next call's error, by status and name; the call after it did
     * not run; a savepoint still undoes it (the batch's fallback). */
    assert_int_equal(ow_db_begin_savepoint(db, "sp", &err), 0);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, a, &err), 0); /* taken */
    const char *d[1] = {"d"};
    assert_null(ow_db_exec(db, "d_ins", 1, d, &err));
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    assert_non_null(strstr(err.message, "d_ins"));
    ow_error_clear(&err);
    assert_int_equal(ow_db_run(db, "ROLLBACK TO SAVEPOINT sp", &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d WHERE k = 'd'"), 0);
    /* Through ow_db_exec_planned and ow_db_run as well. */
    assert_int_equal(ow_db_defer(db, "d_ins", 1, d, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d"), 4);
    const char *e[1] = {"e"};
    assert_int_equal(ow_db_defer(db, "d_ins", 1, e, &err), 0);
    assert_int_equal(ow_db_run(db, "SAVEPOINT sp2", &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d"), 5);

    /* A failure deferred up to COMMIT: nothing of the transaction is written. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    const char *f[1] = {"f"};
    assert_int_equal(ow_db_defer(db, "d_ins", 1, f, &err), 0);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, a, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_error_clear(&err);
    assert_false(ow_db_in_transaction(db));
    assert_int_equal(s_count(db, "SELECT count(*) FROM d WHERE k = 'f'"), 0);

    /* Kept results (ow_db_defer_keep): set by the call that waits, in their own order; left
     * NULL behind a failure. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    PGresult *first = NULL, *second = NULL;
    assert_int_equal(ow_db_defer_keep(db, "d_count", 0, NULL, &first, &err), 0);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, f, &err), 0);
    assert_int_equal(ow_db_defer_keep(db, "d_count", 0, NULL, &second, &err), 0);
    assert_null(first);
    res = ow_db_exec(db, "d_count", 0, NULL, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "6");
    PQclear(res);
    assert_non_null(first);
    assert_non_null(second);
    assert_string_equal(PQgetvalue(first, 0, 0), "5");
    assert_string_equal(PQgetvalue(second, 0, 0), "6");
    PQclear(first);
    PQclear(second);
    assert_int_equal(ow_db_defer(db, "d_ins", 1, f, &err), 0); /* taken now */
    assert_int_equal(ow_db_defer_keep(db, "d_count", 0, NULL, &second, &err), 0);
    assert_null(ow_db_exec(db, "d_count", 0, NULL, &err));
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_error_clear(&err);
    assert_null(second);
    ow_db_rollback(db);

    /* A rollback drops what was deferred; the connection stays usable. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    const char *g[1] = {"g"};
    assert_int_equal(ow_db_defer(db, "d_ins", 1, g, &err), 0);
    ow_db_rollback(db);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d"), 5);

    /* More than fit before one call that waits: the excess is read first, nothing is lost. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    for (int i = 0; i < 20; i++) {
        char k[8];
        snprintf(k, sizeof k, "m%d", i);
        const char *v[1] = {k};
        assert_int_equal(ow_db_defer(db, "d_ins", 1, v, &err), 0);
    }
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM d"), 25);
}

/* ow_db_begin_deferred: BEGIN and the savepoint go with the next statement; an idle connection
 * found dead there fails that statement (UNAVAILABLE), and after the rollback the next begin
 * reconnects. */
static void test_begin_deferred(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE bd (k text PRIMARY KEY)");
    s_prepare(db, "bd_ins", "INSERT INTO bd (k) VALUES ($1)");
    ow_error_t err;
    ow_error_clear(&err);
    const char *a[1] = {"a"}, *b[1] = {"b"};
    assert_int_equal(ow_db_begin_deferred(db, "sp", &err), 0);
    assert_true(ow_db_in_transaction(db));
    assert_int_equal(ow_db_begin_deferred(db, "sp", &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    ow_error_clear(&err);
    PGresult *res = ow_db_exec(db, "bd_ins", 1, a, &err);
    assert_non_null(res);
    PQclear(res);
    assert_int_equal(ow_db_run(db, "ROLLBACK TO SAVEPOINT sp", &err), 0); /* it exists */
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM bd"), 0);

    s_terminate_backend(fx, db);
    assert_int_equal(ow_db_begin_deferred(db, "sp", &err), 0);
    assert_null(ow_db_exec(db, "bd_ins", 1, b, &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
    ow_error_clear(&err);
    ow_db_rollback(db);
    assert_int_equal(ow_db_begin_deferred(db, "sp", &err), 0);
    res = ow_db_exec(db, "bd_ins", 1, b, &err);
    if (!res)
        fail_msg("insert after the reconnect: %s", err.message);
    PQclear(res);
    assert_int_equal(ow_db_commit(db, &err), 0);
    assert_int_equal(s_count(db, "SELECT count(*) FROM bd"), 1);
}

static void test_reconnect_reprepares(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = fx->db;
    s_run(db, "CREATE TABLE t (k text PRIMARY KEY)");
    s_prepare(db, "ins", "INSERT INTO t (k) VALUES ($1)");
    s_prepare(db, "count", "SELECT count(*) FROM t");
    ow_error_t err;
    ow_error_clear(&err);
    char v[32];

    /* Idle connection killed: BEGIN notices and retries on a new connection, where the
     * statements are prepared again. */
    int pid = PQbackendPID(ow_db_conn(db));
    s_terminate_backend(fx, db);
    if (ow_db_begin(db, &err) != 0)
        fail_msg("begin after the backend was killed: %s", err.message);
    assert_int_not_equal(PQbackendPID(ow_db_conn(db)), pid);
    const char *a[1] = {"a"};
    PGresult *res = ow_db_exec(db, "ins", 1, a, &err);
    if (!res)
        fail_msg("ins on the new connection: %s", err.message);
    PQclear(res);
    assert_int_equal(ow_db_commit(db, &err), 0);

    /* Killed inside a transaction: UNAVAILABLE, no silent reconnect; after the rollback the
     * next call reconnects. */
    assert_int_equal(ow_db_begin(db, &err), 0);
    s_terminate_backend(fx, db);
    const char *b[1] = {"b"};
    assert_null(ow_db_exec(db, "ins", 1, b, &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_null(ow_db_exec(db, "ins", 1, b, &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
    ow_db_rollback(db);
    assert_false(ow_db_in_transaction(db));
    s_value(db, "count", v, sizeof v);
    assert_string_equal(v, "1");

    /* Killed while idle, then a plain statement: the first call reports the loss (it may
     * not be repeated blindly), the next reconnects. */
    s_terminate_backend(fx, db);
    res = ow_db_exec(db, "count", 0, NULL, &err);
    if (!res) {
        assert_int_equal(err.code, OW_UNAVAILABLE);
        s_value(db, "count", v, sizeof v);
    } else {
        PQclear(res);
    }

    /* /readyz reconnects at once. */
    s_terminate_backend(fx, db);
    assert_true(ow_db_ready(db));
    s_value(db, "count", v, sizeof v);
    assert_string_equal(v, "1");
}

static void test_reconnect_backs_off(void **state)
{
    s_fixture_t *fx = *state;
    char role[32];
    ow_test_pg_random_name(role, sizeof role, "r_db_");
    s_admin_run(fx->admin, "CREATE ROLE %s LOGIN", role);
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_db_new(fx->url, role, NULL, fx->schema, "test_db", &err);
    if (!db)
        fail_msg("connect as %s: %s", role, err.message);
    s_prepare(db, "one", "SELECT 1");

    /* The server refuses new logins for the role: reconnects fail, and a second attempt
     * right after waits for the back-off instead of hammering the server. */
    s_admin_run(fx->admin, "ALTER ROLE %s NOLOGIN", role);
    s_terminate_backend(fx, db);
    assert_false(ow_db_ready(db));
    assert_null(ow_db_exec(db, "one", 0, NULL, &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
    assert_non_null(strstr(err.message, "next reconnect in"));

    s_admin_run(fx->admin, "ALTER ROLE %s LOGIN", role);
    struct timespec ts = {0, 450 * 1000000L}; /* past 100 + 200 ms of back-off */
    nanosleep(&ts, NULL);
    PGresult *res = ow_db_exec(db, "one", 0, NULL, &err);
    if (!res)
        fail_msg("after the role may log in again: %s", err.message);
    assert_string_equal(PQgetvalue(res, 0, 0), "1");
    PQclear(res);
    ow_db_destroy(&db);
    s_admin_run(fx->admin, "DROP ROLE %s", role);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_schema_and_app, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_error_mapping, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_transactions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_exec_planned, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_defer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_begin_deferred, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_reprepares, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_backs_off, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
