/* ow_db — one daemon's PostgreSQL connection: login, search_path, prepared statements that
 * survive reconnects, transactions, and SQLSTATE → ow_status_t mapping. */
#include "ow_db.h"
#include "ow_clock.h"
#include "ow_log.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_SCHEMA_MAX     63 /* NAMEDATALEN - 1 */
#define S_DEFER_MAX      8  /* deferred statements before one that waits (ow_db_defer) */

typedef struct s_stmt {
    char *name;
    char *sql;
    bool prepared; /* on the current connection */
    struct s_stmt *next;
} s_stmt_t;

struct ow_db {
    PGconn *conn; /* NULL or CONNECTION_BAD while down */
    char *conninfo;
    char *role;
    char *password;
    char *schema;
    char *app;
    char *options;       /* the URL's own options plus our search_path */
    s_stmt_t *stmts;     /* in registration order: re-prepared in the same order */
    size_t unprepared;   /* registered statements a reconnect could not prepare */
    bool in_tx;          /* between ow_db_begin and commit/rollback */
    bool lost_logged;    /* "connection lost" said once per outage */
    int backoff_ms;      /* next wait after a failed reconnect */
    int64_t next_try_us; /* monotonic: no reconnect attempt before this */
    char last_error[OW_ERROR_MESSAGE_MAX / 2];
    /* Statements sent by ow_db_defer (in libpq's pipeline mode) whose results are not read
     * yet, by name for their errors. */
    int deferred;
    char deferred_names[S_DEFER_MAX][64];
    PGresult **deferred_out[S_DEFER_MAX]; /* where a kept result goes (ow_db_defer_keep) */
};

static char *s_strdup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* libpq's messages end with a newline (and sometimes carry several lines); logs and
 * replies want one line. */
