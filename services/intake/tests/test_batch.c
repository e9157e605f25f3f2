/* The group commit (batch.h) on a real Postgres (OW_TEST_DATABASE_URL) with the
 * demonstration catalogue: several requests in ONE transaction, each at its own savepoint —
 * a refused one gets its own answer and writes nothing, the others commit with gapless
 * serials, a repeated key inside the batch gets the first request's answer byte for byte,
 * and a transaction that fails as a whole answers nobody OK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "batch.h"
#include "case_store.h"
#include "catalogue.h"
#include "intake_api.h"
#include "ow_clock.h"
#include "ow_loop.h"
#include "ow_migrate.h"
#include "ow_outbox.h"
#include "ow_test_error.h"
#include "ow_test_pg.h"
#include "submit.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_FOOD "113301220025190176000117004000" /* 食品经营许可证核发（新办） */
/* A fixed time of receipt, in µs of system time. */
#define S_NOW 1795399200000000LL

typedef struct {
    ow_test_pg_t *pg;
    ow_db_t *db; /* owned by pg */
    intake_settings_t settings;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("intake_test_batch_", "intake-test", &err);
    fx->db = fx->pg ? ow_test_pg_db(fx->pg) : NULL;
    if (!fx->db ||
        ow_migrate(fx->db, intake_core_migrations, intake_core_migrations_count, &err) < 0 ||
        intake_submit_prepare(fx->db, &err) < 0 ||
        ow_test_pg_run_file(fx->db, OW_SOURCE_DIR "/deploy/demo/intake.sql", &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        ow_test_pg_destroy(&fx->pg);
        free(fx);
        return -1;
    }
    fx->settings.county_code = "330122";
    fx->settings.centre_id = "330122000000";
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    ow_test_pg_destroy(&fx->pg);
    free(fx);
    return 0;
}

static const char *const s_complete[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"};

/* A packed SubmitApplication for the food licence (caller frees); n materials of the
 * complete list. */
static uint8_t *s_application(const char *name, size_t n, size_t *len)
{
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = (char *)name;
    a.id_type = (char *)"resident_id";
    a.id_number = (char *)"330122198001010013";
    a.phone = (char *)"13900000001";
    Onewindow__V1__SubmitApplication req = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    req.item_code = (char *)S_FOOD;
    req.applicant = &a;
    req.material_codes = (char **)s_complete;
    req.n_material_codes = n;
    *len = onewindow__v1__submit_application__get_packed_size(&req);
    uint8_t *buf = malloc(*len ? *len : 1);
    onewindow__v1__submit_application__pack(&req, buf);
    return buf;
}

static void s_job(intake_job_t *job, const char *key, const uint8_t *req, size_t len)
{
    memset(job, 0, sizeof *job);
    job->kind = INTAKE_JOB_SUBMIT;
    job->key = key;
    job->request = req;
    job->len = len;
    job->now_us = S_NOW;
}

/* The case number in a job's OK reply (into out). */
static void s_case_no(const intake_job_t *job, char *out, size_t size)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, job->reply_len, job->reply);
    assert_non_null(r);
    assert_int_equal(r->status, OW_OK);
    Onewindow__V1__CaseReply *c =
        onewindow__v1__case_reply__unpack(NULL, r->payload.len, r->payload.data);
    assert_non_null(c);
    snprintf(out, size, "%s", c->case_->case_no);
    onewindow__v1__case_reply__free_unpacked(c, NULL);
    onewindow__v1__reply__free_unpacked(r, NULL);
}

static long s_count(s_fixture_t *fx, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(fx->db), sql);
}

