#include "scratch_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_envelope.h"

struct scratch_schema {
    char *url;
    char name[64];
    PGconn *admin;
};

scratch_schema_t *scratch_schema_new(const char *prefix, const ow_migration_t *migrations,
                                     size_t count, char *why, size_t size)
{
    const char *url = getenv("OW_TEST_DATABASE_URL");
    if (!url || !*url) {
        snprintf(why, size, "OW_TEST_DATABASE_URL is not set: this test needs Postgres");
        return NULL;
    }
    scratch_schema_t *self = calloc(1, sizeof *self);
    if (!self || !(self->url = strdup(url))) {
        snprintf(why, size, "out of memory");
        free(self);
        return NULL;
    }
    char uuid[37];
    ow_uuid_v4(uuid);
    /* A name made of [a-z0-9_] only, so it needs no quoting anywhere. */
    snprintf(self->name, sizeof self->name, "%s_%.8s%.4s", prefix, uuid, uuid + 9);
    self->admin = PQconnectdb(url);
    if (PQstatus(self->admin) != CONNECTION_OK) {
        snprintf(why, size, "cannot connect to OW_TEST_DATABASE_URL: %s",
                 PQerrorMessage(self->admin));
        goto fail;
    }
    /* DROP … CASCADE lists every object otherwise. */
    PQclear(PQexec(self->admin, "SET client_min_messages = warning"));
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", self->name);
    PGresult *res = PQexec(self->admin, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(why, size, "%s: %s", sql, PQerrorMessage(self->admin));
    PQclear(res);
    if (!ok)
        goto fail;

    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = scratch_schema_connect(self, &err);
    if (!db || ow_migrate(db, migrations, count, &err) < 0) {
        snprintf(why, size, "migrating %s: %s", self->name, err.message);
        ow_db_destroy(&db);
        scratch_schema_destroy(&self);
        return NULL;
    }
    ow_db_destroy(&db);
    return self;
fail:
    PQfinish(self->admin);
    free(self->url);
    free(self);
    return NULL;
}

ow_db_t *scratch_schema_connect(scratch_schema_t *self, ow_error_t *err)
{
    return ow_db_new(self->url, NULL, NULL, self->name, "routing-test", err);
}

const char *scratch_schema_name(const scratch_schema_t *self)
{
    return self->name;
}

void scratch_schema_destroy(scratch_schema_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    scratch_schema_t *self = *self_p;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", self->name);
    PQclear(PQexec(self->admin, sql));
    PQfinish(self->admin);
    free(self->url);
    free(self);
    *self_p = NULL;
}

long scratch_query_long(ow_db_t *db, const char *sql)
{
    PGresult *res = PQexec(ow_db_conn(db), sql);
    long value = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        value = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "query failed: %s: %s", sql, PQerrorMessage(ow_db_conn(db)));
    PQclear(res);
    return value;
}
