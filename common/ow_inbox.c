/* ow_inbox — consuming the events of followed sources exactly once: live from the bus,
 * gaps closed by "_replay", each event applied in the transaction that advances its
 * source's last_seq. */
#include "ow_inbox.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "ow_rpc.h"
#include "onewindow/v1/envelope.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_BATCH_MAX         100   /* events per apply transaction */
#define S_QUEUE_MAX         10000 /* events waiting per source; more are left to replay */
#define S_QUEUE_BYTES_MAX   (64u << 20)
#define S_REPLAY_LIMIT      1000
#define S_REPLAY_TIMEOUT_MS 5000
#define S_BACKOFF_MIN_MS    1000
#define S_BACKOFF_MAX_MS    10000
#define S_BUSY_RETRY_S      0.05 /* the connection was inside someone's transaction */
#define S_RCVHWM            100000
#define S_LOG_EVERY_US      (10 * 1000000LL)
#define S_HOOKS_MAX         8

typedef enum { S_APPLIED, S_CONFLICT, S_FAILED } s_outcome_t;

typedef struct {
    char *prefix;
    size_t len;
    ow_inbox_apply_fn *fn;
    void *arg;
} s_handler_t;

typedef struct {
    ow_inbox_t *inbox;
    char *name;
    char *endpoint;
    ow_rpc_client_t *client;
    ow_timer_t *retry_timer;
    uint64_t last_seq; /* committed in <schema>.inbox */
    /* Events last_seq+1 .. last_seq+qlen, in order, waiting to be applied:
     * queue[qhead .. qhead+qlen). */
    ow_event_t *queue;
    size_t qhead, qlen, qcap, qbytes;
    size_t single;  /* the next `single` events are applied one per transaction */
    bool replaying; /* a _replay call is in flight */
    bool blocked;   /* after a failure, until the retry timer fires */
    int backoff_ms;
} s_source_t;

struct ow_inbox {
    ow_loop_t *loop;
    ow_db_t *db; /* not owned */
    void *sub;
    ow_zwatch_t *watch;
    ow_timer_t *flush_timer;
    s_source_t **sources;
    size_t source_count;
    s_handler_t *handlers;
    size_t handler_count;
    /* Every registered hook runs: ow_service needs one (the test clock) and a service may
     * add its own without silently replacing it. */
    struct {
        ow_inbox_committed_fn *fn;
        void *arg;
    } on_commit[S_HOOKS_MAX];
    size_t hook_count;
    bool started;
    bool applying;   /* inside an apply transaction: see s_apply */
    bool destroying; /* callbacks fired by destroy must touch nothing */
    uint64_t applied, skipped, poison, malformed;
    int64_t next_malformed_log;
};

static const char S_SQL_INIT[] =
    "INSERT INTO inbox (source) VALUES ($1) ON CONFLICT (source) DO NOTHING";
static const char S_SQL_LOAD[] = "SELECT last_seq FROM inbox WHERE source = $1";
/* First statement of every apply transaction. Its row lock serialises several instances
 * of one consumer: the second waits, then finds last_seq moved and matches no row, so it
 * rolls back instead of applying the event twice. */
static const char S_SQL_ADVANCE[] = "UPDATE inbox SET last_seq = $2, updated_at = now() "
                                    "WHERE source = $1 AND last_seq = $2::bigint - 1";
static const char S_SQL_POISON[] =
    "INSERT INTO inbox_poison (source, seq, type, error, envelope) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (source, seq) DO NOTHING";

static void s_replay(s_source_t *src);
static void s_flush_source(s_source_t *src);

/* ---- the queue ---- */

static ow_event_t *s_queued(s_source_t *src, size_t i)
{
    return &src->queue[src->qhead + i];
}

static void s_pop(s_source_t *src, size_t n)
{
    for (size_t i = 0; i < n && src->qlen > 0; i++) {
        ow_event_t *ev = s_queued(src, 0);
        src->qbytes -= ev->payload_len;
        ow_event_clear(ev);
        src->qhead++;
        src->qlen--;
    }
    if (src->qlen == 0)
        src->qhead = 0;
    src->single = src->single > n ? src->single - n : 0;
}

static void s_clear_queue(s_source_t *src)
{
    s_pop(src, src->qlen);
    src->single = 0;
}

/* Appends ev (taking its contents). Returns false, leaving ev to the caller, when the
 * queue is full: the event will come again by replay. */
