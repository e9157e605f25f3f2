#include "audit_history.h"

#include <stdio.h>
#include <stdlib.h>
#include "ow_db.h"
#include "onewindow/v1/routing.pb-c.h"

int routing_audit_history_prepare(ow_db_t *db, ow_error_t *err)
{
    return ow_db_prepare(db, "routing_case_history",
                         "SELECT entry_id, ts_to_us(at), actor, on_behalf_of, action, task_id,"
                         "       detail, before, after"
                         "  FROM audit_trail WHERE case_no = $1 ORDER BY entry_id LIMIT $2",
                         err);
}

uint8_t *routing_case_history(ow_db_t *db, const char *case_no, size_t *len, ow_error_t *err)
{
    uint8_t *buf = NULL;
    Onewindow__V1__HistoryEntry *entries = NULL;
    Onewindow__V1__HistoryEntry **pointers = NULL;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", ROUTING_HISTORY_MAX);
    const char *params[2] = {case_no, limit};
    PGresult *res = ow_db_exec(db, "routing_case_history", 2, params, err);
    if (!res)
        return NULL;
    size_t n = (size_t)PQntuples(res);
    entries = calloc(n ? n : 1, sizeof *entries);
    pointers = calloc(n ? n : 1, sizeof *pointers);
    if (!entries || !pointers) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading the history of %s", case_no);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int r = (int)i;
        Onewindow__V1__HistoryEntry *e = &entries[i];
        onewindow__v1__history_entry__init(e);
        e->entry_id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        e->at_us = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        e->actor = PQgetvalue(res, r, 2);
        e->on_behalf_of = PQgetvalue(res, r, 3);
        e->action = PQgetvalue(res, r, 4);
        e->task_id = PQgetvalue(res, r, 5);
        e->detail = PQgetvalue(res, r, 6);
        e->before = PQgetvalue(res, r, 7);
        e->after = PQgetvalue(res, r, 8);
        e->source = (char *)"routing";
        pointers[i] = e;
    }
    Onewindow__V1__CaseHistoryReply reply = ONEWINDOW__V1__CASE_HISTORY_REPLY__INIT;
    reply.n_entries = n;
    reply.entries = pointers;
    *len = onewindow__v1__case_history_reply__get_packed_size(&reply);
    buf = malloc(*len ? *len : 1);
    if (!buf)
        ow_error_set(err, OW_INTERNAL, "out of memory packing the history of %s", case_no);
    else
        onewindow__v1__case_history_reply__pack(&reply, buf);
done:
    free(pointers);
    free(entries);
    PQclear(res);
    return buf;
}
