/* token — bearer tokens as text: making a new one, hashing it for storage, and reading one
 * from an Authorization header.
 *
 * A token is "owt_" followed by 64 hex digits (32 bytes from the kernel's CSPRNG through
 * OpenSSL's RAND_bytes). Only its SHA-256 (hex) is ever stored: a copy of the database or
 * of a configuration file gives no usable token. Plain functions: no evhttp, no database. */
#ifndef GATEWAY_TOKEN_H
#define GATEWAY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

#define TOKEN_PREFIX   "owt_"
#define TOKEN_TEXT_LEN (4 + 64) /* "owt_" + 64 hex */
#define TOKEN_HASH_LEN 64       /* SHA-256 in hex */
#define TOKEN_ID_LEN   (3 + 16) /* "tk_" + 16 hex: names a token in lists and audit */

/* Fills text (TOKEN_TEXT_LEN + 1 bytes) with a new token and id (TOKEN_ID_LEN + 1) with a
 * new random id. Returns 0, or -1 with err INTERNAL when the random source fails (nothing
 * usable is left in text). */
int token_generate(char *text, char *id, ow_error_t *err);

/* The SHA-256 of the len bytes at data in lower-case hex into hash (TOKEN_HASH_LEN + 1
 * bytes). Returns 0, or -1 when OpenSSL fails (hash is then ""). */
int token_hash(const char *data, size_t len, char *hash);

/* True when hash is TOKEN_HASH_LEN lower-case hex digits (the bootstrap configuration gives
 * one). */
bool token_hash_valid(const char *hash);

/* Reads "Bearer <token>" (scheme case-insensitive, one or more spaces) from an
 * Authorization header value. Returns a pointer to the token inside header and its length
 * in *len, or NULL when header is NULL or not a well-formed bearer credential of at most
 * 256 visible ASCII characters. */
const char *token_from_authorization(const char *header, size_t *len);

#endif