static bool s_push(s_source_t *src, ow_event_t *ev)
{
    if (src->qlen >= S_QUEUE_MAX || src->qbytes + ev->payload_len > S_QUEUE_BYTES_MAX)
        return false;
    if (src->qhead + src->qlen == src->qcap) {
        if (src->qhead > 0) {
            memmove(src->queue, src->queue + src->qhead, src->qlen * sizeof *src->queue);
            src->qhead = 0;
        } else {
            size_t cap = src->qcap ? src->qcap * 2 : 64;
            ow_event_t *q = realloc(src->queue, cap * sizeof *q);
            if (!q)
                return false;
            src->queue = q;
            src->qcap = cap;
        }
    }
    src->queue[src->qhead + src->qlen] = *ev;
    src->qlen++;
    src->qbytes += ev->payload_len;
    memset(ev, 0, sizeof *ev);
    return true;
}

typedef enum { S_TAKEN, S_DUPLICATE, S_GAP, S_LEFT } s_offer_t;

/* Offers the next event of src's stream (takes ownership of ev's payload in every case).
 * Only the event right after the last applied or queued one is taken: anything below is a
 * repeat, anything above a gap for replay to close. */
static s_offer_t s_offer(s_source_t *src, ow_event_t *ev)
{
    s_offer_t r;
    uint64_t next = src->last_seq + src->qlen + 1;
    if (ev->seq < next) {
        src->inbox->skipped++;
        r = S_DUPLICATE;
    } else if (src->blocked) {
        r = S_LEFT; /* a retry is scheduled; it replays from last_seq */
    } else if (ev->seq > next) {
        r = S_GAP;
    } else if (s_push(src, ev)) {
        r = S_TAKEN;
    } else {
        r = S_LEFT;
    }
    ow_event_clear(ev);
    return r;
}

/* ---- failure and back-off ---- */

/* Something went wrong for src (the source is unreachable, an event did not apply, a
 * reply made no sense): drop what is queued, wait, then reload last_seq and replay. One
 * path for every failure keeps the state small; replay makes it whole. */
static void s_fail_source(s_source_t *src, const char *what, const char *why)
{
    char wait[16];
    snprintf(wait, sizeof wait, "%d", src->backoff_ms);
    ow_log_kv(OW_LOG_WARN, what, "source", src->name, "error", why, "retry_in_ms", wait, NULL);
    s_clear_queue(src);
    src->blocked = true;
    ow_timer_arm(src->retry_timer, src->backoff_ms / 1000.0);
    src->backoff_ms =
        src->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : src->backoff_ms * 2;
}

/* Reads src's last_seq from the database (another instance, or a COMMIT whose outcome
 * was unknown, may have moved it) and drops queued events it covers. Returns 0, or -1 with
 * err. */
static int s_reload(s_source_t *src, ow_error_t *err)
{
    int rc = -1;
    const char *params[1] = {src->name};
    PGresult *res = ow_db_exec(src->inbox->db, "ow_inbox_load", 1, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "inbox has no row for source %s", src->name);
        goto cleanup;
    }
    uint64_t seq = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    if (seq >= src->last_seq && seq - src->last_seq <= src->qlen) {
        s_pop(src, (size_t)(seq - src->last_seq));
    } else {
        /* Moved past everything queued, or back (an operator rewound it): start over. */
        s_clear_queue(src);
    }
    src->last_seq = seq;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

static void s_on_retry(void *arg)
{
    s_source_t *src = arg;
    if (ow_db_in_transaction(src->inbox->db) || src->inbox->applying) {
        ow_timer_arm(src->retry_timer, S_BUSY_RETRY_S);
        return;
    }
    src->blocked = false;
    ow_error_t err;
    ow_error_clear(&err);
    if (s_reload(src, &err) != 0) {
        s_fail_source(src, "inbox cannot read its position", err.message);
        return;
    }
    s_replay(src);
}

/* ---- applying ---- */

static const s_handler_t *s_handler_for(const ow_inbox_t *self, const char *type)
{
    const s_handler_t *best = NULL;
    for (size_t i = 0; i < self->handler_count; i++) {
        const s_handler_t *h = &self->handlers[i];
        if (strncmp(type, h->prefix, h->len) == 0 && (!best || h->len > best->len))
            best = h;
    }
    return best;
}

