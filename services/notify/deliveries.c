/* deliveries — see deliveries.h. */
#include "deliveries.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_pgarray.h"

/* The columns of ROW_COL_*, in order. */
#define S_ROW_COLS                                                                                 \
    "delivery_id, event_id, case_no, kind, channel, recipient, target, state, attempts,"           \
    " COALESCE(last_error, ''), queued_at_us, COALESCE(sent_at_us, 0), next_attempt_at_us,"        \
    " COALESCE(dead_at_us, 0), resent_count"

static const ow_db_statement_t s_statements[] = {
    /* One array per column, in the batch's order (so queued_seq, the sending order, follows
     * it). Any key skips a delivery already there: the delivery key, or one push per rating
     * (migration 0004). */
    {"notify_delivery_queue_many",
     "INSERT INTO deliveries (event_id, kind, recipient, channel, case_no, text, template_kind,"
     " template_version, queued_at_us, target, subject, subscription_id, event_type, urgent,"
     " next_attempt_at_us) SELECT d.event_id, d.kind, d.recipient, d.channel, d.case_no, d.text,"
     " d.template_kind, d.template_version, $15, d.target, d.subject,"
     " NULLIF(d.subscription_id, '')::uuid, d.event_type, d.urgent, d.next_at"
     " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
     " $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::boolean[],"
     " $14::bigint[]) WITH ORDINALITY AS d(event_id, kind, recipient, channel, case_no, text,"
     " template_kind, template_version, target, subject, subscription_id, event_type, urgent,"
     " next_at, ord) ORDER BY d.ord ON CONFLICT DO NOTHING"},
    /* The attempt is counted and leased in the statement that claims it (deliveries.h). */
    {"notify_delivery_claim_due",
     "UPDATE deliveries d SET attempts = d.attempts + 1, lease_until_us = $1 + $2,"
     " last_attempt_at_us = $1 FROM (SELECT delivery_id FROM deliveries"
     " WHERE state IN ('queued', 'failed') AND channel <> 'file' AND next_attempt_at_us <= $1"
     " AND lease_until_us <= $1 ORDER BY next_attempt_at_us, queued_seq LIMIT $3"
     " FOR UPDATE SKIP LOCKED) c WHERE d.delivery_id = c.delivery_id"
     " RETURNING d.delivery_id, d.channel, d.target, d.subject, d.text, d.event_id,"
     " d.event_type, d.attempts, d.urgent, (SELECT s.secret FROM webhook_subscriptions s"
     " WHERE s.subscription_id = d.subscription_id)"},
    {"notify_delivery_record",
     "UPDATE deliveries d SET state = u.state, last_error = NULLIF(u.error, ''),"
     /* A provincial push carries the rater's identity: not kept once the province has it. */
     " text = CASE WHEN u.state = 'sent' AND d.kind = 'rating_push' THEN '' ELSE d.text END,"
     " next_attempt_at_us = u.next_at, lease_until_us = 0,"
     " sent_at_us = CASE WHEN u.state = 'sent' THEN $5 ELSE d.sent_at_us END,"
     " dead_at_us = CASE WHEN u.state = 'dead' THEN $5 ELSE NULL END"
     " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS u(id, state, error,"
     " next_at) WHERE d.delivery_id = u.id AND d.state IN ('queued', 'failed')"},
    {"notify_delivery_case",
     "SELECT " S_ROW_COLS " FROM deliveries WHERE case_no = $1 ORDER BY queued_seq LIMIT 1000"},
    {"notify_delivery_dead",
     "SELECT " S_ROW_COLS " FROM deliveries WHERE state = 'dead' AND queued_seq >"
     " COALESCE((SELECT queued_seq FROM deliveries WHERE delivery_id = NULLIF($1, '')::uuid), 0)"
     " ORDER BY queued_seq LIMIT $2"},
    {"notify_delivery_resend",
     "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at_us = $2,"
     " lease_until_us = 0, dead_at_us = NULL, resent_count = resent_count + 1"
     " WHERE delivery_id = $1 AND state = 'dead' RETURNING " S_ROW_COLS},
    {"notify_delivery_get", "SELECT " S_ROW_COLS " FROM deliveries WHERE delivery_id = $1"},
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
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

int deliveries_queue(ow_db_t *db, const delivery_t *d, int64_t now_us, ow_error_t *err)
{
    return deliveries_queue_many(db, d, 1, now_us, err);
}

int deliveries_queue_many(ow_db_t *db, const delivery_t *ds, size_t n, int64_t now_us,
                          ow_error_t *err)
{
    enum { S_COLS = 14 }; /* the array parameters $1…$14; $15 is now_us */
    int rc = -1;
    ow_pgarray_t *cols[S_COLS] = {0};
    if (n == 0)
        return 0;
    for (int c = 0; c < S_COLS; c++)
        if (!(cols[c] = ow_pgarray_new()))
            goto oom;
    for (size_t i = 0; i < n; i++) {
        const delivery_t *d = &ds[i];
        const char *texts[] = {d->event_id,
                               d->kind,
                               d->recipient,
                               d->channel,
                               d->case_no,
                               d->text,
                               d->template_kind,
                               NULL, /* template_version */
                               d->target ? d->target : "",
                               d->subject ? d->subject : "",
                               d->subscription_id ? d->subscription_id : "",
                               d->event_type ? d->event_type : "",
                               d->urgent ? "true" : "false"};
        int failed = 0;
        for (int c = 0; c < 13; c++)
            failed |= c == 7 ? ow_pgarray_add_int64(cols[c], d->template_version)
                             : ow_pgarray_add_text(cols[c], texts[c]);
        failed |=
            ow_pgarray_add_int64(cols[13], d->not_before_us > now_us ? d->not_before_us : now_us);
        if (failed)
            goto oom;
    }
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[S_COLS + 1];
    for (int c = 0; c < 13; c++)
        params[c] = ow_pgarray_text(cols[c]);
    params[13] = ow_pgarray_text(cols[13]);
    params[14] = at;
    for (int c = 0; c < S_COLS + 1; c++)
        if (!params[c])
            goto oom;
    PGresult *res = ow_db_exec(db, "notify_delivery_queue_many", S_COLS + 1, params, err);
    if (!res)
        goto cleanup;
    rc = atoi(PQcmdTuples(res));
    PQclear(res);
    goto cleanup;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory queuing %zu deliveries", n);
cleanup:
    for (int c = 0; c < S_COLS; c++)
        ow_pgarray_destroy(&cols[c]);
    return rc;
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

PGresult *deliveries_claim_due(ow_db_t *db, int64_t now_us, int64_t lease_us, int limit,
                               ow_error_t *err)
{
    char now[24], lease[24], n[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(lease, sizeof lease, "%" PRId64, lease_us);
    snprintf(n, sizeof n, "%d", limit);
    const char *params[] = {now, lease, n};
    return ow_db_exec(db, "notify_delivery_claim_due", 3, params, err);
}

/* A growing text buffer for array literals. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} s_text_t;

static void s_put(s_text_t *t, const char *text, size_t len)
{
    if (t->oom)
        return;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            t->oom = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, text, len);
    t->len += len;
    t->buf[t->len] = '\0';
}

/* One element of a Postgres array literal, double-quoted with " and \ escaped, so any error
 * text travels as data in a parameter. */
static void s_put_element(s_text_t *t, size_t i, const char *value)
{
    s_put(t, i ? ",\"" : "\"", i ? 2 : 1);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            s_put(t, "\\", 1);
        s_put(t, p, 1);
    }
    s_put(t, "\"", 1);
}

int deliveries_record(ow_db_t *db, const delivery_outcome_t *outcomes, size_t count, int64_t now_us,
                      ow_error_t *err)
{
    int rc = -1;
    s_text_t arrays[4] = {{0}};
    for (int a = 0; a < 4; a++)
        s_put(&arrays[a], "{", 1);
    for (size_t i = 0; i < count; i++) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, outcomes[i].next_attempt_at_us);
        s_put_element(&arrays[0], i, outcomes[i].delivery_id);
        s_put_element(&arrays[1], i, outcomes[i].state);
        s_put_element(&arrays[2], i, outcomes[i].error);
        s_put_element(&arrays[3], i, next);
    }
    for (int a = 0; a < 4; a++) {
        s_put(&arrays[a], "}", 1);
        if (arrays[a].oom) {
            ow_error_set(err, OW_INTERNAL, "out of memory recording deliveries");
            goto cleanup;
        }
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {arrays[0].buf, arrays[1].buf, arrays[2].buf, arrays[3].buf, now};
    PGresult *res = ow_db_exec(db, "notify_delivery_record", 5, params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    rc = 0;
cleanup:
    for (int a = 0; a < 4; a++)
        free(arrays[a].buf);
    return rc;
}

PGresult *deliveries_case(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *params[] = {case_no};
    return ow_db_exec(db, "notify_delivery_case", 1, params, err);
}

PGresult *deliveries_dead(ow_db_t *db, const char *after, int limit, ow_error_t *err)
{
    char n[16];
    snprintf(n, sizeof n, "%d", limit);
    const char *params[] = {after, n};
    return ow_db_exec(db, "notify_delivery_dead", 2, params, err);
}

PGresult *deliveries_resend(ow_db_t *db, const char *id, int64_t now_us, ow_error_t *err)
{
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {id, now};
    return ow_db_exec(db, "notify_delivery_resend", 2, params, err);
}

PGresult *deliveries_get(ow_db_t *db, const char *id, ow_error_t *err)
{
    const char *params[] = {id};
    return ow_db_exec(db, "notify_delivery_get", 1, params, err);
}
