/* Appointments on a real Postgres (OW_TEST_DATABASE_URL): connections racing — as intaked
 * instances would — to book one slot never pass its capacity, and one person racing for two
 * slots of one day gets one; a no-show applied through the timer handler forfeits once, and the
 * second within the window blocks booking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hall.h"
#include "intake_api.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_migrate.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_test_pg.h"
#include "timer_commands.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/hall.pb-c.h"

#define H   (3600 * 1000000LL)
#define DAY (24 * H)

static int64_t s_at(const char *text)
{
    int64_t us = 0;
    assert_int_equal(ow_clock_parse_rfc3339(text, &us), 0);
    return us;
}

static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    ow_test_pg_t *pg = ow_test_pg_new("intake_test_hall_", "intake-test", &err);
    if (!pg || ow_migrate(ow_test_pg_db(pg), intake_core_migrations, intake_core_migrations_count,
                          &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        ow_test_pg_destroy(&pg);
        return -1; /* no Postgres is a failure, not a skip */
    }
    *state = pg;
    return 0;
}

static ow_db_t *s_connect(ow_test_pg_t *pg, ow_error_t *err)
{
    ow_db_t *db = ow_test_pg_connect(pg, "intake-test", err);
    if (db && (intake_hall_prepare(db, err) < 0 || intake_timer_commands_prepare(db, err) < 0))
        ow_db_destroy(&db);
    return db;
}

/* The status of a packed Reply and, when OK, its payload unpacked as desc (caller frees). */
static int s_status(const uint8_t *reply, size_t len, const ProtobufCMessageDescriptor *desc,
                    ProtobufCMessage **out)
{
    Onewindow__V1__Reply *r = onewindow__v1__reply__unpack(NULL, len, reply);
    assert_non_null(r);
    int status = r->status;
    if (out)
        *out = status == 0 ? protobuf_c_message_unpack(desc, NULL, r->payload.len, r->payload.data)
                           : NULL;
    onewindow__v1__reply__free_unpacked(r, NULL);
    return status;
}

static char *s_put_slot(ow_db_t *db, const char *key, int64_t start, int capacity)
{
    Onewindow__V1__Slot s = ONEWINDOW__V1__SLOT__INIT, *sp = &s;
    s.centre_id = "330122000000";
    s.item_group = "social_insurance";
    s.window = "A01";
    s.start_us = start;
    s.end_us = start + H / 2;
    s.capacity = capacity;
    Onewindow__V1__PutSlots req = ONEWINDOW__V1__PUT_SLOTS__INIT;
    req.slots = &sp;
    req.n_slots = 1;
    uint8_t *buf = NULL, *reply = NULL;
    size_t len = 0, reply_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    intake_hall_policy_t p = intake_hall_policy_default();
    assert_int_equal(ow_pack(&req.base, &buf, &len, &err), 0);
    if (intake_put_slots(db, &p, key, "", buf, len, start - 2 * DAY, &reply, &reply_len, &err) != 0)
        fail_msg("put_slots: %s", err.message);
    ProtobufCMessage *m = NULL;
    assert_int_equal(s_status(reply, reply_len, &onewindow__v1__slot_list__descriptor, &m), 0);
    Onewindow__V1__SlotList *list = (Onewindow__V1__SlotList *)m;
    char *id = strdup(list->slots[0]->slot_id);
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
    free(reply);
    return id;
}