/* Advances src's last_seq to seq inside the open transaction. Returns S_APPLIED, S_CONFLICT
 * (someone else already applied it), or S_FAILED with err. */
static s_outcome_t s_advance(s_source_t *src, uint64_t seq, ow_error_t *err)
{
    char seq_text[24];
    snprintf(seq_text, sizeof seq_text, "%" PRIu64, seq);
    const char *params[2] = {src->name, seq_text};
    PGresult *res = ow_db_exec(src->inbox->db, "ow_inbox_advance", 2, params, err);
    if (!res)
        return S_FAILED;
    s_outcome_t out = strcmp(PQcmdTuples(res), "1") == 0 ? S_APPLIED : S_CONFLICT;
    PQclear(res);
    return out;
}

/* Applies the first n queued events of src in one transaction. *by_handler says whether a
 * failure came from a handler (whose code then decides poison or retry) rather than from
 * the database. Nothing is dequeued here. */
static s_outcome_t s_apply(s_source_t *src, size_t n, ow_error_t *err, bool *by_handler)
{
    ow_inbox_t *self = src->inbox;
    s_outcome_t out = S_FAILED;
    *by_handler = false;
    if (ow_db_begin(self->db, err) != 0)
        return S_FAILED;
    /* Handlers are not supposed to turn the loop, but if one does, callbacks that would
     * change the queue see this and defer. */
    self->applying = true;
    for (size_t i = 0; i < n; i++) {
        const ow_event_t *ev = s_queued(src, i);
        out = s_advance(src, ev->seq, err);
        if (out != S_APPLIED)
            goto cleanup;
        out = S_FAILED;
        const s_handler_t *h = s_handler_for(self, ev->type);
        if (!h)
            continue;
        ow_error_clear(err);
        if (h->fn(self->db, ev, h->arg, err) != 0) {
            if (err->code == OW_OK)
                ow_error_set(err, OW_INTERNAL, "the handler failed without saying why");
            *by_handler = true;
            goto cleanup;
        }
    }
    if (ow_db_commit(self->db, err) != 0)
        goto cleanup;
    out = S_APPLIED;
cleanup:
    self->applying = false;
    if (ow_db_in_transaction(self->db))
        ow_db_rollback(self->db);
    return out;
}

