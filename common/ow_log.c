/* ow_log — one JSON object per line on stderr.
 *
 * Each line is built in memory and written with a single write() so that lines from
 * several processes sharing a log file or pipe never interleave mid-line. */
#include "ow_log.h"
#include "ow_clock.h"
#include "ow_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Longest message kept; a longer one is cut (at a character boundary) and marked, so one
 * runaway log call cannot allocate without bound. */
#define S_MSG_MAX (16 * 1024)

static char s_service[64] = "onewindow";
static ow_log_level_t s_min_level = OW_LOG_INFO;

/* A growable line buffer. On allocation failure it stops growing and remembers it; the
 * line is then written as far as it got, which is better than losing it. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
    char inline_buf[512];
} s_buf_t;

static void s_buf_init(s_buf_t *b)
{
    b->data = b->inline_buf;
    b->len = 0;
    b->cap = sizeof b->inline_buf;
    b->failed = false;
}

static void s_buf_free(s_buf_t *b)
{
    if (b->data != b->inline_buf)
        free(b->data);
    s_buf_init(b);
}

static bool s_buf_reserve(s_buf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra <= b->cap)
        return true;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra)
        cap *= 2;
    char *data = b->data == b->inline_buf ? malloc(cap) : realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    if (b->data == b->inline_buf)
        memcpy(data, b->inline_buf, b->len);
    b->data = data;
    b->cap = cap;
    return true;
}

static void s_buf_put(s_buf_t *b, const char *s, size_t n)
{
    if (!s_buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void s_buf_puts(s_buf_t *b, const char *s)
{
    s_buf_put(b, s, strlen(s));
}

/* Appends s as a JSON string. UTF-8 passes through; control characters are escaped; bytes
 * that are not UTF-8 become U+FFFD so that every line stays valid JSON whatever a message
 * quotes (a peer's bytes, a file's contents). */
static void s_buf_json_string(s_buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    s_buf_put(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            s_buf_put(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            const char *named = c == '\n'   ? "\\n"
                                : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t"
                                : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f"
                                            : NULL;
            if (named) {
                s_buf_puts(b, named);
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                s_buf_puts(b, esc);
            }
            i++;
        } else {
            size_t len = ow_text_utf8_seq((const char *)p + i, n - i);
            if (len == 0) {
                s_buf_puts(b, "\\ufffd");
                i++;
            } else {
                s_buf_put(b, (const char *)p + i, len);
                i += len;
            }
        }
    }
    s_buf_put(b, "\"", 1);
}

static const char *s_level_name(ow_log_level_t level)
{
    switch (level) {
    case OW_LOG_DEBUG:
        return "debug";
    case OW_LOG_INFO:
        return "info";
    case OW_LOG_WARN:
        return "warn";
    case OW_LOG_ERROR:
        return "error";
    }
    return "info";
}

/* Opens a line: {"ts":…,"level":…,"service":…,"msg":… — the caller adds fields and ends it.
 * The timestamp is real time: logs are read against other systems' logs, and the test
 * clock's offset would only confuse that. */
static void s_line_begin(s_buf_t *b, ow_log_level_t level, const char *msg)
{
    int64_t us = ow_clock_real_us();
    time_t secs = (time_t)(us / 1000000);
    int ms = (int)((us % 1000000) / 1000);
    if (us < 0) {
        secs = (time_t)((us - 999999) / 1000000);
        ms = (int)(((us % 1000000) + 1000000) % 1000000 / 1000);
    }
    struct tm tm;
    char ts[64];
    if (gmtime_r(&secs, &tm))
        snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    else
        snprintf(ts, sizeof ts, "1970-01-01T00:00:00.000Z");
    s_buf_puts(b, "{\"ts\":\"");
    s_buf_puts(b, ts);
    s_buf_puts(b, "\",\"level\":\"");
    s_buf_puts(b, s_level_name(level));
    s_buf_puts(b, "\",\"service\":");
    s_buf_json_string(b, s_service);
    s_buf_puts(b, ",\"msg\":");
    s_buf_json_string(b, msg);
}

/* Ends the line and writes it in one write() (retrying only for EINTR and short writes:
 * a full or closed stderr must not stop the daemon). */
static void s_line_end(s_buf_t *b)
{
    s_buf_puts(b, "}\n");
    if (b->failed) {
        /* Out of memory mid-line: the partial text would be broken JSON, so say that
         * instead. */
        static const char oom[] =
            "{\"level\":\"error\",\"msg\":\"log line lost: out of memory\"}\n";
        ssize_t rc = write(STDERR_FILENO, oom, sizeof oom - 1);
        (void)rc;
        return;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t rc = write(STDERR_FILENO, b->data + off, b->len - off);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return;
        off += (size_t)rc;
    }
}

void ow_log_init(const char *service, const char *level)
{
    snprintf(s_service, sizeof s_service, "%s", service ? service : "onewindow");
    if (level && strcmp(level, "debug") == 0)
        s_min_level = OW_LOG_DEBUG;
    else if (level && (strcmp(level, "warn") == 0 || strcmp(level, "warning") == 0))
        s_min_level = OW_LOG_WARN;
    else if (level && strcmp(level, "error") == 0)
        s_min_level = OW_LOG_ERROR;
    else
        s_min_level = OW_LOG_INFO;
}

/* Formats into a heap string of at most S_MSG_MAX bytes; the caller frees it. Returns NULL
 * when out of memory. */
static char *s_format(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return strdup("(log format error)");
    size_t size = (size_t)n + 1;
    bool cut = false;
    if (size > S_MSG_MAX) {
        size = S_MSG_MAX;
        cut = true;
    }
    char *msg = malloc(size);
    if (!msg)
        return NULL;
    vsnprintf(msg, size, fmt, ap);
    if (cut) {
        /* Back off to a character boundary and mark the cut. */
        size_t len = size - 1 - 3;
        while (len > 0 && ((unsigned char)msg[len] & 0xc0) == 0x80)
            len--;
        memcpy(msg + len, "...", 4);
    }
    return msg;
}

void ow_log(ow_log_level_t level, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    int saved_errno = errno; /* callers often log and then inspect errno */
    va_list ap;
    va_start(ap, fmt);
    char *msg = s_format(fmt, ap);
    va_end(ap);
    s_buf_t b;
    s_buf_init(&b);
    s_line_begin(&b, level, msg ? msg : "(log message lost: out of memory)");
    s_line_end(&b);
    s_buf_free(&b);
    free(msg);
    errno = saved_errno;
}

void ow_log_kv(ow_log_level_t level, const char *msg, ...)
{
    if (level < s_min_level)
        return;
    int saved_errno = errno;
    s_buf_t b;
    s_buf_init(&b);
    s_line_begin(&b, level, msg ? msg : "");
    va_list ap;
    va_start(ap, msg);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        s_buf_put(&b, ",", 1);
        s_buf_json_string(&b, key);
        s_buf_put(&b, ":", 1);
        if (value)
            s_buf_json_string(&b, value);
        else
            s_buf_puts(&b, "null");
    }
    va_end(ap);
    s_line_end(&b);
    s_buf_free(&b);
    errno = saved_errno;
}
