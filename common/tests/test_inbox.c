/* test_inbox — exactly-once consumption against a real PostgreSQL (OW_TEST_DATABASE_URL), a
 * real source (outbox, relay, request socket) and a real XSUB/XPUB forwarder on ipc://
 * endpoints in a private directory: live events, duplicates skipped, gaps and lost tails
 * closed by replay, batching, transient failures retried, poison recorded and skipped, two
 * instances of one consumer, garbage on the bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "onewindow/v1/envelope.pb-c.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_inbox.h"
#include "ow_migrate.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_test_bus.h"
#include "ow_test_loop.h"
#include "ow_test_pg.h"

#define S_SEQ_MAX 64

/* What the consumer's handlers saw, and failures to inject. */
typedef struct {
    uint64_t fail_seq;
    int fail_times;
    ow_status_t fail_code;
    int attempts[S_SEQ_MAX];
    int commits;
} s_consumer_t;

typedef struct {
    ow_test_pg_t *src_pg; /* the source's schema */
    ow_test_pg_t *dst_pg; /* the consumer's schema */
    PGconn *admin;        /* owned by dst_pg */
    const char *dst_schema;
    char dir[64];
    ow_test_bus_t *bus;
    const char *pub_ep; /* forwarder XSUB */
    const char *sub_ep; /* forwarder XPUB */
    char rpc_ep[128];   /* the source's request socket */
    char dead_ep[128];  /* nothing listens: a relay publishing here loses everything */
    void *inject_ctx;
    void *inject; /* the test's own PUB on the bus */
    ow_loop_t *loop;
    ow_db_t *src_db; /* owned by src_pg */
    ow_rpc_server_t *server;
    ow_relay_t *relay;
    ow_rpc_client_t *client; /* the test's own client of the source */
    ow_db_t *dst_db;         /* owned by dst_pg */
    ow_inbox_t *inbox;
    s_consumer_t consumer;
    ow_db_t *dst_db2;
    ow_inbox_t *inbox2;
    s_consumer_t consumer2;
    char late_ep[128]; /* a source's request socket that appears only later */
    ow_rpc_server_t *late_server;
    ow_relay_t *late_relay;
} s_fixture_t;

/* ---- fixture ---- */

