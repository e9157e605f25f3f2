/* notify_test_provincial_push — the provincial 好差评 push as notifyd queues it, against a real
 * PostgreSQL (OW_TEST_DATABASE_URL): a rating.pushes_requested of several pushes (one per
 * transaction of evaluationd, provincial_push.h) makes one webhook delivery per push, shaped
 * exactly as the one a single rating.push_requested makes (kind, recipient = rating id, JSON
 * body, event type, target); the same event applied again, or a push already delivered arriving
 * in another event of either type, makes none; a batch of 2,000 pushes is queued with one
 * INSERT; a push that breaks a bound is skipped alone, an event with nothing valid is poison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "deliveries.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "provincial_push.h"
#include "push_sample.h"

extern const ow_migration_t notify_core_migrations[];
extern const size_t notify_core_migrations_count;

#define S_NOW     INT64_C(1795000000000000)
#define S_URL     "http://province.invalid/haochaping"
#define S_BIG     2000
#define S_EV_ONE  "b0b0b0b0-0000-4000-8000-000000000001"
#define S_EV_TWO  "b0b0b0b0-0000-4000-8000-000000000002"
#define S_EV_OLD  "b0b0b0b0-0000-4000-8000-000000000003"
#define S_EV_BIG  "b0b0b0b0-0000-4000-8000-000000000004"
#define S_EV_BAD  "b0b0b0b0-0000-4000-8000-000000000005"
#define S_EV_NINE "b0b0b0b0-0000-4000-8000-000000000006"

static provincial_push_config_t s_cfg = {
    .url = S_URL, .secret = "0123456789abcdef-secret", .max_attempts = 1000};

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("owtest_notify_push_", "notify-push-test", &err);
    ow_db_t *db = pg ? ow_test_pg_db(pg) : NULL;
    /* Every INSERT statement on deliveries is counted, whatever rows it wrote: a batch must
     * cost one. */
    if (!db || ow_migrate(db, notify_core_migrations, notify_core_migrations_count, &err) < 0 ||
        deliveries_prepare(db, &err) != 0 ||
        ow_db_run(db,
                  "CREATE TABLE test_inserts (n bigint NOT NULL);"
                  " INSERT INTO test_inserts VALUES (0);"
                  " CREATE FUNCTION test_count_insert() RETURNS trigger LANGUAGE plpgsql AS"
                  " $$BEGIN UPDATE test_inserts SET n = n + 1; RETURN NULL; END$$;"
                  " CREATE TRIGGER test_count_insert AFTER INSERT ON deliveries"
                  " FOR EACH STATEMENT EXECUTE FUNCTION test_count_insert()",
                  &err) != 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1;
    }
    *state = pg;
    return 0;
}

static long s_count(void **state, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(*state)), sql);
}

/* The strings of one test push, which must outlive it. */
typedef struct {
    char rating_id[40], case_no[32];
} s_ids_t;

/* The push of rating number i. */
static Onewindow__V1__RatingPush s_push(int i, s_ids_t *ids)
{
    snprintf(ids->rating_id, sizeof ids->rating_id, "5d7df5e9-a191-4aaa-b691-%012d", i);
    snprintf(ids->case_no, sizeof ids->case_no, "33012220261122%05d", i);
    return push_sample(ids->rating_id, ids->case_no, 1 + i % 5, S_NOW + i);
}

/* Applies an event of type carrying payload through the handler, as the inbox does. */
static int s_apply(void **state, const char *type, const char *event_id, uint8_t *payload,
                   size_t len, ow_error_t *err)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "%s", event_id);
    snprintf(ev.source, sizeof ev.source, "evaluation");
    ev.seq = 1;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = S_NOW;
    ev.payload = payload;
    ev.payload_len = len;
    ow_error_clear(err);
    return ow_test_event_apply(ow_test_pg_db(*state), provincial_push_on_event, &s_cfg, &ev, err);
}

/* Applies a rating.pushes_requested of the n pushes. */
static int s_apply_batch(void **state, const char *event_id, Onewindow__V1__RatingPush *pushes,
                         size_t n, ow_error_t *err)
{
    Onewindow__V1__RatingPush **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    assert_non_null(ptrs);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &pushes[i];
    Onewindow__V1__RatingPushBatch b = ONEWINDOW__V1__RATING_PUSH_BATCH__INIT;
    b.n_pushes = n;
    b.pushes = ptrs;
    size_t len = onewindow__v1__rating_push_batch__get_packed_size(&b);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    onewindow__v1__rating_push_batch__pack(&b, buf);
    int rc = s_apply(state, PROVINCIAL_PUSH_BATCH_EVENT, event_id, buf, len, err);
    free(buf);
    free(ptrs);
    return rc;
}

