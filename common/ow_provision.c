/* ow_provision — roles and schemas for each service (see ow_provision.h).
 *
 * DDL takes no parameters, so names and the password are quoted with libpq's
 * PQescapeIdentifier / PQescapeLiteral, never pasted raw. Role names come from the fixed
 * list below; only the password comes from outside. */
#include "ow_provision.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#define S_ATTEMPTS 20

const char *const ow_provision_sources[] = {"intake", "routing", "deadline", "evaluation",
                                            "notify", "gateway", NULL};

/* SQLSTATEs a concurrent provisioner can cause; the step is retried after them. */
static bool s_is_race(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!state)
        return false;
    if (strcmp(state, "42710") == 0    /* duplicate_object: role created meanwhile */
        || strcmp(state, "23505") == 0 /* unique_violation on a catalogue index */
        || strcmp(state, "42P06") == 0 /* duplicate_schema */
        || strcmp(state, "42P07") == 0 /* duplicate_table: audit trail created meanwhile */
        || strcmp(state, "42723") == 0 /* duplicate_function */
        || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return true;
    /* Two GRANTs or ALTERs on the same catalogue row at once. */
    return strcmp(state, "XX000") == 0 && msg && strstr(msg, "concurrently updated");
}

static ow_status_t s_status_of(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "42501") == 0)
        return OW_PERMISSION_DENIED;
    if (state && strncmp(state, "08", 2) == 0)
        return OW_UNAVAILABLE;
    return OW_INTERNAL;
}

/* Runs one statement. Returns 0, 1 when it failed because of a concurrent provisioner
 * (the caller retries), or -1 with err. */
static int s_run(PGconn *conn, const char *sql, const char *what, ow_error_t *err)
{
    PGresult *res = PQexec(conn, sql);
    int rc = 0;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        if (s_is_race(res)) {
            rc = 1;
        } else {
            ow_error_set(err, s_status_of(res), "%s: %s", what, PQerrorMessage(conn));
            /* libpq messages end with a newline: keep the error on one line. */
            size_t n = strlen(err->message);
            while (n && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
                err->message[--n] = '\0';
            rc = -1;
        }
    }
    PQclear(res);
    return rc;
}

/* Builds a statement from a printf format and runs it as s_run does. what names the step in
 * errors (never the SQL, which may hold a password). */
static int s_runf(PGconn *conn, ow_error_t *err, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int s_runf(PGconn *conn, ow_error_t *err, const char *what, const char *fmt, ...)
{
    char *sql = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&sql, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ow_error_set(err, OW_INTERNAL, "%s: out of memory", what);
        return -1;
    }
    int rc = s_run(conn, sql, what, err);
    free(sql);
    return rc;
}

/* Does the role exist? Returns 1, 0, or -1 with err. */
static int s_role_exists(PGconn *conn, const char *role, ow_error_t *err)
{
    const char *params[] = {role};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, NULL, params,
                                 NULL, NULL, 0);
    int rc;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ow_error_set(err, s_status_of(res), "looking up role %s: %s", role, PQerrorMessage(conn));
        rc = -1;
    } else {
        rc = PQntuples(res) > 0;
    }
    PQclear(res);
    return rc;
}

/* One source in one transaction: role, CONNECT, schema owned by the role. Returns 0, 1
 * when a concurrent provisioner got in the way (rolled back; retry), or -1 with err. */
