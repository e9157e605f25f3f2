#include "task_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_db.h"

/* The Task message's columns, in the order s_row_to_task reads them. Times are µs of system
 * time (us_to_ts/ts_to_us in migrations/0001_organisation.sql). */
#define S_TASK_COLUMNS                                                                             \
    "task_id, case_no, item_code, department_code, coalesce(assignee, ''), state,"                 \
    " coalesce(decision, ''), comment, ts_to_us(created_at), coalesce(ts_to_us(decided_at), 0),"   \
    " coalesce(decided_by, ''), stage, centre_id, on_behalf_of, coalesce(post_code, ''),"          \
    " final_decision, closed_reason"

#define S_WORK_ORDER " ORDER BY lane_rank DESC, due_at NULLS LAST, created_at, task_id"

struct routing_tasks {
    PGresult *res;
    size_t count;
    Onewindow__V1__Task *tasks;
    Onewindow__V1__Task **pointers;
};

int routing_task_store_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_task_insert",
         "INSERT INTO tasks (case_no, centre_id, item_code, department_code, assignee, stage,"
         "  created_at, post_code, on_behalf_of, final_decision, lane_rank, due_at)"
         " VALUES ($1, $2, $3, $4, $5, $6, us_to_ts($7), nullif($8, ''), $9, $10, $11,"
         "         us_to_ts(nullif($12::bigint, 0)))"
         " ON CONFLICT (case_no, stage, department_code) DO NOTHING"
         " RETURNING " S_TASK_COLUMNS},
        {"routing_task_get", "SELECT " S_TASK_COLUMNS " FROM tasks WHERE task_id = $1"},
        {"routing_task_get_locked",
         "SELECT " S_TASK_COLUMNS " FROM tasks WHERE task_id = $1 FOR UPDATE"},
        /* The batch path of routing.decide (decide.c): every task of the batch in one
         * statement, locked in id order so that two batches cannot deadlock on them. */
        {"routing_task_get_locked_many",
         "SELECT " S_TASK_COLUMNS " FROM tasks WHERE task_id = ANY($1::uuid[])"
         " ORDER BY task_id FOR UPDATE"},
        {"routing_task_close_many",
         "UPDATE tasks t SET state = 'done', decision = d.decision, comment = d.comment,"
         "       decided_by = d.decided_by, decided_at = us_to_ts($5)"
         "  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])"
         "       AS d (task_id, decision, comment, decided_by)"
         /* = ANY as well: the planner cannot size unnest, and would scan every task. */
         " WHERE t.task_id = ANY($1::uuid[]) AND t.task_id = d.task_id AND t.state = 'open'"
         " RETURNING t.task_id, t.case_no, t.item_code, t.department_code,"
         "  coalesce(t.assignee, ''), t.state, coalesce(t.decision, ''), t.comment,"
         "  ts_to_us(t.created_at), coalesce(ts_to_us(t.decided_at), 0),"
         "  coalesce(t.decided_by, ''), t.stage, t.centre_id, t.on_behalf_of,"
         "  coalesce(t.post_code, ''), t.final_decision"},
        {"routing_task_close",
         "UPDATE tasks SET state = 'done', decision = $2, comment = $3, decided_by = $4,"
         "       decided_at = us_to_ts($5)"
         " WHERE task_id = $1 AND state = 'open'"
         " RETURNING " S_TASK_COLUMNS},
        {"routing_audit_append",
         "INSERT INTO audit_trail (at, actor, on_behalf_of, action, task_id, case_no, detail,"
         "  before, after)"
         " VALUES (us_to_ts($1), $2, $3, $4, $5, $6, $7, $8, $9)"},
        /* The acting member of staff (authority.h); no row = not staff. */
        {"routing_actor_load",
         "SELECT department_code, role, active, chief_delegate FROM staff WHERE staff_id = $1"},
        /* Every change of routing.act but deciding (act.c): state and who holds it where. */
        {"routing_task_update",
         "UPDATE tasks SET state = $2, assignee = nullif($3, ''), on_behalf_of = $4,"
         "       post_code = nullif($5, ''), department_code = $6"
         " WHERE task_id = $1"
         " RETURNING " S_TASK_COLUMNS},
        {"routing_task_exists", "SELECT 1 FROM tasks WHERE task_id = $1"},
        /* Keyset pagination on (created_at, task_id), the order the contract gives. */
        {"routing_task_list",
         "SELECT " S_TASK_COLUMNS " FROM tasks"
         " WHERE ($1 = '' OR assignee = $1) AND state = $2"
         "   AND ($3::uuid IS NULL OR (created_at, task_id) >"
         "        (SELECT created_at, task_id FROM tasks WHERE task_id = $3::uuid))"
         " ORDER BY created_at, task_id LIMIT $4"},
        /* Work order (work_order.h): green, love, earliest due (unknown last), created, id;
         * the index tasks_work_list serves "mine". */
        {"routing_work_mine", "SELECT " S_TASK_COLUMNS " FROM tasks"
                              " WHERE assignee = $1 AND state = 'open'" S_WORK_ORDER " LIMIT $2"},
        {"routing_work_post", "SELECT " S_TASK_COLUMNS " FROM tasks"
                              " WHERE post_code = $1 AND state = 'open'" S_WORK_ORDER " LIMIT $2"},
        {"routing_work_department",
         "SELECT " S_TASK_COLUMNS " FROM tasks"
         " WHERE department_code = $1 AND state = 'open'" S_WORK_ORDER " LIMIT $2"},
        {"routing_work_overdue", "SELECT " S_TASK_COLUMNS " FROM tasks"
                                 " WHERE state = 'open' AND due_at < us_to_ts($3) AND ($1 = '' OR "
                                 "department_code = $1)" S_WORK_ORDER " LIMIT $2"},
        /* A stage's result is known: its tasks still in progress are withdrawn (workflow.h). */
        {"routing_task_cancel_stage", "UPDATE tasks SET state = 'cancelled',"
                                      " closed_reason = 'stage_decided'"
                                      " WHERE case_no = $1 AND stage = $2"
                                      "   AND state IN ('open', 'suspended', 'extension_requested')"
                                      " RETURNING " S_TASK_COLUMNS},
        /* The case is closed by intake (withdrawn, or the 容缺 supply deadline missed): its
         * work stops, and each task says why ($2). */
        {"routing_task_cancel_case", "UPDATE tasks SET state = 'cancelled', closed_reason = $2"
                                     " WHERE case_no = $1"
                                     "   AND state IN ('open', 'suspended', 'extension_requested')"
                                     " RETURNING " S_TASK_COLUMNS},
        /* The departments' results of a stage (workflow.h). */
        {"routing_task_stage_results", "SELECT department_code, coalesce(decision, '') FROM tasks"
                                       " WHERE case_no = $1 AND stage = $2 AND state = 'done'"},
        {"routing_task_list_case",
         "SELECT " S_TASK_COLUMNS " FROM tasks WHERE case_no = $1 ORDER BY created_at, task_id"},
    };
    return OW_DB_PREPARE_ALL(db, statements, err);
}

