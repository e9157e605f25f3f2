/* ow_outbox — the transactional outbox (ow_outbox_add) and its relay: sequencing, publishing,
 * heartbeats, replay and retention. */
#include "ow_outbox.h"
#include "ow_text.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_log.h"
#include "ow_binary_array.h"
#include "onewindow/v1/envelope.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Rows numbered per pass (bounds the transaction). Each pass is a durable commit, and finds
 * its rows among all those waiting: a service emitting tens of thousands of events a second
 * (evaluationd: two per rating) needs passes this large to keep up. */
#define S_PASS_MAX        5000
#define S_STR_(x)         #x
#define S_STR(x)          S_STR_(x)
#define S_PASS_INTERVAL_S 0.2
#define S_BUSY_RETRY_S    0.05 /* the connection was inside a caller's transaction */
#define S_HEARTBEAT_S     1.0
#define S_RETENTION_S     3600.0
#define S_RETENTION_DAYS  30
#define S_TRIM_BATCH      10000 /* rows deleted per statement */
#define S_TRIM_BATCHES    100   /* statements per retention run */
#define S_REPLAY_MAX      1000
#define S_SNDHWM          100000
/* An event's payload must leave room for the envelope around it and for the Reply and
 * ReplayReply frames that carry it in a replay, all within OW_FRAME_MAX. */
#define S_PAYLOAD_MAX  (OW_FRAME_MAX / 2)
#define S_REPLAY_BYTES (OW_FRAME_MAX - (64u << 10))
#define S_LOG_EVERY_US (30 * 1000000LL)

struct ow_relay {
    ow_loop_t *loop;
    ow_db_t *db; /* not owned */
    char *source;
    void *pub;
    ow_timer_t *pass_timer;
    ow_timer_t *heartbeat_timer;
    ow_timer_t *retention_timer;
    int retention_days;
    uint64_t last_seq;
    /* Events numbered inside a caller's transaction, in seq order, packed and published once it
     * commits (ow_relay_number_in_transaction, ow_relay_add_numbered) — not before: the relay's
     * lock is held until then; the seq before them; whether a numbering took a full pass's
     * worth (more may wait). A held event with an empty type could not be read (logged). */
    ow_event_t *held;
    size_t n_held, held_cap;
    uint64_t held_after;
    bool held_full;
    /* The held events were numbered by the database after the lock taken ahead, whose answer
     * comes with COMMIT (ow_relay_add_numbered_ahead): their seqs are 1.. until then. */
    bool held_ahead;
    /* What ow_relay_lock_ahead's deferred lock read, once a later call has waited; taken by
     * ow_relay_add_numbered, cleared by ow_relay_after_commit. */
    PGresult *ahead;
    uint64_t published;
    uint64_t dropped;
    bool failing;          /* the last pass failed: log the recovery */
    int64_t next_drop_log; /* monotonic µs; drops are logged at most every 30 s */
};

static const char S_SQL_ADD[] =
    "INSERT INTO outbox (type, case_no, centre_id, time_us, payload) VALUES ($1, $2, $3, $4, $5)";

/* Planned on every call (ow_db_exec_planned), and as min(id), which only the partial index
 * outbox_unsequenced answers without reading the table. As a prepared EXISTS, the plan made on
 * the empty outbox of a new schema was a sequential scan for "the first match", kept until the
 * next ANALYZE: with no match, every pass — five a second — read the whole outbox on the
 * daemon's only connection (4–6 ms after 10 s of intake's benchmark, growing with the outbox;
 * auto_explain). */
/* One round trip that lets an idle pass end at once: the last seq (for heartbeats) and
 * whether any committed row waits for a seq. */
static const char S_SQL_PEEK[] =
    "SELECT last_seq, (SELECT min(id) FROM outbox WHERE seq IS NULL) IS NOT NULL FROM outbox_state";
/* The lock that makes the relay the single writer of seq across instances. It is taken in
 * its own statement so that the numbering below, a new statement, runs on a snapshot taken
 * after the lock: under READ COMMITTED it sees every seq a previous holder assigned. */
static const char S_SQL_LOCK[] = "SELECT last_seq FROM outbox_state FOR UPDATE";
/* The lock for ow_relay_add_numbered, and whether any committed row waits for a seq. last_seq
 * is the locked row's newest version (READ COMMITTED re-reads a row it waited for), but the
 * look at the outbox sees the snapshot from before the wait: a "yes" that is no longer true
 * only costs the full statement (which looks again); a "no" that is no longer true leaves those
 * rows to the next pass, numbered after this batch's, still gapless. Planned on every call
 * (ow_db_exec_planned) and as min(id), like S_SQL_PEEK: prepared, its plan made on the empty
 * outbox of a new schema read the whole outbox on every call until the next ANALYZE (6 ms a
 * batch in intake's benchmark, docs/intake.md). */
static const char S_SQL_LOCK_PEEK[] =
    "SELECT last_seq, (SELECT min(id) FROM outbox WHERE seq IS NULL) IS NOT NULL"
    "  FROM outbox_state FOR UPDATE";
/* Numbers the committed, unsequenced rows in id order from $1 + 1. Rows of transactions
 * still open are invisible here and get the next numbers when they commit: that is what
 * makes seq gapless and in commit order where ids are not. "o.seq IS NULL" changes no row
 * (every pending row has none) but lets the planner find the rows to update through the
 * partial index outbox_unsequenced: without it, it hashed the pending ids and scanned the
 * whole outbox — every event kept for the retention period — on every pass (293 ms instead of
 * 67 ms for 4,000 rows of an 88,000-row outbox). */
static const char S_SQL_NUMBER[] =
    "WITH pending AS ("
    "  SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT " S_STR(
        S_PASS_MAX) "),"
                    " numbered AS ("
                    "  SELECT id, $1::bigint + row_number() OVER (ORDER BY id) AS seq FROM "
                    "pending),"
                    " updated AS ("
                    "  UPDATE outbox o SET seq = n.seq FROM numbered n WHERE o.id = n.id AND o.seq "
                    "IS NULL"
                    "  RETURNING o.seq, o.event_id, o.type, o.case_no, o.centre_id, o.time_us, "
                    "o.payload)"
                    " SELECT seq, event_id, type, case_no, centre_id, time_us, payload FROM "
                    "updated ORDER BY seq";
static const char S_SQL_ADVANCE[] = "UPDATE outbox_state SET last_seq = $1";
static const char S_SQL_REPLAY[] =
    "SELECT seq, event_id, type, case_no, centre_id, time_us, payload FROM outbox "
    "WHERE seq > $1 ORDER BY seq LIMIT $2";
