/* ow_text — see ow_text.h. */
#include "ow_text.h"

#include <stdint.h>
#include <string.h>

size_t ow_text_utf8_seq(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0)
        return 0;
    unsigned char c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0; /* a continuation byte first, overlong 0xc0/0xc1, or past 0xf4 */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

long ow_text_utf8_chars(const char *s)
{
    size_t n = strlen(s);
    long chars = 0;
    for (size_t i = 0; i < n; chars++) {
        size_t len = ow_text_utf8_seq(s + i, n - i);
        if (len == 0)
            return -1;
        i += len;
    }
    return chars;
}

bool ow_text_utf8_valid(const char *s)
{
    return ow_text_utf8_chars(s) >= 0;
}

static bool s_valid(const char *s, size_t n, bool lines)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(lines && (c == '\n' || c == '\t'))) || c == 0x7f)
            return false;
        size_t len = ow_text_utf8_seq(s + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

bool ow_text_valid_n(const char *s, size_t n)
{
    return s_valid(s, n, false);
}

bool ow_text_valid(const char *s, size_t max_bytes)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    return n <= max_bytes && s_valid(s, n, false);
}

bool ow_text_valid_lines(const char *s, size_t max_bytes)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    return n <= max_bytes && s_valid(s, n, true);
}

bool ow_text_printable(const char *s, size_t max_bytes)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n > max_bytes)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    return true;
}

bool ow_text_graphic(const char *s, size_t max_bytes)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max_bytes)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] > 0x7e)
            return false;
    return true;
}

bool ow_text_code(const char *s, size_t max_bytes)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max_bytes)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

void ow_text_put(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void ow_text_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    size_t i = 0, o = 0;
    while (i < n) {
        size_t len = ow_text_utf8_seq(src + i, n - i);
        if (o + (len ? len : 1) >= size)
            break;
        if (len == 0) {
            dst[o++] = '?';
            i++;
        } else {
            memcpy(dst + o, src + i, len);
            o += len;
            i += len;
        }
    }
    dst[o] = '\0';
}

int ow_text_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