/* An admin query on the consumer's schema (%s) returning one value, as text. */
static void s_dst_value(s_fixture_t *fx, const char *fmt, char *out, size_t size)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, fx->dst_schema);
    PGresult *res = PQexec(fx->admin, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static long s_dst_long(s_fixture_t *fx, const char *fmt)
{
    char v[64];
    s_dst_value(fx, fmt, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* A scratch schema migrated with the common migrations and list. */
static ow_test_pg_t *s_schema(const char *prefix, const ow_migration_t *list, size_t count)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new(prefix, "test_inbox", &err);
    if (!pg || ow_migrate(ow_test_pg_db(pg), list, count, &err) < 0)
        fail_msg("%s: %s", prefix, err.message);
    return pg;
}

static const ow_migration_t s_consumer_migrations[] = {
    /* No key on seq on purpose: exactly-once must come from the inbox, not from a
     * constraint that would turn a second application into a retried error. */
    {"0001_applied", "CREATE TABLE applied (seq bigint NOT NULL, type text NOT NULL, "
                     "txid bigint NOT NULL);"},
};

static int s_on_case(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    s_consumer_t *c = arg;
    if (ev->seq < S_SEQ_MAX)
        c->attempts[ev->seq]++;
    if (ev->seq == c->fail_seq && c->fail_times > 0) {
        c->fail_times--;
        ow_error_set(err, c->fail_code, "injected failure for seq %" PRIu64, ev->seq);
        return -1;
    }
    if (ow_db_prepare(db, "test_applied",
                      "INSERT INTO applied (seq, type, txid) VALUES ($1, $2, txid_current())",
                      err) != 0)
        return -1;
    char seq[24];
    snprintf(seq, sizeof seq, "%" PRIu64, ev->seq);
    const char *params[2] = {seq, ev->type};
    PGresult *res = ow_db_exec(db, "test_applied", 2, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

static int s_on_bad(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    ow_error_set(err, OW_INVALID_ARGUMENT, "%s can never apply", ev->type);
    return -1;
}

static void s_on_commit(void *arg)
{
    s_consumer_t *c = arg;
    c->commits++;
}

static ow_inbox_t *s_consumer_new(s_fixture_t *fx, ow_db_t *db, s_consumer_t *c,
                                  const char *replay_ep)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_inbox_t *inbox = ow_inbox_new(fx->loop, db, fx->sub_ep, &err);
    if (!inbox)
        fail_msg("ow_inbox_new: %s", err.message);
    if (ow_inbox_follow(inbox, "src", replay_ep, &err) != 0)
        fail_msg("ow_inbox_follow: %s", err.message);
    ow_inbox_on(inbox, "case.", s_on_case, c);
    ow_inbox_on(inbox, "bad.", s_on_bad, c);
    ow_inbox_on_commit(inbox, s_on_commit, c);
    return inbox;
}

static void s_start(ow_inbox_t *inbox)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_inbox_start(inbox, &err) != 0)
        fail_msg("ow_inbox_start: %s", err.message);
}

/* Builds the whole scene; the relay publishes to the bus when live, else into the void
 * (so consumers learn of events only by what the test injects, and by replay). */
static s_fixture_t *s_fixture_at(void **state, bool relay_live, bool source_late)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    *state = fx;
    fx->src_pg = s_schema("t_in_src_", NULL, 0);
    fx->dst_pg = s_schema("t_in_dst_", s_consumer_migrations, 1);
    fx->admin = ow_test_pg_admin(fx->dst_pg);
    fx->dst_schema = ow_test_pg_name(fx->dst_pg);
    fx->src_db = ow_test_pg_db(fx->src_pg);
    fx->dst_db = ow_test_pg_db(fx->dst_pg);

    ow_error_t err;
    ow_error_clear(&err);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ow-test-inbox-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->rpc_ep, sizeof fx->rpc_ep, "ipc://%s/src", fx->dir);
    snprintf(fx->dead_ep, sizeof fx->dead_ep, "ipc://%s/nowhere", fx->dir);
    snprintf(fx->late_ep, sizeof fx->late_ep, "ipc://%s/late", fx->dir);
    fx->bus = ow_test_bus_new(fx->dir, &err);
    if (!fx->bus)
        fail_msg("%s", err.message);
    fx->pub_ep = ow_test_bus_pub(fx->bus);
    fx->sub_ep = ow_test_bus_sub(fx->bus);
    fx->inject_ctx = zmq_ctx_new();
    fx->inject = zmq_socket(fx->inject_ctx, ZMQ_PUB);
    assert_int_equal(zmq_connect(fx->inject, fx->pub_ep), 0);

    fx->loop = ow_loop_new();
    assert_non_null(fx->loop);
    fx->server = ow_rpc_server_new(fx->loop, fx->rpc_ep, &err);
    if (!fx->server)
        fail_msg("ow_rpc_server_new: %s", err.message);
    fx->relay = ow_relay_new(fx->loop, fx->src_db, "src", relay_live ? fx->pub_ep : fx->dead_ep,
                             fx->server, &err);
    if (!fx->relay)
        fail_msg("ow_relay_new: %s", err.message);
    fx->client = ow_rpc_client_new(fx->loop, fx->rpc_ep, &err);
    assert_non_null(fx->client);

    fx->inbox =
        s_consumer_new(fx, fx->dst_db, &fx->consumer, source_late ? fx->late_ep : fx->rpc_ep);
    return fx;
}

