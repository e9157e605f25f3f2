/* sql_arrays — PostgreSQL array literals ('{"a","b"}') built in memory, so that a batch of
 * rows travels as a few parameters of one prepared statement (unnest) instead of one
 * statement per row (ARCHITECTURE "Inside a daemon": throughput comes from batching). */
#ifndef EVALUATION_SQL_ARRAYS_H
#define EVALUATION_SQL_ARRAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero-initialise ({0}) before use; sql_array_clear frees the text. */
typedef struct {
    char *text;
    size_t len, cap;
    size_t count;
    bool failed; /* out of memory: every later call does nothing */
} sql_array_t;

/* Appends one element: a text quoted and escaped, an integer, or bytes as hex (for
 * decode(x, 'hex')). An allocation failure sets a->failed. */
void sql_array_add_text(sql_array_t *a, const char *s);
void sql_array_add_int(sql_array_t *a, int64_t v);
void sql_array_add_hex(sql_array_t *a, const uint8_t *bytes, size_t len);

/* The finished literal (owned by a, valid until the next add or clear), or NULL when an
 * allocation failed. */
const char *sql_array_text(sql_array_t *a);

void sql_array_clear(sql_array_t *a);

#endif