/* Applies the single rating.push_requested of one push (an outbox older than the batch). */
static int s_apply_one(void **state, const char *event_id, const Onewindow__V1__RatingPush *p,
                       ow_error_t *err)
{
    uint8_t buf[4096];
    size_t len = onewindow__v1__rating_push__pack(p, buf);
    return s_apply(state, PROVINCIAL_PUSH_EVENT, event_id, buf, len, err);
}

/* Whether the delivery of push p is there, queued, exactly as a single push makes it. */
static void s_expect_delivery(void **state, const char *event_id,
                              const Onewindow__V1__RatingPush *p)
{
    ow_error_t err;
    ow_error_clear(&err);
    char *body = provincial_push_json(p, &err);
    assert_non_null(body);
    const char *params[] = {p->rating_id, event_id};
    PGresult *res = PQexecParams(
        ow_db_conn(ow_test_pg_db(*state)),
        "SELECT kind, channel, case_no, text, template_kind, target, event_type, state,"
        " subscription_id IS NULL FROM deliveries WHERE recipient = $1 AND event_id = $2",
        2, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), PROVINCIAL_PUSH_KIND);
    assert_string_equal(PQgetvalue(res, 0, 1), DELIVERY_CHANNEL_WEBHOOK);
    assert_string_equal(PQgetvalue(res, 0, 2), p->case_no);
    assert_string_equal(PQgetvalue(res, 0, 3), body);
    assert_string_equal(PQgetvalue(res, 0, 4), "rating_push_json");
    assert_string_equal(PQgetvalue(res, 0, 5), S_URL);
    /* The province sees the event it always saw (X-OneWindow-Event), and the sender signs it
     * with the push's secret. */
    assert_string_equal(PQgetvalue(res, 0, 6), PROVINCIAL_PUSH_EVENT);
    assert_true(provincial_push_is_push(PQgetvalue(res, 0, 6), false));
    assert_string_equal(PQgetvalue(res, 0, 7), DELIVERY_QUEUED);
    assert_string_equal(PQgetvalue(res, 0, 8), "t");
    PQclear(res);
    free(body);
}

static void test_batch_one_delivery_per_push_once(void **state)
{
    s_ids_t ids[5];
    Onewindow__V1__RatingPush p[5];
    for (int i = 0; i < 5; i++)
        p[i] = s_push(i, &ids[i]);
    p[1].anonymous = true;
    p[1].applicant_name = p[1].applicant_id_type = p[1].applicant_id_number = "";
    p[1].applicant_type = "";
    ow_error_t err;
    long inserts = s_count(state, "SELECT n FROM test_inserts");
    assert_int_equal(s_apply_batch(state, S_EV_ONE, p, 3, &err), 0);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), 3);
    for (int i = 0; i < 3; i++)
        s_expect_delivery(state, S_EV_ONE, &p[i]);
    /* Sent in the order of the batch. */
    assert_int_equal(s_count(state, "SELECT count(*) FROM (SELECT recipient, row_number() OVER"
                                    " (ORDER BY queued_seq) AS r FROM deliveries) d WHERE"
                                    " d.recipient = '5d7df5e9-a191-4aaa-b691-' ||"
                                    " lpad((d.r - 1)::text, 12, '0')"),
                     3);
    assert_int_equal(s_count(state, "SELECT n FROM test_inserts"), inserts + 1);

    /* The same event again (a replay): nothing new. */
    assert_int_equal(s_apply_batch(state, S_EV_ONE, p, 3, &err), 0);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), 3);

    /* Push 0 delivered and its body emptied; pushes 0–2 again in another batch with two new
     * ones, and push 2 in an old single event: only the new ones are queued, and the delivered
     * one stays as it was. */
    PGresult *res = PQexec(ow_db_conn(ow_test_pg_db(*state)),
                           "SELECT delivery_id FROM deliveries WHERE recipient ="
                           " '5d7df5e9-a191-4aaa-b691-000000000000'");
    assert_int_equal(PQntuples(res), 1);
    delivery_outcome_t sent = {.state = DELIVERY_SENT};
    snprintf(sent.delivery_id, sizeof sent.delivery_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    ow_error_clear(&err);
    assert_int_equal(deliveries_record(ow_test_pg_db(*state), &sent, 1, S_NOW, &err), 0);
    assert_int_equal(s_apply_batch(state, S_EV_TWO, p, 5, &err), 0);
    assert_int_equal(s_apply_one(state, S_EV_OLD, &p[2], &err), 0);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), 5);
    for (int i = 3; i < 5; i++)
        s_expect_delivery(state, S_EV_TWO, &p[i]);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries WHERE state = 'sent' AND"
                                    " text = '' AND recipient ="
                                    " '5d7df5e9-a191-4aaa-b691-000000000000'"),
                     1);

    /* The old single event still works, through the same path: a new rating, one delivery. */
    s_ids_t id9;
    Onewindow__V1__RatingPush nine = s_push(9, &id9);
    assert_int_equal(s_apply_one(state, S_EV_NINE, &nine, &err), 0);
    s_expect_delivery(state, S_EV_NINE, &nine);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), 6);
}