static s_fixture_t *s_fixture(void **state, bool relay_live)
{
    return s_fixture_at(state, relay_live, false);
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    if (!fx)
        return 0;
    ow_inbox_destroy(&fx->inbox);
    ow_inbox_destroy(&fx->inbox2);
    ow_rpc_client_destroy(&fx->client);
    ow_relay_destroy(&fx->late_relay);
    ow_rpc_server_destroy(&fx->late_server);
    ow_relay_destroy(&fx->relay);
    ow_rpc_server_destroy(&fx->server);
    ow_loop_destroy(&fx->loop);
    ow_db_destroy(&fx->dst_db2);
    if (fx->inject)
        zmq_close(fx->inject);
    if (fx->inject_ctx)
        zmq_ctx_term(fx->inject_ctx);
    ow_test_bus_destroy(&fx->bus);
    const char *names[] = {"src", "nowhere", "late"};
    for (size_t i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    if (fx->dir[0])
        rmdir(fx->dir);
    ow_test_pg_destroy(&fx->src_pg);
    ow_test_pg_destroy(&fx->dst_pg);
    free(fx);
    *state = NULL;
    return 0;
}

/* ---- helpers ---- */

typedef struct {
    s_fixture_t *fx;
    uint64_t seq;
} s_seq_goal_t;

static bool s_reached(void *arg)
{
    s_seq_goal_t *g = arg;
    return ow_inbox_last_seq(g->fx->inbox, "src") >= g->seq;
}

static bool s_wait_seq(s_fixture_t *fx, uint64_t seq, double timeout_s)
{
    s_seq_goal_t g = {fx, seq};
    return ow_test_loop_until(fx->loop, s_reached, &g, timeout_s);
}

/* Commits one transaction on the source with the given event types, and runs a relay pass
 * (publishing them when the relay is live). */
static void s_emit(s_fixture_t *fx, const char *const *types, size_t n)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_begin(fx->src_db, &err) != 0)
        fail_msg("begin: %s", err.message);
    for (size_t i = 0; i < n; i++)
        if (ow_outbox_add(fx->src_db, types[i], "case-1", NULL, ow_clock_now_us(),
                          (const uint8_t *)"p", 1, &err) != 0)
            fail_msg("ow_outbox_add: %s", err.message);
    if (ow_db_commit(fx->src_db, &err) != 0)
        fail_msg("commit: %s", err.message);
    if (ow_relay_pass(fx->relay, &err) < 0)
        fail_msg("ow_relay_pass: %s", err.message);
}

static void s_emit_one(s_fixture_t *fx, const char *type)
{
    const char *types[1] = {type};
    s_emit(fx, types, 1);
}

/* Asks the source for its envelope `seq` (packed; caller frees). */
static uint8_t *s_fetch(s_fixture_t *fx, uint64_t seq, size_t *len, char *type, size_t type_size)
{
    Onewindow__V1__ReplayRequest req = ONEWINDOW__V1__REPLAY_REQUEST__INIT;
    req.after_seq = seq - 1;
    req.limit = 1;
    uint8_t buf[32];
    size_t blen = onewindow__v1__replay_request__pack(&req, buf);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_rpc_call_blocking(fx->client, "_replay", NULL, buf, blen, 5000, &out, &out_len, &err) !=
        OW_OK)
        fail_msg("_replay: %s", err.message);
    Onewindow__V1__ReplayReply *reply = onewindow__v1__replay_reply__unpack(NULL, out_len, out);
    assert_non_null(reply);
    assert_int_equal(reply->n_envelopes, 1);
    uint8_t *env = malloc(reply->envelopes[0].len);
    memcpy(env, reply->envelopes[0].data, reply->envelopes[0].len);
    *len = reply->envelopes[0].len;
    ow_event_t ev;
    assert_int_equal(ow_envelope_unpack(env, *len, &ev, &err), 0);
    snprintf(type, type_size, "%s", ev.type);
    ow_event_clear(&ev);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);
    free(out);
    return env;
}

static void s_inject(s_fixture_t *fx, const void *const *frames, const size_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_send(fx->inject, frames[i], sizes[i], i + 1 < n ? ZMQ_SNDMORE : 0);
}

/* Publishes the message every 50 ms until pred holds: the test's PUB joins the bus late
 * (its first messages go nowhere until the subscription reaches it). */
static bool s_inject_until(s_fixture_t *fx, const void *const *frames, const size_t *sizes,
                           size_t n, bool (*pred)(void *), void *arg, double timeout_s)
{
    int64_t deadline = ow_clock_mono_us() + (int64_t)(timeout_s * 1e6);
    while (ow_clock_mono_us() < deadline) {
        s_inject(fx, frames, sizes, n);
        if (ow_test_loop_until(fx->loop, pred, arg, 0.05))
            return true;
    }
    return false;
}

/* applied holds `count` rows, no seq twice, the highest max_seq. */
static void s_assert_applied(s_fixture_t *fx, long count, long max_seq)
{
    assert_int_equal(s_dst_long(fx, "SELECT count(*) FROM %s.applied"), count);
    assert_int_equal(s_dst_long(fx, "SELECT count(DISTINCT seq) FROM %s.applied"), count);
    if (count)
        assert_int_equal(s_dst_long(fx, "SELECT max(seq) FROM %s.applied"), max_seq);
}