/* Wraps a result (taking ownership) as a list of Task messages pointing into it; at most
 * max rows are kept. Returns NULL with err (and frees res) when out of memory. */
static routing_tasks_t *s_wrap(PGresult *res, size_t max, ow_error_t *err)
{
    routing_tasks_t *self = calloc(1, sizeof *self);
    size_t n = (size_t)PQntuples(res);
    if (n > max)
        n = max;
    if (self && n) {
        self->tasks = calloc(n, sizeof *self->tasks);
        self->pointers = calloc(n, sizeof *self->pointers);
    }
    if (!self || (n && (!self->tasks || !self->pointers))) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading tasks");
        if (self) {
            free(self->tasks);
            free(self->pointers);
            free(self);
        }
        PQclear(res);
        return NULL;
    }
    self->res = res;
    self->count = n;
    for (size_t i = 0; i < n; i++) {
        Onewindow__V1__Task *t = &self->tasks[i];
        int r = (int)i;
        onewindow__v1__task__init(t);
        t->task_id = PQgetvalue(res, r, 0);
        t->case_no = PQgetvalue(res, r, 1);
        t->item_code = PQgetvalue(res, r, 2);
        t->department_code = PQgetvalue(res, r, 3);
        t->assignee = PQgetvalue(res, r, 4);
        t->state = PQgetvalue(res, r, 5);
        t->decision = PQgetvalue(res, r, 6);
        t->comment = PQgetvalue(res, r, 7);
        t->created_at_us = strtoll(PQgetvalue(res, r, 8), NULL, 10);
        t->decided_at_us = strtoll(PQgetvalue(res, r, 9), NULL, 10);
        t->decided_by = PQgetvalue(res, r, 10);
        t->stage = PQgetvalue(res, r, 11);
        t->on_behalf_of = PQgetvalue(res, r, 13);
        t->post_code = PQgetvalue(res, r, 14);
        t->closed_reason = PQgetvalue(res, r, 16);
        self->pointers[i] = t;
    }
    return self;
}