static void test_batch_of_2000_in_one_statement(void **state)
{
    s_ids_t *ids = calloc(S_BIG, sizeof *ids);
    Onewindow__V1__RatingPush *p = calloc(S_BIG, sizeof *p);
    assert_non_null(ids);
    assert_non_null(p);
    for (int i = 0; i < S_BIG; i++)
        p[i] = s_push(1000 + i, &ids[i]);
    long before = s_count(state, "SELECT count(*) FROM deliveries");
    long inserts = s_count(state, "SELECT n FROM test_inserts");
    ow_error_t err;
    assert_int_equal(s_apply_batch(state, S_EV_BIG, p, S_BIG, &err), 0);
    assert_int_equal(s_count(state, "SELECT n FROM test_inserts"), inserts + 1);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries WHERE event_id = '" S_EV_BIG
                                    "' AND kind = 'rating_push'"),
                     S_BIG);
    assert_int_equal(s_count(state, "SELECT count(DISTINCT recipient) FROM deliveries WHERE"
                                    " event_id = '" S_EV_BIG "'"),
                     S_BIG);
    s_expect_delivery(state, S_EV_BIG, &p[0]);
    s_expect_delivery(state, S_EV_BIG, &p[S_BIG - 1]);
    /* Replayed: still one statement, nothing new. */
    assert_int_equal(s_apply_batch(state, S_EV_BIG, p, S_BIG, &err), 0);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), before + S_BIG);
    free(p);
    free(ids);
}

static void test_bad_pushes(void **state)
{
    s_ids_t ids[3];
    Onewindow__V1__RatingPush p[3];
    for (int i = 0; i < 3; i++)
        p[i] = s_push(5000 + i, &ids[i]);
    p[1].grade = 0;    /* breaks a bound */
    p[2].case_no = ""; /* so does this */
    p[2].grade = 9;
    long before = s_count(state, "SELECT count(*) FROM deliveries");
    ow_error_t err;
    /* The valid push goes; each bad one is skipped alone (logged by field, never by value). */
    assert_int_equal(s_apply_batch(state, S_EV_BAD, p, 3, &err), 0);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), before + 1);
    s_expect_delivery(state, S_EV_BAD, &p[0]);
    /* Nothing valid, no push at all, or no RatingPushBatch: poison, nothing written. */
    assert_int_equal(s_apply_batch(state, S_EV_BAD, p + 1, 2, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "grade"));
    assert_null(strstr(err.message, "33012219800101001X"));
    assert_int_equal(s_apply_one(state, S_EV_BAD, &p[1], &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_apply_batch(state, S_EV_BAD, p, 0, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    uint8_t junk[] = {0x0a, 0xff, 0xff};
    assert_int_equal(s_apply(state, PROVINCIAL_PUSH_BATCH_EVENT, S_EV_BAD, junk, sizeof junk, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), before + 1);
    /* The push off (no URL): nothing recorded, whatever the event holds. */
    provincial_push_config_t on = s_cfg;
    s_cfg.url = "";
    s_ids_t id;
    Onewindow__V1__RatingPush fresh = s_push(6000, &id);
    assert_int_equal(s_apply_batch(state, S_EV_BAD, &fresh, 1, &err), 0);
    s_cfg = on;
    assert_int_equal(s_count(state, "SELECT count(*) FROM deliveries"), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_one_delivery_per_push_once),
        cmocka_unit_test(test_batch_of_2000_in_one_statement),
        cmocka_unit_test(test_bad_pushes),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