static const char S_SQL_LAST[] = "SELECT last_seq FROM outbox_state";
/* Deletes the oldest sequenced events up to the first one still within retention, at most
 * one batch: always a prefix of the seq range, so a row sequenced late (its transaction
 * ran long and its created_at is older than its neighbours') never leaves a hole. */
static const char S_SQL_TRIM[] =
    "WITH head AS ("
    "  SELECT seq, created_at FROM outbox WHERE seq IS NOT NULL ORDER BY seq LIMIT 10000),"
    " keep AS ("
    "  SELECT coalesce(min(seq) FILTER (WHERE created_at >= now() - make_interval(days => "
    "$1::int)), max(seq) + 1) AS from_seq FROM head)"
    " DELETE FROM outbox WHERE seq IS NOT NULL AND seq < (SELECT from_seq FROM keep)";

/* ---- ow_outbox_add ---- */

static bool s_type_ok(const char *type)
{
    size_t n = strlen(type);
    /* Types starting with '_' are the protocol's own (_heartbeat). */
    if (n == 0 || n > OW_EVENT_TYPE_MAX || type[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = type[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
            return false;
    }
    return true;
}

int ow_outbox_add(ow_db_t *db, const char *type, const char *case_no, const char *centre_id,
                  int64_t time_us, const uint8_t *payload, size_t len, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    /* Checked here, at the door, with the limits of ow_envelope_pack: a row the relay could
     * not pack would still take a seq and then stall every consumer's replay. */
    if (!type || !s_type_ok(type)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "event type '%s' must be 1-%d characters of [a-z0-9._], not starting with '_'",
                     type ? type : "(null)", OW_EVENT_TYPE_MAX);
        goto cleanup;
    }
    if (case_no && strlen(case_no) > OW_CASE_NO_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case_no of event %s is over %d bytes", type,
                     OW_CASE_NO_MAX);
        goto cleanup;
    }
    if (centre_id && strlen(centre_id) > OW_CENTRE_ID_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "centre_id of event %s is over %d bytes", type,
                     OW_CENTRE_ID_MAX);
        goto cleanup;
    }
    if (len > S_PAYLOAD_MAX || (len > 0 && !payload)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "payload of event %s is %zu bytes: at most %u, and not NULL", type, len,
                     S_PAYLOAD_MAX);
        goto cleanup;
    }
    /* Outside a transaction the event would commit on its own, without its change. */
    if (!ow_db_in_transaction(db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "ow_outbox_add(%s) outside a transaction: events are written with their "
                     "change",
                     type);
        goto cleanup;
    }
    if (ow_db_prepare(db, "ow_outbox_add", S_SQL_ADD, err) != 0)
        goto cleanup;
    char time_text[24];
    snprintf(time_text, sizeof time_text, "%" PRId64, time_us);
    const char *values[5] = {type, case_no ? case_no : "", centre_id ? centre_id : "", time_text,
                             payload ? (const char *)payload : ""};
    const int lengths[5] = {0, 0, 0, 0, (int)len};
    const int formats[5] = {0, 0, 0, 0, 1};
    res = ow_db_execb(db, "ow_outbox_add", 5, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* ow_outbox_add's checks for one event of a batch (kept apart so ow_outbox_add stays as it
 * was): the same limits, the same messages. Returns 0 or -1 with err. */
static int s_event_check(const ow_outbox_event_t *e, ow_error_t *err)
{
    if (!e->type || !s_type_ok(e->type)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "event type '%s' must be 1-%d characters of [a-z0-9._], not starting with '_'",
                     e->type ? e->type : "(null)", OW_EVENT_TYPE_MAX);
        return -1;
    }
    if ((e->case_no && strlen(e->case_no) > OW_CASE_NO_MAX) ||
        (e->centre_id && strlen(e->centre_id) > OW_CENTRE_ID_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case_no or centre_id of event %s is over %d / %d bytes", e->type,
                     OW_CASE_NO_MAX, OW_CENTRE_ID_MAX);
        return -1;
    }
    if (e->len > S_PAYLOAD_MAX || (e->len > 0 && !e->payload)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "payload of event %s is %zu bytes: at most %u, and not NULL", e->type, e->len,
                     S_PAYLOAD_MAX);
        return -1;
    }
    return 0;
}

/* The arrays travel in the binary format (ow_binary_array.h): the payloads as bytea, not hex
 * text the server decodes. ORDER BY ord keeps the array's order in the ids the rows take. */
static const char S_SQL_ADD_MANY[] =
    "INSERT INTO outbox (type, case_no, centre_id, time_us, payload) "
    "SELECT e.type, e.case_no, e.centre_id, e.time_us, e.payload "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[]) "
    "WITH ORDINALITY AS e(type, case_no, centre_id, time_us, payload, ord) ORDER BY e.ord";
/* The same with their seqs, under the relay's lock taken by the statement before (whose value
 * of last_seq is $6) when committed rows wait for a seq: what waits is numbered first, as a
 * pass would, then the new rows follow it, and last_seq moves past both — one statement, each
 * new row written once. The rows come back in seq order for the relay to publish after
 * COMMIT: the waiting ones whole, the new ones as seq and event id only (the caller holds the
 * rest). */
static const char S_SQL_NUMBER_AND_ADD[] =
    "WITH pending AS ("
    "  SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT " S_STR(
        S_PASS_MAX) "),"
                    " numbered AS ("
                    "  SELECT id, $6::bigint + row_number() OVER (ORDER BY id) AS seq FROM "
                    "pending),"
                    " updated AS ("
                    "  UPDATE outbox o SET seq = n.seq FROM numbered n WHERE o.id = n.id AND o.seq "
                    "IS NULL"
                    "  RETURNING o.seq, o.event_id, o.type, o.case_no, o.centre_id, o.time_us, "
                    "o.payload),"
                    " base AS (SELECT $6::bigint + (SELECT count(*) FROM numbered) AS b),"
                    " ins AS ("
                    "  INSERT INTO outbox (type, case_no, centre_id, time_us, payload, seq)"
                    "  SELECT e.type, e.case_no, e.centre_id, e.time_us, e.payload, base.b + e.ord"
                    "  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])"
                    "  WITH ORDINALITY AS e(type, case_no, centre_id, time_us, payload, ord), base"
                    "  RETURNING seq, event_id),"
                    " advanced AS ("
                    "  UPDATE outbox_state SET last_seq = (SELECT b FROM base) + "
                    "cardinality($1::text[]))"
                    " SELECT seq, event_id, type, case_no, centre_id, time_us, payload FROM updated"
                    " UNION ALL"
                    " SELECT seq, event_id, NULL, NULL, NULL, NULL, NULL FROM ins ORDER BY seq";
