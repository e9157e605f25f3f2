/* ow_text — checks on text that crossed the network before it is stored, logged or turned
 * into JSON (all of which need valid UTF-8), and a few ways to make peer text safe to show.
 *
 * UTF-8 is RFC 3629's: no overlong forms, no surrogates, nothing past U+10FFFF. A control
 * character is a byte below 0x20 or 0x7f. Lengths are in bytes unless a name says chars. */
#ifndef OW_TEXT_H
#define OW_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1–4) of the valid UTF-8 sequence at s, with n bytes available there, or 0 when the
 * bytes there do not start one (or n is 0). An ASCII byte, control or not, is a sequence of
 * 1. */
size_t ow_text_utf8_seq(const char *s, size_t n);

/* Number of code points in the NUL-terminated s, or -1 when s is not valid UTF-8. */
long ow_text_utf8_chars(const char *s);

/* True when the NUL-terminated s is valid UTF-8 (control characters allowed). */
bool ow_text_utf8_valid(const char *s);

/* True when s[0..n) is valid UTF-8 without control characters (a NUL byte is one): for
 * counted strings from the wire. */
bool ow_text_valid_n(const char *s, size_t n);

/* True when the NUL-terminated s is valid UTF-8 of at most max_bytes without control
 * characters. NULL counts as empty text: true. */
bool ow_text_valid(const char *s, size_t max_bytes);

/* As ow_text_valid, but newline and tab are allowed: free text such as a comment. */
bool ow_text_valid_lines(const char *s, size_t max_bytes);

/* True when s is not NULL, at most max_bytes long and plain printable ASCII (0x20–0x7e):
 * text that may be quoted in an error message as it is. */
bool ow_text_printable(const char *s, size_t max_bytes);

/* True when s is not NULL and 1 to max_bytes of visible ASCII (0x21–0x7e, no space): a
 * key, an id or a case number that may be quoted anywhere as it is. */
bool ow_text_graphic(const char *s, size_t max_bytes);

/* True when s is not NULL and 1 to max_bytes of [A-Za-z0-9._-]: an id, a code or a key. */
bool ow_text_code(const char *s, size_t max_bytes);

/* Copies the NUL-terminated src into dst (size bytes, size > 0, always terminated): valid
 * UTF-8 passes, any byte that does not start a valid sequence becomes '?', and a cut falls
 * between characters. For peer text that must stay valid UTF-8 (a message that a sender's
 * snprintf may have cut mid-character). */
void ow_text_copy(char *dst, size_t size, const char *src);

/* Copies the NUL-terminated src (NULL: "") into dst (size bytes, size > 0, always terminated),
 * cut at size - 1 bytes. For text already checked that fits: snprintf(dst, size, "%s", src)
 * without the format machinery, which showed in the hot paths' profiles. */
void ow_text_put(char *dst, size_t size, const char *src);

/* The value of one hexadecimal digit (0-9, a-f, A-F), or -1 for any other character. */
int ow_text_hex_digit(char c);

#endif
