/* test_outbox — ow_outbox_add and the relay against a real PostgreSQL (OW_TEST_DATABASE_URL)
 * and a real XSUB/XPUB forwarder on ipc:// endpoints in a private directory: seqs gapless and
 * in commit order (also with a late-committing lower id, and with two relays racing),
 * publishing and heartbeats, replay, retention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "onewindow/v1/envelope.pb-c.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_migrate.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_test_bus.h"
#include "ow_test_loop.h"
#include "ow_test_pg.h"

/* ---- fixture: schema, loop, bus, request socket, relay ---- */

typedef struct {
    ow_test_pg_t *pg;
    PGconn *admin;      /* owned by pg */
    const char *schema; /* owned by pg */
    char dir[64];
    ow_test_bus_t *bus;
    const char *pub_ep; /* the forwarder's XSUB: relays publish here */
    const char *sub_ep; /* the forwarder's XPUB: subscribers read here */
    char rpc_ep[128];
    ow_db_t *db; /* owned by pg */
    ow_loop_t *loop;
    ow_rpc_server_t *server;
    ow_relay_t *relay;
} s_fixture_t;

static void s_admin_run(s_fixture_t *fx, const char *fmt)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, fx->schema);
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_test_pg_run(fx->admin, sql, &err) != 0)
        fail_msg("%s", err.message);
}

/* Runs an admin query (%s = the schema) and returns its single value as a number. */
static long s_admin_long(s_fixture_t *fx, const char *fmt)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, fx->schema, fx->schema);
    return ow_test_pg_long(fx->admin, sql);
}

static ow_db_t *s_connect(s_fixture_t *fx)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(fx->pg, "test_outbox", &err);
    if (!db)
        fail_msg("ow_db_new: %s", err.message);
    return db;
}

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("t_out_", "test_outbox", &err);
    if (!fx->pg || ow_migrate(ow_test_pg_db(fx->pg), NULL, 0, &err) < 0)
        fail_msg("%s", err.message);
    fx->admin = ow_test_pg_admin(fx->pg);
    fx->schema = ow_test_pg_name(fx->pg);
    fx->db = ow_test_pg_db(fx->pg);

    snprintf(fx->dir, sizeof fx->dir, "/tmp/ow-test-outbox-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->bus = ow_test_bus_new(fx->dir, &err);
    if (!fx->bus)
        fail_msg("%s", err.message);
    fx->pub_ep = ow_test_bus_pub(fx->bus);
    fx->sub_ep = ow_test_bus_sub(fx->bus);
    snprintf(fx->rpc_ep, sizeof fx->rpc_ep, "ipc://%s/src", fx->dir);

    fx->loop = ow_loop_new();
    assert_non_null(fx->loop);
    fx->server = ow_rpc_server_new(fx->loop, fx->rpc_ep, &err);
    if (!fx->server)
        fail_msg("ow_rpc_server_new: %s", err.message);
    fx->relay = ow_relay_new(fx->loop, fx->db, "src", fx->pub_ep, fx->server, &err);
    if (!fx->relay)
        fail_msg("ow_relay_new: %s", err.message);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    ow_relay_destroy(&fx->relay);
    ow_rpc_server_destroy(&fx->server);
    ow_loop_destroy(&fx->loop);
    ow_test_bus_destroy(&fx->bus);
    char path[128];
    snprintf(path, sizeof path, "%s/src", fx->dir);
    unlink(path);
    rmdir(fx->dir);
    ow_test_pg_destroy(&fx->pg);
    free(fx);
    return 0;
}

/* ---- helpers ---- */

static void s_add(ow_db_t *db, const char *type, const uint8_t *payload, size_t len)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_outbox_add(db, type, "330122-case", "330122000000", ow_clock_now_us(), payload, len,
                      &err) != 0)
        fail_msg("ow_outbox_add(%s): %s", type, err.message);
}

static void s_begin(ow_db_t *db)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_begin(db, &err) != 0)
        fail_msg("begin: %s", err.message);
}

static void s_commit(ow_db_t *db)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_db_commit(db, &err) != 0)
        fail_msg("commit: %s", err.message);
}

static int s_pass(ow_relay_t *relay)
{
    ow_error_t err;
    ow_error_clear(&err);
    int n = ow_relay_pass(relay, &err);
    if (n < 0)
        fail_msg("ow_relay_pass: %s", err.message);
    return n;
}

