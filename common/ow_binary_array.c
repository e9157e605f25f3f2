/* ow_binary_array — see ow_binary_array.h. The format (PostgreSQL's array_recv): five network-order
 * int32s — dimensions (1), flags (0: no NULLs), element type, length, lower bound (1) — then each
 * element as an int32 length and its bytes in the element type's binary form. */
#include "ow_binary_array.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ow_text.h"

#define S_HEADER 20 /* the five int32s, written by ow_binary_array_finish */

static void s_put(ow_binary_array_t *a, const void *bytes, size_t n)
{
    if (a->failed || n == 0)
        return; /* an empty element may come as NULL, which memcpy must not be given */
    if (a->len + n > a->cap) {
        size_t cap = a->cap ? a->cap : 1024;
        while (cap < a->len + n)
            cap *= 2;
        uint8_t *buf = realloc(a->buf, cap);
        if (!buf) {
            a->failed = true;
            return;
        }
        a->buf = buf;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, bytes, n);
    a->len += n;
}

static void s_put_int32(ow_binary_array_t *a, uint32_t v)
{
    uint32_t be = htonl(v);
    s_put(a, &be, sizeof be);
}

void ow_binary_array_init(ow_binary_array_t *a, uint32_t elem_type)
{
    memset(a, 0, sizeof *a);
    a->elem_type = elem_type;
    uint8_t header[S_HEADER] = {0};
    s_put(a, header, sizeof header);
}

void ow_binary_array_add_bytes(ow_binary_array_t *a, const void *bytes, size_t len)
{
    if (len > INT32_MAX) {
        a->failed = true;
        return;
    }
    s_put_int32(a, (uint32_t)len);
    s_put(a, bytes, len);
    a->count++;
}

void ow_binary_array_add_text(ow_binary_array_t *a, const char *s)
{
    ow_binary_array_add_bytes(a, s ? s : "", s ? strlen(s) : 0);
}

void ow_binary_array_add_int2(ow_binary_array_t *a, int16_t v)
{
    uint16_t be = htons((uint16_t)v);
    ow_binary_array_add_bytes(a, &be, sizeof be);
}

void ow_binary_array_add_int8(ow_binary_array_t *a, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t be[8];
    for (int i = 7; i >= 0; i--, u >>= 8)
        be[i] = (uint8_t)(u & 0xff);
    ow_binary_array_add_bytes(a, be, sizeof be);
}

void ow_binary_array_add_bool(ow_binary_array_t *a, bool v)
{
    uint8_t b = v ? 1 : 0;
    ow_binary_array_add_bytes(a, &b, 1);
}

void ow_binary_array_add_uuid(ow_binary_array_t *a, const char *text)
{
    uint8_t u[16];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n < 16; p++) {
        if (*p == '-')
            continue;
        int hi = ow_text_hex_digit(p[0]), lo = p[1] ? ow_text_hex_digit(p[1]) : -1;
        if (hi < 0 || lo < 0)
            break;
        u[n++] = (uint8_t)(hi << 4 | lo);
        p++;
    }
    if (n != 16 || !text || strlen(text) != 36) {
        a->failed = true;
        return;
    }
    ow_binary_array_add_bytes(a, u, sizeof u);
}

const uint8_t *ow_binary_array_finish(ow_binary_array_t *a, int *len)
{
    if (a->failed || !a->buf || a->len > INT32_MAX)
        return NULL;
    uint32_t header[5] = {htonl(1), htonl(0), htonl(a->elem_type), htonl(a->count), htonl(1)};
    memcpy(a->buf, header, sizeof header);
    *len = (int)a->len;
    return a->buf;
}

void ow_binary_array_clear(ow_binary_array_t *a)
{
    free(a->buf);
    memset(a, 0, sizeof *a);
}