static void test_one_transaction_each_at_its_savepoint(void **state)
{
    s_fixture_t *fx = *state;
    size_t good_len, bad_len, other_len;
    uint8_t *good = s_application("张三", 4, &good_len);
    uint8_t *bad = s_application("李四", 2, &bad_len); /* two required materials missing */
    uint8_t *other = s_application("王五", 4, &other_len);
    intake_job_t *jobs[5];
    for (int i = 0; i < 5; i++)
        jobs[i] = calloc(1, sizeof *jobs[i]);
    s_job(jobs[0], "batch-a", good, good_len);
    s_job(jobs[1], "batch-b", bad, bad_len);
    s_job(jobs[2], "batch-a", good, good_len);   /* the same key again: the first answer */
    s_job(jobs[3], "batch-a", other, other_len); /* the same key, another body: refused */
    s_job(jobs[4], "batch-c", other, other_len);

    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, 5), 3);
    assert_int_equal(jobs[0]->rc, 0);
    assert_int_equal(jobs[1]->rc, -1);
    assert_int_equal(jobs[1]->err.code, OW_INVALID_ARGUMENT);
    assert_true(ow_test_error_has(&jobs[1]->err, "materials", "SPJY-04"));
    assert_int_equal(jobs[2]->rc, 0);
    assert_int_equal(jobs[2]->reply_len, jobs[0]->reply_len);
    assert_memory_equal(jobs[2]->reply, jobs[0]->reply, jobs[0]->reply_len);
    assert_int_equal(jobs[3]->rc, -1);
    assert_int_equal(jobs[3]->err.code, OW_FAILED_PRECONDITION);
    assert_int_equal(jobs[4]->rc, 0);

    /* Two cases, serials 1 and 2 of the day: the refused ones spent none. */
    char a[32], c[32];
    s_case_no(jobs[0], a, sizeof a);
    s_case_no(jobs[4], c, sizeof c);
    char want[32];
    snprintf(want, sizeof want, "330122%08d10001", ow_clock_local_yyyymmdd(S_NOW));
    assert_string_equal(a, want);
    snprintf(want, sizeof want, "330122%08d10002", ow_clock_local_yyyymmdd(S_NOW));
    assert_string_equal(c, want);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), 2);
    assert_int_equal(s_count(fx, "SELECT sum(cardinality(materials)) FROM cases"), 8);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox WHERE type = 'case.accepted'"), 2);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM idempotency"), 2);
    assert_int_equal(s_count(fx, "SELECT last_serial FROM case_counters"), 2);

    /* The next batch repeats a committed key: the same answer, nothing new. */
    intake_job_t *again[1] = {jobs[2]};
    uint8_t *first = jobs[0]->reply;
    size_t first_len = jobs[0]->reply_len;
    free(jobs[2]->reply);
    s_job(jobs[2], "batch-a", good, good_len);
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, again, 1), 1);
    assert_memory_equal(jobs[2]->reply, first, first_len);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), 2);
    /* The serial taken for it with the lookup went back (batch.c). */
    assert_int_equal(s_count(fx, "SELECT last_serial FROM case_counters"), 2);

    for (int i = 0; i < 5; i++) {
        free(jobs[i]->reply);
        free(jobs[i]);
    }
    free(good);
    free(bad);
    free(other);
}

static void test_a_failed_transaction_answers_nobody_ok(void **state)
{
    s_fixture_t *fx = *state;
    size_t len;
    uint8_t *good = s_application("赵六", 4, &len);
    intake_job_t *jobs[2];
    for (int i = 0; i < 2; i++)
        jobs[i] = calloc(1, sizeof *jobs[i]);
    s_job(jobs[0], "batch-fail-1", good, len);
    s_job(jobs[1], "batch-fail-2", good, len);
    long before = s_count(fx, "SELECT count(*) FROM cases");
    /* A deferred check that fails only at COMMIT: every job had succeeded at its savepoint,
     * and none may be answered OK. */
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db),
                                    "CREATE TABLE batch_guard (x int);"
                                    "CREATE FUNCTION batch_guard_fail() RETURNS trigger"
                                    " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at"
                                    " commit'; END $$;"
                                    "CREATE CONSTRAINT TRIGGER batch_guard AFTER INSERT ON cases"
                                    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                                    " EXECUTE FUNCTION batch_guard_fail()",
                                    &err),
                     0);
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, 2), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(jobs[i]->rc, -1);
        assert_null(jobs[i]->reply);
        assert_int_not_equal(jobs[i]->err.code, OW_OK);
    }
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), before);
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db), "DROP TRIGGER batch_guard ON cases", &err),
                     0);
    /* The same requests again, now committed: exactly once, after the failed attempt. */
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, 2), 2);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), before + 2);
    for (int i = 0; i < 2; i++) {
        free(jobs[i]->reply);
        free(jobs[i]);
    }
    free(good);
}

