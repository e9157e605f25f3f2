/* ow_envelope — checked packing and unpacking of onewindow.v1.Envelope. */
#include "ow_envelope.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "ow_text.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define S_UUID_LEN 36

/* Event types are topics: subscribers filter by prefix, so the charset is kept small. */
static bool s_type_ok(const char *type, size_t n)
{
    if (strcmp(type, OW_HEARTBEAT_TYPE) == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        char c = type[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* Checks one string field: present when required, at most max bytes, text. `s` may be
 * unterminated within `cap` bytes (a caller's fixed array): that is reported, not read
 * past. */
static void s_check_string(ow_error_t *err, const char *field, const char *s, size_t cap,
                           size_t max, bool required)
{
    size_t n = strnlen(s, cap);
    if (n == cap) {
        ow_error_add_violation(err, field, "is not terminated within %zu bytes", cap);
        return;
    }
    if (required && n == 0) {
        ow_error_add_violation(err, field, "is empty");
        return;
    }
    if (n > max) {
        ow_error_add_violation(err, field, "is %zu bytes long, at most %zu allowed", n, max);
        return;
    }
    /* Envelope strings end up in Postgres text columns, logs and JSON: bytes that are not
     * text are refused at the door rather than failing a transaction later. */
    if (!ow_text_valid_n(s, n))
        ow_error_add_violation(err, field, "is not UTF-8 text (or has control characters)");
}

/* Validates the fields of an event; strings may come from a caller's arrays (cap = array
 * size) or from a decoded message (cap = SIZE_MAX). Returns -1 with violations in err. */
static int s_validate(const char *event_id, const char *source, const char *type,
                      const char *case_no, const char *centre_id, size_t cap_id, size_t cap_src,
                      size_t cap_type, size_t cap_case, size_t cap_centre, ow_error_t *err)
{
    s_check_string(err, "event_id", event_id, cap_id, S_UUID_LEN, true);
    s_check_string(err, "source", source, cap_src, OW_SOURCE_MAX, true);
    size_t before = err->violation_count;
    s_check_string(err, "type", type, cap_type, OW_EVENT_TYPE_MAX, true);
    if (err->violation_count == before && !s_type_ok(type, strlen(type)))
        ow_error_add_violation(err, "type", "'%s' has characters other than [a-z0-9._]", type);
    s_check_string(err, "case_no", case_no, cap_case, OW_CASE_NO_MAX, false);
    s_check_string(err, "centre_id", centre_id, cap_centre, OW_CENTRE_ID_MAX, false);
    return err->violation_count ? -1 : 0;
}

int ow_envelope_pack(const ow_event_t *ev, uint8_t **out, size_t *len, ow_error_t *err)
{
    ow_error_t local;
    if (!err)
        err = &local;
    ow_error_clear(err);
    *out = NULL;
    *len = 0;
    if (s_validate(ev->event_id, ev->source, ev->type, ev->case_no, ev->centre_id,
                   sizeof ev->event_id, sizeof ev->source, sizeof ev->type, sizeof ev->case_no,
                   sizeof ev->centre_id, err) != 0) {
        ow_error_finish_violations(err);
        return -1;
    }
    if (ev->payload_len > 0 && !ev->payload) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "payload is NULL but payload_len is %zu",
                     ev->payload_len);
        return -1;
    }
    Onewindow__V1__Envelope msg = ONEWINDOW__V1__ENVELOPE__INIT;
    msg.event_id = (char *)ev->event_id;
    msg.source = (char *)ev->source;
    msg.seq = ev->seq;
    msg.type = (char *)ev->type;
    msg.time_us = ev->time_us;
    msg.case_no = (char *)ev->case_no;
    msg.centre_id = (char *)ev->centre_id;
    msg.payload.data = ev->payload;
    msg.payload.len = ev->payload_len;
    if (ev->payload_len > OW_FRAME_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "payload of %zu bytes exceeds the %u-byte frame limit", ev->payload_len,
                     OW_FRAME_MAX);
        return -1;
    }
    size_t size = onewindow__v1__envelope__get_packed_size(&msg);
    if (size > OW_FRAME_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "event frame of %zu bytes exceeds the %u-byte limit",
                     size, OW_FRAME_MAX);
        return -1;
    }
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing an event of %zu bytes", size);
        return -1;
    }
    onewindow__v1__envelope__pack(&msg, buf);
    *out = buf;
    *len = size;
    return 0;
}