/* The types in seq order, comma-separated. */
static void s_types_by_seq(s_fixture_t *fx, char *out, size_t size)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(type, ',' ORDER BY seq), '') FROM %s.outbox", fx->schema);
    PGresult *res = PQexec(fx->admin, sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* Every row has a seq, and the seqs are exactly 1..n. */
static void s_assert_gapless(s_fixture_t *fx, long n)
{
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox WHERE seq IS NULL"), 0);
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox"), n);
    assert_int_equal(s_admin_long(fx, "SELECT count(DISTINCT seq) FROM %s.outbox"), n);
    assert_int_equal(s_admin_long(fx, "SELECT coalesce(min(seq), 0) FROM %s.outbox"), n ? 1 : 0);
    assert_int_equal(s_admin_long(fx, "SELECT coalesce(max(seq), 0) FROM %s.outbox"), n);
    assert_int_equal(s_admin_long(fx, "SELECT last_seq FROM %s.outbox_state"), n);
}

/* ---- tests ---- */

static void test_add_refusals(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_outbox_add(fx->db, "case.accepted", NULL, NULL, 1, NULL, 0, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);

    s_begin(fx->db);
    const char *bad_types[] = {"", "Case.Accepted", "_heartbeat", "case accepted", "case/x"};
    for (size_t i = 0; i < sizeof bad_types / sizeof *bad_types; i++) {
        ow_error_clear(&err);
        assert_int_equal(ow_outbox_add(fx->db, bad_types[i], NULL, NULL, 1, NULL, 0, &err), -1);
        assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    }
    char long_case[80];
    memset(long_case, '1', sizeof long_case - 1);
    long_case[sizeof long_case - 1] = '\0';
    assert_int_equal(ow_outbox_add(fx->db, "case.x", long_case, NULL, 1, NULL, 0, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    /* Refused before reaching the server: the transaction is still good. */
    s_add(fx->db, "case.ok", NULL, 0);
    s_commit(fx->db);
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox"), 1);
    assert_int_equal(s_pass(fx->relay), 1);
    assert_int_equal(ow_relay_last_seq(fx->relay), 1);

    /* The relay refuses to run inside someone's transaction. */
    s_begin(fx->db);
    ow_error_clear(&err);
    assert_int_equal(ow_relay_pass(fx->relay, &err), -1);
    ow_db_rollback(fx->db);
}

static void test_seq_follows_commit_order(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *a = s_connect(fx), *b = s_connect(fx), *c = s_connect(fx);

    /* A takes the lower id but commits later: B's event must not be skipped, and A's must
     * come after it. */
    s_begin(a);
    s_add(a, "t.a", NULL, 0);
    s_begin(b);
    s_add(b, "t.b", NULL, 0);
    s_commit(b);
    assert_int_equal(s_pass(fx->relay), 1);
    assert_int_equal(s_pass(fx->relay), 0); /* A is invisible until it commits */
    s_commit(a);
    assert_int_equal(s_pass(fx->relay), 1);
    char types[256];
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.b,t.a");
    assert_true(s_admin_long(fx, "SELECT ((SELECT id FROM %s.outbox WHERE seq = 1) > "
                                 "(SELECT id FROM %s.outbox WHERE seq = 2))::int"));

    /* Three open at once, committed in the order c, a, b with passes in between. */
    s_begin(a);
    s_add(a, "t.a2", NULL, 0);
    s_add(a, "t.a3", NULL, 0);
    s_begin(b);
    s_add(b, "t.b2", NULL, 0);
    s_begin(c);
    s_add(c, "t.c2", NULL, 0);
    s_commit(c);
    assert_int_equal(s_pass(fx->relay), 1);
    s_commit(a);
    assert_int_equal(s_pass(fx->relay), 2);
    s_commit(b);
    assert_int_equal(s_pass(fx->relay), 1);
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.b,t.a,t.c2,t.a2,t.a3,t.b2");

    /* A rolled-back transaction leaves nothing and no hole. */
    s_begin(c);
    s_add(c, "t.never", NULL, 0);
    ow_db_rollback(c);
    s_begin(a);
    s_add(a, "t.a4", NULL, 0);
    s_commit(a);
    assert_int_equal(s_pass(fx->relay), 1);
    s_assert_gapless(fx, 7);
    assert_int_equal(ow_relay_last_seq(fx->relay), 7);

    /* More than one pass's worth: the pass takes 5000, the next the rest. */
    s_begin(a);
    for (int i = 0; i < 5005; i++)
        s_add(a, "t.bulk", NULL, 0);
    s_commit(a);
    assert_int_equal(s_pass(fx->relay), 5000);
    assert_int_equal(s_pass(fx->relay), 5);
    s_assert_gapless(fx, 5012);
    ow_db_destroy(&a);
    ow_db_destroy(&b);
    ow_db_destroy(&c);
}

/* A batching writer numbers inside its own transaction (ow_relay_number_in_transaction): its
 * events and the committed ones still waiting get their seqs under the relay's lock and become
 * durable with its COMMIT; a rollback leaves no seq behind; another writer's commit meanwhile
 * is numbered after it, gapless. */
static void test_number_in_transaction(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *other = s_connect(fx);
    ow_error_t err;
    ow_error_clear(&err);

    /* A committed event waits for a pass; the batch takes it along, before its own. */
    s_begin(other);
    s_add(other, "t.waiting", NULL, 0);
    s_commit(other);
    s_begin(fx->db);
    s_add(fx->db, "t.mine1", NULL, 0);
    s_add(fx->db, "t.mine2", NULL, 0);
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), 3);
    /* Not yet committed: the seq counter another session sees has not moved. */
    assert_int_equal(s_admin_long(fx, "SELECT last_seq FROM %s.outbox_state"), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(ow_relay_last_seq(fx->relay), 3);
    char types[256];
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.waiting,t.mine1,t.mine2");
    s_assert_gapless(fx, 3);
    assert_int_equal(s_pass(fx->relay), 0);

    /* Rolled back: neither the rows nor their seqs remain, and the next number is 4. */
    s_begin(fx->db);
    s_add(fx->db, "t.never", NULL, 0);
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), 1);
    ow_db_rollback(fx->db);
    ow_relay_after_commit(fx->relay, false);
    assert_int_equal(ow_relay_last_seq(fx->relay), 3);
    s_assert_gapless(fx, 3);

    /* A writer that committed while the batch held the lock is numbered by the next pass,
     * after the batch's events. */
    s_begin(fx->db);
    s_add(fx->db, "t.batch", NULL, 0);
    s_begin(other);
    s_add(other, "t.later", NULL, 0);
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), 1);
    s_commit(other);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(s_pass(fx->relay), 1);
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.waiting,t.mine1,t.mine2,t.batch,t.later");
    s_assert_gapless(fx, 5);

    /* Outside a transaction it is refused and changes nothing. */
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(ow_relay_last_seq(fx->relay), 5);
    ow_db_destroy(&other);
}

