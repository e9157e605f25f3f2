/* ow_pgarray — PostgreSQL array literals for set-based statements. */
#include "ow_pgarray.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ow_pgarray {
    char *buf;
    size_t len; /* bytes before the closing '}' */
    size_t cap;
    size_t count;
    bool failed;
};

ow_pgarray_t *ow_pgarray_new(void)
{
    ow_pgarray_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cap = 256;
    self->buf = malloc(self->cap);
    if (!self->buf) {
        free(self);
        return NULL;
    }
    memcpy(self->buf, "{}", 3);
    self->len = 1;
    return self;
}

void ow_pgarray_destroy(ow_pgarray_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

/* Makes room for `more` bytes plus the closing "}\0". */
static int s_reserve(ow_pgarray_t *self, size_t more)
{
    if (self->failed)
        return -1;
    size_t need = self->len + more + 2;
    if (need <= self->cap)
        return 0;
    size_t cap = self->cap;
    while (cap < need)
        cap *= 2;
    char *buf = realloc(self->buf, cap);
    if (!buf) {
        self->failed = true;
        return -1;
    }
    self->buf = buf;
    self->cap = cap;
    return 0;
}

/* Opens an element: a ',' after the first, then '"'. */
static void s_open(ow_pgarray_t *self)
{
    if (self->count > 0)
        self->buf[self->len++] = ',';
    self->buf[self->len++] = '"';
}

static void s_close(ow_pgarray_t *self)
{
    self->buf[self->len++] = '"';
    self->buf[self->len] = '}';
    self->buf[self->len + 1] = '\0';
    self->count++;
}

int ow_pgarray_add_text(ow_pgarray_t *self, const char *s)
{
    /* Worst case every byte is escaped, plus separator and quotes. */
    if (s_reserve(self, 2 * strlen(s) + 3) < 0)
        return -1;
    s_open(self);
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            self->buf[self->len++] = '\\';
        self->buf[self->len++] = *c;
    }
    s_close(self);
    return 0;
}

int ow_pgarray_add_int64(ow_pgarray_t *self, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, v);
    return ow_pgarray_add_text(self, text);
}

int ow_pgarray_add_hex(ow_pgarray_t *self, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (s_reserve(self, 2 * len + 3) < 0)
        return -1;
    s_open(self);
    for (size_t i = 0; i < len; i++) {
        self->buf[self->len++] = digits[bytes[i] >> 4];
        self->buf[self->len++] = digits[bytes[i] & 15];
    }
    s_close(self);
    return 0;
}

const char *ow_pgarray_text(const ow_pgarray_t *self)
{
    return self->failed ? NULL : self->buf;
}

size_t ow_pgarray_count(const ow_pgarray_t *self)
{
    return self->count;
}
