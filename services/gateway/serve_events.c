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
#include "token.h"
#include "token_store.h"
#include "withheld_events.h"

#define S_LIMIT_DEFAULT 100
#define S_LIMIT_MAX     1000
/* Rows read per request at most: a page filtered down to nothing still moves the cursor. */
#define S_SCAN_MAX 2000

const char *const serve_events_sources[] = {"intake",     "routing", "deadline",
                                            "evaluation", "notify",  NULL};

/* ---- the live streams (GET /v1/events/stream) ----
 *
 * Server-Sent Events over the same table and seq as GET /v1/events: each stream keeps its
 * cursor and is sent what follows it, filtered by access_may_read_event, as
 * "id: SEQ / event: TYPE / data: ENVELOPE-JSON". The inbox stores events inside its
 * transaction, so s_store only marks the feed dirty; a timer on the loop (after the commit)
 * pumps the streams, and also every S_POLL_TICKS ticks in case another gateway instance wrote
 * the rows. A reconnecting client sends Last-Event-ID and misses nothing. The token is
 * checked again before every send (at most once a second), so a revoked token ends its
 * stream; a slow reader gets nothing more while S_BACKLOG_MAX bytes wait for it. */

#define S_TICK_S      0.2
#define S_POLL_TICKS  10               /* 2 s */
#define S_PING_US     (15 * 1000000LL) /* under the 30 s connection timeout */
#define S_AUTH_US     1000000LL
#define S_STREAMS_MAX 256
#define S_BACKLOG_MAX (1024 * 1024)
#define S_PUMP_PAGES  4
#define S_STREAM_PAGE 500

typedef struct s_stream {
    struct s_stream *next;
    exchange_t *ex;
    access_principal_t who;
    char hash[TOKEN_HASH_LEN + 1];
    int64_t cursor;
    bool closed;
    int64_t last_auth_us, last_send_us;
} s_stream_t;

struct events_feed {
    api_t *api;
    ow_timer_t *timer;
    s_stream_t *streams;
    size_t count;
    bool dirty;
    unsigned ticks;
};

/* Applies a withheld event by recording nothing (the inbox still advances past it). */
static int s_withhold(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)db, (void)ev, (void)arg, (void)err;
    return 0;
}

static int s_store(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    api_t *api = arg;
    if (api->events)
        api->events->dirty = true;
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

static void s_tick(void *arg);

int serve_events_setup(api_t *self, ow_error_t *err)
{
    ow_db_t *db = ow_service_db(self->svc);
    self->events = calloc(1, sizeof *self->events);
    if (!self->events) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    self->events->api = self;
    self->events->timer = ow_loop_timer(self->loop, S_TICK_S, true, s_tick, self->events);
    if (!self->events->timer) {
        ow_error_set(err, OW_INTERNAL, "cannot make the event streams' timer");
        return -1;
    }
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
    /* The provincial push carries the rater's identity, which no report, event or export may
     * show except the push itself (DOMAIN §6): it never enters the gateway's event log, so no
     * replay, stream or township subscription can hand it to anyone (withheld_events.h). The
     * longer prefix wins. */
    for (size_t i = 0; withheld_events[i]; i++)
        ow_inbox_on(ow_service_inbox(self->svc), withheld_events[i], s_withhold, self);
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

/* The envelope of row i of a gw_event_page result: the same object on every HTTP path. */
static json_t *s_event_json(PGresult *res, int i)
{
    char *payload = PQgetvalue(res, i, 8);
    s_unwrap(payload);
    return json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:s}", "seq",
        (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10), "event_id", PQgetvalue(res, i, 1),
        "source", PQgetvalue(res, i, 2), "source_seq",
        (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10), "type", PQgetvalue(res, i, 4),
        "case_no", PQgetvalue(res, i, 5), "centre_id", PQgetvalue(res, i, 6), "time",
        api_time_json(strtoll(PQgetvalue(res, i, 7), NULL, 10)), "payload_base64", payload);
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
        if (!access_may_read_event(who, PQgetvalue(res, i, 4), PQgetvalue(res, i, 6),
                                   self->default_centre))
            continue;
        json_t *ev = s_event_json(res, i);
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

static void s_stream_closed(void *arg)
{
    s_stream_t *st = arg;
    st->closed = true;
}

/* Re-checks the stream's token (at most once a second): false when it no longer admits the
 * caller, whose stream then ends. */
static bool s_still_admitted(events_feed_t *feed, s_stream_t *st, int64_t now)
{
    if (now - st->last_auth_us < S_AUTH_US)
        return true;
    ow_error_t err;
    access_principal_t who;
    ow_error_clear(&err);
    if (token_store_authenticate(ow_service_db(feed->api->svc), st->hash, &who, &err) != 0) {
        if (err.code != OW_UNAUTHENTICATED)
            return true; /* the database hiccuped: try again next time */
        ow_log_kv(OW_LOG_INFO, "event stream ended: token no longer valid", "token_id",
                  st->who.token_id, NULL);
        return false;
    }
    st->who = who;
    st->last_auth_us = now;
    return true;
}

/* Sends the stream what follows its cursor. false when the stream must end. */
static bool s_pump(events_feed_t *feed, s_stream_t *st)
{
    api_t *api = feed->api;
    int64_t now = ow_clock_real_us();
    bool admitted = false;

    for (int page = 0; page < S_PUMP_PAGES; page++) {
        if (exchange_stream_backlog(st->ex) > S_BACKLOG_MAX)
            return true;
        char after_text[24], limit_text[16];
        snprintf(after_text, sizeof after_text, "%lld", (long long)st->cursor);
        snprintf(limit_text, sizeof limit_text, "%d", S_STREAM_PAGE);
        const char *params[] = {after_text, limit_text};
        ow_error_t err;
        ow_error_clear(&err);
        PGresult *res = ow_db_exec(ow_service_db(api->svc), "gw_event_page", 2, params, &err);
        if (!res)
            return true; /* the database will be back: the cursor has not moved */
        int rows = PQntuples(res);
        if (rows > 0 && !admitted) {
            if (!s_still_admitted(feed, st, now)) {
                PQclear(res);
                return false;
            }
            admitted = true;
        }
        for (int i = 0; i < rows; i++) {
            int64_t seq = strtoll(PQgetvalue(res, i, 0), NULL, 10);
            st->cursor = seq;
            if (!access_may_read_event(&st->who, PQgetvalue(res, i, 4), PQgetvalue(res, i, 6),
                                       api->default_centre))
                continue;
            json_t *ev = s_event_json(res, i);
            char *data = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
            json_decref(ev);
            if (!data)
                continue;
            size_t need = strlen(data) + strlen(PQgetvalue(res, i, 4)) + 64;
            char *frame = malloc(need);
            if (frame) {
                int n = snprintf(frame, need, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq,
                                 PQgetvalue(res, i, 4), data);
                exchange_stream_send(st->ex, frame, (size_t)n);
                st->last_send_us = now;
            }
            free(frame);
            free(data);
        }
        PQclear(res);
        if (rows < S_STREAM_PAGE)
            break;
    }
    if (now - st->last_send_us >= S_PING_US) {
        if (!s_still_admitted(feed, st, now))
            return false;
        /* A comment line: keeps the connection (and proxies) from timing it out. */
        exchange_stream_send(st->ex, ": ping\n\n", 8);
        st->last_send_us = now;
    }
    return true;
}

static void s_tick(void *arg)
{
    events_feed_t *feed = arg;
    bool pump = feed->dirty || ++feed->ticks % S_POLL_TICKS == 0;
    feed->dirty = false;
    for (s_stream_t **p = &feed->streams; *p;) {
        s_stream_t *st = *p;
        if (st->closed || (pump && !s_pump(feed, st))) {
            *p = st->next;
            exchange_stream_end(st->ex);
            free(st);
            feed->count--;
            continue;
        }
        p = &st->next;
    }
}

void serve_events_teardown(api_t *self)
{
    events_feed_t *feed = self->events;
    if (!feed)
        return;
    while (feed->streams) {
        s_stream_t *st = feed->streams;
        feed->streams = st->next;
        exchange_stream_end(st->ex);
        free(st);
    }
    ow_timer_destroy(&feed->timer);
    free(feed);
    self->events = NULL;
}

/* A cursor from ?after or Last-Event-ID: -1 when absent, -2 when malformed. */
static int64_t s_cursor(const char *text)
{
    if (!text)
        return -1;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || text[0] == '-' || text[0] == '+' || v < 0 || v > INT64_MAX / 2)
        return -2;
    return v;
}

