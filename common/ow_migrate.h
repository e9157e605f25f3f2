/* ow_migrate — numbered SQL migrations, compiled into each daemon (cmake:
 * ow_embed_migrations) and applied at start-up: all pending ones in one transaction, under
 * an advisory lock keyed on the schema (so two instances starting together apply them once),
 * each recorded in <schema>.schema_migrations(version, applied_at). Common migrations (outbox,
 * inbox, idempotency, test clock) are applied before the service's own. */
#ifndef OW_MIGRATE_H
#define OW_MIGRATE_H

#include <stddef.h>
#include "ow_status.h"

typedef struct {
    const char *version; /* file name without .sql, e.g. "0001_cases" */
    const char *sql;
} ow_migration_t;

typedef struct ow_db ow_db_t;

/* The common migrations every service schema gets (versions "common_0001_…"). */
extern const ow_migration_t ow_common_migrations[];
extern const size_t ow_common_migrations_count;

/* Applies the common migrations, then list[0..count) in order. On any error rolls back
 * everything, returns -1 and fills err naming the migration and the server's message.
 * Returns the number of migrations applied (0 when up to date). */
int ow_migrate(ow_db_t *db, const ow_migration_t *list, size_t count, ow_error_t *err);

#endif
