/* sql_arrays — see sql_arrays.h. */
#include "sql_arrays.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_put(sql_array_t *a, const char *s, size_t n)
{
    if (a->failed)
        return;
    if (a->len + n + 2 > a->cap) { /* room for the closing brace and the NUL */
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->len + n + 2)
            cap *= 2;
        char *text = realloc(a->text, cap);
        if (!text) {
            a->failed = true;
            return;
        }
        a->text = text;
        a->cap = cap;
    }
    memcpy(a->text + a->len, s, n);
    a->len += n;
    a->text[a->len] = '\0';
}

static void s_open(sql_array_t *a)
{
    s_put(a, a->count++ ? "," : "{", 1);
}

void sql_array_add_text(sql_array_t *a, const char *s)
{
    s_open(a);
    s_put(a, "\"", 1);
    /* Inside a quoted element only " and \ need a backslash. */
    for (const char *p = s ? s : ""; *p;) {
        size_t run = strcspn(p, "\"\\");
        s_put(a, p, run);
        p += run;
        if (*p) {
            s_put(a, "\\", 1);
            s_put(a, p++, 1);
        }
    }
    s_put(a, "\"", 1);
}

void sql_array_add_int(sql_array_t *a, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    s_open(a);
    s_put(a, num, (size_t)n);
}

void sql_array_add_hex(sql_array_t *a, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char chunk[128];
    s_open(a);
    s_put(a, "\"", 1);
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        for (; i < len && n < sizeof chunk; i++) {
            chunk[n++] = digits[bytes[i] >> 4];
            chunk[n++] = digits[bytes[i] & 15];
        }
        s_put(a, chunk, n);
    }
    s_put(a, "\"", 1);
}

const char *sql_array_text(sql_array_t *a)
{
    if (a->failed)
        return NULL;
    if (a->count == 0)
        return "{}";
    /* s_put always leaves room for the brace: close it without keeping it in len, so that
     * more elements may still be added. */
    a->text[a->len] = '}';
    a->text[a->len + 1] = '\0';
    return a->text;
}

void sql_array_clear(sql_array_t *a)
{
    free(a->text);
    memset(a, 0, sizeof *a);
}
