/* ow_pgarray — a PostgreSQL array literal ({"a","b"}) built in memory, to pass a whole batch
 * as ONE text parameter of a set-based statement (INSERT … SELECT FROM unnest($1::text[]),
 * WHERE key = ANY($1)): one round trip for n rows instead of n.
 *
 * Elements are always double-quoted, with '"' and '\' escaped, so any text is data, never
 * syntax. Binary values go in as hex text (ow_pgarray_add_hex) and are turned back into bytea
 * by the statement with decode(x, 'hex'). NULL elements are not supported (callers pass ""
 * or 0 and say in SQL what that means). */
#ifndef OW_PGARRAY_H
#define OW_PGARRAY_H

#include <stddef.h>
#include <stdint.h>

typedef struct ow_pgarray ow_pgarray_t;

/* Returns an empty array ("{}"), or NULL when out of memory. Caller owns it. */
ow_pgarray_t *ow_pgarray_new(void);

/* Frees the array; sets *self_p to NULL; harmless on NULL. */
void ow_pgarray_destroy(ow_pgarray_t **self_p);

/* Appends one element. Each returns 0, or -1 when out of memory (the array is then unusable:
 * every later call fails too, and ow_pgarray_text returns NULL). s must not be NULL. */
int ow_pgarray_add_text(ow_pgarray_t *self, const char *s);
int ow_pgarray_add_int64(ow_pgarray_t *self, int64_t v);
int ow_pgarray_add_hex(ow_pgarray_t *self, const uint8_t *bytes, size_t len);

/* The literal, owned by the array (valid until the next add or destroy), or NULL after an
 * allocation failed. */
const char *ow_pgarray_text(const ow_pgarray_t *self);

/* Number of elements added. */
size_t ow_pgarray_count(const ow_pgarray_t *self);

#endif