/* Records the first queued event as poison and advances past it, in one transaction. */
static s_outcome_t s_poison(s_source_t *src, const char *why, ow_error_t *err)
{
    ow_inbox_t *self = src->inbox;
    s_outcome_t out = S_FAILED;
    PGresult *res = NULL;
    uint8_t *env = NULL;
    size_t env_len = 0;
    const ow_event_t *ev = s_queued(src, 0);
    ow_error_t pack_err;
    ow_error_clear(&pack_err);
    /* It was unpacked from a valid envelope, so it packs again; if not, an empty envelope
     * still leaves source, seq and type on record. */
    if (ow_envelope_pack(ev, &env, &env_len, &pack_err) != 0) {
        env = NULL;
        env_len = 0;
    }
    if (ow_db_begin(self->db, err) != 0)
        goto cleanup;
    out = s_advance(src, ev->seq, err);
    if (out != S_APPLIED)
        goto cleanup;
    out = S_FAILED;
    char seq_text[24];
    snprintf(seq_text, sizeof seq_text, "%" PRIu64, ev->seq);
    const char *values[5] = {src->name, seq_text, ev->type, why, env ? (const char *)env : ""};
    const int lengths[5] = {0, 0, 0, 0, (int)env_len};
    const int formats[5] = {0, 0, 0, 0, 1};
    res = ow_db_execb(self->db, "ow_inbox_poison", 5, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    if (ow_db_commit(self->db, err) != 0)
        goto cleanup;
    out = S_APPLIED;
cleanup:
    if (ow_db_in_transaction(self->db))
        ow_db_rollback(self->db);
    PQclear(res);
    free(env);
    return out;
}

/* After a commit that moved src by n events. */
static void s_committed(s_source_t *src, size_t n)
{
    src->last_seq += n;
    s_pop(src, n);
    src->backoff_ms = S_BACKOFF_MIN_MS;
    for (size_t i = 0; i < src->inbox->hook_count; i++)
        src->inbox->on_commit[i].fn(src->inbox->on_commit[i].arg);
}

/* Another instance applied what we were about to: take its position. Returns -1 when
 * src is now failed. */
static int s_after_conflict(s_source_t *src)
{
    uint64_t before = src->last_seq;
    ow_error_t err;
    ow_error_clear(&err);
    if (s_reload(src, &err) != 0) {
        s_fail_source(src, "inbox cannot read its position", err.message);
        return -1;
    }
    if (src->last_seq == before) {
        /* The row did not match yet last_seq did not move: nothing to learn by retrying
         * at once. */
        s_fail_source(src, "inbox position did not advance", "last_seq unchanged after a conflict");
        return -1;
    }
    return 0;
}

/* Applies what is queued for src: batches of up to S_BATCH_MAX; after a failed batch the
 * same events one at a time, so that only the bad one is isolated (poison is skipped,
 * anything else waits for a retry). */
static void s_flush_source(s_source_t *src)
{
    ow_inbox_t *self = src->inbox;
    while (src->qlen > 0 && !src->blocked && !self->destroying) {
        /* Our connection is shared with the service: never run inside its transaction. */
        if (ow_db_in_transaction(self->db) || self->applying) {
            ow_timer_arm(self->flush_timer, S_BUSY_RETRY_S);
            return;
        }
        size_t n = src->single > 0 ? 1 : (src->qlen < S_BATCH_MAX ? src->qlen : S_BATCH_MAX);
        ow_error_t err;
        ow_error_clear(&err);
        bool by_handler = false;
        s_outcome_t out = s_apply(src, n, &err, &by_handler);
        if (out == S_APPLIED) {
            self->applied += n;
            s_committed(src, n);
            continue;
        }
        if (out == S_CONFLICT) {
            if (s_after_conflict(src) != 0)
                return;
            continue;
        }
        if (n > 1) {
            src->single = n;
            continue;
        }
        const ow_event_t *ev = s_queued(src, 0);
        char seq[24];
        snprintf(seq, sizeof seq, "%" PRIu64, ev->seq);
        if (by_handler && err.code == OW_INVALID_ARGUMENT) {
            char why[OW_ERROR_MESSAGE_MAX];
            snprintf(why, sizeof why, "%s", err.message);
            ow_log_kv(OW_LOG_WARN, "poison event skipped", "source", src->name, "seq", seq, "type",
                      ev->type, "error", why, NULL);
            ow_error_clear(&err);
            out = s_poison(src, why, &err);
            if (out == S_APPLIED) {
                self->poison++;
                s_committed(src, 1);
                continue;
            }
            if (out == S_CONFLICT) {
                if (s_after_conflict(src) != 0)
                    return;
                continue;
            }
        }
        char what[128];
        snprintf(what, sizeof what, "event not applied, will retry (seq %s, %s)", seq, ev->type);
        s_fail_source(src, what, err.message);
        return;
    }
}

static void s_on_flush(void *arg)
{
    ow_inbox_t *self = arg;
    for (size_t i = 0; i < self->source_count; i++)
        s_flush_source(self->sources[i]);
}

/* ---- replay ---- */

static void s_on_replay_done(const ow_rpc_result_t *result, void *arg)
{
    s_source_t *src = arg;
    ow_inbox_t *self = src->inbox;
    Onewindow__V1__ReplayReply *reply = NULL;
    src->replaying = false;
    if (self->destroying)
        return;
    if (self->applying || src->blocked) {
        /* Nested inside an apply (see s_apply), or failed meanwhile: let the retry path
         * ask again. */
        if (!src->blocked)
            ow_timer_arm(src->retry_timer, S_BUSY_RETRY_S);
        src->blocked = true;
        return;
    }
    if (result->status != OW_OK) {
        char why[OW_ERROR_MESSAGE_MAX + 32];
        snprintf(why, sizeof why, "%s: %s", ow_status_name(result->status), result->message);
        s_fail_source(src, "replay failed", why);
        return;
    }
    reply = onewindow__v1__replay_reply__unpack(NULL, result->payload_len, result->payload);
    if (!reply) {
        s_fail_source(src, "replay failed", "reply is not a onewindow.v1.ReplayReply");
        return;
    }
    uint64_t head = reply->last_seq;
    size_t count = reply->n_envelopes;
    char why[OW_ERROR_MESSAGE_MAX + 64];
    why[0] = '\0';
    bool full = false;
    for (size_t i = 0; i < count && !why[0] && !full; i++) {
        ow_event_t ev;
        ow_error_t err;
        ow_error_clear(&err);
        if (ow_envelope_unpack(reply->envelopes[i].data, reply->envelopes[i].len, &ev, &err) != 0) {
            self->malformed++;
            snprintf(why, sizeof why, "envelope %zu of the reply: %s", i, err.message);
            break;
        }
        if (strcmp(ev.source, src->name) != 0 || strcmp(ev.type, OW_HEARTBEAT_TYPE) == 0) {
            snprintf(why, sizeof why, "reply carries an event of source '%s', type '%s'", ev.source,
                     ev.type);
            ow_event_clear(&ev);
            break;
        }
        uint64_t seq = ev.seq;
        switch (s_offer(src, &ev)) {
        case S_GAP:
            snprintf(why, sizeof why, "reply skips to seq %" PRIu64 " after %" PRIu64, seq,
                     src->last_seq + src->qlen);
            break;
        case S_LEFT:
            full = true; /* the queue is full: apply, then ask for the rest */
            break;
        default:
            break;
        }
    }
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);
    if (why[0]) {
        s_fail_source(src, "replay reply refused", why);
        return;
    }
    s_flush_source(src);
    if (src->blocked || self->destroying)
        return;
    uint64_t have = src->last_seq + src->qlen;
    if (head <= have) {
        src->backoff_ms = S_BACKOFF_MIN_MS;
        return;
    }
    /* The source has more than this reply carried (it stops at its limit): ask again. A
     * reply with nothing in it while claiming more would make that a busy loop. */
    if (count == 0) {
        s_fail_source(src, "replay reply refused", "no events, yet last_seq is ahead");
        return;
    }
    s_replay(src);
}

