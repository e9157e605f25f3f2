/* ow_migrate — applies the embedded migrations of one schema once, in one transaction,
 * under an advisory lock. */
#include "ow_migrate.h"
#include "ow_db.h"
#include "ow_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMMON_PREFIX "common_"

/* The lock is keyed on the schema so that services sharing a database migrate in parallel
 * while two instances of one service queue behind each other; the second then finds every
 * version recorded and applies nothing. The row filter turns "no such schema" (search_path
 * names a schema that does not exist: current_schema() is NULL) into zero rows. */
static const char S_SQL_LOCK[] =
    "SELECT s FROM (SELECT current_schema() AS s) AS cur, "
    "LATERAL (SELECT pg_advisory_xact_lock(hashtext('onewindow.migrate.' || cur.s))) AS l "
    "WHERE cur.s IS NOT NULL";
static const char S_SQL_TABLE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  "version text PRIMARY KEY, "
                                  "applied_at timestamptz NOT NULL DEFAULT now())";
static const char S_SQL_APPLIED[] = "SELECT version FROM schema_migrations";
static const char S_SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())";

static bool s_applied(const PGresult *applied, const char *version)
{
    for (int i = 0; i < PQntuples(applied); i++)
        if (strcmp(PQgetvalue(applied, i, 0), version) == 0)
            return true;
    return false;
}

/* Runs one migration unless already recorded, and records it. Returns 1 when applied, 0
 * when it was already, -1 with err naming it. */
static int s_apply(ow_db_t *db, const PGresult *applied, const char *prefix,
                   const ow_migration_t *m, char *done, size_t done_size, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    char version[256];
    if (!m->version || !m->sql) {
        ow_error_set(err, OW_INTERNAL, "a migration in the list has no version or no SQL");
        goto cleanup;
    }
    if ((size_t)snprintf(version, sizeof version, "%s%s", prefix, m->version) >= sizeof version) {
        ow_error_set(err, OW_INTERNAL, "migration version '%s' is too long", m->version);
        goto cleanup;
    }
    if (s_applied(applied, version)) {
        rc = 0;
        goto cleanup;
    }
    ow_error_t inner;
    ow_error_clear(&inner);
    if (ow_db_run(db, m->sql, &inner) != 0) {
        ow_error_set(err, inner.code, "migration %s failed (nothing was applied): %s", version,
                     inner.message);
        goto cleanup;
    }
    /* A file with its own COMMIT would make everything before it permanent and the rest
     * run outside any transaction: refuse it, loudly. */
    if (!ow_db_in_transaction(db)) {
        ow_error_set(err, OW_INTERNAL,
                     "migration %s ended the migration transaction: migrations must not contain "
                     "BEGIN, COMMIT or ROLLBACK",
                     version);
        goto cleanup;
    }
    const char *params[1] = {version};
    res = ow_db_exec(db, "ow_migrate_record", 1, params, &inner);
    if (!res) {
        ow_error_set(err, inner.code, "migration %s could not be recorded: %s", version,
                     inner.message);
        goto cleanup;
    }
    /* Named in the log only after COMMIT: until then it may still roll back. */
    size_t used = strlen(done);
    snprintf(done + used, done_size - used, "%s%s", used ? "," : "", version);
    rc = 1;
cleanup:
    PQclear(res);
    return rc;
}

int ow_migrate(ow_db_t *db, const ow_migration_t *list, size_t count, ow_error_t *err)
{
    int applied_count = -1;
    int total = 0;
    char done[OW_ERROR_MESSAGE_MAX] = "";
    PGresult *res = NULL;
    PGresult *applied = NULL;
    if (ow_db_in_transaction(db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "migrations run in their own transaction: one is already open");
        return -1;
    }
    if (ow_db_prepare(db, "ow_migrate_lock", S_SQL_LOCK, err) != 0)
        return -1;
    if (ow_db_begin(db, err) != 0)
        return -1;
    res = ow_db_exec(db, "ow_migrate_lock", 0, NULL, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "schema '%s' does not exist (or the role may not use it): "
                     "`owctl db init` creates it",
                     ow_db_schema(db) ? ow_db_schema(db) : "(search_path)");
        goto cleanup;
    }
    if (ow_db_run(db, S_SQL_TABLE, err) != 0)
        goto cleanup;
    /* Prepared only now: they name schema_migrations, which the line above may just have
     * created (inside this transaction; prepared statements outlive it either way). */
    if (ow_db_prepare(db, "ow_migrate_applied", S_SQL_APPLIED, err) != 0 ||
        ow_db_prepare(db, "ow_migrate_record", S_SQL_RECORD, err) != 0)
        goto cleanup;
    applied = ow_db_exec(db, "ow_migrate_applied", 0, NULL, err);
    if (!applied)
        goto cleanup;
    for (size_t i = 0; i < ow_common_migrations_count; i++) {
        int rc =
            s_apply(db, applied, S_COMMON_PREFIX, &ow_common_migrations[i], done, sizeof done, err);
        if (rc < 0)
            goto cleanup;
        total += rc;
    }
    for (size_t i = 0; i < count; i++) {
        int rc = s_apply(db, applied, "", &list[i], done, sizeof done, err);
        if (rc < 0)
            goto cleanup;
        total += rc;
    }
    if (ow_db_commit(db, err) != 0)
        goto cleanup;
    if (total > 0)
        ow_log_kv(OW_LOG_INFO, "migrations committed", "schema",
                  ow_db_schema(db) ? ow_db_schema(db) : "", "versions", done, NULL);
    applied_count = total;
cleanup:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    PQclear(res);
    PQclear(applied);
    return applied_count;
}