static void s_one_line(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
    size_t n = strlen(dst);
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
        dst[--n] = '\0';
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

/* A search_path goes into the startup packet's options, where spaces and backslashes
 * would need escaping and quotes change meaning; schema names here are plain identifiers
 * (source names, test names), so anything else is refused rather than escaped. */
static bool s_schema_ok(const char *schema)
{
    size_t n = strlen(schema);
    if (n == 0 || n > S_SCHEMA_MAX || (schema[0] >= '0' && schema[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = schema[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Server notices (e.g. "relation already exists, skipping") would go to stderr raw,
 * breaking the one-JSON-object-per-line log: route them through ow_log. */
static void s_on_notice(void *arg, const PGresult *res)
{
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    char msg[512];
    s_one_line(msg, sizeof msg, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    ow_log_level_t level = OW_LOG_DEBUG;
    if (severity && strcmp(severity, "WARNING") == 0)
        level = OW_LOG_WARN;
    ow_log_kv(level, "postgres notice", "severity", severity ? severity : "", "message", msg, NULL);
}

/* Builds the options string: JIT off, then whatever the URL asked for, then our search_path (a
 * later -c wins, so the schema given in code cannot be overridden by accident, and a URL may
 * turn JIT back on). JIT is compiled anew on every execution of a statement costed above
 * jit_above_cost — a batch's statements often are — and pays off only for long analytic
 * queries, which no daemon runs: in evaluationd's ingest benchmark LLVM took about 2 % of the
 * backends' time. Returns 0 or -1 with err when the conninfo does not parse. */
static int s_build_options(ow_db_t *self, ow_error_t *err)
{
    int rc = -1;
    char *errmsg = NULL;
    PQconninfoOption *opts = NULL;
    const char *url_options = "";
    if (self->conninfo) {
        opts = PQconninfoParse(self->conninfo, &errmsg);
        if (!opts) {
            char line[256];
            s_one_line(line, sizeof line, errmsg ? errmsg : "out of memory");
            ow_error_set(err, OW_INVALID_ARGUMENT, "database URL does not parse: %s", line);
            goto cleanup;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "options") == 0 && o->val)
                url_options = o->val;
    }
    size_t size = strlen(url_options) + (self->schema ? strlen(self->schema) : 0) + 48;
    self->options = malloc(size);
    if (!self->options) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    if (self->schema)
        snprintf(self->options, size, "-c jit=off %s%s-c search_path=%s", url_options,
                 *url_options ? " " : "", self->schema);
    else
        snprintf(self->options, size, "-c jit=off %s", url_options);
    rc = 0;
cleanup:
    if (opts)
        PQconninfoFree(opts);
    if (errmsg)
        PQfreemem(errmsg);
    return rc;
}

/* Opens a fresh connection and prepares every registered statement on it. On failure
 * leaves self->conn NULL and fills err (UNAVAILABLE, or the prepare's error). */
static int s_connect(ow_db_t *self, ow_error_t *err)
{
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    self->deferred = 0;
    /* dbname first with expand_dbname: the URL is expanded in place, and the keywords
     * after it (empty ones are ignored by libpq) override what it said. */
    const char *keys[] = {"dbname",          "user", "password", "options", "application_name",
                          "client_encoding", NULL};
    const char *vals[] = {self->conninfo, self->role, self->password, self->options, self->app,
                          "UTF8",         NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot connect to PostgreSQL: out of memory");
        return -1;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char line[OW_ERROR_MESSAGE_MAX / 2];
        s_one_line(line, sizeof line, PQerrorMessage(conn));
        ow_error_set(err, OW_UNAVAILABLE, "cannot connect to PostgreSQL: %s", line);
        snprintf(self->last_error, sizeof self->last_error, "%s", line);
        PQfinish(conn);
        return -1;
    }
    PQsetNoticeReceiver(conn, s_on_notice, self);
    /* A statement that no longer prepares (its table was dropped, or was created in a
     * transaction that rolled back) must not make the whole connection unusable: it is
     * left unprepared, tried again when next executed, and fails only there. */
    self->unprepared = 0;
    for (s_stmt_t *s = self->stmts; s; s = s->next) {
        PGresult *res = PQprepare(conn, s->name, s->sql, 0, NULL);
        s->prepared = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!s->prepared) {
            char line[256];
            s_one_line(line, sizeof line, PQresultErrorMessage(res));
            ow_log_kv(OW_LOG_WARN, "statement not prepared on the new connection", "statement",
                      s->name, "error", line, NULL);
            self->unprepared++;
        }
        PQclear(res);
        if (PQstatus(conn) != CONNECTION_OK) {
            char line[OW_ERROR_MESSAGE_MAX / 2];
            s_one_line(line, sizeof line, PQerrorMessage(conn));
            ow_error_set(err, OW_UNAVAILABLE, "connection to PostgreSQL lost while preparing: %s",
                         line);
            snprintf(self->last_error, sizeof self->last_error, "%s", line);
            PQfinish(conn);
            return -1;
        }
    }
    self->conn = conn;
    return 0;
}

static bool s_connected(const ow_db_t *self)
{
    return self->conn && PQstatus(self->conn) == CONNECTION_OK;
}

/* Makes sure there is a connection to use. Inside a transaction a lost connection is
 * final: the transaction is gone, so the caller must roll back and start again. Outside,
 * reconnects when the back-off allows. Returns 0, or -1 with err (UNAVAILABLE). */
static int s_ensure(ow_db_t *self, ow_error_t *err)
{
    if (s_connected(self))
        return 0;
    if (self->in_tx) {
        ow_error_set(err, OW_UNAVAILABLE,
                     "connection to PostgreSQL lost inside a transaction: roll back and retry");
        return -1;
    }
    int64_t now = ow_clock_mono_us();
    if (now < self->next_try_us) {
        ow_error_set(err, OW_UNAVAILABLE,
                     "PostgreSQL unavailable, next reconnect in %" PRId64 " ms (last error: %s)",
                     (self->next_try_us - now) / 1000, self->last_error);
        return -1;
    }
    if (s_connect(self, err) != 0) {
        self->next_try_us = now + (int64_t)self->backoff_ms * 1000;
        self->backoff_ms =
            self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : self->backoff_ms * 2;
        return -1;
    }
    ow_log_kv(OW_LOG_INFO, "reconnected to PostgreSQL", "schema", self->schema ? self->schema : "",
              NULL);
    self->backoff_ms = S_BACKOFF_MIN_MS;
    self->next_try_us = 0;
    self->lost_logged = false;
    return 0;
}

/* Called after a failed call: when the connection turned out dead, says so once. The
 * next call outside a transaction reconnects at once (the first wait is after a failed
 * reconnect, not after the loss). */
static void s_check_lost(ow_db_t *self)
{
    if (!self->conn || PQstatus(self->conn) == CONNECTION_OK)
        return;
    if (!self->lost_logged) {
        char line[256];
        s_one_line(line, sizeof line, PQerrorMessage(self->conn));
        snprintf(self->last_error, sizeof self->last_error, "%s", line);
        ow_log_kv(OW_LOG_WARN, "connection to PostgreSQL lost", "error", line, NULL);
        self->lost_logged = true;
    }
}

/* SQLSTATE → status, per ow_db.h, refined where the class says what a caller can do:
 * 08 (connection), 53 (resources), 57P0x (shutdown) are UNAVAILABLE and 40 (serialization
 * failure, deadlock) ABORTED — transient, worth a retry — and 57014 (statement timeout)
 * DEADLINE_EXCEEDED. */
static ow_status_t s_status_of(const char *sqlstate)
{
    if (!sqlstate || strlen(sqlstate) != 5)
        return OW_INTERNAL;
    if (strcmp(sqlstate, "23505") == 0)
        return OW_ALREADY_EXISTS;
    if (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0)
        return OW_INVALID_ARGUMENT;
    if (strncmp(sqlstate, "40", 2) == 0)
        return OW_ABORTED;
    if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
        strncmp(sqlstate, "57P0", 4) == 0)
        return OW_UNAVAILABLE;
    if (strcmp(sqlstate, "57014") == 0)
        return OW_DEADLINE_EXCEEDED;
    return OW_INTERNAL;
}

/* Fills err from a failed result (res may be NULL): the status from SQLSTATE, the
 * message from the server (primary message and detail), prefixed by what was run. */
static void s_fail(ow_db_t *self, const PGresult *res, const char *what, ow_error_t *err)
{
    s_check_lost(self);
    char primary[OW_ERROR_MESSAGE_MAX / 2];
    char detail[OW_ERROR_MESSAGE_MAX / 4];
    detail[0] = '\0';
    if (!s_connected(self)) {
        s_one_line(primary, sizeof primary, self->conn ? PQerrorMessage(self->conn) : "");
        ow_error_set(err, OW_UNAVAILABLE, "%s: connection to PostgreSQL lost: %s", what, primary);
        return;
    }
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = res ? PQresultErrorMessage(res) : PQerrorMessage(self->conn);
    s_one_line(primary, sizeof primary, msg);
    if (res)
        s_one_line(detail, sizeof detail, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
    const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    ow_error_set(err, s_status_of(sqlstate), "%s: %s%s%s%s [SQLSTATE %s]", what, primary,
                 *detail ? " (" : "", detail, *detail ? ")" : "", sqlstate ? sqlstate : "none");
}

static bool s_result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* Reads what the pipeline holds after a Sync: the deferred statements' results, then (when own
 * is not NULL) the result of the statement sent after them, then the Sync's; leaves pipeline
 * mode. The first deferred statement that failed sets err (the server skipped every statement
 * after it: those come back as "aborted" and are not errors of their own), and then *own is
 * NULL. Returns 0, or -1 with err. */
static int s_pipeline_finish(ow_db_t *self, PGresult **own, const char *what, ow_error_t *err)
{
    int rc = 0, count = self->deferred + (own ? 1 : 0);
    bool failed = false;
    if (own)
        *own = NULL;
    if (!PQpipelineSync(self->conn))
        count = 0; /* the connection broke: nothing can be read */
    for (int i = 0; i < count; i++) {
        PGresult *res = PQgetResult(self->conn);
        if (!res)
            break; /* the connection broke */
        bool mine = own && i == self->deferred;
        ExecStatusType st = PQresultStatus(res);
        if (!failed && st != PGRES_PIPELINE_ABORTED && !s_result_ok(res)) {
            s_fail(self, res, mine ? what : self->deferred_names[i], err);
            failed = true;
        } else if (mine && !failed && s_result_ok(res)) {
            *own = res;
            res = NULL;
        } else if (!mine && !failed && self->deferred_out[i]) {
            *self->deferred_out[i] = res;
            res = NULL;
        }
        PQclear(res);
        /* Each statement's results end with a NULL. */
        while ((res = PQgetResult(self->conn)) != NULL)
            PQclear(res);
    }
    PGresult *sync = s_connected(self) ? PQgetResult(self->conn) : NULL;
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    self->deferred = 0;
    if (!synced || !PQexitPipelineMode(self->conn)) {
        if (!failed)
            s_fail(self, NULL, own ? what : "deferred statements", err);
        failed = true;
        if (own) {
            PQclear(*own);
            *own = NULL;
        }
    }
    if (failed)
        rc = -1;
    return rc;
}

/* Before a call that cannot travel in the pipeline (SQL text, a commit, a rollback): the
 * deferred statements' results. Returns 0 (also when nothing was deferred), or -1 with err. */
static int s_flush(ow_db_t *self, ow_error_t *err)
{
    if (self->deferred == 0)
        return 0;
    return s_pipeline_finish(self, NULL, NULL, err);
}

/* s_flush when the call already failed: whatever the deferred statements did is dropped. */
static void s_discard(ow_db_t *self)
{
    if (self->deferred == 0 || !self->conn)
        return;
    ow_error_t ignored;
    ow_error_clear(&ignored);
    s_flush(self, &ignored);
    self->deferred = 0;
}

ow_db_t *ow_db_new(const char *conninfo, const char *role, const char *password, const char *schema,
                   const char *app, ow_error_t *err)
{
    ow_db_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->backoff_ms = S_BACKOFF_MIN_MS;
    if (schema && *schema && !s_schema_ok(schema)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "schema '%s' is not a plain identifier ([a-z_][a-z0-9_]*, at most %d bytes)",
                     schema, S_SCHEMA_MAX);
        goto fail;
    }
    self->conninfo = s_strdup_or_null(conninfo);
    self->role = s_strdup_or_null(role);
    self->password = s_strdup_or_null(password);
    self->schema = s_strdup_or_null(schema);
    self->app = s_strdup_or_null(app);
    if ((conninfo && *conninfo && !self->conninfo) || (role && *role && !self->role) ||
        (password && *password && !self->password) || (schema && *schema && !self->schema) ||
        (app && *app && !self->app)) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (s_build_options(self, err) != 0)
        goto fail;
    if (s_connect(self, err) != 0)
        goto fail;
    return self;
fail:
    ow_db_destroy(&self);
    return NULL;
}

void ow_db_destroy(ow_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_db_t *self = *self_p;
    if (self->conn)
        PQfinish(self->conn);
    while (self->stmts) {
        s_stmt_t *s = self->stmts;
        self->stmts = s->next;
        free(s->name);
        free(s->sql);
        free(s);
    }
    free(self->conninfo);
    free(self->role);
    free(self->password);
    free(self->schema);
    free(self->app);
    free(self->options);
    free(self);
    *self_p = NULL;
}

int ow_db_prepare_all(ow_db_t *self, const ow_db_statement_t *statements, size_t n, ow_error_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (ow_db_prepare(self, statements[i].name, statements[i].sql, err) != 0)
            return -1;
    return 0;
}

int ow_db_prepare(ow_db_t *self, const char *name, const char *sql, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    s_stmt_t *stmt = NULL;
    s_stmt_t **tail = &self->stmts;
    /* Registration is idempotent, so modules may prepare lazily on first use (ow_outbox_add
     * and ow_idem are free functions with no object to hold a "prepared" flag). */
    for (s_stmt_t *s = self->stmts; s; s = s->next) {
        if (strcmp(s->name, name) == 0) {
            if (strcmp(s->sql, sql) == 0)
                return 0;
            ow_error_set(err, OW_INTERNAL, "statement %s is already registered with other SQL",
                         name);
            return -1;
        }
        tail = &s->next;
    }
    if (s_ensure(self, err) != 0 || s_flush(self, err) != 0)
        goto cleanup;
    res = PQprepare(self->conn, name, sql, 0, NULL);
    if (!s_result_ok(res)) {
        char what[128];
        snprintf(what, sizeof what, "preparing %s", name);
        s_fail(self, res, what, err);
        goto cleanup;
    }
    stmt = calloc(1, sizeof *stmt);
    if (!stmt || !(stmt->name = strdup(name)) || !(stmt->sql = strdup(sql))) {
        ow_error_set(err, OW_INTERNAL, "out of memory registering %s", name);
        goto cleanup;
    }
    stmt->prepared = true;
    *tail = stmt;
    stmt = NULL;
    rc = 0;
cleanup:
    if (stmt) {
        free(stmt->name);
        free(stmt->sql);
        free(stmt);
    }
    PQclear(res);
    return rc;
}

/* Prepares name again when a reconnect could not. Returns 0 (also for names that are not
 * registered: the server will say so), or -1 with err. */
static int s_prepare_again(ow_db_t *self, const char *name, ow_error_t *err)
{
    s_stmt_t *s = self->stmts;
    while (s && strcmp(s->name, name) != 0)
        s = s->next;
    if (!s || s->prepared)
        return 0;
    PGresult *res = PQprepare(self->conn, s->name, s->sql, 0, NULL);
    if (!s_result_ok(res)) {
        char what[128];
        snprintf(what, sizeof what, "preparing %s", name);
        s_fail(self, res, what, err);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    s->prepared = true;
    self->unprepared--;
    return 0;
}

PGresult *ow_db_execb(ow_db_t *self, const char *name, int nparams, const char *const *values,
                      const int *lengths, const int *formats, ow_error_t *err)
{
    PGresult *res = NULL;
    /* No automatic retry after a failure mid-call: outside a transaction the statement may
     * have committed before the connection broke, and running it twice is not ours to
     * decide. The caller sees UNAVAILABLE and the next call reconnects. */
    if (s_ensure(self, err) != 0)
        return NULL;
    if (self->unprepared > 0 && (s_flush(self, err) != 0 || s_prepare_again(self, name, err) != 0))
        return NULL;
    if (self->deferred > 0) {
        /* Behind the deferred statements: one round trip for all. */
        if (!PQsendQueryPrepared(self->conn, name, nparams, values, lengths, formats, 0)) {
            s_fail(self, NULL, name, err);
            s_discard(self);
            return NULL;
        }
        return s_pipeline_finish(self, &res, name, err) == 0 ? res : NULL;
    }
    res = PQexecPrepared(self->conn, name, nparams, values, lengths, formats, 0);
    if (s_result_ok(res))
        return res;
    s_fail(self, res, name, err);
    PQclear(res);
    return NULL;
}

PGresult *ow_db_exec(ow_db_t *self, const char *name, int nparams, const char *const *values,
                     ow_error_t *err)
{
    return ow_db_execb(self, name, nparams, values, NULL, NULL, err);
}

PGresult *ow_db_exec_planned(ow_db_t *self, const char *sql, int nparams, const char *const *values,
                             ow_error_t *err)
{
    /* As ow_db_execb: no retry after a failure mid-call. */
    if (s_ensure(self, err) != 0)
        return NULL;
    PGresult *res = NULL;
    if (self->deferred > 0) {
        if (!PQsendQueryParams(self->conn, sql, nparams, NULL, values, NULL, NULL, 0)) {
            s_fail(self, NULL, "SQL", err);
            s_discard(self);
            return NULL;
        }
        return s_pipeline_finish(self, &res, "SQL", err) == 0 ? res : NULL;
    }
    res = PQexecParams(self->conn, sql, nparams, NULL, values, NULL, NULL, 0);
    if (s_result_ok(res))
        return res;
    s_fail(self, res, "SQL", err);
    PQclear(res);
    return NULL;
}

/* Sends the prepared statement name, or with name NULL the SQL text sql (no parameters), into
 * the pipeline (ow_db_defer). */
static int s_defer(ow_db_t *self, const char *name, const char *sql, int nparams,
                   const char *const *values, const int *lengths, const int *formats,
                   PGresult **out, ow_error_t *err)
{
    if (out)
        *out = NULL;
    const char *what = name ? name : sql;
    if (!self->in_tx) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "%s deferred outside a transaction: its failure would come too late", what);
        return -1;
    }
    if (s_ensure(self, err) != 0)
        return -1;
    if ((self->deferred == S_DEFER_MAX || self->unprepared > 0) && s_flush(self, err) != 0)
        return -1;
    if (name && self->unprepared > 0 && s_prepare_again(self, name, err) != 0)
        return -1;
    if (self->deferred == 0 && !PQenterPipelineMode(self->conn)) {
        s_fail(self, NULL, what, err);
        return -1;
    }
    /* libpq copies the parameters into its output buffer here: the caller's may go at once. */
    int sent = name ? PQsendQueryPrepared(self->conn, name, nparams, values, lengths, formats, 0)
                    : PQsendQueryParams(self->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (!sent) {
        s_fail(self, NULL, what, err);
        s_discard(self);
        return -1;
    }
    snprintf(self->deferred_names[self->deferred], sizeof self->deferred_names[0], "%s", what);
    self->deferred_out[self->deferred] = out;
    self->deferred++;
    return 0;
}

int ow_db_defer(ow_db_t *self, const char *name, int nparams, const char *const *values,
                ow_error_t *err)
{
    return s_defer(self, name, NULL, nparams, values, NULL, NULL, NULL, err);
}

int ow_db_deferb(ow_db_t *self, const char *name, int nparams, const char *const *values,
                 const int *lengths, const int *formats, ow_error_t *err)
{
    return s_defer(self, name, NULL, nparams, values, lengths, formats, NULL, err);
}

int ow_db_defer_keep(ow_db_t *self, const char *name, int nparams, const char *const *values,
                     PGresult **out, ow_error_t *err)
{
    return s_defer(self, name, NULL, nparams, values, NULL, NULL, out, err);
}

int ow_db_defer_text(ow_db_t *self, const char *sql, PGresult **out, ow_error_t *err)
{
    return s_defer(self, NULL, sql, 0, NULL, NULL, NULL, out, err);
}

int ow_db_begin_deferred(ow_db_t *self, const char *savepoint, ow_error_t *err)
{
    char sql[96];
    if (self->in_tx) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "a transaction is already open");
        return -1;
    }
    if (savepoint && snprintf(sql, sizeof sql, "SAVEPOINT %s", savepoint) >= (int)sizeof sql) {
        ow_error_set(err, OW_INTERNAL, "savepoint name '%s' too long", savepoint);
        return -1;
    }
    if (s_ensure(self, err) != 0)
        return -1;
    self->in_tx = true;
    if (s_defer(self, NULL, "BEGIN", 0, NULL, NULL, NULL, NULL, err) != 0 ||
        (savepoint && s_defer(self, NULL, sql, 0, NULL, NULL, NULL, NULL, err) != 0)) {
        ow_db_rollback(self);
        return -1;
    }
    return 0;
}

/* Keeps in_tx true to the server's state after SQL text that may open or close a
 * transaction itself (a migration file, a caller's "BEGIN"). */
static void s_sync_tx(ow_db_t *self)
{
    if (!self->conn)
        return;
    PGTransactionStatusType ts = PQtransactionStatus(self->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        self->in_tx = true;
    else if (ts == PQTRANS_IDLE)
        self->in_tx = false;
}

int ow_db_run(ow_db_t *self, const char *sql, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (s_ensure(self, err) != 0)
        return -1;
    if (s_flush(self, err) != 0)
        goto cleanup;
    res = PQexec(self->conn, sql);
    if (!s_result_ok(res) && PQresultStatus(res) != PGRES_EMPTY_QUERY) {
        s_fail(self, res, "SQL", err);
        goto cleanup;
    }
    rc = 0;
cleanup:
    s_sync_tx(self);
    PQclear(res);
    return rc;
}

/* BEGIN, or "BEGIN; SAVEPOINT name" in the same round trip. */
static int s_begin(ow_db_t *self, const char *savepoint, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    char sql[96] = "BEGIN";
    if (self->in_tx) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "a transaction is already open");
        return -1;
    }
    if (savepoint &&
        snprintf(sql, sizeof sql, "BEGIN; SAVEPOINT %s", savepoint) >= (int)sizeof sql) {
        ow_error_set(err, OW_INTERNAL, "savepoint name '%s' too long", savepoint);
        return -1;
    }
    /* BEGIN (and a savepoint in it) changes nothing, so unlike other statements it is safe to
     * send again on a new connection when the old one turns out to have died (e.g. the server
     * restarted while we were idle: libpq only notices on the next use). */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (s_ensure(self, err) != 0)
            goto cleanup;
        PQclear(res);
        res = PQexec(self->conn, sql);
        if (s_result_ok(res)) {
            self->in_tx = true;
            rc = 0;
            goto cleanup;
        }
        s_fail(self, res, "BEGIN", err);
        s_sync_tx(self);
        if (self->in_tx) {
            /* BEGIN went through and the savepoint did not: nothing to keep. */
            ow_db_rollback(self);
            goto cleanup;
        }
        if (s_connected(self))
            goto cleanup;
    }