/* When nothing waits (the usual case) the new rows take the seqs after $6 and the event ids
 * $7 made by the caller, so nothing needs to come back: the statement is deferred to travel
 * with COMMIT (ow_db_deferb), a round trip less per batch, and its failure is COMMIT's. Its
 * plan has no choice that depends on a table's size, so the plan cache keeps the generic one
 * (planning the full statement for every small batch was 0.3 ms of intake's 3 ms batch). */
static const char S_SQL_ADD_NUMBERED[] =
    "WITH ins AS ("
    "  INSERT INTO outbox (event_id, type, case_no, centre_id, time_us, payload, seq)"
    "  SELECT e.event_id, e.type, e.case_no, e.centre_id, e.time_us, e.payload, $6::bigint + e.ord"
    "  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $7::uuid[])"
    "  WITH ORDINALITY AS e(type, case_no, centre_id, time_us, payload, event_id, ord))"
    " UPDATE outbox_state SET last_seq = $6::bigint + cardinality($1::text[])";

/* ow_relay_add_numbered_ahead: the caller sends its whole transaction at once, so the answer of
 * the lock taken ahead (ow_relay_lock_ahead) only comes back with COMMIT. The rows take their
 * seqs from outbox_state in the statement itself, under that lock: this is a later statement,
 * so its snapshot sees every seq a previous holder assigned (as after S_SQL_LOCK). Their event
 * ids ($6) are made by the caller. Rows that waited for a seq are left to the next pass,
 * numbered after these: still gapless. */
static const char S_SQL_ADD_AHEAD[] =
    "WITH base AS (SELECT last_seq FROM outbox_state),"
    " ins AS ("
    "  INSERT INTO outbox (event_id, type, case_no, centre_id, time_us, payload, seq)"
    "  SELECT e.event_id, e.type, e.case_no, e.centre_id, e.time_us, e.payload,"
    "         base.last_seq + e.ord"
    "  FROM base, unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[],"
    "                    $6::uuid[])"
    "  WITH ORDINALITY AS e(type, case_no, centre_id, time_us, payload, event_id, ord))"
    " UPDATE outbox_state SET last_seq = last_seq + cardinality($1::text[])";

static int s_seq_of(const PGresult *res, int row, int col, uint64_t *out, ow_error_t *err);

/* How s_add_many writes events: its statement, and which parameters follow the five arrays —
 * the locked last_seq ($6, text) and the event ids made here (the last, a uuid array). A
 * statement with the ids needs nothing back: it is deferred (ow_db_deferb), and its failure
 * comes from the next statement that waits, or COMMIT. */
typedef enum {
    S_ADD_UNNUMBERED,     /* no seq yet: a pass numbers them (S_SQL_ADD_MANY) */
    S_ADD_NUMBER_AND_ADD, /* under the lock, after what waits; every row numbered comes back */
    S_ADD_NUMBERED,       /* under the lock, nothing waiting: the seqs after the locked last */
    S_ADD_AHEAD,          /* the lock taken ahead has not answered: seqs from outbox_state */
} s_add_mode_t;

static const struct {
    const char *name;
    const char *sql;
    bool last; /* $6 is the locked last_seq */
    bool ids;  /* the event ids are made here and sent: deferred */
} s_add_modes[] = {
    [S_ADD_UNNUMBERED] = {"ow_outbox_add_many", S_SQL_ADD_MANY, false, false},
    [S_ADD_NUMBER_AND_ADD] = {"ow_outbox_number_and_add", S_SQL_NUMBER_AND_ADD, true, false},
    [S_ADD_NUMBERED] = {"ow_outbox_add_numbered", S_SQL_ADD_NUMBERED, true, true},
    [S_ADD_AHEAD] = {"ow_outbox_add_ahead", S_SQL_ADD_AHEAD, false, true},
};