/* ow_relay_add_numbered: what waits is numbered first, then the batch's events go in with their
 * seqs already set (no second write); a later numbering in the same transaction continues after
 * them; a rollback leaves nothing. */
static void test_add_numbered(void **state)
{
    s_fixture_t *fx = *state;
    ow_db_t *other = s_connect(fx);
    ow_error_t err;
    ow_error_clear(&err);
    const ow_outbox_event_t evs[2] = {
        {.type = "t.n1", .case_no = "330122-case", .centre_id = "330122000000", .time_us = 1},
        {.type = "t.n2", .case_no = "330122-case", .centre_id = "330122000000", .time_us = 2},
    };

    s_begin(other);
    s_add(other, "t.waiting", NULL, 0);
    s_commit(other);
    s_begin(fx->db);
    if (ow_relay_add_numbered(fx->relay, evs, 2, &err) != 0)
        fail_msg("ow_relay_add_numbered: %s", err.message);
    /* Rows with their seq from the start, seen from inside the transaction: none waits. */
    PGresult *res = PQexec(ow_db_conn(fx->db), "SELECT count(*) FROM outbox WHERE seq IS NULL");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "0");
    PQclear(res);
    s_add(fx->db, "t.after", NULL, 0); /* e.g. a per-request path later in the batch */
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), 1);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(ow_relay_last_seq(fx->relay), 4);
    char types[256];
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.waiting,t.n1,t.n2,t.after");
    s_assert_gapless(fx, 4);

    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, evs, 2, &err), 0);
    ow_db_rollback(fx->db);
    ow_relay_after_commit(fx->relay, false);
    assert_int_equal(ow_relay_last_seq(fx->relay), 4);
    s_assert_gapless(fx, 4);

    /* Nothing waits (the lighter statement): the events follow directly. */
    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, evs, 2, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(ow_relay_last_seq(fx->relay), 6);
    s_types_by_seq(fx, types, sizeof types);
    assert_string_equal(types, "t.waiting,t.n1,t.n2,t.after,t.n1,t.n2");
    s_assert_gapless(fx, 6);
    assert_int_equal(s_pass(fx->relay), 0);

    /* Nothing waiting, the insert travels with COMMIT: when the server refuses it there, the
     * COMMIT fails, nothing of the transaction remains and nothing is published. */
    s_admin_run(fx, "ALTER TABLE %s.outbox ADD CONSTRAINT no_poison CHECK (type <> 't.poison')");
    const ow_outbox_event_t poison[2] = {{.type = "t.n1", .time_us = 1},
                                         {.type = "t.poison", .time_us = 2}};
    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, poison, 2, &err), 0);
    assert_int_equal(ow_db_commit(fx->db, &err), -1);
    assert_non_null(strstr(err.message, "no_poison"));
    ow_relay_after_commit(fx->relay, false);
    assert_false(ow_db_in_transaction(fx->db));
    assert_int_equal(ow_relay_last_seq(fx->relay), 6);
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox"), 6);
    assert_int_equal(s_admin_long(fx, "SELECT last_seq FROM %s.outbox_state"), 6);
    s_admin_run(fx, "ALTER TABLE %s.outbox DROP CONSTRAINT no_poison");

    /* A bad event refuses the call; the caller rolls back and nothing is left. */
    const ow_outbox_event_t bad = {.type = "", .time_us = 1};
    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, &bad, 1, &err), -1);
    ow_db_rollback(fx->db);
    ow_relay_after_commit(fx->relay, false);
    s_assert_gapless(fx, 6);
    ow_db_destroy(&other);
}