int routing_task_insert(ow_db_t *db, const routing_new_task_t *t, routing_tasks_t **out,
                        ow_error_t *err)
{
    *out = NULL;
    char created[32], lane[8], due[32];
    snprintf(created, sizeof created, "%" PRId64, t->created_at_us);
    snprintf(lane, sizeof lane, "%d", (int)t->lane);
    snprintf(due, sizeof due, "%" PRId64, t->due_us > 0 ? t->due_us : 0);
    const char *params[12] = {t->case_no,
                              t->centre_id ? t->centre_id : "",
                              t->item_code,
                              t->department_code,
                              t->assignee,
                              t->stage,
                              created,
                              t->post_code ? t->post_code : "",
                              t->on_behalf_of ? t->on_behalf_of : "",
                              t->final_decision ? "true" : "false",
                              lane,
                              due};
    PGresult *res = ow_db_exec(db, "routing_task_insert", 12, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    *out = s_wrap(res, 1, err);
    return *out ? 1 : -1;
}

routing_tasks_t *routing_task_load(ow_db_t *db, const char *task_id, bool for_update,
                                   ow_error_t *err)
{
    const char *params[1] = {task_id};
    PGresult *res =
        ow_db_exec(db, for_update ? "routing_task_get_locked" : "routing_task_get", 1, params, err);
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        ow_error_set(err, OW_NOT_FOUND, "no task with id %s", task_id);
        return NULL;
    }
    return s_wrap(res, 1, err);
}

routing_tasks_t *routing_task_close(ow_db_t *db, const char *task_id, const char *decision,
                                    const char *comment, const char *decided_by,
                                    int64_t decided_at_us, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, decided_at_us);
    const char *params[5] = {task_id, decision, comment ? comment : "", decided_by, at};
    PGresult *res = ow_db_exec(db, "routing_task_close", 5, params, err);
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        ow_error_set(err, OW_FAILED_PRECONDITION, "task %s is not open", task_id);
        return NULL;
    }
    return s_wrap(res, 1, err);
}

routing_tasks_t *routing_task_load_many(ow_db_t *db, const char *task_ids, size_t max,
                                        ow_error_t *err)
{
    const char *params[1] = {task_ids};
    PGresult *res = ow_db_exec(db, "routing_task_get_locked_many", 1, params, err);
    return res ? s_wrap(res, max, err) : NULL;
}

routing_tasks_t *routing_task_close_many(ow_db_t *db, const char *task_ids, const char *decisions,
                                         const char *comments, const char *decided_by,
                                         int64_t decided_at_us, size_t max, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, decided_at_us);
    const char *params[5] = {task_ids, decisions, comments, decided_by, at};
    PGresult *res = ow_db_exec(db, "routing_task_close_many", 5, params, err);
    return res ? s_wrap(res, max, err) : NULL;
}