/* Appends array a, finished, as the next binary parameter. Returns 0, or -1 with err. */
static int s_array_param(ow_binary_array_t *a, const char **values, int *lengths, int *formats,
                         int *n, ow_error_t *err)
{
    if (!(values[*n] = (const char *)ow_binary_array_finish(a, &lengths[*n]))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    formats[(*n)++] = 1;
    return 0;
}

/* Inserts events[0..n) with one statement inside the open transaction on db, as mode says
 * (locked_last is the locked last_seq for the modes that send it). S_ADD_NUMBER_AND_ADD sets
 * *rows to every row numbered, in seq order, for the caller to clear; the modes with ids write
 * the event ids they made into ids[0..n). Returns 0, or -1 with err. */
static int s_add_many(ow_db_t *db, const ow_outbox_event_t *events, size_t n, s_add_mode_t mode,
                      uint64_t locked_last, PGresult **rows, char (*ids)[37], ow_error_t *err)
{
    enum { TYPE, CASE_NO, CENTRE, TIME, PAYLOAD, IDS, N_ARRAYS };
    static const uint32_t types[N_ARRAYS] = {
        [TYPE] = OW_BINARY_ARRAY_TEXT,     [CASE_NO] = OW_BINARY_ARRAY_TEXT,
        [CENTRE] = OW_BINARY_ARRAY_TEXT,   [TIME] = OW_BINARY_ARRAY_INT8,
        [PAYLOAD] = OW_BINARY_ARRAY_BYTEA, [IDS] = OW_BINARY_ARRAY_UUID};
    const bool deferred = s_add_modes[mode].ids;
    int rc = -1;
    PGresult *res = NULL;
    ow_binary_array_t a[N_ARRAYS];
    for (int k = 0; k < N_ARRAYS; k++)
        ow_binary_array_init(&a[k], types[k]);
    for (size_t i = 0; i < n; i++) {
        const ow_outbox_event_t *e = &events[i];
        if (s_event_check(e, err) != 0)
            goto cleanup;
        ow_binary_array_add_text(&a[TYPE], e->type);
        ow_binary_array_add_text(&a[CASE_NO], e->case_no);
        ow_binary_array_add_text(&a[CENTRE], e->centre_id);
        ow_binary_array_add_int8(&a[TIME], e->time_us);
        ow_binary_array_add_bytes(&a[PAYLOAD], e->payload, e->len);
        if (deferred) {
            ow_uuid_v7(ids[i]); /* time-ordered: the event_id index grows at its right edge */
            ow_binary_array_add_uuid(&a[IDS], ids[i]);
        }
    }
    /* Outside a transaction the events would commit on their own, without their change. */
    if (!ow_db_in_transaction(db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "ow_outbox_add_many outside a transaction: events are written with their "
                     "change");
        goto cleanup;
    }
    if (n == 0) {
        rc = 0;
        goto cleanup;
    }
    const char *name = s_add_modes[mode].name;
    if (ow_db_prepare(db, name, s_add_modes[mode].sql, err) != 0)
        goto cleanup;
    /* The five arrays, then the locked last_seq ($6) and the ids, as the mode sends them. */
    const char *values[N_ARRAYS + 1];
    int lengths[N_ARRAYS + 1] = {0}, formats[N_ARRAYS + 1] = {0};
    int n_params = 0;
    char last_text[24] = "";
    for (int k = TYPE; k <= PAYLOAD; k++)
        if (s_array_param(&a[k], values, lengths, formats, &n_params, err) != 0)
            goto cleanup;
    if (s_add_modes[mode].last) {
        snprintf(last_text, sizeof last_text, "%" PRIu64, locked_last);
        values[n_params++] = last_text;
    }
    if (deferred && s_array_param(&a[IDS], values, lengths, formats, &n_params, err) != 0)
        goto cleanup;
    if (deferred) {
        rc = ow_db_deferb(db, name, n_params, values, lengths, formats, err);
        goto cleanup;
    }
    res = ow_db_execb(db, name, n_params, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    if (mode == S_ADD_NUMBER_AND_ADD) {
        /* The seqs came back from the database: the waiting rows and ours, consecutive after
         * the locked last_seq, before COMMIT makes them permanent. */
        int count = PQntuples(res);
        uint64_t first = 0, top = 0;
        if (count < (int)n || s_seq_of(res, 0, 0, &first, err) != 0 ||
            s_seq_of(res, count - 1, 0, &top, err) != 0 || first != locked_last + 1 ||
            top != locked_last + (uint64_t)count) {
            if (err->code == OW_OK)
                ow_error_set(err, OW_INTERNAL,
                             "outbox: %d rows numbered %" PRIu64 "..%" PRIu64 " after %" PRIu64
                             " with %zu new (expected consecutive)",
                             count, first, top, locked_last, n);
            goto cleanup;
        }
    }
    if (rows) {
        *rows = res;
        res = NULL;
    }
    rc = 0;
cleanup:
    PQclear(res);
    for (int k = 0; k < N_ARRAYS; k++)
        ow_binary_array_clear(&a[k]);
    return rc;
}

int ow_outbox_hold_numbering(ow_db_t *db, uint64_t *last_seq, ow_error_t *err)
{
    PGresult *res = ow_db_exec_planned(db, S_SQL_LOCK, 0, NULL, err);
    if (!res)
        return -1;
    int rc = PQntuples(res) == 1 ? s_seq_of(res, 0, 0, last_seq, err) : -1;
    if (PQntuples(res) != 1)
        ow_error_set(err, OW_INTERNAL, "outbox_state has %d rows, expected 1", PQntuples(res));
    PQclear(res);
    return rc;
}

int ow_outbox_add_many(ow_db_t *db, const ow_outbox_event_t *events, size_t n, ow_error_t *err)
{
    return s_add_many(db, events, n, S_ADD_UNNUMBERED, 0, NULL, NULL, err);
}

/* ---- rows → envelopes ---- */

/* Reads row `row` of an outbox result (seq, event_id, type, case_no, centre_id, time_us,
 * payload) into *ev, its payload decoded by libpq (free it with PQfreemem). Returns 0, or -1
 * with err. */
static int s_row_fields(const PGresult *res, int row, const char *source, ow_event_t *ev,
                        ow_error_t *err)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = strtoull(PQgetvalue(res, row, 0), NULL, 10);
    ow_text_put(ev->event_id, sizeof ev->event_id, PQgetvalue(res, row, 1));
    ow_text_put(ev->source, sizeof ev->source, source);
    ow_text_put(ev->type, sizeof ev->type, PQgetvalue(res, row, 2));
    ow_text_put(ev->case_no, sizeof ev->case_no, PQgetvalue(res, row, 3));
    ow_text_put(ev->centre_id, sizeof ev->centre_id, PQgetvalue(res, row, 4));
    ev->time_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    ev->payload = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, 6), &ev->payload_len);
    if (!ev->payload) {
        ow_error_set(err, OW_INTERNAL, "out of memory decoding the payload of seq %" PRIu64,
                     ev->seq);
        return -1;
    }
    return 0;
}

/* As s_row_fields, with a payload of its own (ow_event_clear frees it): for events held until
 * a commit. */
static int s_row_event(const PGresult *res, int row, const char *source, ow_event_t *ev,
                       ow_error_t *err)
{
    if (s_row_fields(res, row, source, ev, err) != 0)
        return -1;
    uint8_t *decoded = ev->payload;
    ev->payload = malloc(ev->payload_len ? ev->payload_len : 1);
    if (ev->payload)
        memcpy(ev->payload, decoded, ev->payload_len);
    PQfreemem(decoded);
    if (!ev->payload) {
        ow_error_set(err, OW_INTERNAL, "out of memory holding the payload of seq %" PRIu64,
                     ev->seq);
        return -1;
    }
    return 0;
}

/* Packs row `row` as an Envelope of `source` for publishing or replay (the payload only
 * borrowed from libpq). Returns 0 with *out (caller frees), or -1 with err. */
static int s_pack_row(const PGresult *res, int row, const char *source, uint8_t **out,
                      size_t *out_len, ow_error_t *err)
{
    ow_event_t ev;
    if (s_row_fields(res, row, source, &ev, err) != 0)
        return -1;
    int rc = ow_envelope_pack(&ev, out, out_len, err);
    PQfreemem(ev.payload);
    return rc;
}

/* ---- publishing ---- */

static void s_publish(ow_relay_t *self, const char *topic, const uint8_t *env, size_t len)
{
    const void *frames[2] = {topic, env};
    const size_t sizes[2] = {strlen(topic), len};
    if (ow_zsend(self->pub, NULL, frames, sizes, 2) == 0) {
        self->published++;
        return;
    }
    self->dropped++;
    int64_t now = ow_clock_mono_us();
    if (now >= self->next_drop_log) {
        char n[24];
        snprintf(n, sizeof n, "%" PRIu64, self->dropped);
        ow_log_kv(OW_LOG_WARN, "relay: event not published (consumers will replay it)", "error",
                  zmq_strerror(errno), "dropped_total", n, NULL);
        self->next_drop_log = now + S_LOG_EVERY_US;
    }
}

