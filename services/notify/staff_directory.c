/* staff_directory — see staff_directory.h. */
#include "staff_directory.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int staff_directory_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(db, "notify_staff_set",
                      "INSERT INTO staff_contacts (staff_id, name, phone, email, channel,"
                      " centre_id, department_code, updated_at_us)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (staff_id) DO UPDATE"
                      " SET name = EXCLUDED.name, phone = EXCLUDED.phone, email = EXCLUDED.email,"
                      " channel = EXCLUDED.channel, centre_id = EXCLUDED.centre_id,"
                      " department_code = EXCLUDED.department_code,"
                      " updated_at_us = EXCLUDED.updated_at_us",
                      err) != 0 ||
        ow_db_prepare(db, "notify_staff_get",
                      "SELECT name, phone, email, channel, centre_id, department_code"
                      " FROM staff_contacts WHERE staff_id = $1",
                      err) != 0 ||
        ow_db_prepare(db, "notify_supervisor_set",
                      "INSERT INTO supervisors (staff_id, centre_id, kinds, updated_at_us)"
                      " VALUES ($1, $2, $3::text[], $4) ON CONFLICT (centre_id, staff_id) DO"
                      " UPDATE SET kinds = EXCLUDED.kinds, updated_at_us = EXCLUDED.updated_at_us",
                      err) != 0 ||
        ow_db_prepare(db, "notify_supervisor_remove",
                      "DELETE FROM supervisors WHERE staff_id = $1 AND centre_id = $2", err) != 0 ||
        ow_db_prepare(db, "notify_supervisors_of",
                      "SELECT staff_id FROM supervisors WHERE centre_id = $1 AND $2 = ANY (kinds)"
                      " ORDER BY staff_id LIMIT 100",
                      err) != 0 ||
        /* The CTE reads the row as it was before the upsert (one snapshot). */
        ow_db_prepare(db, "notify_tasks_put",
                      "WITH old AS (SELECT assignee FROM case_tasks WHERE task_id = $1)"
                      " INSERT INTO case_tasks (task_id, case_no, assignee, on_behalf_of,"
                      " post_code, department_code, stage, state, updated_at_us)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (task_id) DO"
                      " UPDATE SET assignee = EXCLUDED.assignee,"
                      " on_behalf_of = EXCLUDED.on_behalf_of, post_code = EXCLUDED.post_code,"
                      " stage = EXCLUDED.stage, state = EXCLUDED.state,"
                      " updated_at_us = EXCLUDED.updated_at_us"
                      " RETURNING coalesce((SELECT assignee FROM old), '')",
                      err) != 0)
        return -1;
    return ow_db_prepare(db, "notify_tasks_of",
                         "SELECT task_id, assignee, on_behalf_of, stage, state FROM case_tasks"
                         " WHERE case_no = $1 ORDER BY updated_at_us, task_id LIMIT 100",
                         err);
}

static const char *s_str(const char *s)
{
    return s ? s : "";
}

int staff_directory_set(ow_db_t *db, const staff_contact_t *c, int64_t now_us, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[] = {
        c->staff_id,       s_str(c->name),      s_str(c->phone),           s_str(c->email),
        s_str(c->channel), s_str(c->centre_id), s_str(c->department_code), at};
    PGresult *res = ow_db_exec(db, "notify_staff_set", 8, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int staff_directory_get(ow_db_t *db, const char *staff_id, staff_entry_t *out, ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->staff_id, sizeof out->staff_id, "%s", staff_id);
    const char *params[] = {staff_id};
    PGresult *res = ow_db_exec(db, "notify_staff_get", 1, params, err);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(out->name, sizeof out->name, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->phone, sizeof out->phone, "%s", PQgetvalue(res, 0, 1));
        snprintf(out->email, sizeof out->email, "%s", PQgetvalue(res, 0, 2));
        snprintf(out->channel, sizeof out->channel, "%s", PQgetvalue(res, 0, 3));
        snprintf(out->centre_id, sizeof out->centre_id, "%s", PQgetvalue(res, 0, 4));
        snprintf(out->department_code, sizeof out->department_code, "%s", PQgetvalue(res, 0, 5));
    }
    PQclear(res);
    return found;
}

staff_contact_t staff_entry_view(const staff_entry_t *e)
{
    return (staff_contact_t){
        .staff_id = e->staff_id,
        .name = e->name,
        .phone = e->phone,
        .email = e->email,
        .channel = e->channel,
        .centre_id = e->centre_id,
        .department_code = e->department_code,
    };
}

int staff_supervisors_set(ow_db_t *db, const char *staff_id, const char *centre_id,
                          const char *kinds, int64_t now_us, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    PGresult *res;
    if (strcmp(kinds, "{}") == 0) {
        const char *params[] = {staff_id, centre_id};
        res = ow_db_exec(db, "notify_supervisor_remove", 2, params, err);
    } else {
        const char *params[] = {staff_id, centre_id, kinds, at};
        res = ow_db_exec(db, "notify_supervisor_set", 4, params, err);
    }
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

PGresult *staff_supervisors_of(ow_db_t *db, const char *centre_id, const char *kind,
                               ow_error_t *err)
{
    const char *params[] = {centre_id, kind};
    return ow_db_exec(db, "notify_supervisors_of", 2, params, err);
}

int staff_tasks_put(ow_db_t *db, const char *case_no, const staff_task_t *t,
                    const char *department_code, const char *post_code, int64_t now_us,
                    char *previous, size_t size, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *params[] = {t->task_id,
                            case_no,
                            s_str(t->assignee),
                            s_str(t->on_behalf_of),
                            s_str(post_code),
                            s_str(department_code),
                            s_str(t->stage),
                            s_str(t->state),
                            at};
    PGresult *res = ow_db_exec(db, "notify_tasks_put", 9, params, err);
    if (!res)
        return -1;
    snprintf(previous, size, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}

PGresult *staff_tasks_of(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *params[] = {case_no};
    return ow_db_exec(db, "notify_tasks_of", 1, params, err);
}
