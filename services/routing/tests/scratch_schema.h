/* scratch_schema — a schema of its own for a test that needs Postgres: created with a random
 * name in the database OW_TEST_DATABASE_URL names (an admin URL), migrated with the common
 * and the service's migrations exactly as a daemon would, and dropped at the end. Without
 * OW_TEST_DATABASE_URL, or when Postgres cannot be reached, creation fails and so does the
 * test (tests never skip). */
#ifndef SCRATCH_SCHEMA_H
#define SCRATCH_SCHEMA_H

#include <stddef.h>
#include "ow_db.h"
#include "ow_migrate.h"

typedef struct scratch_schema scratch_schema_t;

/* Creates and migrates the schema. Returns NULL with the reason in why. Caller owns it. */
scratch_schema_t *scratch_schema_new(const char *prefix, const ow_migration_t *migrations,
                                     size_t count, char *why, size_t size);

/* A new connection whose search_path is the schema (caller destroys), or NULL with err. */
ow_db_t *scratch_schema_connect(scratch_schema_t *self, ow_error_t *err);

const char *scratch_schema_name(const scratch_schema_t *self);

/* Drops the schema with everything in it and frees. Sets *self_p to NULL. */
void scratch_schema_destroy(scratch_schema_t **self_p);

/* Runs one query on db and returns the first column of its first row as a number (-1 when
 * there is no row or the query failed). For assertions. */
long scratch_query_long(ow_db_t *db, const char *sql);

#endif
