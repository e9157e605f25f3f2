/* test_idem — idempotency keys against a real PostgreSQL (OW_TEST_DATABASE_URL): the same
 * key returns the stored reply, a different body or method is refused, a key is kept only
 * if its transaction commits, and a second instance waits for the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_migrate.h"
#include "ow_test_pg.h"

typedef struct {
    ow_test_pg_t *pg;
    PGconn *admin; /* owned by pg */
    ow_db_t *db;   /* owned by pg */
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ow_error_t err;
    ow_error_clear(&err);
    fx->pg = ow_test_pg_new("t_idem_", "test_idem", &err);
    if (!fx->pg || ow_migrate(ow_test_pg_db(fx->pg), NULL, 0, &err) < 0)
        fail_msg("%s", err.message);
    fx->admin = ow_test_pg_admin(fx->pg);
    fx->db = ow_test_pg_db(fx->pg);
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

/* Binary bodies with zero bytes: nothing may treat them as strings. */
static const uint8_t s_request[] = {0x0a, 0x00, 0x03, 'a', 0x00, 'b'};
static const uint8_t s_other[] = {0x0a, 0x00, 0x03, 'a', 0x00, 'c'};
static const uint8_t s_reply[] = {0x10, 0x00, 0x1a, 0x02, 0x00, 0xff};

static int s_find(ow_db_t *db, const char *key, const char *method, const uint8_t *req, size_t len,
                  uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    ow_error_clear(err);
    return ow_idem_find(db, key, method, req, len, reply, reply_len, err);
}

static void test_same_key_returns_stored_reply(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t reply_len = 0;

    s_begin(fx->db);
    assert_int_equal(s_find(fx->db, "k-1", "intake.submit", s_request, sizeof s_request, &reply,
                            &reply_len, &err),
                     0);
    assert_null(reply);
    assert_int_equal(ow_idem_save(fx->db, "k-1", "intake.submit", s_request, sizeof s_request,
                                  s_reply, sizeof s_reply, &err),
                     0);
    s_commit(fx->db);

    s_begin(fx->db);
    assert_int_equal(s_find(fx->db, "k-1", "intake.submit", s_request, sizeof s_request, &reply,
                            &reply_len, &err),
                     1);
    assert_int_equal(reply_len, sizeof s_reply);
    assert_memory_equal(reply, s_reply, sizeof s_reply);
    free(reply);
    reply = NULL;

    /* Same key, different body: refused, naming the key. */
    assert_int_equal(
        s_find(fx->db, "k-1", "intake.submit", s_other, sizeof s_other, &reply, &reply_len, &err),
        -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "k-1"));
    assert_non_null(strstr(err.message, "different request"));
    assert_null(reply);

    /* Same key, other method: refused too. */
    assert_int_equal(s_find(fx->db, "k-1", "routing.decide", s_request, sizeof s_request, &reply,
                            &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "intake.submit"));

    /* Saving the key again is a unique violation. */
    assert_int_equal(ow_idem_save(fx->db, "k-1", "intake.submit", s_request, sizeof s_request,
                                  s_reply, sizeof s_reply, &err),
                     -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_db_rollback(fx->db);

    /* An empty body and an empty reply are values too. */
    s_begin(fx->db);
    assert_int_equal(s_find(fx->db, "k-empty", "m", NULL, 0, &reply, &reply_len, &err), 0);
    assert_int_equal(ow_idem_save(fx->db, "k-empty", "m", NULL, 0, NULL, 0, &err), 0);
    s_commit(fx->db);
    s_begin(fx->db);
    assert_int_equal(s_find(fx->db, "k-empty", "m", NULL, 0, &reply, &reply_len, &err), 1);
    assert_int_equal(reply_len, 0);
    free(reply);
    reply = NULL;
    assert_int_equal(s_find(fx->db, "k-empty", "m", s_request, 1, &reply, &reply_len, &err), -1);
    ow_db_rollback(fx->db);
}