/* Books slot for person seq; returns 0 (booked) or the error's code; *appointment gets the id. */
static int s_book(ow_db_t *db, const char *slot, int seq, int64_t now, char *appointment)
{
    /* A valid resident ID of 1980-01-01 with serial seq (GB 11643 check character). */
    char id[19];
    snprintf(id, sizeof id, "33012219800101%03d", seq % 1000);
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (id[i] - '0') * w[i];
    id[17] = "10X98765432"[sum % 11];
    id[18] = '\0';
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = "预约人";
    a.id_type = "resident_id";
    a.id_number = id;
    a.phone = "13900000000";
    Onewindow__V1__BookAppointment req = ONEWINDOW__V1__BOOK_APPOINTMENT__INIT;
    req.slot_id = (char *)slot;
    req.applicant = &a;
    uint8_t *buf = NULL, *reply = NULL;
    size_t len = 0, reply_len = 0;
    ow_error_t err;
    ow_error_clear(&err);
    char key[64];
    static atomic_int requests;
    snprintf(key, sizeof key, "book-%s-%d-%d", slot, seq, atomic_fetch_add(&requests, 1));
    intake_hall_policy_t p = intake_hall_policy_default();
    assert_int_equal(ow_pack(&req.base, &buf, &len, &err), 0);
    int rc = intake_book(db, &p, key, "", buf, len, now, &reply, &reply_len, &err);
    if (rc == 0) {
        ProtobufCMessage *m = NULL;
        assert_int_equal(
            s_status(reply, reply_len, &onewindow__v1__appointment_reply__descriptor, &m), 0);
        if (appointment)
            snprintf(appointment, 24, "%s",
                     ((Onewindow__V1__AppointmentReply *)m)->appointment->appointment_id);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    free(buf);
    free(reply);
    return rc == 0 ? 0 : (int)err.code;
}

typedef struct {
    ow_test_pg_t *pg;
    pthread_barrier_t *start;
    const char *slot_a, *slot_b; /* b: the person's second slot of the day, or NULL */
    int first_seq;
    int64_t now;
    int booked, full, refused_other;
    char error[OW_ERROR_MESSAGE_MAX];
} s_racer_t;

#define S_PER_RACER 6

static void *s_race(void *arg)
{
    s_racer_t *r = arg;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = s_connect(r->pg, &err);
    pthread_barrier_wait(r->start);
    if (!db) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        return NULL;
    }
    for (int i = 0; i < S_PER_RACER; i++) {
        const char *slot = r->slot_b && i % 2 ? r->slot_b : r->slot_a;
        int code = s_book(db, slot, r->slot_b ? r->first_seq : r->first_seq + i, r->now, NULL);
        if (code == 0)
            r->booked++;
        else if (code == OW_INVALID_ARGUMENT)
            r->full++;
        else
            r->refused_other++;
    }
    ow_db_destroy(&db);
    return NULL;
}

static long s_count(ow_test_pg_t *pg, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(pg)), sql);
}

static void test_concurrent_bookings_keep_capacity(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = s_connect(pg, &err);
    assert_non_null(db);
    int64_t start = s_at("2026-11-24T09:00:00+08:00");
    int64_t now = start - 2 * DAY;
    char *slot = s_put_slot(db, "slot-race", start, 5);

    /* Four connections, 24 people, 5 places. */
    enum { N = 4 };
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, N);
    s_racer_t racers[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        racers[i] = (s_racer_t){.pg = pg,
                                .start = &barrier,
                                .slot_a = slot,
                                .first_seq = 100 + i * S_PER_RACER,
                                .now = now};
        assert_int_equal(pthread_create(&threads[i], NULL, s_race, &racers[i]), 0);
    }
    int booked = 0, full = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        assert_string_equal(racers[i].error, "");
        assert_int_equal(racers[i].refused_other, 0);
        booked += racers[i].booked;
        full += racers[i].full;
    }
    pthread_barrier_destroy(&barrier);
    assert_int_equal(booked, 5);
    assert_int_equal(full, N * S_PER_RACER - 5);
    assert_int_equal(s_count(pg, "SELECT booked FROM slots"), 5);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM appointments"), 5);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'appointment.booked'"),
                     5);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM timer_commands WHERE kind = 'no_show'"), 5);
    free(slot);
    ow_db_destroy(&db);
}

