/* test_migrate — ow_migrate against a real PostgreSQL (OW_TEST_DATABASE_URL): applies once,
 * two concurrent appliers apply once, a failing migration rolls back everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_db.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"

typedef struct {
    ow_test_pg_t *pg;
    PGconn *admin;      /* owned by pg */
    const char *schema; /* owned by pg */
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("t_mig_", "test_migrate", &err);
    if (!fx->pg)
        fail_msg("%s", err.message);
    fx->admin = ow_test_pg_admin(fx->pg);
    fx->schema = ow_test_pg_name(fx->pg);
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

/* A new connection to the schema (caller destroys). */
static ow_db_t *s_connect(s_fixture_t *fx)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(fx->pg, "test_migrate", &err);
    if (!db)
        fail_msg("ow_db_new: %s", err.message);
    return db;
}

/* Admin query returning one value as text (caller-provided buffer); "" for SQL NULL. */
static void s_admin_value(s_fixture_t *fx, const char *sql, char *out, size_t size)
{
    const char *params[1] = {fx->schema};
    PGresult *res = PQexecParams(fx->admin, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static long s_table_count(s_fixture_t *fx)
{
    char v[32];
    s_admin_value(fx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", v, sizeof v);
    return strtol(v, NULL, 10);
}

static long s_applied_count(s_fixture_t *fx)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.schema_migrations", fx->schema);
    return ow_test_pg_long(fx->admin, sql);
}

static const ow_migration_t s_service[] = {
    {"0001_cases", "CREATE TABLE cases (case_no text PRIMARY KEY);"},
    {"0002_notes", "CREATE TABLE notes (id bigserial PRIMARY KEY, case_no text NOT NULL "
                   "REFERENCES cases);\nINSERT INTO cases VALUES ('seed');"},
};

static void test_applies_once(void **state)
{
    s_fixture_t *fx = *state;
    assert_true(ow_common_migrations_count >= 1);
    ow_db_t *db = s_connect(fx);
    ow_error_t err;
    ow_error_clear(&err);
    int n = ow_migrate(db, s_service, 2, &err);
    if (n < 0)
        fail_msg("ow_migrate: %s", err.message);
    assert_int_equal(n, (int)ow_common_migrations_count + 2);
    assert_int_equal(s_applied_count(fx), (long)ow_common_migrations_count + 2);

    char v[128];
    s_admin_value(fx,
                  "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                  "WHERE schemaname = $1 AND tablename IN ('outbox', 'cases', 'notes')",
                  v, sizeof v);
    assert_string_equal(v, "cases,notes,outbox");

    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(version, ',' ORDER BY version) FROM %s.schema_migrations",
             fx->schema);
    PGresult *res = PQexec(fx->admin, sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_non_null(strstr(PQgetvalue(res, 0, 0), "common_0001_messaging"));
    assert_non_null(strstr(PQgetvalue(res, 0, 0), "0001_cases,0002_notes"));
    PQclear(res);

    /* Again: nothing to do, nothing run twice (the seed row would collide). */
    n = ow_migrate(db, s_service, 2, &err);
    if (n < 0)
        fail_msg("second ow_migrate: %s", err.message);
    assert_int_equal(n, 0);

    /* A new migration later: only it is applied. */
    const ow_migration_t more[] = {
        s_service[0], s_service[1], {"0003_more", "ALTER TABLE cases ADD COLUMN state int;"}};
    assert_int_equal(ow_migrate(db, more, 3, &err), 1);
    ow_db_destroy(&db);
}

typedef struct {
    s_fixture_t *fx;
    int applied;
    ow_error_t err;
} s_runner_t;

static const ow_migration_t s_slow[] = {
    /* Long enough that the second applier arrives while the first holds the lock. */
    {"0001_slow", "SELECT pg_sleep(0.5); CREATE TABLE slow (id int PRIMARY KEY);"
                  "INSERT INTO slow VALUES (1);"},
};

static void *s_run_migrate(void *arg)
{
    s_runner_t *r = arg;
    ow_error_clear(&r->err);
    ow_db_t *db = ow_test_pg_connect(r->fx->pg, "test_migrate", &r->err);
    if (!db) {
        r->applied = -2;
        return NULL;
    }
    r->applied = ow_migrate(db, s_slow, 1, &r->err);
    ow_db_destroy(&db);
    return NULL;
}

static void test_concurrent_appliers_apply_once(void **state)
{
    s_fixture_t *fx = *state;
    s_runner_t a = {.fx = fx}, b = {.fx = fx};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, s_run_migrate, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, s_run_migrate, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.applied < 0)
        fail_msg("first applier: %s", a.err.message);
    if (b.applied < 0)
        fail_msg("second applier: %s", b.err.message);
    int all = (int)ow_common_migrations_count + 1;
    /* One did everything, the other found it done. */
    assert_true((a.applied == all && b.applied == 0) || (a.applied == 0 && b.applied == all));
    assert_int_equal(s_applied_count(fx), all);
}

static void test_failure_rolls_back_everything(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *db = s_connect(fx);
    const ow_migration_t bad[] = {
        s_service[0],
        {"0002_broken", "CREATE TABLE fine (id int);\nCREATE TABLE broken (id int REFERENCES "
                        "nowhere);"},
        {"0003_never", "CREATE TABLE never (id int);"},
    };
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_migrate(db, bad, 3, &err), -1);
    assert_non_null(strstr(err.message, "0002_broken"));
    assert_non_null(strstr(err.message, "nowhere")); /* the server's words */
    assert_false(ow_db_in_transaction(db));
    /* Not even the common tables or schema_migrations remain. */
    assert_int_equal(s_table_count(fx), 0);

    /* Fixed, it applies from scratch. */
    const ow_migration_t fixed[] = {s_service[0], s_service[1]};
    int n = ow_migrate(db, fixed, 2, &err);
    if (n < 0)
        fail_msg("fixed list: %s", err.message);
    assert_int_equal(n, (int)ow_common_migrations_count + 2);

    /* A later failure leaves what was applied before it alone, and adds nothing. */
    const ow_migration_t later[] = {s_service[0],
                                    s_service[1],
                                    {"0003_ok", "CREATE TABLE ok3 (id int);"},
                                    {"0004_bad", "SELEC 1;"}};
    long tables = s_table_count(fx);
    assert_int_equal(ow_migrate(db, later, 4, &err), -1);
    assert_non_null(strstr(err.message, "0004_bad"));
    assert_int_equal(s_table_count(fx), tables);
    assert_int_equal(s_applied_count(fx), (long)ow_common_migrations_count + 2);

    /* A migration may not end the transaction it runs in. */
    const ow_migration_t commits[] = {{"0001_commit", "COMMIT;"}};
    ow_test_pg_t *other = ow_test_pg_new("t_mig_", "test_migrate", &err);
    if (!other)
        fail_msg("%s", err.message);
    assert_int_equal(ow_migrate(ow_test_pg_db(other), commits, 1, &err), -1);
    assert_non_null(strstr(err.message, "0001_commit"));
    ow_test_pg_destroy(&other);
    ow_db_destroy(&db);
}

static void test_missing_schema(void **state)
{
    (void)state;
    char missing[32];
    ow_test_pg_random_name(missing, sizeof missing, "t_nope_");
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_db_new(ow_test_pg_admin_url(&err), NULL, NULL, missing, "test_migrate", &err);
    if (!db)
        fail_msg("ow_db_new: %s", err.message);
    assert_int_equal(ow_migrate(db, s_service, 2, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, missing));
    ow_db_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_applies_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appliers_apply_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failure_rolls_back_everything, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_missing_schema, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
