/* Events for integrators (issue 8, "Integrators"): the gateway follows every source's events
 * through its inbox (exactly once, gaps replayed from the source) and appends each to
 * gateway.events in the same transaction; the table's seq is the cursor of
 * GET /v1/events?after=SEQ&limit=N. Each caller sees only what access_may_read_event allows:
 * an integrator the types it subscribed to, a supervisor its centres', an administrator
 * everything. */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "api_time.h"
#include "json_fields.h"
#include "serve_events.h"

#define S_LIMIT_DEFAULT 100
#define S_LIMIT_MAX     1000
/* Rows read per request at most: a page filtered down to nothing still moves the cursor. */
#define S_SCAN_MAX 2000

const char *const serve_events_sources[] = {"intake",     "routing", "deadline",
                                            "evaluation", "notify",  NULL};

static int s_store(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    char source_seq[24], time_us[24];
    snprintf(source_seq, sizeof source_seq, "%llu", (unsigned long long)ev->seq);
    snprintf(time_us, sizeof time_us, "%lld", (long long)ev->time_us);
    const char *values[] = {ev->event_id, ev->source,    source_seq, ev->type,
                            ev->case_no,  ev->centre_id, time_us,    (const char *)ev->payload};
    const int lengths[] = {0, 0, 0, 0, 0, 0, 0, (int)ev->payload_len};
    const int formats[] = {0, 0, 0, 0, 0, 0, 0, 1};
    if (!ev->payload)
        values[7] = "";
    PGresult *res = ow_db_execb(db, "gw_event_add", 8, values, lengths, formats, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int serve_events_setup(api_t *self, ow_error_t *err)
{
    ow_db_t *db = ow_service_db(self->svc);
    if (ow_db_prepare(db, "gw_event_add",
                      "INSERT INTO events (event_id, source, source_seq, type, case_no, "
                      "centre_id, time_us, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                      "ON CONFLICT (event_id) DO NOTHING",
                      err) != 0 ||
        ow_db_prepare(db, "gw_event_page",
                      "SELECT seq, event_id, source, source_seq, type, case_no, centre_id, "
                      "time_us, encode(payload, 'base64') FROM events WHERE seq > $1 "
                      "ORDER BY seq LIMIT $2",
                      err) != 0)
        return -1;
    for (size_t i = 0; serve_events_sources[i]; i++)
        if (ow_service_follow(self->svc, serve_events_sources[i], err) != 0)
            return -1;
    /* "" is the shortest prefix: every event without a more specific handler (the test
     * clock's own stays with ow_service). */
    ow_inbox_on(ow_service_inbox(self->svc), "", s_store, self);
    return 0;
}

/* base64 from Postgres breaks lines every 76 characters: one JSON string has none. */
static void s_unwrap(char *s)
{
    char *o = s;
    for (; *s; s++)
        if (*s != '\n')
            *o++ = *s;
    *o = '\0';
}

void serve_list_events(api_t *self, exchange_t *ex, const char *param,
                       const access_principal_t *who)
{
    static const char *const allowed[] = {"after", "limit", NULL};
    ow_error_t err;
    int64_t after = 0, limit = S_LIMIT_DEFAULT;
    PGresult *res = NULL;
    json_t *list = NULL;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query)
        goto fail;
    json_fields_reject_unknown(query, "", allowed, &err);
    const char *texts[2] = {json_string_value(json_object_get(query, "after")),
                            json_string_value(json_object_get(query, "limit"))};
    int64_t *vals[2] = {&after, &limit};
    const int64_t maxes[2] = {INT64_MAX / 2, S_LIMIT_MAX};
    for (int i = 0; i < 2; i++) {
        if (!texts[i])
            continue;
        char *end = NULL;
        long long v = strtoll(texts[i], &end, 10);
        if (!*texts[i] || *end || v < (i == 0 ? 0 : 1) || v > maxes[i])
            ow_error_add_violation(&err, allowed[i], "must be an integer from %d to %lld",
                                   i == 0 ? 0 : 1, (long long)maxes[i]);
        else
            *vals[i] = v;
    }
    if (ow_error_finish_violations(&err))
        goto fail;

    char after_text[24], scan_text[16];
    snprintf(after_text, sizeof after_text, "%lld", (long long)after);
    snprintf(scan_text, sizeof scan_text, "%d", S_SCAN_MAX);
    const char *params[] = {after_text, scan_text};
    res = ow_db_exec(ow_service_db(self->svc), "gw_event_page", 2, params, &err);
    if (!res)
        goto fail;
    list = json_array();
    if (!list)
        goto oom;
    int64_t cursor = after;
    for (int i = 0; i < PQntuples(res) && json_array_size(list) < (size_t)limit; i++) {
        cursor = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        const char *type = PQgetvalue(res, i, 4);
        if (!access_may_read_event(who, type, PQgetvalue(res, i, 6), self->default_centre))
            continue;
        char *payload = PQgetvalue(res, i, 8);
        s_unwrap(payload);
        json_t *ev = json_pack(
            "{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:s}", "seq", (json_int_t)cursor, "event_id",
            PQgetvalue(res, i, 1), "source", PQgetvalue(res, i, 2), "source_seq",
            (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10), "type", type, "case_no",
            PQgetvalue(res, i, 5), "centre_id", PQgetvalue(res, i, 6), "time",
            api_time_json(strtoll(PQgetvalue(res, i, 7), NULL, 10)), "payload_base64", payload);
        if (!ev || json_array_append_new(list, ev) != 0)
            goto oom;
    }
    /* When the page filled up, the cursor is the last event shown; otherwise everything
     * scanned was seen (some filtered out). */
    exchange_reply_json(ex, 200,
                        json_pack("{s:o, s:I}", "events", list, "next_after", (json_int_t)cursor));
    list = NULL;
    goto done;
oom:
    ow_error_set(&err, OW_INTERNAL, "out of memory");
fail:
    exchange_reply_error(ex, &err);
done:
    json_decref(list);
    json_decref(query);
    PQclear(res);
}
