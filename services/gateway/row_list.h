/* row_list — one page of an administrative list (tokens, centre keys) as a JSON array: a
 * prepared statement taking ($1 after-cursor text, $2 limit) and a function rendering one
 * row. */
#ifndef GATEWAY_ROW_LIST_H
#define GATEWAY_ROW_LIST_H

#include <jansson.h>
#include <libpq-fe.h>
#include "ow_db.h"

/* Renders row `row` of res as a new JSON object, or NULL when out of memory. */
typedef json_t *(row_list_render_fn)(PGresult *res, int row);

/* Runs statement with (after or "", limit) and renders every row. Returns a new array the
 * caller owns, or NULL with err (the database's error, or INTERNAL when out of memory). */
json_t *row_list(ow_db_t *db, const char *statement, const char *after, int limit,
                 row_list_render_fn *render, ow_error_t *err);

#endif
