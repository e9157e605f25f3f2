/* ow_binary_array — one-dimensional PostgreSQL arrays in the binary wire format (array_recv), for
 * the parameters of a batch's widest statements (evaluation's ratings, the outbox's events). Sent
 * as text literals (sql_arrays.h), the server parsed every element of every array at bind time:
 * array_in was 8 % of the backend's time in the ingest benchmark, and a rating's scores were a
 * literal of their own inside one. Binary, each element is a length and its bytes. */
#ifndef OW_BINARY_ARRAY_H
#define OW_BINARY_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Element types (pg_type OIDs, fixed by PostgreSQL). */
#define OW_BINARY_ARRAY_BOOL  16u
#define OW_BINARY_ARRAY_BYTEA 17u
#define OW_BINARY_ARRAY_INT8  20u
#define OW_BINARY_ARRAY_INT2  21u
#define OW_BINARY_ARRAY_TEXT  25u
#define OW_BINARY_ARRAY_UUID  2950u

/* Zero-initialise, then ow_binary_array_init; ow_binary_array_clear frees it. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    uint32_t count;
    uint32_t elem_type;
    bool failed; /* out of memory, or a value that is not of the type: later calls do nothing */
} ow_binary_array_t;

void ow_binary_array_init(ow_binary_array_t *a, uint32_t elem_type);

/* Appends one element. text: a NUL-terminated string (NULL = ""); int2, int8, bool: the value;
 * uuid: the 36-character text form (anything else fails the array); bytes: len raw bytes. */
void ow_binary_array_add_text(ow_binary_array_t *a, const char *s);
void ow_binary_array_add_int2(ow_binary_array_t *a, int16_t v);
void ow_binary_array_add_int8(ow_binary_array_t *a, int64_t v);
void ow_binary_array_add_bool(ow_binary_array_t *a, bool v);
void ow_binary_array_add_uuid(ow_binary_array_t *a, const char *text);
void ow_binary_array_add_bytes(ow_binary_array_t *a, const void *bytes, size_t len);

/* The finished array (owned by a, valid until the next add or clear) and its length in *len,
 * or NULL when an add failed. */
const uint8_t *ow_binary_array_finish(ow_binary_array_t *a, int *len);

void ow_binary_array_clear(ow_binary_array_t *a);

#endif