static int s_provision_source(PGconn *conn, const char *source, const char *db_ident,
                              ow_error_t *err)
{
    char role[64];
    char env[64];
    char what[128];
    snprintf(role, sizeof role, "ow_%s", source);
    snprintf(env, sizeof env, "OW_%s_DB_PASSWORD", source);
    for (char *p = env; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    const char *password = getenv(env);
    bool set_password = password && *password;

    char *role_ident = NULL, *schema_ident = NULL, *pw_literal = NULL;
    bool in_tx = false;
    int rc = -1;

    role_ident = PQescapeIdentifier(conn, role, strlen(role));
    schema_ident = PQescapeIdentifier(conn, source, strlen(source));
    if (set_password)
        pw_literal = PQescapeLiteral(conn, password, strlen(password));
    if (!role_ident || !schema_ident || (set_password && !pw_literal)) {
        ow_error_set(err, OW_INTERNAL, "quoting names for %s: %s", source, PQerrorMessage(conn));
        goto done;
    }
    if ((rc = s_run(conn, "BEGIN", "BEGIN", err)) != 0)
        goto done;
    in_tx = true;
    int exists = s_role_exists(conn, role, err);
    if (exists < 0) {
        rc = -1;
        goto done;
    }
    snprintf(what, sizeof what, "%s role %s", exists ? "altering" : "creating", role);
    rc = s_runf(conn, err, what, "%s ROLE %s LOGIN%s%s", exists ? "ALTER" : "CREATE", role_ident,
                set_password ? " PASSWORD " : "", set_password ? pw_literal : "");
    if (rc != 0)
        goto done;
    snprintf(what, sizeof what, "granting CONNECT to %s", role);
    rc = s_runf(conn, err, what, "GRANT CONNECT ON DATABASE %s TO %s", db_ident, role_ident);
    if (rc != 0)
        goto done;
    snprintf(what, sizeof what, "creating schema %s", source);
    rc = s_runf(conn, err, what, "CREATE SCHEMA IF NOT EXISTS %s AUTHORIZATION %s", schema_ident,
                role_ident);
    if (rc != 0)
        goto done;
    /* A schema made earlier by hand may belong to someone else: the contract says the
     * service's role owns it. */
    snprintf(what, sizeof what, "giving schema %s to %s", source, role);
    rc = s_runf(conn, err, what, "ALTER SCHEMA %s OWNER TO %s", schema_ident, role_ident);
    if (rc != 0)
        goto done;
    in_tx = false; /* COMMIT ends the transaction whether or not it succeeds */
    rc = s_run(conn, "COMMIT", "COMMIT", err);
done:
    if (in_tx)
        PQclear(PQexec(conn, "ROLLBACK"));
    PQfreemem(role_ident);
    PQfreemem(schema_ident);
    PQfreemem(pw_literal);
    return rc;
}

/* routing's audit trail, out of routing's reach (issue 4): a NOLOGIN role ow_routing_audit
 * owns schema routing_audit and its append-only audit_trail; ow_routing may only INSERT and
 * SELECT (routing's migration 0004 then moves its entries there and reads and writes through
 * a view). One transaction; every statement is idempotent. Returns 0, 1 on a race (retry), or
 * -1 with err. */
static int s_provision_routing_audit(PGconn *conn, ow_error_t *err)
{
    static const char *const steps[][2] = {
        {"creating role ow_routing_audit",
         "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ow_routing_audit')"
         " THEN CREATE ROLE ow_routing_audit NOLOGIN; END IF; END $$"},
        {"creating schema routing_audit",
         "CREATE SCHEMA IF NOT EXISTS routing_audit AUTHORIZATION ow_routing_audit"},
        {"giving schema routing_audit to ow_routing_audit",
         "ALTER SCHEMA routing_audit OWNER TO ow_routing_audit"},
        {"creating routing_audit.audit_trail",
         "CREATE TABLE IF NOT EXISTS routing_audit.audit_trail ("
         " entry_id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,"
         " on_behalf_of text NOT NULL DEFAULT '', action text NOT NULL, task_id uuid NOT NULL,"
         " case_no text NOT NULL, detail text NOT NULL DEFAULT '',"
         " before text NOT NULL DEFAULT '', after text NOT NULL DEFAULT '')"},
        {"indexing routing_audit.audit_trail", "CREATE INDEX IF NOT EXISTS audit_trail_by_case"
                                               " ON routing_audit.audit_trail (case_no, entry_id)"},
        {"giving routing_audit.audit_trail to ow_routing_audit",
         "ALTER TABLE routing_audit.audit_trail OWNER TO ow_routing_audit"},
        /* Even a role that could write (an owner, a superuser) meets the trigger. */
        {"creating the append-only trigger function",
         "CREATE OR REPLACE FUNCTION routing_audit.append_only() RETURNS trigger"
         " LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION"
         " 'audit_trail is append-only: % refused', TG_OP; END $f$"},
        {"giving the trigger function to ow_routing_audit",
         "ALTER FUNCTION routing_audit.append_only() OWNER TO ow_routing_audit"},
        {"creating the append-only trigger",
         "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
         " ON routing_audit.audit_trail FOR EACH STATEMENT"
         " EXECUTE FUNCTION routing_audit.append_only()"},
        {"granting routing_audit to ow_routing",
         "GRANT USAGE ON SCHEMA routing_audit TO ow_routing"},
        {"granting INSERT, SELECT on the audit trail to ow_routing",
         "GRANT INSERT, SELECT ON routing_audit.audit_trail TO ow_routing"},
        {"granting the audit sequence to ow_routing",
         "GRANT USAGE ON SEQUENCE routing_audit.audit_trail_entry_id_seq TO ow_routing"},
    };
    int rc = s_run(conn, "BEGIN", "BEGIN", err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        rc = s_run(conn, steps[i][1], steps[i][0], err);
        if (rc != 0) {
            PQclear(PQexec(conn, "ROLLBACK"));
            return rc;
        }
    }
    return s_run(conn, "COMMIT", "COMMIT", err);
}

/* The rater's identity, out of evaluation's reach (issue 6, DOMAIN.md §6: "access to it is
 * restricted and logged"): a NOLOGIN role ow_evaluation_identity owns schema
 * evaluation_identity with applicants (the identity per case) and reads (one row per identity
 * read: who, when, why, which case; append-only). ow_evaluation may INSERT applicants but not
 * SELECT them; it reads only through read_applicants(), a SECURITY DEFINER function owned by
 * ow_evaluation_identity that logs every row it returns in the same statement. evaluation's
 * migration 0006 then moves its entries there. One transaction; every statement idempotent.
 * Returns 0, 1 on a race (retry), or -1 with err. */
static int s_provision_evaluation_identity(PGconn *conn, ow_error_t *err)
{
    static const char *const steps[][2] = {
        {"creating role ow_evaluation_identity",
         "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname ="
         " 'ow_evaluation_identity') THEN CREATE ROLE ow_evaluation_identity NOLOGIN; END IF;"
         " END $$"},
        {"creating schema evaluation_identity",
         "CREATE SCHEMA IF NOT EXISTS evaluation_identity AUTHORIZATION ow_evaluation_identity"},
        {"giving schema evaluation_identity to ow_evaluation_identity",
         "ALTER SCHEMA evaluation_identity OWNER TO ow_evaluation_identity"},
        {"creating evaluation_identity.applicants",
         "CREATE TABLE IF NOT EXISTS evaluation_identity.applicants ("
         " case_no text PRIMARY KEY, name text NOT NULL DEFAULT '',"
         " id_type text NOT NULL DEFAULT '', id_number text NOT NULL DEFAULT '',"
         " phone text NOT NULL DEFAULT '', email text NOT NULL DEFAULT '',"
         " recorded_at timestamptz NOT NULL DEFAULT now())"},
        {"giving evaluation_identity.applicants to ow_evaluation_identity",
         "ALTER TABLE evaluation_identity.applicants OWNER TO ow_evaluation_identity"},
        {"creating evaluation_identity.reads",
         "CREATE TABLE IF NOT EXISTS evaluation_identity.reads ("
         " read_id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(),"
         " reader text NOT NULL, purpose text NOT NULL, case_no text NOT NULL)"},
        {"giving evaluation_identity.reads to ow_evaluation_identity",
         "ALTER TABLE evaluation_identity.reads OWNER TO ow_evaluation_identity"},
        {"creating the identity append-only trigger function",
         "CREATE OR REPLACE FUNCTION evaluation_identity.append_only() RETURNS trigger"
         " LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION"
         " '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $f$"},
        {"giving the identity trigger function to ow_evaluation_identity",
         "ALTER FUNCTION evaluation_identity.append_only() OWNER TO ow_evaluation_identity"},
        {"creating the append-only trigger of reads",
         "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
         " ON evaluation_identity.reads FOR EACH STATEMENT"
         " EXECUTE FUNCTION evaluation_identity.append_only()"},
        {"creating the append-only trigger of applicants",
         "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
         " ON evaluation_identity.applicants FOR EACH STATEMENT"
         " EXECUTE FUNCTION evaluation_identity.append_only()"},
        /* The only way to read an identity: logged in the same statement, with its purpose. */
        {"creating evaluation_identity.read_applicants",
         "CREATE OR REPLACE FUNCTION evaluation_identity.read_applicants(p_case_nos text[],"
         " p_purpose text) RETURNS TABLE (o_case_no text, o_name text, o_id_type text,"
         " o_id_number text, o_phone text, o_email text)"
         " LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
         " BEGIN"
         " IF coalesce(p_purpose, '') = '' THEN"
         "  RAISE EXCEPTION 'reading a rater''s identity needs a purpose'; END IF;"
         " INSERT INTO evaluation_identity.reads (reader, purpose, case_no)"
         "  SELECT session_user, p_purpose, a.case_no FROM evaluation_identity.applicants a"
         "  WHERE a.case_no = ANY (p_case_nos) ORDER BY a.case_no;"
         " RETURN QUERY SELECT a.case_no, a.name, a.id_type, a.id_number, a.phone, a.email"
         "  FROM evaluation_identity.applicants a WHERE a.case_no = ANY (p_case_nos)"
         "  ORDER BY a.case_no;"
         " END $f$"},
        {"giving read_applicants to ow_evaluation_identity",
         "ALTER FUNCTION evaluation_identity.read_applicants(text[], text)"
         " OWNER TO ow_evaluation_identity"},
        {"revoking read_applicants from PUBLIC",
         "REVOKE ALL ON FUNCTION evaluation_identity.read_applicants(text[], text) FROM PUBLIC"},
        {"granting read_applicants to ow_evaluation",
         "GRANT EXECUTE ON FUNCTION evaluation_identity.read_applicants(text[], text)"
         " TO ow_evaluation"},
        {"granting evaluation_identity to ow_evaluation",
         "GRANT USAGE ON SCHEMA evaluation_identity TO ow_evaluation"},
        {"granting INSERT on the applicants to ow_evaluation",
         "GRANT INSERT ON evaluation_identity.applicants TO ow_evaluation"},
    };
    int rc = s_run(conn, "BEGIN", "BEGIN", err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        rc = s_run(conn, steps[i][1], steps[i][0], err);
        if (rc != 0) {
            PQclear(PQexec(conn, "ROLLBACK"));
            return rc;
        }
    }
    return s_run(conn, "COMMIT", "COMMIT", err);
}

/* Sleeps a few random milliseconds so two racing provisioners fall out of step. */
static void s_backoff(int attempt)
{
    long ms = 5 + (long)(rand() % (10 * (attempt + 1)));
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Runs step until it succeeds, fails for real, or S_ATTEMPTS races have passed. */
static int s_with_retry(PGconn *conn, const char *source, const char *db_ident, ow_error_t *err)
{
    for (int attempt = 0; attempt < S_ATTEMPTS; attempt++) {
        int rc;
        if (!source)
            rc = s_run(conn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                       "revoking CREATE on schema public", err);
        else if (strcmp(source, "routing_audit") == 0)
            rc = s_provision_routing_audit(conn, err);
        else if (strcmp(source, "evaluation_identity") == 0)
            rc = s_provision_evaluation_identity(conn, err);
        else
            rc = s_provision_source(conn, source, db_ident, err);
        if (rc <= 0)
            return rc;
        s_backoff(attempt);
    }
    ow_error_set(err, OW_ABORTED, "provisioning %s kept colliding with another provisioner",
                 source ? source : "schema public");
    return -1;
}

int ow_provision(const char *admin_url, ow_error_t *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    char *db_ident = NULL;
    int rc = -1;

    conn = PQconnectdb(admin_url ? admin_url : "");
    if (PQstatus(conn) != CONNECTION_OK) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot connect to the database to provision: %s",
                     PQerrorMessage(conn));
        goto done;
    }
    /* Notices ("schema already exists, skipping") are expected on every re-run. */
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    res = PQexec(conn, "SELECT current_database()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "reading the database name: %s", PQerrorMessage(conn));
        goto done;
    }
    const char *dbname = PQgetvalue(res, 0, 0);
    db_ident = PQescapeIdentifier(conn, dbname, strlen(dbname));
    if (!db_ident) {
        ow_error_set(err, OW_INTERNAL, "quoting the database name: %s", PQerrorMessage(conn));
        goto done;
    }
    srand((unsigned)time(NULL) ^ (unsigned)PQbackendPID(conn));
    for (size_t i = 0; ow_provision_sources[i]; i++)
        if (s_with_retry(conn, ow_provision_sources[i], db_ident, err) != 0)
            goto done;
    /* After ow_routing exists: the audit trail it may only append to. */
    if (s_with_retry(conn, "routing_audit", db_ident, err) != 0)
        goto done;
    /* After ow_evaluation exists: the rater's identity it may add to but not read. */
    if (s_with_retry(conn, "evaluation_identity", db_ident, err) != 0)
        goto done;
    /* Without this any role could create tables in public, outside every service's
     * schema (PostgreSQL before 15 allows it by default). */
    if (s_with_retry(conn, NULL, db_ident, err) != 0)
        goto done;
    rc = 0;
done:
    PQfreemem(db_ident);
    if (res)
        PQclear(res);
    PQfinish(conn);
    return rc;
}