static void test_key_kept_only_with_its_effect(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    s_begin(fx->db);
    assert_int_equal(ow_idem_save(fx->db, "k-rolled", "m", s_request, sizeof s_request, s_reply,
                                  sizeof s_reply, &err),
                     0);
    ow_db_rollback(fx->db);
    s_begin(fx->db);
    assert_int_equal(
        s_find(fx->db, "k-rolled", "m", s_request, sizeof s_request, &reply, &reply_len, &err), 0);
    ow_db_rollback(fx->db);

    /* Outside a transaction, and with keys no client may send, nothing happens. */
    assert_int_equal(
        s_find(fx->db, "k", "m", s_request, sizeof s_request, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_FAILED_PRECONDITION);
    s_begin(fx->db);
    assert_int_equal(s_find(fx->db, "", "m", s_request, sizeof s_request, &reply, &reply_len, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    char long_key[400];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    assert_int_equal(
        s_find(fx->db, long_key, "m", s_request, sizeof s_request, &reply, &reply_len, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    ow_db_rollback(fx->db);
}

/* A second instance handling the same key while the first is still in its transaction
 * waits, then gets the first's reply instead of doing the work again. */
typedef struct {
    s_fixture_t *fx;
    int found;
    int64_t waited_us;
    uint8_t *reply;
    size_t reply_len;
    char error[OW_ERROR_MESSAGE_MAX];
} s_second_t;

static void *s_second_instance(void *arg)
{
    s_second_t *s = arg;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = ow_test_pg_connect(s->fx->pg, "second", &err);
    if (!db || ow_db_begin(db, &err) != 0) {
        snprintf(s->error, sizeof s->error, "%s", err.message);
        ow_db_destroy(&db);
        return NULL;
    }
    int64_t t0 = ow_clock_mono_us();
    s->found = ow_idem_find(db, "k-race", "m", s_request, sizeof s_request, &s->reply,
                            &s->reply_len, &err);
    s->waited_us = ow_clock_mono_us() - t0;
    if (s->found < 0)
        snprintf(s->error, sizeof s->error, "%s", err.message);
    ow_db_rollback(db);
    ow_db_destroy(&db);
    return NULL;
}

static void test_second_instance_waits_for_first(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    s_begin(fx->db);
    assert_int_equal(
        s_find(fx->db, "k-race", "m", s_request, sizeof s_request, &reply, &reply_len, &err), 0);
    s_second_t second = {.fx = fx};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_second_instance, &second), 0);
    /* Proceed once the second is queued on the key's lock (the first "does the work"). */
    bool waiting = false;
    for (int i = 0; i < 500 && !waiting; i++) {
        PGresult *res = PQexec(fx->admin, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                                          "USING (pid) WHERE l.locktype = 'advisory' AND NOT "
                                          "l.granted AND a.application_name = 'second'");
        waiting = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
        PQclear(res);
        if (!waiting)
            usleep(10 * 1000);
    }
    assert_true(waiting);
    assert_int_equal(ow_idem_save(fx->db, "k-race", "m", s_request, sizeof s_request, s_reply,
                                  sizeof s_reply, &err),
                     0);
    s_commit(fx->db);
    pthread_join(t, NULL);
    if (second.error[0])
        fail_msg("second instance: %s", second.error);
    assert_int_equal(second.found, 1);
    assert_int_equal(second.reply_len, sizeof s_reply);
    assert_memory_equal(second.reply, s_reply, sizeof s_reply);
    free(second.reply);
}

/* The set-based variants: one lookup for many keys gives each its own answer (stored reply,
 * unknown, or refused for another body or method), and one save stores them all. */
static void test_many_keys_at_once(void **state)
{
    s_fixture_t *fx = *state;
    ow_error_t err;
    ow_error_clear(&err);
    s_begin(fx->db);
    assert_int_equal(ow_idem_save(fx->db, "m-1", "intake.submit", s_request, sizeof s_request,
                                  s_reply, sizeof s_reply, &err),
                     0);
    assert_int_equal(ow_idem_save(fx->db, "m-2", "routing.decide", s_request, sizeof s_request,
                                  s_reply, sizeof s_reply, &err),
                     0);
    s_commit(fx->db);

    ow_idem_entry_t e[4] = {
        {.key = "m-1", .request = s_request, .request_len = sizeof s_request},
        {.key = "m-1x", .request = s_request, .request_len = sizeof s_request},
        {.key = "m-2", .request = s_request, .request_len = sizeof s_request},
        {.key = "m-3", .request = s_other, .request_len = sizeof s_other},
    };
    s_begin(fx->db);
    assert_int_equal(ow_idem_find_many(fx->db, "intake.submit", e, 4, &err), 0);
    assert_int_equal(e[0].found, 1);
    assert_int_equal(e[0].reply_len, sizeof s_reply);
    assert_memory_equal(e[0].reply, s_reply, sizeof s_reply);
    assert_int_equal(e[1].found, 0);
    assert_null(e[1].reply);
    assert_int_equal(e[2].found, -1);
    assert_int_equal(e[2].err.code, OW_FAILED_PRECONDITION);
    assert_non_null(strstr(e[2].err.message, "routing.decide"));
    assert_int_equal(e[3].found, 0);
    free(e[0].reply);

    /* Save the two unknown ones in one statement; a body differing later is refused. */
    ow_idem_entry_t save[2] = {e[1], e[3]};
    for (int i = 0; i < 2; i++) {
        save[i].reply = (uint8_t *)s_reply;
        save[i].reply_len = sizeof s_reply;
    }
    assert_int_equal(ow_idem_save_many(fx->db, "intake.submit", save, 2, &err), 0);
    s_commit(fx->db);
    ow_idem_entry_t again[2] = {
        {.key = "m-3", .request = s_other, .request_len = sizeof s_other},
        {.key = "m-1x", .request = s_other, .request_len = sizeof s_other},
    };
    s_begin(fx->db);
    assert_int_equal(ow_idem_find_many(fx->db, "intake.submit", again, 2, &err), 0);
    assert_int_equal(again[0].found, 1);
    assert_memory_equal(again[0].reply, s_reply, sizeof s_reply);
    free(again[0].reply);
    assert_int_equal(again[1].found, -1);
    assert_non_null(strstr(again[1].err.message, "different request"));
    /* A key already stored: the whole save fails with ALREADY_EXISTS (the caller falls back). */
    ow_idem_entry_t dup[1] = {{.key = "m-3",
                               .request = s_other,
                               .request_len = sizeof s_other,
                               .reply = (uint8_t *)s_reply,
                               .reply_len = sizeof s_reply}};
    assert_int_equal(ow_idem_save_many(fx->db, "intake.submit", dup, 1, &err), -1);
    assert_int_equal(err.code, OW_ALREADY_EXISTS);
    ow_db_rollback(fx->db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_key_returns_stored_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_key_kept_only_with_its_effect, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_second_instance_waits_for_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_many_keys_at_once, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