/* The set-based path (batch.c): a batch spanning two local days takes serials per day in one
 * statement, gapless from 1 on each. */
static void test_set_based_batch_over_two_days(void **state)
{
    s_fixture_t *fx = *state;
    size_t len;
    uint8_t *good = s_application("钱七", 4, &len);
    enum { N = 6 };
    const int64_t next_day = S_NOW + 86400LL * 1000000;
    intake_job_t *jobs[N];
    char keys[N][32];
    for (int i = 0; i < N; i++) {
        jobs[i] = calloc(1, sizeof *jobs[i]);
        snprintf(keys[i], sizeof keys[i], "set-day-%d", i);
        s_job(jobs[i], keys[i], good, len);
        if (i % 2)
            jobs[i]->now_us = next_day;
    }
    long day1 = ow_test_pg_long(ow_db_conn(fx->db),
                                "SELECT coalesce(max(last_serial), 0) FROM case_counters");
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, N), N);
    for (int i = 0; i < N; i++) {
        char no[32], want[64];
        s_case_no(jobs[i], no, sizeof no);
        snprintf(want, sizeof want, "330122%08d1%04ld", ow_clock_local_yyyymmdd(jobs[i]->now_us),
                 i % 2 ? i / 2 + 1 : day1 + i / 2 + 1);
        assert_string_equal(no, want);
        free(jobs[i]->reply);
        free(jobs[i]);
    }
    free(good);
}

/* A set-based statement that fails (here: a guard refusing any statement that writes more than
 * one row of table, standing for a race or a constraint) rolls back to its savepoint and every
 * request runs alone: the same answers, gapless serials, one event each. */
static void s_falls_back_on(s_fixture_t *fx, const char *table)
{
    ow_error_t err;
    ow_error_clear(&err);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE OR REPLACE FUNCTION one_row_only() RETURNS trigger"
             " LANGUAGE plpgsql AS $$ BEGIN"
             " IF (SELECT count(*) FROM added) > 1 THEN"
             " RAISE unique_violation USING MESSAGE = 'one at a time';"
             " END IF; RETURN NULL; END $$;"
             "CREATE TRIGGER one_row_only AFTER INSERT ON %s"
             " REFERENCING NEW TABLE AS added FOR EACH STATEMENT"
             " EXECUTE FUNCTION one_row_only()",
             table);
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db), sql, &err), 0);
    size_t len;
    uint8_t *good = s_application("孙八", 4, &len);
    enum { N = 4 };
    intake_job_t *jobs[N];
    char keys[N][48];
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    long events = s_count(fx, "SELECT count(*) FROM outbox");
    for (int i = 0; i < N; i++) {
        jobs[i] = calloc(1, sizeof *jobs[i]);
        snprintf(keys[i], sizeof keys[i], "fallback-%s-%d", table, i);
        s_job(jobs[i], keys[i], good, len);
    }
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, N), N);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases + N);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox"), events + N);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM case_counters c WHERE last_serial <>"
                                 " (SELECT count(*) FROM cases WHERE substr(case_no, 7, 8) ="
                                 " to_char(c.day, 'YYYYMMDD'))"),
                     0);
    snprintf(sql, sizeof sql, "DROP TRIGGER one_row_only ON %s", table);
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db), sql, &err), 0);
    /* The same keys again through the set-based path: the first answers, nothing new. */
    for (int i = 0; i < N; i++) {
        uint8_t *first = jobs[i]->reply;
        size_t first_len = jobs[i]->reply_len;
        intake_job_t *one[1] = {jobs[i]};
        s_job(jobs[i], keys[i], good, len);
        assert_int_equal(intake_batch_run(fx->db, &fx->settings, one, 1), 1);
        assert_int_equal(jobs[i]->reply_len, first_len);
        assert_memory_equal(jobs[i]->reply, first, first_len);
        free(first);
        free(jobs[i]->reply);
        free(jobs[i]);
    }
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases + N);
    free(good);
}