/* ---- tests ---- */

typedef struct {
    s_fixture_t *fx;
    uint64_t skipped;
} s_skip_goal_t;

static bool s_skipped_enough(void *arg)
{
    s_skip_goal_t *g = arg;
    return ow_inbox_skipped(g->fx->inbox) >= g->skipped;
}

static void test_live_events_and_duplicates(void **state)
{
    s_fixture_t *fx = s_fixture(state, true);
    s_start(fx->inbox);
    s_emit_one(fx, "case.accepted");
    s_emit_one(fx, "case.decided");
    s_emit_one(fx, "case.accepted");
    assert_true(s_wait_seq(fx, 3, 10));
    s_assert_applied(fx, 3, 3);
    assert_int_equal(ow_inbox_applied(fx->inbox), 3);
    assert_int_equal(s_dst_long(fx, "SELECT last_seq FROM %s.inbox WHERE source = 'src'"), 3);

    /* The same events again, as a flaky network or a replay would bring them: skipped. */
    char type[64];
    size_t len = 0;
    uint8_t *env = s_fetch(fx, 2, &len, type, sizeof type);
    const void *frames[2] = {type, env};
    const size_t sizes[2] = {strlen(type), len};
    uint64_t before = ow_inbox_skipped(fx->inbox);
    s_skip_goal_t goal = {fx, before + 3};
    assert_true(s_inject_until(fx, frames, sizes, 2, s_skipped_enough, &goal, 10));
    free(env);
    s_assert_applied(fx, 3, 3);
    assert_int_equal(ow_inbox_applied(fx->inbox), 3);
    assert_int_equal(fx->consumer.attempts[2], 1);

    /* A type nobody handles still moves last_seq. */
    s_emit_one(fx, "other.thing");
    assert_true(s_wait_seq(fx, 4, 10));
    s_assert_applied(fx, 3, 3);
    assert_true(fx->consumer.commits >= 2);
}

static void test_gap_triggers_replay(void **state)
{
    s_fixture_t *fx = s_fixture(state, false);
    s_start(fx->inbox);
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3); /* start-up replay: nothing yet */
    assert_int_equal(ow_inbox_last_seq(fx->inbox, "src"), 0);
    for (int i = 0; i < 5; i++)
        s_emit_one(fx, "case.accepted");
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3);
    assert_int_equal(ow_inbox_last_seq(fx->inbox, "src"), 0); /* the relay's bus is dead */

    /* Only seq 5 reaches the consumer: 1..4 are a gap it must close by replay. */
    char type[64];
    size_t len = 0;
    uint8_t *env = s_fetch(fx, 5, &len, type, sizeof type);
    const void *frames[2] = {type, env};
    const size_t sizes[2] = {strlen(type), len};
    s_seq_goal_t goal = {fx, 5};
    assert_true(s_inject_until(fx, frames, sizes, 2, s_reached, &goal, 10));
    free(env);
    s_assert_applied(fx, 5, 5);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(fx->consumer.attempts[i], 1);
    /* The replayed run was applied as one batch: one transaction. */
    assert_int_equal(s_dst_long(fx, "SELECT count(DISTINCT txid) FROM %s.applied"), 1);
}

static void test_heartbeat_closes_lost_tail(void **state)
{
    s_fixture_t *fx = s_fixture(state, false);
    s_start(fx->inbox);
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3);
    const char *types[3] = {"case.accepted", "case.accepted", "case.decided"};
    s_emit(fx, types, 3);
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3);
    assert_int_equal(ow_inbox_last_seq(fx->inbox, "src"), 0);

    /* The relay's heartbeat says 3: the consumer has lost a tail and replays it. */
    ow_event_t hb;
    memset(&hb, 0, sizeof hb);
    ow_uuid_v4(hb.event_id);
    snprintf(hb.source, sizeof hb.source, "src");
    snprintf(hb.type, sizeof hb.type, OW_HEARTBEAT_TYPE);
    hb.seq = 3;
    hb.time_us = ow_clock_now_us();
    uint8_t *env = NULL;
    size_t len = 0;
    ow_error_t err;
    assert_int_equal(ow_envelope_pack(&hb, &env, &len, &err), 0);
    const void *frames[2] = {OW_HEARTBEAT_TYPE, env};
    const size_t sizes[2] = {strlen(OW_HEARTBEAT_TYPE), len};
    s_seq_goal_t goal = {fx, 3};
    assert_true(s_inject_until(fx, frames, sizes, 2, s_reached, &goal, 10));
    free(env);
    s_assert_applied(fx, 3, 3);
}

