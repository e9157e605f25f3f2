/* pg_scratch — see pg_scratch.h. */
#include "pg_scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

struct pg_scratch {
    char *admin_url;
    char dbname[64];
    char *conninfo;
    ow_db_t *db;
};

/* Appends key='value' to buf, quoting as libpq's conninfo syntax wants. */
static void s_append(char *buf, size_t size, const char *key, const char *value)
{
    size_t len = strlen(buf);
    int n = snprintf(buf + len, size - len, "%s%s='", len ? " " : "", key);
    if (n < 0 || (size_t)n >= size - len)
        return;
    len += (size_t)n;
    for (const char *p = value; *p && len + 3 < size; p++) {
        if (*p == '\'' || *p == '\\')
            buf[len++] = '\\';
        buf[len++] = *p;
    }
    if (len + 2 <= size) {
        buf[len++] = '\'';
        buf[len] = '\0';
    }
}

/* The admin URL's settings with dbname replaced. Caller frees. */
static char *s_conninfo_for(const char *admin_url, const char *dbname, ow_error_t *err)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(admin_url, &errmsg);
    if (!opts) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "OW_TEST_DATABASE_URL does not parse: %s",
                     errmsg ? errmsg : "out of memory");
        PQfreemem(errmsg);
        return NULL;
    }
    size_t size = 4096;
    char *buf = calloc(1, size);
    for (PQconninfoOption *o = opts; buf && o->keyword; o++)
        if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
            s_append(buf, size, o->keyword, o->val);
    if (buf)
        s_append(buf, size, "dbname", dbname);
    PQconninfoFree(opts);
    if (!buf)
        ow_error_set(err, OW_INTERNAL, "out of memory");
    return buf;
}

static int s_admin_exec(const char *conninfo, const char *sql, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot reach the test cluster: %s",
                     PQerrorMessage(conn));
        goto cleanup;
    }
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        ow_error_set(err, OW_INTERNAL, "%s: %s", sql, PQerrorMessage(conn));
        goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

pg_scratch_t *pg_scratch_new(const char *prefix, const char *schema, const ow_migration_t *list,
                             size_t count, ow_error_t *err)
{
    char sql[256];
    const char *url = getenv("OW_TEST_DATABASE_URL");
    if (!url || !*url) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "OW_TEST_DATABASE_URL is not set: this test needs a PostgreSQL admin URL "
                     "(scripts/test provides one)");
        return NULL;
    }
    pg_scratch_t *self = calloc(1, sizeof *self);
    if (!self || !(self->admin_url = strdup(url))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    unsigned char rnd[6] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(rnd, 1, sizeof rnd, f) != sizeof rnd) {
        ow_error_set(err, OW_INTERNAL, "cannot read /dev/urandom for a database name");
        if (f)
            fclose(f);
        goto fail;
    }
    fclose(f);
    snprintf(self->dbname, sizeof self->dbname, "%s_%02x%02x%02x%02x%02x%02x", prefix, rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", self->dbname);
    if (s_admin_exec(url, sql, err) != 0) {
        self->dbname[0] = '\0'; /* nothing to drop */
        goto fail;
    }
    self->conninfo = s_conninfo_for(url, self->dbname, err);
    if (!self->conninfo)
        goto fail;
    snprintf(sql, sizeof sql, "CREATE SCHEMA \"%s\"", schema);
    if (s_admin_exec(self->conninfo, sql, err) != 0)
        goto fail;
    self->db = ow_db_new(self->conninfo, NULL, NULL, schema, "pg_scratch", err);
    if (!self->db)
        goto fail;
    if (ow_migrate(self->db, list, count, err) < 0)
        goto fail;
    return self;
fail:
    pg_scratch_destroy(&self);
    return NULL;
}

void pg_scratch_destroy(pg_scratch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pg_scratch_t *self = *self_p;
    ow_db_destroy(&self->db);
    if (self->dbname[0]) {
        char sql[128];
        ow_error_t err;
        ow_error_clear(&err);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", self->dbname);
        if (s_admin_exec(self->admin_url, sql, &err) != 0)
            fprintf(stderr, "pg_scratch: %s\n", err.message);
    }
    free(self->conninfo);
    free(self->admin_url);
    free(self);
    *self_p = NULL;
}

ow_db_t *pg_scratch_db(pg_scratch_t *self)
{
    return self->db;
}

const char *pg_scratch_conninfo(pg_scratch_t *self)
{
    return self->conninfo;
}

long long pg_scratch_count(pg_scratch_t *self, const char *sql)
{
    PGconn *conn = ow_db_conn(self->db);
    PGresult *res = PQexec(conn, sql);
    long long n = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pg_scratch: %s: %s\n", sql, PQerrorMessage(conn));
        goto cleanup;
    }
    n = PQntuples(res) == 0 ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
cleanup:
    PQclear(res);
    return n;
}
