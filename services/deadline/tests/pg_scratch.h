/* pg_scratch — a throwaway PostgreSQL database for a test: created with a random name on the
 * cluster named by OW_TEST_DATABASE_URL (an admin URL), with one schema migrated the way a
 * daemon migrates it, and dropped afterwards. A test that cannot reach Postgres fails.
 *
 * Shared by the deadline, evaluation and notify tests (a candidate for common/tests). */
#ifndef PG_SCRATCH_H
#define PG_SCRATCH_H

#include <stddef.h>
#include "ow_db.h"
#include "ow_migrate.h"
#include "ow_status.h"

typedef struct pg_scratch pg_scratch_t;

/* Creates database <prefix>_<random>, schema `schema` in it, connects an ow_db_t to it with
 * that search_path, and applies the common migrations then list[0..count). Returns NULL with
 * err naming what failed (no OW_TEST_DATABASE_URL, server unreachable, migration error); what
 * was created is dropped again. Caller owns the result. */
pg_scratch_t *pg_scratch_new(const char *prefix, const char *schema, const ow_migration_t *list,
                             size_t count, ow_error_t *err);

/* Disconnects and drops the database. Sets *self_p to NULL; harmless when already NULL. */
void pg_scratch_destroy(pg_scratch_t **self_p);

/* The connection (owned by the scratch). */
ow_db_t *pg_scratch_db(pg_scratch_t *self);

/* A libpq conninfo string for the scratch database as the admin user (owned by the scratch). */
const char *pg_scratch_conninfo(pg_scratch_t *self);

/* Runs sql on the scratch connection and returns the first column of the first row as a
 * number (0 when there is no row); -1 on error, printing it. For assertions in tests. */
long long pg_scratch_count(pg_scratch_t *self, const char *sql);

#endif