cleanup:
    PQclear(res);
    return rc;
}

int ow_db_begin(ow_db_t *self, ow_error_t *err)
{
    return s_begin(self, NULL, err);
}

int ow_db_begin_savepoint(ow_db_t *self, const char *savepoint, ow_error_t *err)
{
    return s_begin(self, savepoint, err);
}

int ow_db_commit(ow_db_t *self, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (!self->in_tx) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "COMMIT without an open transaction");
        return -1;
    }
    self->in_tx = false;
    if (!s_connected(self)) {
        ow_error_set(err, OW_UNAVAILABLE,
                     "connection to PostgreSQL lost inside the transaction: nothing was written");
        goto cleanup;
    }
    if (self->deferred > 0) {
        /* Behind the deferred statements; when one of them failed, COMMIT was skipped and the
         * cleanup below rolls back. */
        if (!PQsendQueryParams(self->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) {
            s_fail(self, NULL, "COMMIT", err);
            s_discard(self);
            goto cleanup;
        }
        if (s_pipeline_finish(self, &res, "COMMIT", err) != 0 || !res) {
            if (err && err->code == OW_UNAVAILABLE)
                ow_error_set(err, OW_UNAVAILABLE,
                             "connection to PostgreSQL lost during COMMIT: outcome unknown");
            goto cleanup;
        }
    } else {
        res = PQexec(self->conn, "COMMIT");
    }
    if (!s_result_ok(res)) {
        s_fail(self, res, "COMMIT", err);
        if (err && err->code == OW_UNAVAILABLE)
            /* The server may or may not have committed before the connection broke; say
             * so, so that callers reload state instead of assuming either. */
            ow_error_set(err, OW_UNAVAILABLE,
                         "connection to PostgreSQL lost during COMMIT: outcome unknown");
        goto cleanup;
    }
    /* COMMIT of a transaction in which a statement failed "succeeds" with the tag
     * ROLLBACK: nothing was written. */
    if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        ow_error_set(err, OW_ABORTED,
                     "transaction rolled back at COMMIT: an earlier statement in it failed");
        goto cleanup;
    }
    rc = 0;