void serve_event_stream(api_t *self, exchange_t *ex, const char *param,
                        const access_principal_t *who)
{
    static const char *const allowed[] = {"after", NULL};
    events_feed_t *feed = self->events;
    ow_error_t err;
    s_stream_t *st = NULL;
    size_t len = 0;
    (void)param;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query)
        goto fail;
    json_fields_reject_unknown(query, "", allowed, &err);
    int64_t after = s_cursor(json_string_value(json_object_get(query, "after")));
    int64_t last = s_cursor(exchange_header(ex, "Last-Event-ID"));
    if (after == -2)
        ow_error_add_violation(&err, "after", "must be an integer from 0 (an event's seq)");
    if (last == -2)
        ow_error_add_violation(&err, "Last-Event-ID", "must be an event's seq");
    if (ow_error_finish_violations(&err))
        goto fail;
    if (feed->count >= S_STREAMS_MAX) {
        ow_error_set(&err, OW_UNAVAILABLE,
                     "%d event streams are open: retry later, or page "
                     "with GET /v1/events",
                     S_STREAMS_MAX);
        exchange_add_header(ex, "Retry-After", "5");
        goto fail;
    }
    st = calloc(1, sizeof *st);
    const char *token = token_from_authorization(exchange_header(ex, "Authorization"), &len);
    if (!st || !token || token_hash(token, len, st->hash) != 0) {
        ow_error_set(&err, OW_INTERNAL, "cannot start the stream");
        goto fail;
    }
    st->ex = ex;
    st->who = *who;
    /* A reconnecting browser sends Last-Event-ID: it is where the client really is. */
    st->cursor = last >= 0 ? last : after >= 0 ? after : 0;
    st->last_auth_us = st->last_send_us = ow_clock_real_us();
    if (exchange_stream_start(ex, "text/event-stream", s_stream_closed, st) != 0) {
        exchange_stream_end(ex);
        free(st);
        goto done;
    }
    exchange_stream_send(ex, "retry: 1000\n\n", 13);
    st->next = feed->streams;
    feed->streams = st;
    feed->count++;
    feed->dirty = true; /* catch up at the next tick */
    goto done;
fail:
    free(st);
    exchange_reply_error(ex, &err);
done:
    json_decref(query);
}