static void test_transient_failure_retries(void **state)
{
    s_fixture_t *fx = s_fixture(state, true);
    fx->consumer.fail_seq = 2;
    fx->consumer.fail_times = 2;
    fx->consumer.fail_code = OW_UNAVAILABLE;
    s_start(fx->inbox);
    const char *types[3] = {"case.accepted", "case.accepted", "case.accepted"};
    s_emit(fx, types, 3);
    /* Back-off 1 s, then 2 s. */
    assert_true(s_wait_seq(fx, 3, 20));
    s_assert_applied(fx, 3, 3);
    assert_int_equal(fx->consumer.fail_times, 0);
    assert_int_equal(fx->consumer.attempts[2], 3); /* failed twice, then applied */
    assert_int_equal(ow_inbox_poison(fx->inbox), 0);
    assert_int_equal(s_dst_long(fx, "SELECT count(*) FROM %s.inbox_poison"), 0);
}

static void test_poison_is_recorded_and_skipped(void **state)
{
    s_fixture_t *fx = s_fixture(state, true);
    s_start(fx->inbox);
    /* One transaction, so the consumer gets them together and batches them: the batch
     * fails, one-at-a-time isolates the bad one. */
    const char *types[4] = {"case.accepted", "bad.thing", "case.decided", "other.x"};
    s_emit(fx, types, 4);
    assert_true(s_wait_seq(fx, 4, 10));
    assert_int_equal(ow_inbox_poison(fx->inbox), 1);
    assert_int_equal(s_dst_long(fx, "SELECT count(*) FROM %s.applied"), 2);
    assert_int_equal(s_dst_long(fx, "SELECT count(*) FROM %s.applied WHERE seq IN (1, 3)"), 2);

    char v[256];
    s_dst_value(fx,
                "SELECT source || '/' || seq || '/' || type || '/' || error FROM %s.inbox_poison",
                v, sizeof v);
    assert_non_null(strstr(v, "src/2/bad.thing/"));
    assert_non_null(strstr(v, "bad.thing can never apply"));
    /* The envelope is kept for an operator, whole. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT envelope FROM %s.inbox_poison", fx->dst_schema);
    PGresult *res = PQexecParams(fx->admin, sql, 0, NULL, NULL, NULL, NULL, 1);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    ow_event_t ev;
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_envelope_unpack((const uint8_t *)PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0),
                           &ev, &err) != 0)
        fail_msg("stored envelope: %s", err.message);
    assert_int_equal(ev.seq, 2);
    assert_string_equal(ev.source, "src");
    assert_string_equal(ev.type, "bad.thing");
    ow_event_clear(&ev);
    PQclear(res);
}

typedef struct {
    s_fixture_t *fx;
    uint64_t seq;
} s_both_goal_t;

static bool s_both_reached(void *arg)
{
    s_both_goal_t *g = arg;
    return ow_inbox_last_seq(g->fx->inbox, "src") >= g->seq &&
           ow_inbox_last_seq(g->fx->inbox2, "src") >= g->seq;
}

static void test_two_instances_apply_once(void **state)
{
    s_fixture_t *fx = s_fixture(state, true);
    ow_error_t err;
    ow_error_clear(&err);
    fx->dst_db2 = ow_test_pg_connect(fx->dst_pg, "test_inbox", &err);
    if (!fx->dst_db2)
        fail_msg("ow_db_new: %s", err.message);
    fx->inbox2 = s_consumer_new(fx, fx->dst_db2, &fx->consumer2, fx->rpc_ep);
    s_start(fx->inbox);
    s_start(fx->inbox2);
    for (int i = 0; i < 20; i++)
        s_emit_one(fx, "case.accepted");
    s_both_goal_t goal = {fx, 20};
    assert_true(ow_test_loop_until(fx->loop, s_both_reached, &goal, 15));
    s_assert_applied(fx, 20, 20);
    /* Between them they committed each event once. */
    assert_int_equal(ow_inbox_applied(fx->inbox) + ow_inbox_applied(fx->inbox2), 20);
}

/* The source's request socket is not there when the consumer starts (the source daemon is
 * down): the replay times out and is retried with back-off until the source comes up. */