/* The events' statement fails after the cases' and the keys' (deferred, ow_db_defer) went in;
 * the cases' or the keys' statement fails, which the next statement that waits reports. */
static void test_set_statement_failure_falls_back(void **state)
{
    s_falls_back_on(*state, "outbox");
    s_falls_back_on(*state, "cases");
    s_falls_back_on(*state, "idempotency");
}

/* Every outbox row has its seq, 1..count without a gap, and the relay's counter is the top.
 * Returns the count. */
static long s_events_numbered(s_fixture_t *fx)
{
    long count = s_count(fx, "SELECT count(*) FROM outbox");
    assert_int_equal(s_count(fx, "SELECT count(*) FROM outbox WHERE seq IS NULL"), 0);
    assert_int_equal(s_count(fx, "SELECT coalesce(max(seq), 0) FROM outbox"), count);
    assert_int_equal(s_count(fx, "SELECT last_seq FROM outbox_state"), count);
    return count;
}

/* n jobs submitting with keys prefix-0.., run as intaked runs them (with its relay, and with
 * memory the predicted path): returns how many were answered OK; the jobs are freed. */
static size_t s_run_remembering(s_fixture_t *fx, ow_relay_t *relay, intake_batch_memory_t *memory,
                                const char *prefix, size_t n)
{
    size_t len;
    uint8_t *good = s_application("周九", 4, &len);
    intake_job_t *jobs[8];
    char keys[8][48];
    for (size_t i = 0; i < n; i++) {
        jobs[i] = calloc(1, sizeof *jobs[i]);
        snprintf(keys[i], sizeof keys[i], "%s-%zu", prefix, i);
        s_job(jobs[i], keys[i], good, len);
    }
    size_t ok = memory ? intake_batch_run_predicted(fx->db, relay, &fx->settings, memory, jobs, n)
                       : intake_batch_run_numbered(fx->db, relay, &fx->settings, jobs, n);
    for (size_t i = 0; i < n; i++) {
        free(jobs[i]->reply);
        free(jobs[i]);
    }
    free(good);
    return ok;
}

static size_t s_run_with_relay(s_fixture_t *fx, ow_relay_t *relay, const char *prefix, size_t n)
{
    return s_run_remembering(fx, relay, NULL, prefix, n);
}

/* With the relay (as intaked runs batches), its lock is taken ahead with the batch's first
 * statements and the events travel with COMMIT: each path — all new, a repeat among new ones
 * (the savepoint rolled back, the lock kept), a set statement refused (each request alone) —
 * leaves every event numbered, gapless; an events insert refused at COMMIT answers nobody OK
 * and leaves nothing, and the same keys then go through. */