/* ow_relay_lock_ahead: the lock travels with the next statement that waits and
 * ow_relay_add_numbered numbers from what it read; when numbering in between moved last_seq,
 * what was read ahead is not used. Every case leaves the seqs gapless. */
static void test_lock_ahead(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    const ow_outbox_event_t ev = {.type = "t.ahead", .time_us = 1};
    /* Nothing waited in between: add_numbered takes the lock itself, and a second one in the
     * same transaction follows the first, not the answer that arrived meanwhile. */
    s_begin(fx->db);
    assert_int_equal(ow_relay_lock_ahead(fx->relay, &err), 0);
    assert_int_equal(ow_relay_add_numbered(fx->relay, &ev, 1, &err), 0);
    assert_int_equal(ow_relay_add_numbered(fx->relay, &ev, 1, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    s_assert_gapless(fx, 2);
    /* A statement waited: the lock read ahead is used. */
    s_begin(fx->db);
    assert_int_equal(ow_relay_lock_ahead(fx->relay, &err), 0);
    assert_int_equal(ow_db_run(fx->db, "SELECT 1", &err), 0);
    assert_int_equal(ow_relay_add_numbered(fx->relay, &ev, 1, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    s_assert_gapless(fx, 3);
    /* The lock's answer arrives with a numbering that then moves last_seq: the events after it
     * follow it, not the stale answer. */
    s_begin(fx->db);
    s_add(fx->db, "t.mine", NULL, 0);
    assert_int_equal(ow_relay_lock_ahead(fx->relay, &err), 0);
    assert_int_equal(ow_relay_number_in_transaction(fx->relay, &err), 1);
    assert_int_equal(ow_relay_add_numbered(fx->relay, &ev, 1, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    assert_int_equal(ow_relay_last_seq(fx->relay), 5);
    s_assert_gapless(fx, 5);
}

/* Two relays of one source (two instances of a daemon) racing on their own threads while a
 * producer commits: the outbox_state row lock keeps seq single-writer. */
typedef struct {
    s_fixture_t *fx;
    volatile bool *stop;
    int total;
    char error[OW_ERROR_MESSAGE_MAX + 64];
} s_racer_t;

static void *s_race_relay(void *arg)
{
    s_racer_t *r = arg;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(r->fx->pg, "racer", &err);
    ow_loop_t *loop = ow_loop_new();
    ow_relay_t *relay =
        db && loop ? ow_relay_new(loop, db, "src", r->fx->pub_ep, NULL, &err) : NULL;
    if (!relay) {
        snprintf(r->error, sizeof r->error, "relay: %s", err.message);
        goto done;
    }
    while (!*r->stop) {
        int n = ow_relay_pass(relay, &err);
        if (n < 0) {
            snprintf(r->error, sizeof r->error, "pass: %s", err.message);
            break;
        }
        r->total += n;
    }
done:
    ow_relay_destroy(&relay);
    ow_loop_destroy(&loop);
    ow_db_destroy(&db);
    return NULL;
}

static void test_racing_relays_stay_gapless(void **state)
{
    s_fixture_t *fx = *state;
    volatile bool stop = false;
    s_racer_t r1 = {.fx = fx, .stop = &stop}, r2 = {.fx = fx, .stop = &stop};
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, s_race_relay, &r1), 0);
    assert_int_equal(pthread_create(&t2, NULL, s_race_relay, &r2), 0);
    ow_db_t *p = s_connect(fx);
    for (int i = 0; i < 300; i++) {
        s_begin(p);
        s_add(p, "t.race", NULL, 0);
        s_commit(p);
    }
    /* Let them drain what is left. */
    for (int i = 0; i < 500 && s_admin_long(fx, "SELECT count(*) FROM %s.outbox WHERE seq IS "
                                                "NULL") > 0;
         i++)
        usleep(10000);
    stop = true;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    if (r1.error[0] || r2.error[0])
        fail_msg("racer failed: %s %s", r1.error, r2.error);
    assert_int_equal(r1.total + r2.total, 300);
    s_assert_gapless(fx, 300);
    ow_db_destroy(&p);
}

typedef struct {
    void *sub;
    uint64_t heartbeat_seq;
    int heartbeats;
    int events;
    uint64_t seqs[16];
    char types[16][64];
    char case_nos[16][OW_CASE_NO_MAX + 1];
    char event_ids[16][37];
    size_t payload_lens[16];
    int want; /* s_heard_wanted: how many events */
    char error[OW_ERROR_MESSAGE_MAX + 64];
} s_listener_t;

/* Drains the test's SUB socket; returns true once `want` events were seen (or, with want
 * 0, a heartbeat). */
static void s_listen(s_listener_t *l)
{
    for (;;) {
        char topic[128];
        uint8_t body[4096];
        int tn = zmq_recv(l->sub, topic, sizeof topic - 1, ZMQ_DONTWAIT);
        if (tn < 0)
            return;
        int bn = zmq_recv(l->sub, body, sizeof body, 0);
        if (tn >= (int)sizeof topic || bn < 0 || bn > (int)sizeof body) {
            snprintf(l->error, sizeof l->error, "frame sizes %d %d", tn, bn);
            return;
        }
        topic[tn] = '\0';
        ow_event_t ev;
        ow_error_t err;
        ow_error_clear(&err);
        if (ow_envelope_unpack(body, (size_t)bn, &ev, &err) != 0) {
            snprintf(l->error, sizeof l->error, "unpack: %s", err.message);
            return;
        }
        if (strcmp(topic, ev.type) != 0 || strcmp(ev.source, "src") != 0)
            snprintf(l->error, sizeof l->error, "topic %s type %s source %s", topic, ev.type,
                     ev.source);
        if (strcmp(ev.type, OW_HEARTBEAT_TYPE) == 0) {
            l->heartbeats++;
            l->heartbeat_seq = ev.seq;
        } else if (l->events < 16) {
            l->seqs[l->events] = ev.seq;
            snprintf(l->types[l->events], sizeof l->types[0], "%s", ev.type);
            snprintf(l->case_nos[l->events], sizeof l->case_nos[0], "%s", ev.case_no);
            snprintf(l->event_ids[l->events], sizeof l->event_ids[0], "%s", ev.event_id);
            l->payload_lens[l->events] = ev.payload_len;
            l->events++;
        }
        ow_event_clear(&ev);
    }
}

static bool s_heard_heartbeat(void *arg)
{
    s_listener_t *l = arg;
    s_listen(l);
    return l->heartbeats > 0;
}

static bool s_heard_three(void *arg)
{
    s_listener_t *l = arg;
    s_listen(l);
    return l->events >= 3 && l->heartbeat_seq == 3;
}

static bool s_heard_wanted(void *arg)
{
    s_listener_t *l = arg;
    s_listen(l);
    return l->events >= l->want;
}

/* The copies heard at l's positions from..from+n carry seqs from+1.., types[0..n) and the event
 * ids the outbox rows of those seqs hold. */
static void s_assert_heard(s_fixture_t *fx, const s_listener_t *l, int from, int n,
                           const char *const *types)
{
    for (int i = from; i < from + n; i++) {
        assert_int_equal(l->seqs[i], (uint64_t)i + 1);
        assert_string_equal(l->types[i], types[i - from]);
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT event_id FROM outbox WHERE seq = %d", i + 1);
        PGresult *res = PQexec(ow_db_conn(fx->db), sql);
        assert_int_equal(PQntuples(res), 1);
        assert_string_equal(PQgetvalue(res, 0, 0), l->event_ids[i]);
        PQclear(res);
    }
}

static void test_publishes_events_and_heartbeats(void **state)
{
    s_fixture_t *fx = *state;
    s_listener_t l = {0};
    void *zctx = zmq_ctx_new();
    l.sub = zmq_socket(zctx, ZMQ_SUB);
    assert_int_equal(zmq_connect(l.sub, fx->sub_ep), 0);
    assert_int_equal(zmq_setsockopt(l.sub, ZMQ_SUBSCRIBE, "", 0), 0);
    /* A heartbeat arriving proves the subscription has reached the relay. */
    assert_true(ow_test_loop_until(fx->loop, s_heard_heartbeat, &l, 10));
    assert_int_equal(l.heartbeat_seq, 0);

    s_begin(fx->db);
    s_add(fx->db, "case.accepted", (const uint8_t *)"\x00\x01", 2);
    s_add(fx->db, "case.decided", NULL, 0);
    s_commit(fx->db);
    s_begin(fx->db);
    s_add(fx->db, "task.created", NULL, 0);
    s_commit(fx->db);
    ow_relay_kick(fx->relay);
    assert_true(ow_test_loop_until(fx->loop, s_heard_three, &l, 10));
    if (l.error[0])
        fail_msg("%s", l.error);
    assert_int_equal(l.events, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.seqs[i], (uint64_t)i + 1);
    assert_string_equal(l.types[0], "case.accepted");
    assert_string_equal(l.types[2], "task.created");

    /* Numbered in the caller's transaction: a waiting row (whole, from the database) and two
     * new events (packed from the caller's copy) go out after COMMIT, in seq order, with the
     * event ids the rows have. */
    ow_db_t *other = s_connect(fx);
    s_begin(other);
    s_add(other, "t.waiting", (const uint8_t *)"abc", 3);
    s_commit(other);
    const ow_outbox_event_t evs[2] = {
        {.type = "t.n1",
         .case_no = "330122-1",
         .time_us = 7,
         .payload = (const uint8_t *)"p1",
         .len = 2},
        {.type = "t.n2",
         .case_no = "330122-2",
         .time_us = 8,
         .payload = (const uint8_t *)"p22",
         .len = 3},
    };
    ow_error_t err;
    ow_error_clear(&err);
    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, evs, 2, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    l.want = 6;
    assert_true(ow_test_loop_until(fx->loop, s_heard_wanted, &l, 10));
    if (l.error[0])
        fail_msg("%s", l.error);
    static const char *const types[] = {"t.waiting", "t.n1", "t.n2"};
    static const size_t lens[] = {3, 2, 3};
    s_assert_heard(fx, &l, 3, 3, types);
    for (int i = 3; i < 6; i++)
        assert_int_equal(l.payload_lens[i], lens[i - 3]);
    assert_string_equal(l.case_nos[5], "330122-2");

    /* Nothing waiting: the insert is deferred with event ids made by the relay. The rows hold
     * exactly those ids and the payload bytes (sent as a binary bytea array), and the copies
     * published carry the same. */
    static const uint8_t raw[] = {0x00, 0xff, 0x5c, 0x78, 0x00};
    const ow_outbox_event_t quiet[2] = {
        {.type = "t.q1", .centre_id = "330122000000", .time_us = -5, .payload = raw, .len = 5},
        {.type = "t.q2", .time_us = 9},
    };
    s_begin(fx->db);
    assert_int_equal(ow_relay_add_numbered(fx->relay, quiet, 2, &err), 0);
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    l.want = 8;
    assert_true(ow_test_loop_until(fx->loop, s_heard_wanted, &l, 10));
    assert_int_equal(l.seqs[6], 7);
    assert_int_equal(l.seqs[7], 8);
    assert_string_equal(l.types[6], "t.q1");
    assert_int_equal(l.payload_lens[6], 5);
    assert_int_equal(l.payload_lens[7], 0);
    assert_string_not_equal(l.event_ids[6], l.event_ids[7]);
    PGresult *res = PQexec(ow_db_conn(fx->db),
                           "SELECT event_id, type, case_no, centre_id, time_us, payload = "
                           "'\\x00ff5c7800'::bytea, length(payload) FROM outbox WHERE seq >= 7 "
                           "ORDER BY seq");
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), l.event_ids[6]);
    assert_string_equal(PQgetvalue(res, 1, 0), l.event_ids[7]);
    assert_string_equal(PQgetvalue(res, 0, 1), "t.q1");
    assert_string_equal(PQgetvalue(res, 0, 2), "");
    assert_string_equal(PQgetvalue(res, 0, 3), "330122000000");
    assert_string_equal(PQgetvalue(res, 0, 4), "-5");
    assert_string_equal(PQgetvalue(res, 0, 5), "t");
    assert_string_equal(PQgetvalue(res, 1, 6), "0");
    PQclear(res);

    /* Numbered ahead (ow_relay_add_numbered_ahead): the whole transaction goes in one round
     * trip, the rows take their seqs in the statement, and the relay learns them from the
     * lock's answer that comes with COMMIT. A row that waited is left to the next pass,
     * numbered after them: 9 and 10 are ours, 11 the late one. */
    s_begin(other);
    s_add(other, "t.late", NULL, 0);
    s_commit(other);
    s_begin(fx->db);
    assert_int_equal(ow_relay_lock_deferred(fx->relay, &err), 0);
    assert_int_equal(ow_relay_add_numbered_ahead(fx->relay, quiet, 2, &err), 0);
    assert_int_equal(ow_relay_add_numbered_ahead(fx->relay, quiet, 1, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION); /* one numbering ahead a transaction */
    s_commit(fx->db);
    ow_relay_after_commit(fx->relay, true);
    l.want = 11;
    assert_true(ow_test_loop_until(fx->loop, s_heard_wanted, &l, 10));
    static const char *const ahead[] = {"t.q1", "t.q2", "t.late"};
    s_assert_heard(fx, &l, 8, 3, ahead);
    assert_int_equal(l.payload_lens[8], 5);
    assert_int_equal(ow_relay_last_seq(fx->relay), 11);
    s_assert_gapless(fx, 11);
    ow_db_destroy(&other);
    assert_int_equal(ow_relay_dropped(fx->relay), 0);
    zmq_close(l.sub);
    zmq_ctx_term(zctx);
}

/* Calls _replay and unpacks the reply; returns the status. */
static ow_status_t s_replay(s_fixture_t *fx, ow_rpc_client_t *client, uint64_t after,
                            uint32_t limit, Onewindow__V1__ReplayReply **reply, ow_error_t *err)
{
    Onewindow__V1__ReplayRequest req = ONEWINDOW__V1__REPLAY_REQUEST__INIT;
    req.after_seq = after;
    req.limit = limit;
    uint8_t buf[32];
    size_t len = onewindow__v1__replay_request__pack(&req, buf);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ow_status_t st =
        ow_rpc_call_blocking(client, "_replay", NULL, buf, len, 5000, &out, &out_len, err);
    *reply = NULL;
    if (st == OW_OK) {
        *reply = onewindow__v1__replay_reply__unpack(NULL, out_len, out);
        assert_non_null(*reply);
    }
    free(out);
    return st;
}

/* The seqs of a reply are after+1 .. after+count, each a valid envelope of "src". */
static void s_assert_range(Onewindow__V1__ReplayReply *reply, uint64_t after, size_t count,
                           uint64_t last)
{
    assert_int_equal(reply->n_envelopes, count);
    assert_int_equal(reply->last_seq, last);
    for (size_t i = 0; i < count; i++) {
        ow_event_t ev;
        ow_error_t err;
        ow_error_clear(&err);
        if (ow_envelope_unpack(reply->envelopes[i].data, reply->envelopes[i].len, &ev, &err) != 0)
            fail_msg("envelope %zu: %s", i, err.message);
        assert_int_equal(ev.seq, after + 1 + i);
        assert_string_equal(ev.source, "src");
        assert_string_equal(ev.case_no, "330122-case");
        assert_int_equal(ev.payload_len, 3);
        assert_memory_equal(ev.payload, "\x00\x07\x00", 3);
        assert_int_equal(strlen(ev.event_id), 36);
        ow_event_clear(&ev);
    }
}

static void test_replay_and_retention(void **state)
{
    s_fixture_t *fx = *state;
    for (int i = 0; i < 5; i++) {
        s_begin(fx->db);
        s_add(fx->db, "case.accepted", (const uint8_t *)"\x00\x07\x00", 3);
        s_commit(fx->db);
    }
    assert_int_equal(s_pass(fx->relay), 5);
    ow_error_t err;
    ow_error_clear(&err);
    ow_rpc_client_t *client = ow_rpc_client_new(fx->loop, fx->rpc_ep, &err);
    assert_non_null(client);
    Onewindow__V1__ReplayReply *reply = NULL;

    assert_int_equal(s_replay(fx, client, 0, 0, &reply, &err), OW_OK);
    s_assert_range(reply, 0, 5, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);

    assert_int_equal(s_replay(fx, client, 2, 2, &reply, &err), OW_OK);
    s_assert_range(reply, 2, 2, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);

    assert_int_equal(s_replay(fx, client, 5, 100, &reply, &err), OW_OK);
    s_assert_range(reply, 5, 0, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);

    /* A limit over 1000 is capped, not refused. */
    assert_int_equal(s_replay(fx, client, 4, 100000, &reply, &err), OW_OK);
    s_assert_range(reply, 4, 1, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);

    /* Bytes that are not a ReplayRequest. */
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(
        ow_rpc_call_blocking(client, "_replay", NULL, junk, sizeof junk, 5000, NULL, NULL, &err),
        OW_INVALID_ARGUMENT);

    /* Retention: 1, 2 and 4 are old. Only the prefix 1..2 goes, so what is kept stays
     * gapless; 4 waits for 3. */
    s_admin_run(fx, "UPDATE %s.outbox SET created_at = now() - interval '40 days' "
                    "WHERE seq IN (1, 2, 4)");
    ow_relay_set_retention_days(fx->relay, 30);
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3);
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox"), 3);
    assert_int_equal(s_admin_long(fx, "SELECT min(seq) FROM %s.outbox"), 3);

    assert_int_equal(s_replay(fx, client, 0, 0, &reply, &err), OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "retention"));
    assert_int_equal(s_replay(fx, client, 2, 0, &reply, &err), OW_OK);
    s_assert_range(reply, 2, 3, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);

    /* Everything old: everything sequenced goes, last_seq stays. */
    s_admin_run(fx, "UPDATE %s.outbox SET created_at = now() - interval '40 days'");
    ow_relay_set_retention_days(fx->relay, 30);
    ow_test_loop_until(fx->loop, NULL, NULL, 0.3);
    assert_int_equal(s_admin_long(fx, "SELECT count(*) FROM %s.outbox"), 0);
    assert_int_equal(s_replay(fx, client, 5, 0, &reply, &err), OW_OK);
    s_assert_range(reply, 5, 0, 5);
    onewindow__v1__replay_reply__free_unpacked(reply, NULL);
    assert_int_equal(s_replay(fx, client, 3, 0, &reply, &err), OW_FAILED_PRECONDITION);
    ow_rpc_client_destroy(&client);
}

/* ow_outbox_add_many: every event checked before anything is written, then all in one
 * statement, in array order (ids, hence seqs). */
static void test_add_many(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    const uint8_t p0[] = {0x00, 0x01}, p1[] = {0xff};
    ow_outbox_event_t ev[3] = {
        {.type = "case.a",
         .case_no = "1",
         .centre_id = NULL,
         .time_us = 5,
         .payload = p0,
         .len = 2},
        {.type = "case.b",
         .case_no = NULL,
         .centre_id = "c",
         .time_us = 6,
         .payload = p1,
         .len = 1},
        {.type = "_bad", .time_us = 7},
    };
    assert_int_equal(ow_outbox_add_many(fx->db, ev, 2, &err), -1); /* outside a transaction */
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    s_begin(fx->db);
    assert_int_equal(ow_outbox_add_many(fx->db, ev, 3, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(ow_outbox_add_many(fx->db, ev, 2, &err), 0);
    s_commit(fx->db);
    PGresult *res = PQexec(ow_db_conn(fx->db), "SELECT type, case_no, centre_id, time_us,"
                                               " encode(payload, 'hex') FROM outbox ORDER BY id");
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), "case.a");
    assert_string_equal(PQgetvalue(res, 0, 1), "1");
    assert_string_equal(PQgetvalue(res, 0, 2), "");
    assert_string_equal(PQgetvalue(res, 0, 4), "0001");
    assert_string_equal(PQgetvalue(res, 1, 0), "case.b");
    assert_string_equal(PQgetvalue(res, 1, 3), "6");
    assert_string_equal(PQgetvalue(res, 1, 4), "ff");
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_add_many, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_seq_follows_commit_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_number_in_transaction, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_add_numbered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lock_ahead, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_racing_relays_stay_gapless, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_publishes_events_and_heartbeats, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_replay_and_retention, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
