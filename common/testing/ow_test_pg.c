/* ow_test_pg — see ow_test_pg.h. */
#include "ow_test_pg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_envelope.h"

struct ow_test_pg {
    char *url;     /* OW_TEST_DATABASE_URL */
    char name[64]; /* the scratch schema or database */
    bool database; /* a scratch database rather than a schema */
    bool created;  /* there is something to drop */
    PGconn *admin; /* on the URL's own database */
    ow_db_t *db;   /* a schema's: search_path = name */
};

const char *ow_test_pg_admin_url(ow_error_t *err)
{
    const char *url = getenv("OW_TEST_DATABASE_URL");
    if (!url || !*url) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "OW_TEST_DATABASE_URL is not set: this test needs a PostgreSQL admin URL "
                     "(scripts/test provides one)");
        return NULL;
    }
    return url;
}

void ow_test_pg_random_name(char *out, size_t size, const char *prefix)
{
    char uuid[37];
    ow_uuid_v4(uuid);
    /* The first 12 hex digits of a v4 UUID are all random (the version digit comes later). */
    snprintf(out, size, "%s%.8s%.4s", prefix, uuid, uuid + 9);
}

static bool s_prefix_ok(const char *prefix)
{
    for (const char *p = prefix; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return strlen(prefix) < 40;
}

/* The part both kinds share: the URL, the name and the admin connection. */
static ow_test_pg_t *s_new(const char *prefix, bool database, ow_error_t *err)
{
    const char *url = ow_test_pg_admin_url(err);
    if (!url)
        return NULL;
    if (!s_prefix_ok(prefix)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "scratch prefix '%s' is not [a-z0-9_]{0,39}",
                     prefix);
        return NULL;
    }
    ow_test_pg_t *self = calloc(1, sizeof *self);
    if (!self || !(self->url = strdup(url))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        free(self);
        return NULL;
    }
    self->database = database;
    ow_test_pg_random_name(self->name, sizeof self->name, prefix);
    self->admin = PQconnectdb(url);
    if (PQstatus(self->admin) != CONNECTION_OK) {
        ow_error_set(err, OW_UNAVAILABLE, "cannot reach PostgreSQL at OW_TEST_DATABASE_URL: %s",
                     PQerrorMessage(self->admin));
        ow_test_pg_destroy(&self);
        return NULL;
    }
    /* DROP … CASCADE lists every object otherwise. */
    PQclear(PQexec(self->admin, "SET client_min_messages = warning"));
    char sql[128];
    snprintf(sql, sizeof sql, database ? "CREATE DATABASE %s" : "CREATE SCHEMA %s", self->name);
    if (ow_test_pg_run(self->admin, sql, err) != 0) {
        ow_test_pg_destroy(&self);
        return NULL;
    }
    self->created = true;
    return self;
}

ow_test_pg_t *ow_test_pg_new(const char *prefix, const char *app, ow_error_t *err)
{
    ow_test_pg_t *self = s_new(prefix, false, err);
    if (self && !(self->db = ow_test_pg_connect(self, app, err)))
        ow_test_pg_destroy(&self);
    return self;
}

ow_test_pg_t *ow_test_pg_new_database(const char *prefix, ow_error_t *err)
{
    return s_new(prefix, true, err);
}

int ow_test_pg_teardown(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_test_pg_destroy(&pg);
    *state = NULL;
    return 0;
}

void ow_test_pg_destroy(ow_test_pg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_test_pg_t *self = *self_p;
    ow_db_destroy(&self->db);
    if (self->created) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 self->database ? "DROP DATABASE IF EXISTS %s WITH (FORCE)"
                                : "DROP SCHEMA IF EXISTS %s CASCADE",
                 self->name);
        ow_error_t err;
        ow_error_clear(&err);
        if (ow_test_pg_run(self->admin, sql, &err) != 0)
            fprintf(stderr, "ow_test_pg: %s\n", err.message);
    }
    PQfinish(self->admin);
    free(self->url);
    free(self);
    *self_p = NULL;
}

const char *ow_test_pg_name(const ow_test_pg_t *self)
{
    return self->name;
}

ow_db_t *ow_test_pg_db(ow_test_pg_t *self)
{
    return self->db;
}

PGconn *ow_test_pg_admin(ow_test_pg_t *self)
{
    return self->admin;
}

ow_db_t *ow_test_pg_connect(const ow_test_pg_t *self, const char *app, ow_error_t *err)
{
    return ow_db_new(self->url, NULL, NULL, self->name, app, err);
}

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

char *ow_test_pg_conninfo(const ow_test_pg_t *self, const char *user, ow_error_t *err)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(self->url, &errmsg);
    if (!opts) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "OW_TEST_DATABASE_URL does not parse: %s",
                     errmsg ? errmsg : "out of memory");
        PQfreemem(errmsg);
        return NULL;
    }
    size_t size = 4096;
    char *buf = calloc(1, size);
    for (PQconninfoOption *o = opts; buf && o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if ((self->database && strcmp(o->keyword, "dbname") == 0) ||
            (user && strcmp(o->keyword, "user") == 0))
            continue;
        s_append(buf, size, o->keyword, o->val);
    }
    if (buf && self->database)
        s_append(buf, size, "dbname", self->name);
    if (buf && user)
        s_append(buf, size, "user", user);
    PQconninfoFree(opts);
    if (!buf)
        ow_error_set(err, OW_INTERNAL, "out of memory");
    return buf;
}

int ow_test_pg_run(PGconn *conn, const char *sql, ow_error_t *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        ow_error_set(err, OW_INTERNAL, "%s: %s", sql, PQerrorMessage(conn));
        rc = -1;
    }
    PQclear(res);
    return rc;
}

int ow_test_pg_run_file(ow_db_t *db, const char *path, ow_error_t *err)
{
    int rc = -1;
    char *text = NULL;
    long size = -1;
    FILE *f = fopen(path, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)size + 1)) && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
        rc = ow_db_run(db, text, err);
    } else {
        ow_error_set(err, OW_INTERNAL, "cannot read %s", path);
    }
    free(text);
    if (f)
        fclose(f);
    return rc;
}

long ow_test_pg_long(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    long value = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "ow_test_pg: %s: %s", sql, PQerrorMessage(conn));
    else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        value = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return value;
}