static void test_batch_with_relay(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_loop_t *loop = ow_loop_new();
    assert_non_null(loop);
    ow_relay_t *relay =
        ow_relay_new(loop, fx->db, "intake", "ipc:///nonexistent/onewindow-bus", NULL, &err);
    if (!relay)
        fail_msg("ow_relay_new: %s", err.message);
    /* The earlier tests' events wait unnumbered: the first batch numbers them before its own. */
    assert_int_equal(s_run_with_relay(fx, relay, "relay-a", 4), 4);
    long base = s_events_numbered(fx);
    /* One key already committed among two new: the serials taken for three go back with the
     * savepoint, and the two new events follow the first four. */
    assert_int_equal(s_run_with_relay(fx, relay, "relay-a", 1), 1);
    assert_int_equal(s_events_numbered(fx), base);
    {
        size_t len;
        uint8_t *good = s_application("周九", 4, &len);
        intake_job_t a, b, c;
        s_job(&a, "relay-b-0", good, len);
        s_job(&b, "relay-a-0", good, len);
        s_job(&c, "relay-b-1", good, len);
        intake_job_t *jobs[3] = {&a, &b, &c};
        assert_int_equal(intake_batch_run_numbered(fx->db, relay, &fx->settings, jobs, 3), 3);
        free(a.reply);
        free(b.reply);
        free(c.reply);
        free(good);
    }
    assert_int_equal(s_events_numbered(fx), base + 2);
    /* The cases' statement refused: each request runs alone, its events numbered before COMMIT
     * by the relay's own lock. */
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db),
                                    "CREATE FUNCTION one_case_only() RETURNS trigger"
                                    " LANGUAGE plpgsql AS $$ BEGIN"
                                    " IF (SELECT count(*) FROM added) > 1 THEN"
                                    " RAISE unique_violation USING MESSAGE = 'one at a time';"
                                    " END IF; RETURN NULL; END $$;"
                                    "CREATE TRIGGER one_case_only AFTER INSERT ON cases"
                                    " REFERENCING NEW TABLE AS added FOR EACH STATEMENT"
                                    " EXECUTE FUNCTION one_case_only()",
                                    &err),
                     0);
    assert_int_equal(s_run_with_relay(fx, relay, "relay-c", 3), 3);
    assert_int_equal(s_events_numbered(fx), base + 5);
    assert_int_equal(
        ow_test_pg_run(ow_db_conn(fx->db), "DROP TRIGGER one_case_only ON cases", &err), 0);
    /* The events refused at COMMIT: nobody is answered OK, nothing is written, no serial used. */
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    long serials = s_count(fx, "SELECT sum(last_serial) FROM case_counters");
    assert_int_equal(ow_test_pg_run(ow_db_conn(fx->db),
                                    "ALTER TABLE outbox ADD CONSTRAINT no_events CHECK (false)"
                                    " NOT VALID",
                                    &err),
                     0);
    assert_int_equal(s_run_with_relay(fx, relay, "relay-d", 2), 0);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases);
    assert_int_equal(s_count(fx, "SELECT sum(last_serial) FROM case_counters"), serials);
    assert_int_equal(s_events_numbered(fx), base + 5);
    assert_int_equal(
        ow_test_pg_run(ow_db_conn(fx->db), "ALTER TABLE outbox DROP CONSTRAINT no_events", &err),
        0);
    assert_int_equal(s_run_with_relay(fx, relay, "relay-d", 2), 2);
    assert_int_equal(s_events_numbered(fx), base + 7);
    ow_relay_destroy(&relay);
    ow_loop_destroy(&loop);
}

/* Asserts how many batches memory has committed predicted, and refused, so far. */
static void s_assert_predicted(const intake_batch_memory_t *memory, uint64_t predicted,
                               uint64_t refused)
{
    uint64_t p = 0, r = 0;
    intake_batch_memory_counts(memory, &p, &r);
    assert_int_equal(p, predicted);
    assert_int_equal(r, refused);
}

/* The predicted path (batch.h): once a batch has read the counter and the items, the next is
 * sent whole and its events are numbered by the database; every guess that turns out wrong —
 * the counter moved by another writer, a key already committed, an item retired — refuses the
 * transaction, writes nothing of it, and the batch is answered by the reading path exactly as it
 * would have been; the memory learns again and the path resumes. */