int routing_audit_append(ow_db_t *db, int64_t at_us, const char *actor, const char *on_behalf_of,
                         const char *action, const char *task_id, const char *case_no,
                         const char *detail, const char *before, const char *after, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *params[9] = {at,
                             actor,
                             on_behalf_of ? on_behalf_of : "",
                             action,
                             task_id,
                             case_no,
                             detail ? detail : "",
                             before ? before : "",
                             after ? after : ""};
    PGresult *res = ow_db_exec(db, "routing_audit_append", 9, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

routing_tasks_t *routing_task_list(ow_db_t *db, const char *assignee, const char *state,
                                   const char *after_task_id, unsigned limit, bool *more,
                                   ow_error_t *err)
{
    *more = false;
    if (limit < 1 || limit > ROUTING_LIST_MAX)
        limit = ROUTING_LIST_DEFAULT;
    if (after_task_id) {
        const char *p[1] = {after_task_id};
        PGresult *res = ow_db_exec(db, "routing_task_exists", 1, p, err);
        if (!res)
            return NULL;
        int found = PQntuples(res);
        PQclear(res);
        if (!found) {
            ow_error_add_violation(err, "after_task_id", "names no task");
            ow_error_finish_violations(err);
            return NULL;
        }
    }
    /* One row more than asked tells whether another page follows. */
    char lim[16];
    snprintf(lim, sizeof lim, "%u", limit + 1);
    const char *params[4] = {assignee ? assignee : "", state, after_task_id, lim};
    PGresult *res = ow_db_exec(db, "routing_task_list", 4, params, err);
    if (!res)
        return NULL;
    *more = (size_t)PQntuples(res) > limit;
    return s_wrap(res, limit, err);
}

routing_tasks_t *routing_task_list_case(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *params[1] = {case_no};
    PGresult *res = ow_db_exec(db, "routing_task_list_case", 1, params, err);
    if (!res)
        return NULL;
    return s_wrap(res, (size_t)PQntuples(res), err);
}

void routing_tasks_destroy(routing_tasks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    routing_tasks_t *self = *self_p;
    PQclear(self->res);
    free(self->tasks);
    free(self->pointers);
    free(self);
    *self_p = NULL;
}

size_t routing_tasks_count(const routing_tasks_t *self)
{
    return self ? self->count : 0;
}

const Onewindow__V1__Task *routing_tasks_get(const routing_tasks_t *self, size_t i)
{
    return i < self->count ? &self->tasks[i] : NULL;
}

const char *routing_tasks_centre(const routing_tasks_t *self, size_t i)
{
    return i < self->count ? PQgetvalue(self->res, (int)i, 12) : NULL;
}

bool routing_tasks_final(const routing_tasks_t *self, size_t i)
{
    return i < self->count && PQgetvalue(self->res, (int)i, 15)[0] == 't';
}

routing_tasks_t *routing_task_cancel_stage(ow_db_t *db, const char *case_no, const char *stage,
                                           ow_error_t *err)
{
    const char *params[2] = {case_no, stage};
    PGresult *res = ow_db_exec(db, "routing_task_cancel_stage", 2, params, err);
    if (!res)
        return NULL;
    return s_wrap(res, (size_t)PQntuples(res), err);
}

routing_tasks_t *routing_task_cancel_case(ow_db_t *db, const char *case_no, const char *reason,
                                          ow_error_t *err)
{
    const char *params[2] = {case_no, reason};
    PGresult *res = ow_db_exec(db, "routing_task_cancel_case", 2, params, err);
    if (!res)
        return NULL;
    return s_wrap(res, (size_t)PQntuples(res), err);
}

Onewindow__V1__Task **routing_tasks_array(const routing_tasks_t *self)
{
    return self->pointers;
}

routing_tasks_t *routing_work_list(ow_db_t *db, const char *scope, const char *key, unsigned limit,
                                   int64_t now_us, ow_error_t *err)
{
    static const char *const scopes[][2] = {{"mine", "routing_work_mine"},
                                            {"post", "routing_work_post"},
                                            {"department", "routing_work_department"},
                                            {"overdue", "routing_work_overdue"}};
    const char *stmt = NULL;
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        if (scope && strcmp(scope, scopes[i][0]) == 0)
            stmt = scopes[i][1];
    if (!stmt) {
        ow_error_add_violation(err, "scope", "must be mine, post, department or overdue");
        ow_error_finish_violations(err);
        return NULL;
    }
    if (limit < 1 || limit > ROUTING_LIST_MAX)
        limit = ROUTING_LIST_DEFAULT;
    char lim[16], now[32];
    snprintf(lim, sizeof lim, "%u", limit);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[3] = {key ? key : "", lim, now};
    int n = strcmp(stmt, "routing_work_overdue") == 0 ? 3 : 2;
    PGresult *res = ow_db_exec(db, stmt, n, params, err);
    if (!res)
        return NULL;
    return s_wrap(res, limit, err);
}

int routing_actor_load(ow_db_t *db, const char *staff_id, routing_actor_row_t *out, ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->staff_id, sizeof out->staff_id, "%s", staff_id ? staff_id : "");
    out->actor.staff_id = out->staff_id;
    out->actor.department_code = out->department_code;
    out->actor.role = out->role;
    if (!staff_id || !*staff_id)
        return 0;
    const char *params[1] = {staff_id};
    PGresult *res = ow_db_exec(db, "routing_actor_load", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        snprintf(out->department_code, sizeof out->department_code, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(res, 0, 1));
        out->actor.active = PQgetvalue(res, 0, 2)[0] == 't';
        out->actor.chief_delegate = PQgetvalue(res, 0, 3)[0] == 't';
    }
    PQclear(res);
    return 0;
}

void routing_task_describe(const Onewindow__V1__Task *task, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", task->state);
    if (task->decision[0] && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " (%s)", task->decision);
    if (n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "; %s%s", task->assignee[0] ? "holder " : "",
                      task->assignee[0] ? task->assignee : "in the post's queue");
    if (task->on_behalf_of[0] && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "; on behalf of %s", task->on_behalf_of);
    if (task->post_code[0] && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; post %s", task->post_code);
}

routing_tasks_t *routing_task_update(ow_db_t *db, const Onewindow__V1__Task *t, ow_error_t *err)
{
    const char *params[6] = {t->task_id,      t->state,     t->assignee,
                             t->on_behalf_of, t->post_code, t->department_code};
    PGresult *res = ow_db_exec(db, "routing_task_update", 6, params, err);
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        ow_error_set(err, OW_NOT_FOUND, "no task with id %s", t->task_id);
        return NULL;
    }
    return s_wrap(res, 1, err);
}