static void test_replay_retries_until_source_is_up(void **state)
{
    s_fixture_t *fx = s_fixture_at(state, false, true);
    const char *types[3] = {"case.accepted", "case.decided", "case.accepted"};
    s_emit(fx, types, 3);
    s_start(fx->inbox);
    /* Past the first replay's 5 s deadline. */
    ow_test_loop_until(fx->loop, NULL, NULL, 5.5);
    assert_int_equal(ow_inbox_last_seq(fx->inbox, "src"), 0);

    ow_error_t err;
    ow_error_clear(&err);
    fx->late_server = ow_rpc_server_new(fx->loop, fx->late_ep, &err);
    if (!fx->late_server)
        fail_msg("ow_rpc_server_new: %s", err.message);
    fx->late_relay = ow_relay_new(fx->loop, fx->src_db, "src", fx->dead_ep, fx->late_server, &err);
    if (!fx->late_relay)
        fail_msg("ow_relay_new: %s", err.message);
    assert_true(s_wait_seq(fx, 3, 15));
    s_assert_applied(fx, 3, 3);
}

typedef struct {
    s_fixture_t *fx;
    uint64_t malformed;
} s_malformed_goal_t;

static bool s_malformed_enough(void *arg)
{
    s_malformed_goal_t *g = arg;
    return ow_inbox_malformed(g->fx->inbox) >= g->malformed;
}

static void test_garbage_on_the_bus_is_counted(void **state)
{
    s_fixture_t *fx = s_fixture(state, true);
    s_start(fx->inbox);
    s_malformed_goal_t goal = {fx, 1};

    const void *one[1] = {"case.accepted"};
    const size_t one_size[1] = {13};
    assert_true(s_inject_until(fx, one, one_size, 1, s_malformed_enough, &goal, 10));

    uint8_t junk[] = {0xff, 0xfe, 0x00, 0x12, 0x99};
    const void *two[2] = {"case.accepted", junk};
    const size_t two_size[2] = {13, sizeof junk};
    goal.malformed = ow_inbox_malformed(fx->inbox) + 1;
    assert_true(s_inject_until(fx, two, two_size, 2, s_malformed_enough, &goal, 10));

    const void *three[3] = {"case.accepted", junk, junk};
    const size_t three_size[3] = {13, sizeof junk, sizeof junk};
    goal.malformed = ow_inbox_malformed(fx->inbox) + 1;
    assert_true(s_inject_until(fx, three, three_size, 3, s_malformed_enough, &goal, 10));

    /* A well-formed envelope whose topic is not its type. */
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    ow_uuid_v4(ev.event_id);
    snprintf(ev.source, sizeof ev.source, "src");
    snprintf(ev.type, sizeof ev.type, "case.accepted");
    ev.seq = 1;
    uint8_t *env = NULL;
    size_t len = 0;
    ow_error_t err;
    assert_int_equal(ow_envelope_pack(&ev, &env, &len, &err), 0);
    const void *liar[2] = {"case.decided", env};
    const size_t liar_size[2] = {12, len};
    goal.malformed = ow_inbox_malformed(fx->inbox) + 1;
    assert_true(s_inject_until(fx, liar, liar_size, 2, s_malformed_enough, &goal, 10));
    free(env);
    assert_int_equal(ow_inbox_last_seq(fx->inbox, "src"), 0);
    assert_int_equal(s_dst_long(fx, "SELECT count(*) FROM %s.applied"), 0);

    /* And the stream carries on. */
    s_emit_one(fx, "case.accepted");
    assert_true(s_wait_seq(fx, 1, 10));
    s_assert_applied(fx, 1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_live_events_and_duplicates, s_teardown),
        cmocka_unit_test_teardown(test_gap_triggers_replay, s_teardown),
        cmocka_unit_test_teardown(test_heartbeat_closes_lost_tail, s_teardown),
        cmocka_unit_test_teardown(test_transient_failure_retries, s_teardown),
        cmocka_unit_test_teardown(test_poison_is_recorded_and_skipped, s_teardown),
        cmocka_unit_test_teardown(test_two_instances_apply_once, s_teardown),
        cmocka_unit_test_teardown(test_garbage_on_the_bus_is_counted, s_teardown),
        cmocka_unit_test_teardown(test_replay_retries_until_source_is_up, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