static void s_publish_rows(ow_relay_t *self, const PGresult *rows)
{
    for (int i = 0; i < PQntuples(rows); i++) {
        uint8_t *env = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        if (s_pack_row(rows, i, self->source, &env, &len, &err) != 0) {
            /* The event keeps its seq; a consumer's replay will meet the same error and
             * report it. ow_outbox_add's checks make this a hand-edited row. */
            ow_log_kv(OW_LOG_ERROR, "relay: outbox row cannot be packed", "seq",
                      PQgetvalue(rows, i, 0), "error", err.message, NULL);
            continue;
        }
        s_publish(self, PQgetvalue(rows, i, 2), env, len);
        free(env);
    }
}

static void s_on_heartbeat(void *arg)
{
    ow_relay_t *self = arg;
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    ow_uuid_v4(ev.event_id);
    ow_text_put(ev.source, sizeof ev.source, self->source);
    ow_text_put(ev.type, sizeof ev.type, OW_HEARTBEAT_TYPE);
    ev.seq = self->last_seq;
    ev.time_us = ow_clock_now_us();
    uint8_t *env = NULL;
    size_t len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_envelope_pack(&ev, &env, &len, &err) != 0) {
        ow_log_kv(OW_LOG_ERROR, "relay: cannot pack a heartbeat", "error", err.message, NULL);
        return;
    }
    s_publish(self, OW_HEARTBEAT_TYPE, env, len);
    free(env);
}

/* ---- the pass ---- */

static int s_seq_of(const PGresult *res, int row, int col, uint64_t *out, ow_error_t *err)
{
    char *end = NULL;
    const char *text = PQgetvalue(res, row, col);
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        ow_error_set(err, OW_INTERNAL, "outbox: '%s' is not a seq", text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Inside an open transaction on self->db: takes the relay's lock and numbers the unsequenced
 * rows this transaction can see (committed ones, and its own) from the locked last seq.
 * Returns the numbered rows (caller clears them; they may be none) with *last set to the
 * seq before them, or NULL with err. */
static PGresult *s_number(ow_relay_t *self, uint64_t *last, ow_error_t *err)
{
    PGresult *res = ow_db_exec(self->db, "ow_relay_lock", 0, NULL, err);
    PGresult *rows = NULL;
    if (!res)
        return NULL;
    if (PQntuples(res) != 1 || s_seq_of(res, 0, 0, last, err) != 0) {
        if (PQntuples(res) != 1)
            ow_error_set(err, OW_INTERNAL, "outbox_state has %d rows, expected 1", PQntuples(res));
        goto fail;
    }
    char last_text[24];
    snprintf(last_text, sizeof last_text, "%" PRIu64, *last);
    const char *p1[1] = {last_text};
    rows = ow_db_exec(self->db, "ow_relay_number", 1, p1, err);
    if (!rows)
        goto fail;
    int count = PQntuples(rows);
    if (count > 0) {
        /* The seqs came back from the database: check they are what we meant to write
         * before making them permanent. */
        uint64_t first = 0, top = 0;
        if (s_seq_of(rows, 0, 0, &first, err) != 0 || s_seq_of(rows, count - 1, 0, &top, err) != 0)
            goto fail;
        if (first != *last + 1 || top != *last + (uint64_t)count) {
            ow_error_set(err, OW_INTERNAL,
                         "relay numbered seqs %" PRIu64 "..%" PRIu64 " after %" PRIu64
                         " (expected %d consecutive)",
                         first, top, *last, count);
            goto fail;
        }
        snprintf(last_text, sizeof last_text, "%" PRIu64, top);
        PQclear(res);
        res = ow_db_exec(self->db, "ow_relay_advance", 1, p1, err);
        if (!res)
            goto fail;
    }
    PQclear(res);
    return rows;
fail:
    PQclear(res);
    PQclear(rows);
    return NULL;
}

int ow_relay_pass(ow_relay_t *self, ow_error_t *err)
{
    int n = -1;
    PGresult *res = NULL;
    PGresult *rows = NULL;
    uint64_t last = 0;
    if (ow_db_in_transaction(self->db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "relay pass refused: a transaction is open on the connection");
        return -1;
    }
    res = ow_db_exec_planned(self->db, S_SQL_PEEK, 0, NULL, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "outbox_state has %d rows, expected 1", PQntuples(res));
        goto cleanup;
    }
    if (s_seq_of(res, 0, 0, &last, err) != 0)
        goto cleanup;
    self->last_seq = last;
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        n = 0;
        goto cleanup;
    }
    if (ow_db_begin(self->db, err) != 0)
        goto cleanup;
    if (!(rows = s_number(self, &last, err)))
        goto cleanup;
    if (ow_db_commit(self->db, err) != 0)
        goto cleanup;
    int count = PQntuples(rows);
    self->last_seq = last + (uint64_t)count;
    /* Only after COMMIT: nothing is published that was not committed. */
    s_publish_rows(self, rows);
    n = count;
cleanup:
    if (ow_db_in_transaction(self->db))
        ow_db_rollback(self->db);
    PQclear(res);
    PQclear(rows);
    return n;
}

/* A new slot at the end of what is held (zeroed), or NULL with err. */
static ow_event_t *s_hold_slot(ow_relay_t *self, ow_error_t *err)
{
    if (self->n_held == self->held_cap) {
        size_t cap = self->held_cap ? 2 * self->held_cap : 256;
        ow_event_t *held = realloc(self->held, cap * sizeof *held);
        if (!held) {
            ow_error_set(err, OW_INTERNAL, "relay: out of memory holding %zu events", cap);
            return NULL;
        }
        self->held = held;
        self->held_cap = cap;
    }
    ow_event_t *ev = &self->held[self->n_held++];
    memset(ev, 0, sizeof *ev);
    return ev;
}

/* Keeps rows[from..to) (whole outbox rows, numbered in the caller's transaction). A row that
 * cannot be read is logged and keeps its seq (an empty slot), as in a pass. */