int ow_envelope_unpack(const uint8_t *data, size_t len, ow_event_t *ev, ow_error_t *err)
{
    ow_error_t local;
    if (!err)
        err = &local;
    ow_error_clear(err);
    memset(ev, 0, sizeof *ev);
    int rc = -1;
    Onewindow__V1__Envelope *msg = NULL;
    if (len > OW_FRAME_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "event frame of %zu bytes exceeds the %u-byte limit",
                     len, OW_FRAME_MAX);
        goto cleanup;
    }
    if (!data && len > 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "event frame is NULL");
        goto cleanup;
    }
    msg = onewindow__v1__envelope__unpack(NULL, len, data);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "event frame (%zu bytes) is not a valid onewindow.v1.Envelope", len);
        goto cleanup;
    }
    if (s_validate(msg->event_id, msg->source, msg->type, msg->case_no, msg->centre_id, SIZE_MAX,
                   SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, err) != 0) {
        ow_error_finish_violations(err);
        goto cleanup;
    }
    snprintf(ev->event_id, sizeof ev->event_id, "%s", msg->event_id);
    snprintf(ev->source, sizeof ev->source, "%s", msg->source);
    snprintf(ev->type, sizeof ev->type, "%s", msg->type);
    snprintf(ev->case_no, sizeof ev->case_no, "%s", msg->case_no);
    snprintf(ev->centre_id, sizeof ev->centre_id, "%s", msg->centre_id);
    ev->seq = msg->seq;
    ev->time_us = msg->time_us;
    if (msg->payload.len > 0) {
        ev->payload = malloc(msg->payload.len);
        if (!ev->payload) {
            ow_error_set(err, OW_INTERNAL, "out of memory unpacking a payload of %zu bytes",
                         msg->payload.len);
            memset(ev, 0, sizeof *ev);
            goto cleanup;
        }
        memcpy(ev->payload, msg->payload.data, msg->payload.len);
        ev->payload_len = msg->payload.len;
    }
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__envelope__free_unpacked(msg, NULL);
    return rc;
}

void ow_event_clear(ow_event_t *ev)
{
    if (!ev)
        return;
    free(ev->payload);
    memset(ev, 0, sizeof *ev);
}

/* Fills buf from the kernel's CSPRNG. A v4 UUID names an event forever: if no randomness
 * can be had, carrying on with a guessable or repeated id would corrupt dedupe, so this
 * aborts (it cannot happen on any kernel we run on: getrandom exists since Linux 3.17). */
static void s_random(uint8_t *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t rc = getrandom(buf + off, n - off, 0);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0) {
            int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            ssize_t got = fd >= 0 ? read(fd, buf + off, n - off) : -1;
            if (fd >= 0)
                close(fd);
            if (got <= 0) {
                fprintf(stderr, "ow_uuid_v4: no source of randomness: %s\n", strerror(errno));
                abort();
            }
            rc = got;
        }
        off += (size_t)rc;
    }
}

/* Random bytes are drawn 4 KiB at a time: a getrandom call per UUID was a visible share of a
 * busy daemon's system time. The pool is per thread, and a forked child forgets the one it
 * inherited, so no two threads or processes hand out the same bytes. */
static _Thread_local uint8_t s_pool[4096];
static _Thread_local size_t s_pool_left;
static pthread_once_t s_pool_once = PTHREAD_ONCE_INIT;

static void s_pool_forget(void)
{
    s_pool_left = 0;
}

static void s_pool_register(void)
{
    pthread_atfork(NULL, NULL, s_pool_forget);
}

static void s_pool_take(uint8_t *out, size_t n)
{
    pthread_once(&s_pool_once, s_pool_register);
    if (s_pool_left < n) {
        s_random(s_pool, sizeof s_pool);
        s_pool_left = sizeof s_pool;
    }
    memcpy(out, s_pool + sizeof s_pool - s_pool_left, n);
    s_pool_left -= n;
}

static void s_uuid_text(const uint8_t b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    out[o] = '\0';
}

void ow_uuid_v4(char out[37])
{
    uint8_t b[16];
    s_pool_take(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 4122 4.4: version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    s_uuid_text(b, out);
}

void ow_uuid_v7(char out[37])
{
    uint8_t b[16];
    s_pool_take(b, sizeof b);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    /* The fraction of the millisecond in 1/4096ths (RFC 9562 6.2, method 3). */
    uint32_t frac = (uint32_t)(((uint64_t)(ts.tv_nsec % 1000000) << 12) / 1000000);
    for (int i = 5; i >= 0; i--, ms >>= 8)
        b[i] = (uint8_t)(ms & 0xff);
    b[6] = (uint8_t)(0x70 | (frac >> 8)); /* version 7 */
    b[7] = (uint8_t)(frac & 0xff);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    s_uuid_text(b, out);
}