static void s_replay(s_source_t *src)
{
    ow_inbox_t *self = src->inbox;
    if (self->destroying || !self->started || src->replaying || src->blocked)
        return;
    Onewindow__V1__ReplayRequest req = ONEWINDOW__V1__REPLAY_REQUEST__INIT;
    req.after_seq = src->last_seq + src->qlen;
    req.limit = S_REPLAY_LIMIT;
    uint8_t buf[32];
    size_t len = onewindow__v1__replay_request__pack(&req, buf);
    src->replaying = true;
    ow_rpc_call(src->client, "_replay", NULL, ow_db_schema(self->db), buf, len, S_REPLAY_TIMEOUT_MS,
                s_on_replay_done, src);
}

/* ---- the bus ---- */

static s_source_t *s_find(const ow_inbox_t *self, const char *name)
{
    for (size_t i = 0; i < self->source_count; i++)
        if (strcmp(self->sources[i]->name, name) == 0)
            return self->sources[i];
    return NULL;
}

static void s_malformed(ow_inbox_t *self, const char *why)
{
    self->malformed++;
    int64_t now = ow_clock_mono_us();
    if (now < self->next_malformed_log)
        return;
    self->next_malformed_log = now + S_LOG_EVERY_US;
    char n[24];
    snprintf(n, sizeof n, "%" PRIu64, self->malformed);
    ow_log_kv(OW_LOG_WARN, "inbox: malformed frame on the bus dropped", "error", why,
              "malformed_total", n, NULL);
}

/* One message from the bus: [topic][Envelope]. Every frame of it is received here, however
 * many there are; only a well-formed pair becomes an event. */
static void s_on_message(void *zsock, void *arg)
{
    ow_inbox_t *self = arg;
    zmq_msg_t frames[2];
    size_t count = 0;
    bool extra = false;
    for (;;) {
        zmq_msg_t spare;
        zmq_msg_t *msg = count < 2 ? &frames[count] : &spare;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, zsock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(msg);
            break;
        }
        bool more = zmq_msg_more(msg);
        if (msg == &spare) {
            extra = true;
            zmq_msg_close(msg);
        } else {
            count++;
        }
        if (!more)
            break;
    }
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    if (count != 2 || extra) {
        s_malformed(self, "a bus message must have two frames: [topic][Envelope]");
        goto cleanup;
    }
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_envelope_unpack(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), &ev, &err) != 0) {
        s_malformed(self, err.message);
        goto cleanup;
    }
    size_t topic_len = zmq_msg_size(&frames[0]);
    if (topic_len != strlen(ev.type) || memcmp(zmq_msg_data(&frames[0]), ev.type, topic_len) != 0) {
        s_malformed(self, "topic frame differs from the envelope's type");
        goto cleanup;
    }
    s_source_t *src = s_find(self, ev.source);
    if (!src)
        goto cleanup; /* a source we do not follow */
    if (ev.seq > (uint64_t)INT64_MAX || (ev.seq == 0 && strcmp(ev.type, OW_HEARTBEAT_TYPE))) {
        s_malformed(self, "seq out of range");
        goto cleanup;
    }
    if (self->applying)
        goto cleanup; /* nested in an apply: replay will bring it */
    if (strcmp(ev.type, OW_HEARTBEAT_TYPE) == 0) {
        /* The source has assigned more than we have: the tail of a burst was lost. */
        if (ev.seq > src->last_seq + src->qlen)
            s_replay(src);
        goto cleanup;
    }
    switch (s_offer(src, &ev)) {
    case S_TAKEN:
        /* Not applied here: later messages of this wake-up may join the batch. */
        ow_timer_arm(self->flush_timer, 0);
        break;
    case S_GAP:
        s_replay(src);
        break;
    default:
        break;
    }