static int s_hold_rows(ow_relay_t *self, const PGresult *rows, int from, int to, ow_error_t *err)
{
    for (int i = from; i < to; i++) {
        ow_event_t *ev = s_hold_slot(self, err);
        if (!ev)
            return -1;
        ow_error_t why;
        ow_error_clear(&why);
        if (s_row_event(rows, i, self->source, ev, &why) != 0) {
            ow_log_kv(OW_LOG_ERROR, "relay: outbox row cannot be read", "seq",
                      PQgetvalue(rows, i, 0), "error", why.message, NULL);
            ow_event_clear(ev);
        }
    }
    return 0;
}

/* Keeps a copy of the caller's event e, numbered seq with event_id. */
static int s_hold_event(ow_relay_t *self, const ow_outbox_event_t *e, uint64_t seq,
                        const char *event_id, ow_error_t *err)
{
    ow_event_t *ev = s_hold_slot(self, err);
    if (!ev)
        return -1;
    ev->seq = seq;
    ow_text_put(ev->event_id, sizeof ev->event_id, event_id);
    ow_text_put(ev->source, sizeof ev->source, self->source);
    ow_text_put(ev->type, sizeof ev->type, e->type);
    ow_text_put(ev->case_no, sizeof ev->case_no, e->case_no ? e->case_no : "");
    ow_text_put(ev->centre_id, sizeof ev->centre_id, e->centre_id ? e->centre_id : "");
    ev->time_us = e->time_us;
    ev->payload = malloc(e->len ? e->len : 1);
    if (!ev->payload) {
        ev->type[0] = '\0';
        ow_error_set(err, OW_INTERNAL, "relay: out of memory holding an event");
        return -1;
    }
    if (e->len)
        memcpy(ev->payload, e->payload, e->len);
    ev->payload_len = e->len;
    return 0;
}

/* Drops what is held, unpublished. */
static void s_held_clear(ow_relay_t *self)
{
    for (size_t i = 0; i < self->n_held; i++)
        ow_event_clear(&self->held[i]);
    self->n_held = 0;
    self->held_full = false;
    self->held_ahead = false;
}

/* The seq after everything held: where the next numbering in this transaction starts. */
static uint64_t s_held_top(const ow_relay_t *self)
{
    return self->held_after + self->n_held;
}

int ow_relay_number_in_transaction(ow_relay_t *self, ow_error_t *err)
{
    if (!ow_db_in_transaction(self->db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "relay: numbering in a transaction needs an open transaction");
        return -1;
    }
    uint64_t last = 0;
    PGresult *rows = s_number(self, &last, err);
    /* s_number took the lock itself: a lock read ahead (which arrived, at the latest, with its
     * statements) is stale once last_seq moves. */
    PQclear(self->ahead);
    self->ahead = NULL;
    if (!rows)
        return -1;
    if (self->n_held == 0)
        self->held_after = last;
    int count = PQntuples(rows);
    self->held_full = self->held_full || count == S_PASS_MAX;
    int rc = s_hold_rows(self, rows, 0, count, err);
    PQclear(rows);
    return rc == 0 ? count : -1;
}

int ow_relay_add_numbered(ow_relay_t *self, const ow_outbox_event_t *events, size_t n,
                          ow_error_t *err)
{
    if (n == 0)
        return ow_relay_number_in_transaction(self, err) < 0 ? -1 : 0;
    if (!ow_db_in_transaction(self->db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "relay: numbered events need an open transaction");
        return -1;
    }
    /* The lock in its own statement, so that the next one's snapshot sees every row a
     * previous holder numbered (S_SQL_LOCK) — or what it read when taken ahead. */
    PGresult *res = self->ahead;
    self->ahead = NULL;
    if (!res) {
        res = ow_db_exec_planned(self->db, S_SQL_LOCK_PEEK, 0, NULL, err);
        /* A lock taken ahead whose answer only arrived with this one: stale after this call. */
        PQclear(self->ahead);
        self->ahead = NULL;
    }
    uint64_t last = 0;
    if (!res)
        return -1;
    if (PQntuples(res) != 1 || s_seq_of(res, 0, 0, &last, err) != 0) {
        if (PQntuples(res) != 1)
            ow_error_set(err, OW_INTERNAL, "outbox_state has %d rows, expected 1", PQntuples(res));
        PQclear(res);
        return -1;
    }
    bool waiting = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    if (!waiting) {
        /* The usual case: ours take the seqs after last, with ids made here, and the insert
         * travels with the caller's next statement or COMMIT. */
        char(*ids)[37] = malloc(n * sizeof *ids);
        if (!ids) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            return -1;
        }
        int rc = s_add_many(self->db, events, n, S_ADD_NUMBERED, last, NULL, ids, err);
        if (rc == 0 && self->n_held == 0)
            self->held_after = last;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = s_hold_event(self, &events[i], last + 1 + i, ids[i], err);
        free(ids);
        return rc;
    }
    PGresult *rows = NULL;
    if (s_add_many(self->db, events, n, S_ADD_NUMBER_AND_ADD, last, &rows, NULL, err) != 0)
        return -1;
    if (self->n_held == 0)
        self->held_after = last;
    /* The waiting rows come first, whole; then ours, as seq and event id (S_SQL_NUMBER_AND_ADD),
     * in the order of events. */
    int count = PQntuples(rows), numbered = count - (int)n;
    self->held_full = self->held_full || numbered == S_PASS_MAX;
    int rc = s_hold_rows(self, rows, 0, numbered, err);
    for (int i = numbered; rc == 0 && i < count; i++) {
        uint64_t seq = 0;
        rc = s_seq_of(rows, i, 0, &seq, err);
        if (rc == 0)
            rc = s_hold_event(self, &events[i - numbered], seq, PQgetvalue(rows, i, 1), err);
    }
    PQclear(rows);
    return rc;
}

int ow_relay_lock_ahead(ow_relay_t *self, ow_error_t *err)
{
    PQclear(self->ahead);
    self->ahead = NULL;
    return ow_db_defer_text(self->db, S_SQL_LOCK_PEEK, &self->ahead, err);
}

int ow_relay_add_numbered_ahead(ow_relay_t *self, const ow_outbox_event_t *events, size_t n,
                                ow_error_t *err)
{
    if (!ow_db_in_transaction(self->db) || self->n_held > 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "relay: events numbered ahead need an open transaction with nothing else "
                     "numbered in it");
        return -1;
    }
    if (n == 0)
        return 0;
    char(*ids)[37] = malloc(n * sizeof *ids);
    if (!ids) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    int rc = s_add_many(self->db, events, n, S_ADD_AHEAD, 0, NULL, ids, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_hold_event(self, &events[i], 1 + i, ids[i], err);
    free(ids);
    self->held_ahead = true;
    return rc;
}