static void test_predicted_path(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    PGconn *conn = ow_db_conn(fx->db);
    ow_loop_t *loop = ow_loop_new();
    intake_batch_memory_t *memory = intake_batch_memory_new();
    assert_non_null(loop);
    assert_non_null(memory);
    ow_relay_t *relay =
        ow_relay_new(loop, fx->db, "intake", "ipc:///nonexistent/onewindow-bus", NULL, &err);
    if (!relay)
        fail_msg("ow_relay_new: %s", err.message);
    /* Nothing known yet: the first batch reads, and is remembered. */
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-a", 3), 3);
    s_assert_predicted(memory, 0, 0);
    long events = s_events_numbered(fx);
    long serial = s_count(fx, "SELECT max(last_serial) FROM case_counters");
    /* The next is predicted: its serials follow, its events are numbered after the others, and
     * the relay knows their seqs from the lock's answer that came with COMMIT. */
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-b", 4), 4);
    s_assert_predicted(memory, 1, 0);
    assert_int_equal(s_events_numbered(fx), events + 4);
    assert_int_equal(ow_relay_last_seq(relay), (uint64_t)(events + 4));
    assert_int_equal(s_count(fx, "SELECT max(last_serial) FROM case_counters"), serial + 4);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases WHERE case_no LIKE '%'"
                                 " AND substr(case_no, 16)::int > 0"),
                     s_count(fx, "SELECT count(*) FROM cases"));
    /* Another writer takes a serial: the expected end is wrong, the predicted batch is refused,
     * and the reading path numbers after the other's, gapless. */
    assert_int_equal(ow_test_pg_run(conn,
                                    "UPDATE case_counters SET last_serial = last_serial + 1"
                                    " WHERE last_serial = (SELECT max(last_serial)"
                                    " FROM case_counters)",
                                    &err),
                     0);
    long cases = s_count(fx, "SELECT count(*) FROM cases");
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-c", 2), 2);
    s_assert_predicted(memory, 1, 1);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases + 2);
    assert_int_equal(s_count(fx, "SELECT max(last_serial) FROM case_counters"), serial + 7);
    assert_int_equal(s_events_numbered(fx), events + 6);
    /* One batch reads after a refusal (the back-off), then the path resumes. */
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-d", 1), 1);
    s_assert_predicted(memory, 1, 1);
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-e", 2), 2);
    s_assert_predicted(memory, 2, 1);
    /* A key already committed, among new ones: the record's unique key refuses the predicted
     * batch, and the reading path answers the repeat with the first answer, byte for byte. */
    size_t len;
    uint8_t *good = s_application("周九", 4, &len);
    intake_job_t first, again, fresh;
    s_job(&first, "pred-f-0", good, len);
    intake_job_t *one[1] = {&first};
    assert_int_equal(intake_batch_run_predicted(fx->db, relay, &fx->settings, memory, one, 1), 1);
    s_assert_predicted(memory, 3, 1);
    s_job(&again, "pred-f-0", good, len);
    s_job(&fresh, "pred-f-1", good, len);
    intake_job_t *two[2] = {&fresh, &again};
    assert_int_equal(intake_batch_run_predicted(fx->db, relay, &fx->settings, memory, two, 2), 2);
    s_assert_predicted(memory, 3, 2);
    assert_int_equal(again.reply_len, first.reply_len);
    assert_memory_equal(again.reply, first.reply, first.reply_len);
    assert_int_equal(s_count(fx, "SELECT count(*) FROM idempotency WHERE key LIKE 'pred-f-%'"), 2);
    assert_int_equal(s_events_numbered(fx), events + 11);
    free(first.reply);
    free(again.reply);
    free(fresh.reply);
    /* One read after the refusal (the last predicted batch succeeded, so no longer back-off),
     * then an item retired since it was read: refused, and the reading path finds no current
     * version. */
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-g", 1), 1);
    s_assert_predicted(memory, 3, 2);
    assert_int_equal(s_run_remembering(fx, relay, memory, "pred-h", 1), 1);
    s_assert_predicted(memory, 4, 2);
    assert_int_equal(ow_test_pg_run(conn,
                                    "UPDATE items SET retired_at = now() WHERE impl_code = '" S_FOOD
                                    "' AND retired_at IS NULL",
                                    &err),
                     0);
    cases = s_count(fx, "SELECT count(*) FROM cases");
    intake_job_t late;
    s_job(&late, "pred-k-0", good, len);
    intake_job_t *retired[1] = {&late};
    assert_int_equal(intake_batch_run_predicted(fx->db, relay, &fx->settings, memory, retired, 1),
                     0);
    s_assert_predicted(memory, 4, 3);
    assert_int_equal(late.err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(late.err.message, "no item"));
    assert_int_equal(s_count(fx, "SELECT count(*) FROM cases"), cases);
    assert_int_equal(ow_test_pg_run(conn,
                                    "UPDATE items SET retired_at = NULL WHERE impl_code = '" S_FOOD
                                    "' AND version = (SELECT max(version) FROM items"
                                    " WHERE impl_code = '" S_FOOD "')",
                                    &err),
                     0);
    free(good);
    ow_relay_destroy(&relay);
    intake_batch_memory_destroy(&memory);
    ow_loop_destroy(&loop);
}