cleanup:
    ow_event_clear(&ev);
    for (size_t i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

/* ---- life cycle ---- */

ow_inbox_t *ow_inbox_new(ow_loop_t *loop, ow_db_t *db, const char *bus_endpoint, ow_error_t *err)
{
    ow_inbox_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->db = db;
    self->sub = zmq_socket(ow_loop_zctx(loop), ZMQ_SUB);
    if (!self->sub) {
        ow_error_set(err, OW_INTERNAL, "cannot create the inbox's SUB socket: %s",
                     zmq_strerror(errno));
        goto fail;
    }
    /* A big receive queue absorbs bursts while a batch is being applied; a frame over the
     * limit makes ZeroMQ drop the connection rather than allocate it. */
    int hwm = S_RCVHWM;
    int64_t maxsize = OW_FRAME_MAX + 1024;
    if (zmq_setsockopt(self->sub, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(self->sub, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0 ||
        zmq_connect(self->sub, bus_endpoint) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "inbox cannot connect to the bus at %s: %s",
                     bus_endpoint, zmq_strerror(errno));
        goto fail;
    }
    self->flush_timer = ow_loop_timer(loop, -1, false, s_on_flush, self);
    if (!self->flush_timer) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    return self;
fail:
    ow_inbox_destroy(&self);
    return NULL;
}

void ow_inbox_destroy(ow_inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_inbox_t *self = *self_p;
    self->destroying = true;
    ow_zwatch_destroy(&self->watch);
    ow_timer_destroy(&self->flush_timer);
    for (size_t i = 0; i < self->source_count; i++) {
        s_source_t *src = self->sources[i];
        /* Fails a pending replay with CANCELLED: its callback sees `destroying`. */
        ow_rpc_client_destroy(&src->client);
        ow_timer_destroy(&src->retry_timer);
        s_clear_queue(src);
        free(src->queue);
        free(src->name);
        free(src->endpoint);
        free(src);
    }
    free(self->sources);
    for (size_t i = 0; i < self->handler_count; i++)
        free(self->handlers[i].prefix);
    free(self->handlers);
    if (self->sub)
        zmq_close(self->sub);
    free(self);
    *self_p = NULL;
}

int ow_inbox_follow(ow_inbox_t *self, const char *source, const char *replay_endpoint,
                    ow_error_t *err)
{
    s_source_t *src = NULL;
    if (self->started) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "follow %s before the inbox starts",
                     source ? source : "(null)");
        return -1;
    }
    if (!source || !*source || strlen(source) > OW_SOURCE_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "source '%s' must be 1-%d bytes",
                     source ? source : "(null)", OW_SOURCE_MAX);
        return -1;
    }
    if (!replay_endpoint || !*replay_endpoint) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "source %s needs a replay endpoint", source);
        return -1;
    }
    if (s_find(self, source)) {
        ow_error_set(err, OW_ALREADY_EXISTS, "source %s is already followed", source);
        return -1;
    }
    s_source_t **sources = realloc(self->sources, (self->source_count + 1) * sizeof *sources);
    if (!sources)
        goto oom;
    self->sources = sources;
    src = calloc(1, sizeof *src);
    if (!src)
        goto oom;
    src->inbox = self;
    src->backoff_ms = S_BACKOFF_MIN_MS;
    src->name = strdup(source);
    src->endpoint = strdup(replay_endpoint);
    if (!src->name || !src->endpoint)
        goto oom;
    src->retry_timer = ow_loop_timer(self->loop, -1, false, s_on_retry, src);
    if (!src->retry_timer)
        goto oom;
    src->client = ow_rpc_client_new(self->loop, replay_endpoint, err);
    if (!src->client)
        goto fail;
    self->sources[self->source_count++] = src;
    return 0;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory");
