#include "row_list.h"

#include <stdio.h>

json_t *row_list(ow_db_t *db, const char *statement, const char *after, int limit,
                 row_list_render_fn *render, ow_error_t *err)
{
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {after ? after : "", limit_text};
    PGresult *res = ow_db_exec(db, statement, 2, params, err);
    if (!res)
        return NULL;
    json_t *list = json_array();
    for (int i = 0; list && i < PQntuples(res); i++)
        if (json_array_append_new(list, render(res, i)) != 0) {
            json_decref(list);
            list = NULL;
        }
    if (!list)
        ow_error_set(err, OW_INTERNAL, "out of memory");
    PQclear(res);
    return list;
}