/* A connection that died while the daemon was idle (the server restarted) is found at the
 * batch's first statement, which BEGIN travels with: the batch starts again on a new
 * connection and every request is answered. */
static void test_batch_survives_a_dead_idle_connection(void **state)
{
    s_fixture_t *fx = *state;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(ow_db_conn(fx->db)));
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_test_pg_run(ow_test_pg_admin(fx->pg), sql, &err), 0);
    struct timespec pause = {0, 100 * 1000000L}; /* the signal takes a moment */
    nanosleep(&pause, NULL);
    size_t len;
    uint8_t *good = s_application("周九", 4, &len);
    intake_job_t job;
    memset(&job, 0, sizeof job);
    s_job(&job, "dead-idle-1", good, len);
    intake_job_t *jobs[1] = {&job};
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, 1), 1);
    assert_int_equal(job.rc, 0);
    free(job.reply);
    free(good);
}

/* The packed CaseSummary of a reply's case (caller frees; *len set). */
static uint8_t *s_reply_summary(const uint8_t *reply, size_t reply_len, size_t *len)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, reply_len, reply);
    assert_non_null(r);
    assert_int_equal(r->status, OW_OK);
    Onewindow__V1__CaseReply *c =
        onewindow__v1__case_reply__unpack(NULL, r->payload.len, r->payload.data);
    assert_non_null(c);
    *len = onewindow__v1__case_summary__get_packed_size(c->case_);
    uint8_t *out = malloc(*len ? *len : 1);
    onewindow__v1__case_summary__pack(c->case_, out);
    onewindow__v1__case_reply__free_unpacked(c, NULL);
    onewindow__v1__reply__free_unpacked(r, NULL);
    return out;
}

/* Asserts that the summary packed[0..len) is, byte for byte, case case_no as read back. */
static void s_assert_as_read_back(s_fixture_t *fx, const uint8_t *packed, size_t len,
                                  const char *case_no)
{
    ow_error_t err;
    ow_error_clear(&err);
    intake_case_t *kase = intake_case_load(fx->db, case_no, false, &err);
    assert_non_null(kase);
    const Onewindow__V1__CaseSummary *read = intake_case_summary(kase);
    size_t read_len = onewindow__v1__case_summary__get_packed_size(read);
    uint8_t *want = malloc(read_len ? read_len : 1);
    onewindow__v1__case_summary__pack(read, want);
    assert_int_equal(len, read_len);
    assert_memory_equal(packed, want, len);
    free(want);
    intake_case_destroy(&kase);
}

/* The replies and events are built from what was written (intake_case_written), not read back:
 * they must equal intake.get_case's reading of the row, on the set-based path and on the
 * per-request one, with and without e-mail, at another centre and channel. */