fail:
    if (src) {
        ow_timer_destroy(&src->retry_timer);
        free(src->name);
        free(src->endpoint);
        free(src);
    }
    return -1;
}

void ow_inbox_on(ow_inbox_t *self, const char *type_prefix, ow_inbox_apply_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->handler_count; i++) {
        if (strcmp(self->handlers[i].prefix, type_prefix) == 0) {
            self->handlers[i].fn = fn;
            self->handlers[i].arg = arg;
            return;
        }
    }
    s_handler_t *handlers =
        realloc(self->handlers, (self->handler_count + 1) * sizeof *self->handlers);
    char *prefix = strdup(type_prefix);
    if (!handlers || !prefix) {
        /* Registration happens at start-up: failing loudly there beats a daemon that
         * silently advances past events it should have handled. */
        ow_log_kv(OW_LOG_ERROR, "inbox: out of memory registering a handler", "prefix", type_prefix,
                  NULL);
        free(prefix);
        if (handlers)
            self->handlers = handlers;
        abort();
    }
    self->handlers = handlers;
    self->handlers[self->handler_count++] =
        (s_handler_t){.prefix = prefix, .len = strlen(prefix), .fn = fn, .arg = arg};
}

void ow_inbox_on_commit(ow_inbox_t *self, ow_inbox_committed_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->hook_count; i++)
        if (self->on_commit[i].fn == fn && self->on_commit[i].arg == arg)
            return;
    if (self->hook_count == S_HOOKS_MAX) {
        /* Registration happens at start-up; a hook silently missing would be worse. */
        ow_log_kv(OW_LOG_ERROR, "inbox: too many commit hooks", NULL);
        abort();
    }
    self->on_commit[self->hook_count].fn = fn;
    self->on_commit[self->hook_count].arg = arg;
    self->hook_count++;
}

int ow_inbox_start(ow_inbox_t *self, ow_error_t *err)
{
    if (self->started)
        return 0;
    if (ow_db_in_transaction(self->db)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "inbox start inside a transaction");
        return -1;
    }
    if (ow_db_prepare(self->db, "ow_inbox_init", S_SQL_INIT, err) != 0 ||
        ow_db_prepare(self->db, "ow_inbox_load", S_SQL_LOAD, err) != 0 ||
        ow_db_prepare(self->db, "ow_inbox_advance", S_SQL_ADVANCE, err) != 0 ||
        ow_db_prepare(self->db, "ow_inbox_poison", S_SQL_POISON, err) != 0)
        return -1;
    for (size_t i = 0; i < self->source_count; i++) {
        s_source_t *src = self->sources[i];
        const char *params[1] = {src->name};
        PGresult *res = ow_db_exec(self->db, "ow_inbox_init", 1, params, err);
        if (!res)
            return -1;
        PQclear(res);
        if (s_reload(src, err) != 0)
            return -1;
    }
    /* Subscribed before replaying, so that nothing published from now on is missed; what
     * came before, replay brings. */
    if (zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "", 0) != 0) {
        ow_error_set(err, OW_INTERNAL, "inbox cannot subscribe: %s", zmq_strerror(errno));
        return -1;
    }
    self->watch = ow_loop_watch(self->loop, self->sub, s_on_message, self);
    if (!self->watch) {
        ow_error_set(err, OW_INTERNAL, "inbox cannot watch its socket");
        return -1;
    }
    self->started = true;
    for (size_t i = 0; i < self->source_count; i++)
        s_replay(self->sources[i]);
    return 0;
}

uint64_t ow_inbox_last_seq(const ow_inbox_t *self, const char *source)
{
    const s_source_t *src = s_find(self, source);
    return src ? src->last_seq : 0;
}

uint64_t ow_inbox_applied(const ow_inbox_t *self)
{
    return self->applied;
}

uint64_t ow_inbox_skipped(const ow_inbox_t *self)
{
    return self->skipped;
}

uint64_t ow_inbox_poison(const ow_inbox_t *self)
{
    return self->poison;
}

uint64_t ow_inbox_malformed(const ow_inbox_t *self)
{
    return self->malformed;
}