/* One person on four connections at once, for two slots of the same day: one booking. */
static void test_one_person_racing_books_once_a_day(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = s_connect(pg, &err);
    assert_non_null(db);
    int64_t start = s_at("2026-11-25T09:00:00+08:00");
    char *a = s_put_slot(db, "slot-day-a", start, 50);
    char *b = s_put_slot(db, "slot-day-b", start + 2 * H, 50);
    enum { N = 4 };
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, N);
    s_racer_t racers[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        racers[i] = (s_racer_t){.pg = pg,
                                .start = &barrier,
                                .slot_a = a,
                                .slot_b = b,
                                .first_seq = 777,
                                .now = start - 2 * DAY};
        assert_int_equal(pthread_create(&threads[i], NULL, s_race, &racers[i]), 0);
    }
    int booked = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        assert_string_equal(racers[i].error, "");
        assert_int_equal(racers[i].refused_other, 0);
        booked += racers[i].booked;
    }
    pthread_barrier_destroy(&barrier);
    assert_int_equal(booked, 1);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM appointments WHERE id_number LIKE "
                                 "'33012219800101777_'"),
                     1);
    free(a);
    free(b);
    ow_db_destroy(&db);
}

static int s_no_show(ow_db_t *db, const char *appointment, int64_t now)
{
    char key[80];
    snprintf(key, sizeof key, "intake:no_show:%s", appointment);
    Onewindow__V1__Timer t = ONEWINDOW__V1__TIMER__INIT;
    t.timer_key = key;
    t.owner = "intake";
    t.kind = "no_show";
    ow_error_t err;
    ow_error_clear(&err);
    intake_hall_policy_t p = intake_hall_policy_default();
    assert_int_equal(ow_db_begin(db, &err), 0);
    int rc = intake_appointment_no_show(db, &p, &t, now, &err);
    if (rc == 0)
        assert_int_equal(ow_db_commit(db, &err), 0);
    else
        ow_db_rollback(db);
    return rc == 0 ? 0 : (int)err.code;
}

static void test_no_shows_forfeit_once_and_block(void **state)
{
    ow_test_pg_t *pg = *state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_db_t *db = s_connect(pg, &err);
    assert_non_null(db);
    int64_t first = s_at("2026-12-01T09:00:00+08:00");
    int64_t second = first + 30 * DAY;
    char *s1 = s_put_slot(db, "slot-ns-1", first, 2);
    char *s2 = s_put_slot(db, "slot-ns-2", second, 2);
    char *s3 = s_put_slot(db, "slot-ns-3", second + 10 * DAY, 2);
    char a1[24], a2[24];
    assert_int_equal(s_book(db, s1, 500, first - DAY, a1), 0);
    assert_int_equal(s_no_show(db, a1, first + H), 0);
    assert_int_equal(s_no_show(db, a1, first + H), 0); /* again: nothing more */
    assert_int_equal(s_count(pg, "SELECT count(*) FROM outbox WHERE type = 'appointment.no_show'"),
                     1);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM booking_blocks"), 0);
    assert_int_equal(s_book(db, s2, 500, second - DAY, a2), 0); /* one no-show: not blocked */
    assert_int_equal(s_no_show(db, a2, second + H), 0);
    assert_int_equal(s_count(pg, "SELECT count(*) FROM booking_blocks"), 1);
    /* Blocked 3 months from the second no-show (slot start + 30 min). */
    assert_int_equal(s_count(pg, "SELECT blocked_until_us FROM booking_blocks"),
                     s_at("2027-03-31T09:30:00+08:00"));
    assert_int_equal(s_book(db, s3, 500, second + DAY, NULL), OW_INVALID_ARGUMENT);
    assert_int_equal(s_book(db, s3, 501, second + DAY, NULL), 0);
    /* An unknown appointment's timer is poison. */
    assert_int_equal(s_no_show(db, "999999", second), OW_INVALID_ARGUMENT);
    free(s1);
    free(s2);
    free(s3);
    ow_db_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_bookings_keep_capacity),
        cmocka_unit_test(test_one_person_racing_books_once_a_day),
        cmocka_unit_test(test_no_shows_forfeit_once_and_block),
    };
    return cmocka_run_group_tests(tests, s_setup, ow_test_pg_teardown);
}