/* The seqs of events numbered ahead, from the lock's answer that came with COMMIT: the last_seq
 * the statement numbered after. Returns false (logged) when that answer is missing or unreadable:
 * the rows are committed and numbered, but cannot be published here; subscribers recover them
 * by replay. */
static bool s_held_rebase(ow_relay_t *self)
{
    ow_error_t err;
    ow_error_clear(&err);
    uint64_t last = 0;
    if (!self->ahead || PQntuples(self->ahead) != 1 ||
        s_seq_of(self->ahead, 0, 0, &last, &err) != 0) {
        ow_log_kv(OW_LOG_ERROR,
                  "relay: the lock taken ahead did not answer; committed events left "
                  "to replay",
                  "source", self->source, "error", err.message, NULL);
        return false;
    }
    for (size_t i = 0; i < self->n_held; i++)
        self->held[i].seq += last;
    self->held_after = last;
    /* Rows that waited were not numbered by the statement: the next pass numbers them (their
     * writer kicked it; the lock taken ahead by ow_relay_lock_ahead also says whether any
     * waited, and then it is kicked here too). */
    if (PQnfields(self->ahead) > 1 && PQgetvalue(self->ahead, 0, 1)[0] == 't')
        ow_relay_kick(self);
    return true;
}

int ow_relay_lock_deferred(ow_relay_t *self, ow_error_t *err)
{
    PQclear(self->ahead);
    self->ahead = NULL;
    return ow_db_defer_keep(self->db, "ow_relay_lock", 0, NULL, &self->ahead, err);
}

void ow_relay_after_commit(ow_relay_t *self, bool committed)
{
    if (committed && self->held_ahead && !s_held_rebase(self)) {
        s_held_clear(self);
        ow_relay_kick(self);
    }
    PQclear(self->ahead);
    self->ahead = NULL;
    /* A numbering that took a full pass's worth may have left rows behind. */
    bool full = committed && self->held_full;
    if (committed && self->n_held > 0) {
        self->last_seq = s_held_top(self);
        for (size_t i = 0; i < self->n_held; i++) {
            const ow_event_t *ev = &self->held[i];
            uint8_t *env = NULL;
            size_t len = 0;
            ow_error_t err;
            ow_error_clear(&err);
            if (!ev->type[0])
                continue; /* a row that could not be read (logged) */
            if (ow_envelope_pack(ev, &env, &len, &err) != 0)
                ow_log_kv(OW_LOG_ERROR, "relay: event cannot be packed", "type", ev->type, "error",
                          err.message, NULL);
            else
                s_publish(self, ev->type, env, len);
            free(env);
        }
    }
    s_held_clear(self);
    if (full)
        ow_relay_kick(self);
}

static void s_on_pass_timer(void *arg)
{
    ow_relay_t *self = arg;
    /* A caller's transaction is open on our connection (a handler is running the loop
     * inside one): a pass now would commit their work. Come back in a moment. */
    if (ow_db_in_transaction(self->db)) {
        ow_timer_arm(self->pass_timer, S_BUSY_RETRY_S);
        return;
    }
    ow_error_t err;
    ow_error_clear(&err);
    int n = ow_relay_pass(self, &err);
    if (n < 0 && !self->failing) {
        ow_log_kv(OW_LOG_WARN, "relay pass failed (retrying every 200 ms)", "source", self->source,
                  "error", err.message, NULL);
        self->failing = true;
    } else if (n >= 0 && self->failing) {
        ow_log_kv(OW_LOG_INFO, "relay pass recovered", "source", self->source, NULL);
        self->failing = false;
    }
    /* A full pass means more rows wait: take them now rather than in 200 ms. */
    ow_timer_arm(self->pass_timer, n == S_PASS_MAX ? 0 : S_PASS_INTERVAL_S);
}

/* ---- retention ---- */

