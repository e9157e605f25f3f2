/* ow_envelope: round trip, validation of every bounded field, and hostile frames (truncated,
 * random, over-long) that must give errors, never crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ow_envelope.h"
#include "onewindow/v1/envelope.pb-c.h"

static void s_sample(ow_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ow_uuid_v4(ev->event_id);
    snprintf(ev->source, sizeof ev->source, "intake");
    ev->seq = 18446744073709551615ULL;
    snprintf(ev->type, sizeof ev->type, "case.accepted");
    ev->time_us = -5; /* any int64 survives */
    snprintf(ev->case_no, sizeof ev->case_no, "330122-20261122-000001");
    snprintf(ev->centre_id, sizeof ev->centre_id, "330122000000");
    static uint8_t payload[] = {0, 1, 2, 0xff, 0};
    ev->payload = payload;
    ev->payload_len = sizeof payload;
}

static void test_round_trip(void **state)
{
    (void)state;
    ow_event_t ev, back;
    ow_error_t err;
    uint8_t *frame = NULL;
    size_t len = 0;
    s_sample(&ev);
    assert_int_equal(ow_envelope_pack(&ev, &frame, &len, &err), 0);
    assert_non_null(frame);
    assert_int_equal(ow_envelope_unpack(frame, len, &back, &err), 0);
    assert_string_equal(back.event_id, ev.event_id);
    assert_string_equal(back.source, ev.source);
    assert_true(back.seq == ev.seq);
    assert_string_equal(back.type, ev.type);
    assert_true(back.time_us == ev.time_us);
    assert_string_equal(back.case_no, ev.case_no);
    assert_string_equal(back.centre_id, ev.centre_id);
    assert_int_equal(back.payload_len, ev.payload_len);
    assert_memory_equal(back.payload, ev.payload, ev.payload_len);
    ow_event_clear(&back);
    assert_null(back.payload);
    assert_int_equal(back.payload_len, 0);
    free(frame);

    /* Heartbeat: the one type outside the charset, with no payload and empty optionals. */
    memset(&ev, 0, sizeof ev);
    ow_uuid_v4(ev.event_id);
    snprintf(ev.source, sizeof ev.source, "routing");
    snprintf(ev.type, sizeof ev.type, "%s", OW_HEARTBEAT_TYPE);
    ev.seq = 7;
    assert_int_equal(ow_envelope_pack(&ev, &frame, &len, &err), 0);
    assert_int_equal(ow_envelope_unpack(frame, len, &back, &err), 0);
    assert_string_equal(back.type, OW_HEARTBEAT_TYPE);
    assert_null(back.payload);
    assert_string_equal(back.case_no, "");
    ow_event_clear(&back);
    free(frame);

    /* UTF-8 text in a case number passes. */
    s_sample(&ev);
    snprintf(ev.case_no, sizeof ev.case_no, "浙-001");
    assert_int_equal(ow_envelope_pack(&ev, &frame, &len, &err), 0);
    assert_int_equal(ow_envelope_unpack(frame, len, &back, &err), 0);
    assert_string_equal(back.case_no, "浙-001");
    ow_event_clear(&back);
    free(frame);
}

static void s_expect_pack_refused(const ow_event_t *ev, const char *field)
{
    uint8_t *frame = (uint8_t *)"not touched";
    size_t len = 99;
    ow_error_t err;
    assert_int_equal(ow_envelope_pack(ev, &frame, &len, &err), -1);
    assert_null(frame);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    if (!strstr(err.message, field))
        fail_msg("error '%s' does not name %s", err.message, field);
}

static void test_pack_refuses(void **state)
{
    (void)state;
    ow_event_t ev;
    s_sample(&ev);
    ev.type[0] = '\0';
    s_expect_pack_refused(&ev, "type");
    s_sample(&ev);
    ev.source[0] = '\0';
    s_expect_pack_refused(&ev, "source");
    s_sample(&ev);
    ev.event_id[0] = '\0';
    s_expect_pack_refused(&ev, "event_id");
    const char *bad_types[] = {"Case.Accepted", "case accepted", "case/x", "case-accepted", "é"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        s_sample(&ev);
        snprintf(ev.type, sizeof ev.type, "%s", bad_types[i]);
        s_expect_pack_refused(&ev, "type");
    }
    /* Unterminated fixed arrays are refused, not read past. */
    s_sample(&ev);
    memset(ev.type, 'a', sizeof ev.type);
    s_expect_pack_refused(&ev, "type");
    s_sample(&ev);
    memset(ev.centre_id, '1', sizeof ev.centre_id);
    s_expect_pack_refused(&ev, "centre_id");
    s_sample(&ev);
    ev.case_no[0] = '\x01';
    s_expect_pack_refused(&ev, "case_no");
    s_sample(&ev);
    ev.payload = NULL;
    s_expect_pack_refused(&ev, "payload");
    /* Several problems are all reported. */
    s_sample(&ev);
    ev.type[0] = '\0';
    ev.source[0] = '\0';
    uint8_t *frame;
    size_t len;
    ow_error_t err;
    assert_int_equal(ow_envelope_pack(&ev, &frame, &len, &err), -1);
    assert_int_equal(err.violation_count, 2);
    /* A payload over the frame limit. */
    s_sample(&ev);
    ev.payload_len = OW_FRAME_MAX;
    ev.payload = calloc(1, ev.payload_len);
    s_expect_pack_refused(&ev, "limit");
    free(ev.payload);
}