static void test_case_as_written_equals_case_read_back(void **state)
{
    s_fixture_t *fx = *state;
    static char *online_materials[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05", "SPJY-01"};
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = (char *)"赵六";
    a.id_type = (char *)"resident_id";
    a.id_number = (char *)"11010519491231002x"; /* normalised to X when written */
    a.phone = (char *)"13900000002";
    a.email = (char *)"zhao@example.org";
    Onewindow__V1__SubmitApplication req = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    req.item_code = (char *)S_FOOD;
    req.applicant = &a;
    req.material_codes = online_materials;
    req.n_material_codes = 5; /* a code twice: stored once */
    req.channel = (char *)"online";
    req.centre_id = (char *)"330122101000";
    size_t online_len = onewindow__v1__submit_application__get_packed_size(&req);
    uint8_t *online = malloc(online_len);
    onewindow__v1__submit_application__pack(&req, online);
    size_t window_len;
    uint8_t *window = s_application("钱七", 4, &window_len);

    intake_job_t *jobs[2];
    for (int i = 0; i < 2; i++)
        jobs[i] = calloc(1, sizeof *jobs[i]);
    s_job(jobs[0], "written-online", online, online_len);
    s_job(jobs[1], "written-window", window, window_len);
    assert_int_equal(intake_batch_run(fx->db, &fx->settings, jobs, 2), 2);
    for (int i = 0; i < 2; i++) {
        char no[32];
        s_case_no(jobs[i], no, sizeof no);
        size_t len;
        uint8_t *packed = s_reply_summary(jobs[i]->reply, jobs[i]->reply_len, &len);
        s_assert_as_read_back(fx, packed, len, no);
        if (i == 0) { /* SPJY-01 handed in twice is one material */
            char sql[160];
            snprintf(sql, sizeof sql,
                     "SELECT cardinality(materials) FROM cases WHERE case_no = '%s'", no);
            assert_int_equal(s_count(fx, sql), 4);
        }
        free(packed);
        free(jobs[i]->reply);
        free(jobs[i]);
    }

    /* The per-request path's insert (intake_case_insert_returning), with a number of its own. */
    ow_error_t err;
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(fx->db, &err), 0);
    intake_item_t *item = intake_catalogue_find(fx->db, S_FOOD, &err);
    assert_non_null(item);
    const char *codes[] = {"SPJY-01", "SPJY-03"};
    intake_new_case_t c = {.case_no = "33012220990101100099",
                           .state = 3,
                           .item = item,
                           .applicant_name = "孙八",
                           .applicant_id_type = "resident_id",
                           .applicant_id_number = "330122198001010013",
                           .applicant_phone = "13900000003",
                           .applicant_email = NULL,
                           .channel = "kiosk",
                           .centre_id = "330122000000",
                           .received_at_us = S_NOW + 123457,
                           .accepted_at_us = 0,
                           .materials = codes,
                           .material_count = 2};
    intake_case_t *kase = intake_case_insert_returning(fx->db, &c, &err);
    assert_non_null(kase);
    const Onewindow__V1__CaseSummary *written = intake_case_summary(kase);
    size_t len = onewindow__v1__case_summary__get_packed_size(written);
    uint8_t *packed = malloc(len);
    onewindow__v1__case_summary__pack(written, packed);
    s_assert_as_read_back(fx, packed, len, c.case_no);
    free(packed);
    intake_case_destroy(&kase);
    intake_item_destroy(&item);
    ow_db_rollback(fx->db);
    free(online);
    free(window);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_transaction_each_at_its_savepoint),
        cmocka_unit_test(test_a_failed_transaction_answers_nobody_ok),
        cmocka_unit_test(test_set_based_batch_over_two_days),
        cmocka_unit_test(test_set_statement_failure_falls_back),
        cmocka_unit_test(test_batch_survives_a_dead_idle_connection),
        cmocka_unit_test(test_case_as_written_equals_case_read_back),
        cmocka_unit_test(test_batch_with_relay),
        cmocka_unit_test(test_predicted_path),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