static void s_on_retention(void *arg)
{
    ow_relay_t *self = arg;
    if (self->retention_days <= 0)
        return;
    if (ow_db_in_transaction(self->db)) {
        ow_timer_arm(self->retention_timer, 1.0);
        return;
    }
    ow_timer_arm(self->retention_timer, S_RETENTION_S);
    char days[16];
    snprintf(days, sizeof days, "%d", self->retention_days);
    const char *params[1] = {days};
    long deleted = 0;
    for (int batch = 0; batch < S_TRIM_BATCHES; batch++) {
        ow_error_t err;
        ow_error_clear(&err);
        PGresult *res = ow_db_exec(self->db, "ow_relay_trim", 1, params, &err);
        if (!res) {
            ow_log_kv(OW_LOG_WARN, "relay: outbox retention failed (next run in an hour)", "error",
                      err.message, NULL);
            break;
        }
        long n = strtol(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        deleted += n;
        if (n < S_TRIM_BATCH)
            break;
    }
    if (deleted > 0) {
        char n[24];
        snprintf(n, sizeof n, "%ld", deleted);
        ow_log_kv(OW_LOG_INFO, "relay: old events deleted from the outbox", "count", n,
                  "retention_days", days, NULL);
    }
}

void ow_relay_set_retention_days(ow_relay_t *self, int days)
{
    self->retention_days = days;
    if (days > 0)
        ow_timer_arm(self->retention_timer, 0);
}

/* ---- _replay ---- */

static void s_on_replay(ow_rpc_call_t *call, void *arg)
{
    ow_relay_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *rows = NULL;
    PGresult *state = NULL;
    Onewindow__V1__ReplayRequest *req = NULL;
    ProtobufCBinaryData *envs = NULL;
    int packed = 0;
    uint8_t *out = NULL;

    size_t len = 0;
    const uint8_t *data = ow_rpc_call_payload(call, &len);
    req = onewindow__v1__replay_request__unpack(NULL, len, data);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "payload is not a onewindow.v1.ReplayRequest");
        goto fail;
    }
    uint64_t after = req->after_seq;
    uint32_t limit = req->limit == 0 || req->limit > S_REPLAY_MAX ? S_REPLAY_MAX : req->limit;
    if (after > (uint64_t)INT64_MAX) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, "after_seq %" PRIu64 " is out of range", after);
        goto fail;
    }
    if (ow_db_in_transaction(self->db)) {
        ow_error_set(&err, OW_UNAVAILABLE, "the source is busy: try again");
        goto fail;
    }
    char after_text[24], limit_text[16];
    snprintf(after_text, sizeof after_text, "%" PRIu64, after);
    snprintf(limit_text, sizeof limit_text, "%" PRIu32, limit);
    const char *params[2] = {after_text, limit_text};
    /* last_seq is read before the rows: every seq up to it was committed by then, so the
     * rows query must see it unless retention removed it (another instance's relay may
     * commit more in between; those only raise last below). */
    state = ow_db_exec(self->db, "ow_relay_last", 0, NULL, &err);
    if (!state)
        goto fail;
    uint64_t last = 0;
    if (PQntuples(state) != 1 || s_seq_of(state, 0, 0, &last, &err) != 0) {
        ow_error_set(&err, OW_INTERNAL, "outbox_state is not readable");
        goto fail;
    }
    rows = ow_db_exec(self->db, "ow_relay_replay", 2, params, &err);
    if (!rows)
        goto fail;
    int count = PQntuples(rows);
    envs = calloc(count > 0 ? (size_t)count : 1, sizeof *envs);
    if (!envs) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    size_t bytes = 0;
    uint64_t expect = after + 1;
    for (int i = 0; i < count; i++) {
        uint64_t seq = 0;
        if (s_seq_of(rows, i, 0, &seq, &err) != 0)
            goto fail;
        if (seq != expect) {
            /* Only retention removes sequenced rows, and only as a prefix. */
            ow_error_set(&err, OW_FAILED_PRECONDITION,
                         "events after seq %" PRIu64 " are no longer kept (oldest kept is %" PRIu64
                         "): the outbox retention removed them",
                         after, seq);
            goto fail;
        }
        uint8_t *env = NULL;
        size_t env_len = 0;
        if (s_pack_row(rows, i, self->source, &env, &env_len, &err) != 0)
            goto fail;
        /* The reply is one frame: stop before it would pass the frame limit (the first
         * event always fits, see S_PAYLOAD_MAX); the consumer asks again for the rest. */
        if (i > 0 && bytes + env_len > S_REPLAY_BYTES) {
            free(env);
            break;
        }
        envs[packed].data = env;
        envs[packed].len = env_len;
        packed++;
        bytes += env_len;
        expect++;
        if (seq > last)
            last = seq;
    }
    if (count == 0 && last > after) {
        ow_error_set(&err, OW_FAILED_PRECONDITION,
                     "events after seq %" PRIu64 " are no longer kept: the outbox retention "
                     "removed them",
                     after);
        goto fail;
    }
    Onewindow__V1__ReplayReply reply = ONEWINDOW__V1__REPLAY_REPLY__INIT;
    reply.n_envelopes = (size_t)packed;
    reply.envelopes = envs;
    reply.last_seq = last;
    size_t out_len = onewindow__v1__replay_reply__get_packed_size(&reply);
    out = malloc(out_len ? out_len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    onewindow__v1__replay_reply__pack(&reply, out);
    ow_rpc_reply(call, out, out_len);
    goto cleanup;
fail:
    ow_rpc_reply_error(call, &err);
cleanup:
    if (req)
        onewindow__v1__replay_request__free_unpacked(req, NULL);
    for (int i = 0; i < packed; i++)
        free(envs[i].data);
    free(envs);
    free(out);
    PQclear(rows);
    PQclear(state);
}

/* ---- life cycle ---- */

ow_relay_t *ow_relay_new(ow_loop_t *loop, ow_db_t *db, const char *source, const char *bus_endpoint,
                         ow_rpc_server_t *server, ow_error_t *err)
{
    ow_relay_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->db = db;
    self->retention_days = S_RETENTION_DAYS;
    if (!source || !*source || strlen(source) > OW_SOURCE_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "relay source '%s' must be 1-%d bytes",
                     source ? source : "(null)", OW_SOURCE_MAX);
        goto fail;
    }
    self->source = strdup(source);
    if (!self->source) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (ow_db_prepare(db, "ow_relay_lock", S_SQL_LOCK, err) != 0 ||
        ow_db_prepare(db, "ow_relay_number", S_SQL_NUMBER, err) != 0 ||
        ow_db_prepare(db, "ow_relay_advance", S_SQL_ADVANCE, err) != 0 ||
        ow_db_prepare(db, "ow_relay_replay", S_SQL_REPLAY, err) != 0 ||
        ow_db_prepare(db, "ow_relay_last", S_SQL_LAST, err) != 0 ||
        ow_db_prepare(db, "ow_relay_trim", S_SQL_TRIM, err) != 0)
        goto fail;

    self->pub = zmq_socket(ow_loop_zctx(loop), ZMQ_PUB);
    if (!self->pub) {
        ow_error_set(err, OW_INTERNAL, "cannot create the relay's PUB socket: %s",
                     zmq_strerror(errno));
        goto fail;
    }
    /* A large queue rides out a slow bus; NODROP makes a full queue an EAGAIN we count,
     * instead of PUB's silent drop. */
    int hwm = S_SNDHWM, nodrop = 1;
    if (zmq_setsockopt(self->pub, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(self->pub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop) != 0 ||
        zmq_connect(self->pub, bus_endpoint) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "relay cannot connect to the bus at %s: %s",
                     bus_endpoint, zmq_strerror(errno));
        goto fail;
    }
    self->pass_timer = ow_loop_timer(loop, 0, false, s_on_pass_timer, self);
    self->heartbeat_timer = ow_loop_timer(loop, S_HEARTBEAT_S, true, s_on_heartbeat, self);
    self->retention_timer = ow_loop_timer(loop, S_RETENTION_S, false, s_on_retention, self);
    if (!self->pass_timer || !self->heartbeat_timer || !self->retention_timer) {
        ow_error_set(err, OW_INTERNAL, "out of memory creating the relay's timers");
        goto fail;
    }
    if (server)
        ow_rpc_server_handle(server, "_replay", s_on_replay, self);
    return self;
fail:
    ow_relay_destroy(&self);
    return NULL;
}

void ow_relay_destroy(ow_relay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_relay_t *self = *self_p;
    ow_timer_destroy(&self->pass_timer);
    ow_timer_destroy(&self->heartbeat_timer);
    ow_timer_destroy(&self->retention_timer);
    s_held_clear(self);
    free(self->held);
    PQclear(self->ahead);
    if (self->pub)
        zmq_close(self->pub);
    free(self->source);
    free(self);
    *self_p = NULL;
}

void ow_relay_kick(ow_relay_t *self)
{
    ow_timer_arm(self->pass_timer, 0);
}

uint64_t ow_relay_last_seq(const ow_relay_t *self)
{
    return self->last_seq;
}

uint64_t ow_relay_dropped(const ow_relay_t *self)
{
    return self->dropped;
}