/* Packs a raw Envelope message, so that we can send what ow_envelope_pack would refuse. */
static uint8_t *s_raw(const char *id, const char *source, const char *type, const char *case_no,
                      const char *centre, size_t *len)
{
    Onewindow__V1__Envelope m = ONEWINDOW__V1__ENVELOPE__INIT;
    m.event_id = (char *)id;
    m.source = (char *)source;
    m.type = (char *)type;
    m.case_no = (char *)case_no;
    m.centre_id = (char *)centre;
    *len = onewindow__v1__envelope__get_packed_size(&m);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__envelope__pack(&m, buf);
    return buf;
}

static void s_expect_unpack_refused(const uint8_t *frame, size_t len, const char *fragment)
{
    ow_event_t ev;
    ow_error_t err;
    memset(&ev, 0x5a, sizeof ev);
    assert_int_equal(ow_envelope_unpack(frame, len, &ev, &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_null(ev.payload);
    if (fragment && !strstr(err.message, fragment))
        fail_msg("error '%s' does not name %s", err.message, fragment);
}

static void test_unpack_refuses_over_long_fields(void **state)
{
    (void)state;
    char id[37];
    ow_uuid_v4(id);
    char long_type[OW_EVENT_TYPE_MAX + 2];
    memset(long_type, 'a', sizeof long_type - 1);
    long_type[sizeof long_type - 1] = '\0';
    char long_source[OW_SOURCE_MAX + 2];
    memset(long_source, 's', sizeof long_source - 1);
    long_source[sizeof long_source - 1] = '\0';
    char long_case[OW_CASE_NO_MAX + 2];
    memset(long_case, '1', sizeof long_case - 1);
    long_case[sizeof long_case - 1] = '\0';
    char long_centre[OW_CENTRE_ID_MAX + 2];
    memset(long_centre, '1', sizeof long_centre - 1);
    long_centre[sizeof long_centre - 1] = '\0';
    struct {
        const char *id, *source, *type, *case_no, *centre, *field;
    } cases[] = {
        {id, long_source, "a.b", "", "", "source"},
        {id, "intake", long_type, "", "", "type"},
        {id, "intake", "a.b", long_case, "", "case_no"},
        {id, "intake", "a.b", "", long_centre, "centre_id"},
        {"0123456789-0123456789-0123456789-0123456789", "intake", "a.b", "", "", "event_id"},
        {"", "intake", "a.b", "", "", "event_id"},
        {id, "", "a.b", "", "", "source"},
        {id, "intake", "", "", "", "type"},
        {id, "intake", "A.B", "", "", "type"},
        {id, "intake", "a.b", "\xc3\x28", "", "case_no"}, /* invalid UTF-8 */
        {id, "intake\n", "a.b", "", "", "source"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *frame = s_raw(cases[i].id, cases[i].source, cases[i].type, cases[i].case_no,
                               cases[i].centre, &len);
        s_expect_unpack_refused(frame, len, cases[i].field);
        free(frame);
    }
    /* A frame over the limit is refused before decoding. */
    uint8_t one = 0;
    s_expect_unpack_refused(&one, (size_t)OW_FRAME_MAX + 1, "limit");
    s_expect_unpack_refused(NULL, 10, NULL);
}

static void test_truncated_frames(void **state)
{
    (void)state;
    ow_event_t ev, back;
    ow_error_t err;
    uint8_t *frame;
    size_t len;
    s_sample(&ev);
    assert_int_equal(ow_envelope_pack(&ev, &frame, &len, &err), 0);
    /* Every strict prefix either fails cleanly or (when cut at a field boundary) decodes
     * to something valid; none may crash or leak. Prefixes that cut into a string or the
     * payload must fail. */
    int failures = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, frame, cut);
        if (ow_envelope_unpack(copy, cut, &back, &err) == 0)
            ow_event_clear(&back);
        else
            failures++;
        free(copy);
    }
    assert_true(failures > (int)len / 2);
    /* Cutting the last byte (inside the payload) must fail. */
    assert_int_equal(ow_envelope_unpack(frame, len - 1, &back, &err), -1);
    free(frame);
}

static void test_random_garbage(void **state)
{
    (void)state;
    /* Fixed seed: a failure is reproducible. */
    srand(20261122);
    uint8_t buf[512];
    ow_event_t ev, sample;
    ow_error_t err;
    uint8_t *frame;
    size_t flen;
    s_sample(&sample);
    assert_int_equal(ow_envelope_pack(&sample, &frame, &flen, &err), 0);
    int ok = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = (size_t)rand() % sizeof buf;
        if (i % 2 == 0) {
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rand();
        } else {
            /* Mutate a valid frame: flipped bytes exercise deeper decoding paths. */
            len = flen;
            memcpy(buf, frame, flen);
            int flips = 1 + rand() % 4;
            for (int k = 0; k < flips; k++)
                buf[(size_t)rand() % flen] = (uint8_t)rand();
        }
        if (ow_envelope_unpack(buf, len, &ev, &err) == 0) {
            ok++;
            assert_true(strlen(ev.type) > 0 && strlen(ev.type) <= OW_EVENT_TYPE_MAX);
            assert_true(strlen(ev.source) > 0 && strlen(ev.source) <= OW_SOURCE_MAX);
            ow_event_clear(&ev);
        } else {
            assert_int_equal(err.code, OW_INVALID_ARGUMENT);
            assert_true(err.message[0] != '\0');
            assert_null(ev.payload);
        }
    }
    free(frame);
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    ow_uuid_v4(a);
    ow_uuid_v4(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

/* v7: the version and variant where RFC 9562 puts them, the Unix time in ms in the first 48
 * bits, and an id made later sorts later (the index locality it is for). */
static void test_uuid_v7(void **state)
{
    (void)state;
    char a[37], b[37];
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    ow_uuid_v7(a);
    clock_gettime(CLOCK_REALTIME, &t1);
    usleep(2000);
    ow_uuid_v7(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '7');
    assert_non_null(strchr("89ab", a[19]));
    assert_true(strcmp(a, b) < 0);
    char hex[13];
    memcpy(hex, a, 8);
    memcpy(hex + 8, a + 9, 4);
    hex[12] = '\0';
    unsigned long long ms = strtoull(hex, NULL, 16);
    assert_true(ms >=
                (unsigned long long)t0.tv_sec * 1000 + (unsigned long long)t0.tv_nsec / 1000000);
    assert_true(ms <=
                (unsigned long long)t1.tv_sec * 1000 + (unsigned long long)t1.tv_nsec / 1000000);
    /* Many in a row: all different, and in order but for ids of the same 1/4096 ms. */
    char prev[37] = "", id[37];
    int behind = 0;
    for (int i = 0; i < 1000; i++) {
        ow_uuid_v7(id);
        assert_string_not_equal(id, prev);
        behind += strncmp(id, prev, 18) < 0;
        memcpy(prev, id, sizeof id);
    }
    assert_int_equal(behind, 0);
}

static int s_cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Ids drawn from the per-thread pool: a thousand (four refills) all differ, and a forked child
 * does not hand out what its parent will (it forgets the pool it inherited). */
static void test_uuid_pool_and_fork(void **state)
{
    (void)state;
    enum { N = 1000 };
    char(*ids)[37] = calloc(N, sizeof *ids);
    assert_non_null(ids);
    for (int i = 0; i < N; i++)
        ow_uuid_v4(ids[i]);
    qsort(ids, N, sizeof *ids, s_cmp_ids);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char id[37];
        ow_uuid_v4(id);
        _exit(write(fds[1], id, 37) == 37 ? 0 : 1);
    }
    char mine[37], theirs[37];
    ow_uuid_v4(mine);
    assert_int_equal(read(fds[0], theirs, 37), 37);
    int status = -1;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
    assert_string_not_equal(mine, theirs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pack_refuses),
        cmocka_unit_test(test_unpack_refuses_over_long_fields),
        cmocka_unit_test(test_truncated_frames),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_uuid_v7),
        cmocka_unit_test(test_uuid_pool_and_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