cleanup:
    /* Defensive: the server must be idle now; if not, make it so. */
    if (s_connected(self) && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        PQclear(PQexec(self->conn, "ROLLBACK"));
    PQclear(res);
    return rc;
}

void ow_db_rollback(ow_db_t *self)
{
    self->in_tx = false;
    s_discard(self); /* the deferred statements' outcome no longer matters */
    if (!s_connected(self) || PQtransactionStatus(self->conn) == PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(self->conn, "ROLLBACK");
    if (!s_result_ok(res))
        s_check_lost(self);
    PQclear(res);
}

bool ow_db_in_transaction(const ow_db_t *self)
{
    return self->in_tx;
}

bool ow_db_ready(ow_db_t *self)
{
    if (self->in_tx)
        return s_connected(self);
    /* libpq learns that the server went away only when it next talks to it: an empty
     * query is the cheapest round trip that proves the connection. A connection found dead
     * gets one immediate reconnect, so a server restart shows as one blip at most. */
    for (int attempt = 0; attempt < 2; attempt++) {
        ow_error_t err;
        ow_error_clear(&err);
        if (s_ensure(self, &err) != 0)
            return false;
        PGresult *res = PQexec(self->conn, "");
        bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
        PQclear(res);
        if (ok)
            return true;
        s_check_lost(self);
    }
    return false;
}

PGconn *ow_db_conn(ow_db_t *self)
{
    return self->conn;
}

const char *ow_db_schema(const ow_db_t *self)
{
    return self->schema;
}
