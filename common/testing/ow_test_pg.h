/* ow_test_pg — PostgreSQL for a unit test: the administrator's URL from OW_TEST_DATABASE_URL
 * (scripts/test starts a throwaway cluster and sets it), a scratch schema or database with a
 * random name that is dropped at the end, and SQL run for setting up and asserting.
 *
 * Tests never skip: when OW_TEST_DATABASE_URL is unset or the server cannot be reached,
 * creation fails with a message saying so, and the test fails. Part of ow_testing, which
 * only tests link (never a daemon). */
#ifndef OW_TEST_PG_H
#define OW_TEST_PG_H

#include <stddef.h>
#include <libpq-fe.h>
#include "ow_db.h"
#include "ow_status.h"

typedef struct ow_test_pg ow_test_pg_t;

/* OW_TEST_DATABASE_URL, or NULL with err (FAILED_PRECONDITION) saying that the test needs
 * it. The string is the environment's: do not free it. */
const char *ow_test_pg_admin_url(ow_error_t *err);

/* Writes prefix followed by 12 random hex digits into out (cut to size): a name no parallel
 * run picks. With a prefix of [a-z0-9_] it needs no quoting in SQL. */
void ow_test_pg_random_name(char *out, size_t size, const char *prefix);

/* Creates schema <prefix><12 hex digits> in the database of OW_TEST_DATABASE_URL and
 * connects an ow_db_t to it (search_path = the schema, application_name = app). Nothing is
 * migrated: the caller runs ow_migrate on ow_test_pg_db when it wants the common and its
 * service's tables. prefix must be [a-z0-9_]. Returns NULL with err (no URL, server
 * unreachable, refused) after dropping what it created. Caller owns the result. */
ow_test_pg_t *ow_test_pg_new(const char *prefix, const char *app, ow_error_t *err);

/* Creates database <prefix><12 hex digits> on the cluster of OW_TEST_DATABASE_URL, with no
 * connection to it (ow_test_pg_db is NULL): for tests of what sets a database up. Errors and
 * ownership as ow_test_pg_new. */
ow_test_pg_t *ow_test_pg_new_database(const char *prefix, ow_error_t *err);

/* Closes the connection and drops the schema (or database) with everything in it; a failure
 * to drop is printed to stderr. Sets *self_p to NULL; harmless when already NULL. */
void ow_test_pg_destroy(ow_test_pg_t **self_p);

/* A cmocka teardown for tests whose state is an ow_test_pg_t: destroys it. Returns 0. */
int ow_test_pg_teardown(void **state);

/* The scratch schema's or database's name (owned by self). */
const char *ow_test_pg_name(const ow_test_pg_t *self);

/* The connection made by ow_test_pg_new (owned by self); NULL for a scratch database. */
ow_db_t *ow_test_pg_db(ow_test_pg_t *self);

/* A connection as the administrator to the database of OW_TEST_DATABASE_URL, where a scratch
 * schema lives (owned by self): for looking from outside the code under test's connection
 * and its transactions. */
PGconn *ow_test_pg_admin(ow_test_pg_t *self);

/* A further connection to the scratch schema as app (search_path = the schema). Only reads
 * self, so threads may call it. Returns NULL with err (UNAVAILABLE when the server refuses);
 * caller owns the result. */
ow_db_t *ow_test_pg_connect(const ow_test_pg_t *self, const char *app, ow_error_t *err);

/* A libpq conninfo string for the scratch's database — the scratch database itself, or the
 * database that holds the scratch schema — as user, or as the administrator when user is
 * NULL. Returns NULL with err when OW_TEST_DATABASE_URL does not parse; caller frees. */
char *ow_test_pg_conninfo(const ow_test_pg_t *self, const char *user, ow_error_t *err);

/* Runs sql (one or more statements, no parameters) on conn. Returns 0, or -1 with err
 * (INTERNAL) quoting the SQL and the server's message. */
int ow_test_pg_run(PGconn *conn, const char *sql, ow_error_t *err);

/* Reads the SQL file at path and runs it on db (ow_db_run). Returns 0, or -1 with err
 * naming the file it cannot read or the server's message. */
int ow_test_pg_run_file(ow_db_t *db, const char *path, ow_error_t *err);

/* Runs sql on conn and returns the first column of its first row as a number: for
 * assertions. -1 when the query fails (printed to stderr), returns no row, or a NULL. */
long ow_test_pg_long(PGconn *conn, const char *sql);

#endif
