/* ow_db — a PostgreSQL connection owned by one daemon, logged in as the service's own role
 * with search_path set to the service's schema (so SQL names its tables unqualified).
 *
 * Reconnects with exponential back-off (100 ms doubling to 5 s) when the server goes away;
 * statements registered with ow_db_prepare are prepared again on every new connection.
 * Commits are durable (synchronous_commit stays on). libpq is used synchronously: the loop
 * is single-threaded and work is batched, so a round trip is the unit of cost. */
#ifndef OW_DB_H
#define OW_DB_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* conninfo: a libpq URL or key=value string (e.g. from DATABASE_URL); role and password
 * override its user and password when not NULL/empty; schema becomes the search_path and
 * application_name is set to app. Connects once; on failure returns NULL with err
 * (UNAVAILABLE, with libpq's message). Caller owns the result. */
ow_db_t *ow_db_new(const char *conninfo, const char *role, const char *password, const char *schema,
                   const char *app, ow_error_t *err);

void ow_db_destroy(ow_db_t **self_p);

/* Registers a statement, prepared now and after every reconnect. Returns -1 with err when
 * the server refuses it (a programming error: the message names the statement). */
int ow_db_prepare(ow_db_t *self, const char *name, const char *sql, ow_error_t *err);

/* A named statement, for a module's table of them. */
typedef struct {
    const char *name;
    const char *sql;
} ow_db_statement_t;

/* ow_db_prepare for statements[0..n) in order; stops at the first refusal. Returns 0 or -1
 * with err. OW_DB_PREPARE_ALL(db, array, err) passes an array's length. */
int ow_db_prepare_all(ow_db_t *self, const ow_db_statement_t *statements, size_t n,
                      ow_error_t *err);
#define OW_DB_PREPARE_ALL(db, statements, err)                                                     \
    ow_db_prepare_all((db), (statements), sizeof(statements) / sizeof((statements)[0]), (err))

/* Executes a prepared statement with text parameters (NULL pointer = SQL NULL). Binary
 * parameters (bytea) are passed with ow_db_execb. Returns a result the caller PQclear()s,
 * or NULL with err: UNAVAILABLE when the connection is down (outside a transaction it first
 * tries to reconnect once), ALREADY_EXISTS for a unique violation (23505), INVALID_ARGUMENT
 * for other data errors (class 22/23), INTERNAL otherwise; the message carries the server's.
 * Inside a failed transaction every call fails until ow_db_rollback. */
PGresult *ow_db_exec(ow_db_t *self, const char *name, int nparams, const char *const *values,
                     ow_error_t *err);

/* As ow_db_exec with per-parameter lengths and formats (1 = binary) for bytea. */
PGresult *ow_db_execb(ow_db_t *self, const char *name, int nparams, const char *const *values,
                      const int *lengths, const int *formats, ow_error_t *err);

/* As ow_db_exec for SQL text that is parsed and planned for these values on every call: no
 * cached plan. For the rare statement whose right plan depends on its parameters and on how
 * big a table has grown since it was last analysed, where a cached generic plan made while
 * the table was empty scans it whole (ow_idem's known-keys lookup). Text parameters only.
 * Returns a result the caller PQclear()s, or NULL with err as ow_db_exec. */
PGresult *ow_db_exec_planned(ow_db_t *self, const char *sql, int nparams, const char *const *values,
                             ow_error_t *err);

/* Sends a prepared statement inside the open transaction WITHOUT waiting for its result (libpq's
 * pipeline mode): the next call that waits — ow_db_exec*, ow_db_run, ow_db_commit — sends its
 * own statement behind it, so all of them cost one round trip. For statements whose result
 * the caller does not need (its rows are discarded) but whose failure must stop the work: when
 * a deferred statement fails, the server skips every statement after it, and the next waiting
 * call returns its error (status as ow_db_exec, message naming it) instead of its own result —
 * a deferred failure before ow_db_commit rolls the transaction back. The caller must not use
 * the raw connection (ow_db_conn) while statements are deferred. Returns 0, or -1 with err
 * (FAILED_PRECONDITION outside a transaction; UNAVAILABLE). */
int ow_db_defer(ow_db_t *self, const char *name, int nparams, const char *const *values,
                ow_error_t *err);

/* As ow_db_defer with per-parameter lengths and formats (1 = binary), as ow_db_execb. */
int ow_db_deferb(ow_db_t *self, const char *name, int nparams, const char *const *values,
                 const int *lengths, const int *formats, ow_error_t *err);

/* As ow_db_defer, and the statement's result is kept: the next call that waits sets *out
 * (caller PQclear()s), or leaves it NULL when this or an earlier deferred statement failed (that
 * call then fails). *out must stay valid until then. For reads that do not depend on each
 * other, sent together. */
int ow_db_defer_keep(ow_db_t *self, const char *name, int nparams, const char *const *values,
                     PGresult **out, ow_error_t *err);

/* As ow_db_defer_keep for SQL text without parameters, parsed and planned when it runs (as
 * ow_db_exec_planned); out may be NULL when the result is not needed. */
int ow_db_defer_text(ow_db_t *self, const char *sql, PGresult **out, ow_error_t *err);

/* Runs SQL text without parameters (DDL, BEGIN, …). Returns 0 or -1 with err. */
int ow_db_run(ow_db_t *self, const char *sql, ow_error_t *err);

/* Transactions. begin returns -1 with err when the connection is down (after one reconnect
 * attempt); commit returns -1 with err when the commit failed (nothing was written);
 * rollback never fails from the caller's view. */
int ow_db_begin(ow_db_t *self, ow_error_t *err);

/* ow_db_begin that also sets SAVEPOINT savepoint (a plain identifier), in the same round trip:
 * for a batch that may roll back to it. */
int ow_db_begin_savepoint(ow_db_t *self, const char *savepoint, ow_error_t *err);
/* ow_db_begin_savepoint with BEGIN and the savepoint (none when NULL) deferred (ow_db_defer): they
 * travel with the next statement, which saves a round trip. A connection that turns out dead is
 * then that statement's failure (UNAVAILABLE), not a reconnect here as in ow_db_begin: the caller
 * rolls back — nothing was written — and may start again, which reconnects. */
int ow_db_begin_deferred(ow_db_t *self, const char *savepoint, ow_error_t *err);
int ow_db_commit(ow_db_t *self, ow_error_t *err);
void ow_db_rollback(ow_db_t *self);
bool ow_db_in_transaction(const ow_db_t *self);

/* True when connected (for /readyz). Tries to reconnect if due per back-off. */
bool ow_db_ready(ow_db_t *self);

/* The raw connection, for the rare caller that needs it (COPY, LISTEN). May be NULL. */
PGconn *ow_db_conn(ow_db_t *self);

/* The schema given to ow_db_new. */
const char *ow_db_schema(const ow_db_t *self);

#endif
