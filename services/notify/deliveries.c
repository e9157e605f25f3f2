/* deliveries — see deliveries.h. */
#include "deliveries.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"notify_delivery_queue",
     "INSERT INTO deliveries (event_id, kind, recipient, channel, case_no, text, template_kind,"
     " template_version, queued_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
     " ON CONFLICT (event_id, kind, recipient, channel) DO NOTHING RETURNING delivery_id"},
    /* SKIP LOCKED: a second notifyd instance sends other rows instead of waiting. */
    {"notify_delivery_claim",
     "SELECT delivery_id, event_id, case_no, kind, channel, recipient, text FROM deliveries"
     " WHERE state = 'queued' AND channel = $1 ORDER BY queued_seq LIMIT $2"
     " FOR UPDATE SKIP LOCKED"},
    {"notify_delivery_sent",
     "UPDATE deliveries SET state = 'sent', sent_at_us = $2, attempts = attempts + 1,"
     " last_error = NULL WHERE delivery_id = ANY ($1::uuid[]) AND state = 'queued'"},
    {"notify_delivery_failed", "UPDATE deliveries SET attempts = attempts + 1, last_error = $2"
                               " WHERE delivery_id = ANY ($1::uuid[]) AND state = 'queued'"},
};

int deliveries_prepare(ow_db_t *db, ow_error_t *err)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (ow_db_prepare(db, s_statements[i].name, s_statements[i].sql, err) != 0)
            return -1;
    return 0;
}

int deliveries_queue(ow_db_t *db, const delivery_t *d, int64_t now_us, ow_error_t *err)
{
    char version[16], at[24];
    snprintf(version, sizeof version, "%d", d->template_version);
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[] = {d->event_id, d->kind,          d->recipient, d->channel, d->case_no,
                            d->text,     d->template_kind, version,      at};
    PGresult *res = ow_db_exec(db, "notify_delivery_queue", 9, params, err);
    if (!res)
        return -1;
    int queued = PQntuples(res) == 1;
    PQclear(res);
    return queued;
}

PGresult *deliveries_claim(ow_db_t *db, const char *channel, int limit, ow_error_t *err)
{
    char n[16];
    snprintf(n, sizeof n, "%d", limit);
    const char *params[] = {channel, n};
    return ow_db_exec(db, "notify_delivery_claim", 2, params, err);
}

/* "{id,id,…}": a Postgres array literal of UUIDs, passed as one parameter. UUIDs from our own
 * rows need no quoting. Caller frees; NULL when out of memory. */
static char *s_id_array(const char *const *ids, size_t count)
{
    size_t size = 3 + count * 37;
    char *buf = malloc(size);
    if (!buf)
        return NULL;
    size_t len = 0;
    buf[len++] = '{';
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%.36s", i ? "," : "", ids[i]);
    buf[len++] = '}';
    buf[len] = '\0';
    return buf;
}

static int s_update(ow_db_t *db, const char *name, const char *const *ids, size_t count,
                    const char *second, ow_error_t *err)
{
    char *array = s_id_array(ids, count);
    if (!array) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    const char *params[] = {array, second};
    PGresult *res = ow_db_exec(db, name, 2, params, err);
    free(array);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int deliveries_mark_sent(ow_db_t *db, const char *const *ids, size_t count, int64_t sent_at_us,
                         ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, sent_at_us);
    return s_update(db, "notify_delivery_sent", ids, count, at, err);
}

int deliveries_mark_failed(ow_db_t *db, const char *const *ids, size_t count, const char *error,
                           ow_error_t *err)
{
    return s_update(db, "notify_delivery_failed", ids, count, error, err);
}
