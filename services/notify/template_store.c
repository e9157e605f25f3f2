/* template_store — see template_store.h. */
#include "template_store.h"

#include <stdlib.h>

templates_t *template_store_load(ow_db_t *db, ow_error_t *err)
{
    templates_t *set = NULL;
    if (ow_db_prepare(db, "notify_templates_load",
                      "SELECT DISTINCT ON (kind, channel) CASE channel WHEN 'any' THEN kind"
                      " ELSE kind || '@' || channel END, version, body FROM templates"
                      " ORDER BY kind, channel, version DESC",
                      err) != 0)
        return NULL;
    PGresult *res = ow_db_exec(db, "notify_templates_load", 0, NULL, err);
    if (!res)
        return NULL;
    set = templates_new();
    if (!set) {
        ow_error_set(err, OW_INTERNAL, "out of memory loading templates");
        goto fail;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int version = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);
        if (templates_add(set, PQgetvalue(res, i, 0), version, PQgetvalue(res, i, 2), err) != 0)
            goto fail;
    }
    if (templates_check_complete(set, err) != 0)
        goto fail;
    PQclear(res);
    return set;
fail:
    PQclear(res);
    templates_destroy(&set);
    return NULL;
}
