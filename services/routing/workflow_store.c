#include "workflow_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assignment.h"
#include "decision.h"
#include "organisation.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "post_store.h"
#include "task_store.h"
#include "work_order.h"
#include "workflow.h"

#define S_METHOD "routing.put_workflow"

static int s_cosign_days = ROUTING_COSIGN_DAYS_DEFAULT;

void routing_workflow_set_cosign_days(int days)
{
    if (days >= 1 && days <= 60)
        s_cosign_days = days;
}

int routing_workflow_store_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        /* The item version's own workflow, else the one for every version (0). */
        {"routing_wf_find", "SELECT item_version FROM workflows"
                            " WHERE item_code = $1 AND item_version IN ($2::int, 0)"
                            " ORDER BY item_version DESC LIMIT 1"},
        {"routing_wf_delete", "DELETE FROM workflows WHERE item_code = $1 AND item_version = $2"},
        {"routing_wf_insert",
         "INSERT INTO workflows (item_code, item_version, defined_by, defined_at)"
         " VALUES ($1, $2, $3, us_to_ts($4))"},
        {"routing_wf_insert_stage",
         "INSERT INTO workflow_stages (item_code, item_version, stage_no, name, mode, limit_days,"
         "  final_decision) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
        {"routing_wf_insert_department",
         "INSERT INTO workflow_stage_departments (item_code, item_version, stage_no,"
         "  department_code, post_code) VALUES ($1, $2, $3, $4, nullif($5, ''))"},
        /* Does the department exist; whose is the post ("" = no such post)? */
        {"routing_wf_check_department",
         "SELECT EXISTS (SELECT 1 FROM departments WHERE code = $1),"
         " coalesce((SELECT department_code FROM posts WHERE post_code = $2), '')"},
        {"routing_wf_get_stages",
         "SELECT s.stage_no, s.name, s.mode, s.limit_days, s.final_decision, w.defined_by,"
         "  ts_to_us(w.defined_at)"
         " FROM workflow_stages s JOIN workflows w USING (item_code, item_version)"
         " WHERE s.item_code = $1 AND s.item_version = $2 ORDER BY s.stage_no"},
        {"routing_wf_get_departments",
         "SELECT stage_no, department_code, coalesce(post_code, '')"
         " FROM workflow_stage_departments WHERE item_code = $1 AND item_version = $2"
         " ORDER BY stage_no, department_code"},
        /* A case keeps the copy of the workflow it started with. */
        {"routing_wf_case_start",
         "INSERT INTO case_workflows (case_no, centre_id, item_code, item_version, current_stage,"
         "  lane_rank, due_at)"
         " VALUES ($1, $2, $3, $4, 1, $5, us_to_ts(nullif($6::bigint, 0)))"
         " ON CONFLICT DO NOTHING RETURNING case_no"},
        {"routing_wf_case_copy",
         "INSERT INTO case_stages (case_no, stage_no, name, mode, limit_days, final_decision,"
         "  departments, posts)"
         " SELECT $1, s.stage_no, s.name, s.mode, s.limit_days, s.final_decision,"
         "  array_agg(d.department_code ORDER BY d.department_code),"
         "  array_agg(coalesce(d.post_code, '') ORDER BY d.department_code)"
         " FROM workflow_stages s JOIN workflow_stage_departments d"
         "  USING (item_code, item_version, stage_no)"
         " WHERE s.item_code = $2 AND s.item_version = $3"
         " GROUP BY s.stage_no, s.name, s.mode, s.limit_days, s.final_decision"},
        {"routing_wf_case_stage",
         "SELECT s.name, s.mode, s.limit_days, s.final_decision,"
         "  array_to_string(s.departments, ','), array_to_string(s.posts, ','), w.lane_rank,"
         "  coalesce(ts_to_us(w.due_at), 0)"
         " FROM case_stages s JOIN case_workflows w USING (case_no)"
         " WHERE s.case_no = $1 AND s.stage_no = $2"},
        {"routing_wf_case_stage_started",
         "WITH s AS (UPDATE case_stages SET started_at = us_to_ts($3)"
         "            WHERE case_no = $1 AND stage_no = $2)"
         " UPDATE case_workflows SET current_stage = $2 WHERE case_no = $1"},
        /* Serialises the decisions of one case's parallel tasks: the second decider reads the
         * first's result after it committed (READ COMMITTED, a new statement). */
        {"routing_wf_case_lock",
         "SELECT (SELECT count(*) FROM case_stages s WHERE s.case_no = w.case_no)"
         " FROM case_workflows w WHERE case_no = $1 FOR UPDATE"},
        {"routing_wf_case_stage_by_name",
         "SELECT stage_no, mode, limit_days, array_to_string(departments, ','), result"
         " FROM case_stages WHERE case_no = $1 AND name = $2"},
        {"routing_wf_case_earlier",
         "SELECT result FROM case_stages WHERE case_no = $1 AND stage_no < $2 ORDER BY stage_no"},
        {"routing_wf_case_stage_done",
         "UPDATE case_stages SET result = $3, completed_at = us_to_ts($4)"
         " WHERE case_no = $1 AND stage_no = $2"},
        /* Intake's news (容缺 supply, termination) settles a case not yet decided. */
        {"routing_wf_case_settle",
         "UPDATE case_workflows SET outcome = $2,"
         "  decided_at = CASE WHEN $3::boolean THEN us_to_ts($4) END"
         " WHERE case_no = $1 AND outcome IN ('pending', 'awaiting_materials')"},
        {"routing_wf_case_outcome",
         "UPDATE case_workflows SET outcome = $2,"
         "  decided_at = CASE WHEN $3::boolean THEN us_to_ts($4) END WHERE case_no = $1"},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    return routing_assignment_prepare(db, err) < 0 ? -1 : routing_task_store_prepare(db, err);
}

/* Runs a statement whose rows are not needed. Returns 0 or -1 with err. */
static int s_exec(ow_db_t *db, const char *stmt, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, stmt, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ---- routing.put_workflow / routing.get_workflow ---- */

/* The departments and posts the store knows: violations named like workflow.h's. Returns
 * 0, or -1 with err (database). */
static int s_check_references(ow_db_t *db, const Onewindow__V1__Workflow *wf, ow_error_t *err)
{
    for (size_t i = 0; i < wf->n_stages; i++)
        for (size_t d = 0; d < wf->stages[i]->n_departments; d++) {
            const Onewindow__V1__WorkflowDepartment *dep = wf->stages[i]->departments[d];
            const char *p[2] = {dep->department_code, dep->post_code};
            PGresult *res = ow_db_exec(db, "routing_wf_check_department", 2, p, err);
            if (!res)
                return -1;
            char field[96];
            if (PQgetvalue(res, 0, 0)[0] != 't') {
                snprintf(field, sizeof field, "stages[%zu].departments[%zu].department_code", i, d);
                ow_error_add_violation(err, field, "department %s is not known to routing",
                                       dep->department_code);
            }
            if (dep->post_code[0] && strcmp(PQgetvalue(res, 0, 1), dep->department_code) != 0) {
                snprintf(field, sizeof field, "stages[%zu].departments[%zu].post_code", i, d);
                ow_error_add_violation(err, field, "post %s is not a post of department %s",
                                       dep->post_code, dep->department_code);
            }
            PQclear(res);
        }
    return 0;
}

/* Reads item_code's workflow at exactly version into a packed Workflow (caller frees).
 * Returns NULL with err: NOT_FOUND, or the database error. */
static uint8_t *s_read(ow_db_t *db, const char *item_code, int version, size_t *out_len,
                       ow_error_t *err)
{
    uint8_t *out = NULL;
    PGresult *stages = NULL, *deps = NULL;
    Onewindow__V1__WorkflowStage *s = NULL, **sp = NULL;
    Onewindow__V1__WorkflowDepartment *d = NULL, **dp = NULL;
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *p[2] = {item_code, v};
    if (!(stages = ow_db_exec(db, "routing_wf_get_stages", 2, p, err)) ||
        !(deps = ow_db_exec(db, "routing_wf_get_departments", 2, p, err)))
        goto done;
    size_t ns = (size_t)PQntuples(stages), nd = (size_t)PQntuples(deps);
    if (ns == 0) {
        ow_error_set(err, OW_NOT_FOUND, "item %s version %d has no workflow", item_code, version);
        goto done;
    }
    s = calloc(ns, sizeof *s);
    sp = calloc(ns, sizeof *sp);
    d = calloc(nd ? nd : 1, sizeof *d);
    dp = calloc(nd ? nd : 1, sizeof *dp);
    if (!s || !sp || !d || !dp) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading a workflow");
        goto done;
    }
    size_t next = 0;
    for (size_t i = 0; i < ns; i++) {
        onewindow__v1__workflow_stage__init(&s[i]);
        sp[i] = &s[i];
        s[i].name = PQgetvalue(stages, (int)i, 1);
        s[i].mode = PQgetvalue(stages, (int)i, 2);
        s[i].limit_days = atoi(PQgetvalue(stages, (int)i, 3));
        s[i].final_decision = PQgetvalue(stages, (int)i, 4)[0] == 't';
        const char *no = PQgetvalue(stages, (int)i, 0);
        s[i].departments = &dp[next];
        while (next < nd && strcmp(PQgetvalue(deps, (int)next, 0), no) == 0) {
            onewindow__v1__workflow_department__init(&d[next]);
            d[next].department_code = PQgetvalue(deps, (int)next, 1);
            d[next].post_code = PQgetvalue(deps, (int)next, 2);
            dp[next] = &d[next];
            s[i].n_departments++;
            next++;
        }
    }
    Onewindow__V1__Workflow wf = ONEWINDOW__V1__WORKFLOW__INIT;
    wf.item_code = (char *)item_code;
    wf.item_version = version;
    wf.n_stages = ns;
    wf.stages = sp;
    wf.defined_by = PQgetvalue(stages, 0, 5);
    wf.defined_at_us = strtoll(PQgetvalue(stages, 0, 6), NULL, 10);
    if (ow_pack(&wf.base, &out, out_len, err) < 0)
        out = NULL;
done:
    free(dp);
    free(d);
    free(sp);
    free(s);
    PQclear(deps);
    PQclear(stages);
    return out;
}

int routing_workflow_put(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                         size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__Workflow *wf = NULL;
    uint8_t *stored = NULL, *packed = NULL;
    size_t stored_len = 0, packed_len = 0;
    *reply = NULL;
    *reply_len = 0;
    if (!ow_text_graphic(key, 200)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     S_METHOD " needs an idempotency key (1-200 printable characters)");
        return -1;
    }
    if (len > ROUTING_WORKFLOW_MAX_BYTES ||
        !(wf = onewindow__v1__workflow__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.Workflow (at most %d bytes)",
                     ROUTING_WORKFLOW_MAX_BYTES);
        return -1;
    }
    if (ow_db_begin(db, err) < 0)
        goto out;
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    /* Workflows are the organisation's to define: an active administrator only. */
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0 || routing_may_manage_org(&who.actor, err) < 0)
        goto done;
    /* Every problem at once, nothing written: the shape first, then the references. */
    if (routing_workflow_check(wf, err) > 0) {
        ow_error_finish_violations(err);
        goto done;
    }
    if (s_check_references(db, wf, err) < 0 || ow_error_finish_violations(err) < 0)
        goto done;
    int64_t now_us = ow_clock_now_us();
    char version[16], at[32];
    snprintf(version, sizeof version, "%d", (int)wf->item_version);
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *pw[4] = {wf->item_code, version, actor, at};
    /* Replaced as a whole; cases under way keep their copy (case_stages). */
    if (s_exec(db, "routing_wf_delete", 2, pw, err) < 0 ||
        s_exec(db, "routing_wf_insert", 4, pw, err) < 0)
        goto done;
    for (size_t i = 0; i < wf->n_stages; i++) {
        const Onewindow__V1__WorkflowStage *s = wf->stages[i];
        char no[24], limit[16];
        snprintf(no, sizeof no, "%zu", i + 1);
        snprintf(limit, sizeof limit, "%d", (int)s->limit_days);
        const char *ps[7] = {wf->item_code,
                             version,
                             no,
                             s->name,
                             s->mode,
                             limit,
                             s->final_decision ? "true" : "false"};
        if (s_exec(db, "routing_wf_insert_stage", 7, ps, err) < 0)
            goto done;
        for (size_t d = 0; d < s->n_departments; d++) {
            const char *pd[5] = {wf->item_code, version, no, s->departments[d]->department_code,
                                 s->departments[d]->post_code};
            if (s_exec(db, "routing_wf_insert_department", 5, pd, err) < 0)
                goto done;
        }
    }
    if (!(stored = s_read(db, wf->item_code, (int)wf->item_version, &stored_len, err)))
        goto done;
    if (ow_outbox_add(db, "workflow.defined", NULL, NULL, now_us, stored, stored_len, err) < 0)
        goto done;
    if (ow_rpc_pack_reply(NULL, stored, stored_len, &packed, &packed_len) < 0) {
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
        goto done;
    }
    if (ow_idem_save(db, key, S_METHOD, request, len, packed, packed_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "workflow defined", "item_code", wf->item_code, "version", version, "by",
              actor, NULL);
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    free(packed);
    free(stored);
    onewindow__v1__workflow__free_unpacked(wf, NULL);
    return rc;
}

/* The version whose workflow a case of item_code at version follows: 1 with *found, 0 for
 * none, -1 with err. */
static int s_find(ow_db_t *db, const char *item_code, int version, int *found, ow_error_t *err)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *p[2] = {item_code, v};
    PGresult *res = ow_db_exec(db, "routing_wf_find", 2, p, err);
    if (!res)
        return -1;
    int rc = PQntuples(res) == 1;
    if (rc)
        *found = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

uint8_t *routing_workflow_get(ow_db_t *db, const uint8_t *request, size_t len, size_t *out_len,
                              ow_error_t *err)
{
    uint8_t *out = NULL;
    Onewindow__V1__GetWorkflow *req = NULL;
    if (len > 1024 || !(req = onewindow__v1__get_workflow__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.GetWorkflow");
        return NULL;
    }
    if (!routing_id_valid(req->item_code))
        ow_error_add_violation(err, "item_code", "must be an item code");
    if (req->item_version < 0 || req->item_version > ROUTING_WORKFLOW_VERSION_MAX)
        ow_error_add_violation(err, "item_version", "must be 0 to %d",
                               ROUTING_WORKFLOW_VERSION_MAX);
    if (ow_error_finish_violations(err) < 0)
        goto done;
    int version = 0;
    int found = s_find(db, req->item_code, (int)req->item_version, &version, err);
    if (found == 0)
        ow_error_set(err, OW_NOT_FOUND, "item %s has no workflow", req->item_code);
    if (found == 1)
        out = s_read(db, req->item_code, version, out_len, err);
done:
    onewindow__v1__get_workflow__free_unpacked(req, NULL);
    return out;
}

/* ---- a case moving through its workflow ---- */

/* Splits "a,b,,c" into at most max parts of at most 64 bytes (parts[i] sized 65). */
static size_t s_split(const char *list, char parts[][65], size_t max)
{
    size_t n = 0;
    const char *p = list;
    while (n < max) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        snprintf(parts[n], 65, "%.*s", (int)(l > 64 ? 64 : l), p);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

/* Emits stage.started / stage.completed for a stage with its own clock (limit > 0); a stage
 * without one has no clock to start or stop. */
static int s_stage_event(ow_db_t *db, const char *type, const char *case_no, const char *centre_id,
                         const char *stage, int limit, const char *department_code, int64_t at_us,
                         ow_error_t *err)
{
    if (limit <= 0)
        return 0;
    Onewindow__V1__StageEvent ev = ONEWINDOW__V1__STAGE_EVENT__INIT;
    ev.case_no = (char *)case_no;
    ev.stage = (char *)stage;
    ev.limit = limit;
    ev.unit = (char *)"working_days";
    ev.at_us = at_us;
    ev.department_code = (char *)department_code;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (ow_pack(&ev.base, &bytes, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, case_no, centre_id, at_us, bytes, len, err);
    free(bytes);
    return rc;
}

/* Appends the audit entry for task's action and emits type (Task). */
static int s_task_event(ow_db_t *db, const Onewindow__V1__Task *task, const char *centre_id,
                        const char *type, const char *action, const char *actor, const char *detail,
                        const char *before, int64_t at_us, ow_error_t *err)
{
    char after[ROUTING_TASK_DESCRIBE_SIZE];
    routing_task_describe(task, after, sizeof after);
    if (routing_audit_append(db, at_us, actor, task->on_behalf_of, action, task->task_id,
                             task->case_no, detail, before, after, err) < 0)
        return -1;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (ow_pack(&task->base, &bytes, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, task->case_no, centre_id, at_us, bytes, len, err);
    free(bytes);
    return rc;
}

/* Starts stage stage_no of case_no: one task per department (through its named post, else
 * the department's default post or approver — with absences at this moment), stage.started.
 * Returns 0 or -1 with err (FAILED_PRECONDITION when a department has nobody). */
static int s_start_stage(ow_db_t *db, const char *case_no, const char *centre_id,
                         const char *item_code, int stage_no, int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    routing_tasks_t *task = NULL;
    char no[16], at[32];
    snprintf(no, sizeof no, "%d", stage_no);
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *p[3] = {case_no, no, at};
    PGresult *res = ow_db_exec(db, "routing_wf_case_stage", 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "case %s has no stage %d", case_no, stage_no);
        goto done;
    }
    const char *name = PQgetvalue(res, 0, 0);
    routing_stage_mode_t mode = ROUTING_MODE_SINGLE;
    routing_stage_mode_parse(PQgetvalue(res, 0, 1), &mode);
    int limit = routing_stage_limit(mode, atoi(PQgetvalue(res, 0, 2)), s_cosign_days);
    bool final = PQgetvalue(res, 0, 3)[0] == 't';
    char deps[ROUTING_STAGE_DEPARTMENTS_MAX][65], posts[ROUTING_STAGE_DEPARTMENTS_MAX][65];
    size_t n = s_split(PQgetvalue(res, 0, 4), deps, ROUTING_STAGE_DEPARTMENTS_MAX);
    size_t np = s_split(PQgetvalue(res, 0, 5), posts, ROUTING_STAGE_DEPARTMENTS_MAX);
    /* The case's lane and promised completion, kept from case.accepted (work_order.h). */
    routing_lane_t lane = (routing_lane_t)atoi(PQgetvalue(res, 0, 6));
    int64_t due_us = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
    for (size_t i = 0; i < n; i++) {
        routing_assignment_t who;
        memset(&who, 0, sizeof who);
        if (i < np && posts[i][0]) {
            routing_holder_t holder;
            if (routing_post_holder_at(db, posts[i], now_us, &holder, err) < 0)
                goto done;
            snprintf(who.assignee, sizeof who.assignee, "%s", holder.holder);
            snprintf(who.on_behalf_of, sizeof who.on_behalf_of, "%s", holder.on_behalf_of);
            memcpy(who.post_code, posts[i], sizeof who.post_code); /* both 65, terminated */
        } else if (routing_assign_first(db, deps[i], now_us, &who, err) < 0) {
            goto done;
        }
        routing_new_task_t t = {.case_no = case_no,
                                .centre_id = centre_id,
                                .item_code = item_code,
                                .department_code = deps[i],
                                .assignee = who.assignee,
                                .stage = name,
                                .created_at_us = now_us,
                                .post_code = who.post_code,
                                .on_behalf_of = who.on_behalf_of,
                                .final_decision = final,
                                .lane = lane,
                                .due_us = due_us};
        int created = routing_task_insert(db, &t, &task, err);
        if (created < 0)
            goto done;
        if (created == 1 &&
            s_task_event(db, routing_tasks_get(task, 0), centre_id, "task.created", "task.created",
                         "routingd", "assigned for the workflow's stage", "", now_us, err) < 0)
            goto done;
        routing_tasks_destroy(&task);
    }
    if (s_exec(db, "routing_wf_case_stage_started", 3, p, err) < 0)
        goto done;
    /* DOMAIN §4: a stage has its own clock; co-signing departments 7 working days. */
    if (s_stage_event(db, "stage.started", case_no, centre_id, name, limit, n == 1 ? deps[0] : "",
                      now_us, err) < 0)
        goto done;
    rc = 0;
done:
    routing_tasks_destroy(&task);
    PQclear(res);
    return rc;
}

int routing_workflow_start_case(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t now_us,
                                ow_error_t *err)
{
    int version = 0;
    int found = s_find(db, c->item_code, (int)c->item_version, &version, err);
    if (found <= 0)
        return found;
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    char lane[8], due[32];
    snprintf(lane, sizeof lane, "%d", (int)routing_lane_of(c->green_lane, c->love_lane));
    snprintf(due, sizeof due, "%" PRId64, c->promised_due_us > 0 ? c->promised_due_us : 0);
    const char *p[6] = {c->case_no, c->centre_id, c->item_code, v, lane, due};
    PGresult *res = ow_db_exec(db, "routing_wf_case_start", 6, p, err);
    if (!res)
        return -1;
    bool fresh = PQntuples(res) == 1;
    PQclear(res);
    if (!fresh)
        return 1; /* started before (a repeated case.accepted): nothing more to do */
    const char *pc[3] = {c->case_no, c->item_code, v};
    if (s_exec(db, "routing_wf_case_copy", 3, pc, err) < 0)
        return -1;
    if (s_start_stage(db, c->case_no, c->centre_id, c->item_code, 1, now_us, err) < 0) {
        /* Nobody to take a department's task never heals by itself: park it for an operator. */
        if (err->code == OW_FAILED_PRECONDITION || err->code == OW_NOT_FOUND)
            err->code = OW_INVALID_ARGUMENT;
        return -1;
    }
    return 1;
}

static routing_result_t s_result_of(const char *text)
{
    if (strcmp(text, "approve") == 0 || strcmp(text, "approved") == 0)
        return ROUTING_RESULT_APPROVED;
    if (strcmp(text, "refuse") == 0 || strcmp(text, "refused") == 0)
        return ROUTING_RESULT_REFUSED;
    return ROUTING_RESULT_PENDING;
}

int routing_workflow_set_outcome(ow_db_t *db, const char *case_no, routing_case_outcome_t outcome,
                                 int64_t at_us, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *p[4] = {case_no, routing_case_outcome_name(outcome),
                        routing_case_outcome_final(outcome) ? "true" : "false", at};
    return s_exec(db, "routing_wf_case_settle", 4, p, err);
}

int routing_workflow_after_decision(ow_db_t *db, const Onewindow__V1__Task *task,
                                    const char *centre_id, const char *actor, int64_t now_us,
                                    bool rongque, bool materials_complete,
                                    routing_workflow_result_t *out, ow_error_t *err)
{
    int rc = -1;
    PGresult *lock = NULL, *stage = NULL, *done = NULL, *earlier = NULL;
    routing_tasks_t *cancelled = NULL;
    out->decided = false;
    out->outcome = ROUTING_CASE_PENDING;
    const char *pl[1] = {task->case_no};
    if (!(lock = ow_db_exec(db, "routing_wf_case_lock", 1, pl, err)))
        goto out;
    if (PQntuples(lock) != 1) {
        rc = 0; /* no workflow: the skeleton's single decision is the case's */
        goto out;
    }
    size_t n_stages = (size_t)atol(PQgetvalue(lock, 0, 0));
    const char *ps[2] = {task->case_no, task->stage};
    if (!(stage = ow_db_exec(db, "routing_wf_case_stage_by_name", 2, ps, err)))
        goto out;
    if (PQntuples(stage) != 1) {
        ow_error_set(err, OW_INTERNAL, "case %s has no stage named %s", task->case_no, task->stage);
        goto out;
    }
    int stage_no = atoi(PQgetvalue(stage, 0, 0));
    routing_stage_mode_t mode = ROUTING_MODE_SINGLE;
    routing_stage_mode_parse(PQgetvalue(stage, 0, 1), &mode);
    int limit = routing_stage_limit(mode, atoi(PQgetvalue(stage, 0, 2)), s_cosign_days);
    if (strcmp(PQgetvalue(stage, 0, 4), "pending") != 0) {
        rc = 1; /* already settled (cannot happen: its tasks were withdrawn) */
        goto out;
    }
    char deps[ROUTING_STAGE_DEPARTMENTS_MAX][65];
    size_t n = s_split(PQgetvalue(stage, 0, 3), deps, ROUTING_STAGE_DEPARTMENTS_MAX);
    /* The departments' results, in the stage's order. */
    if (!(done = ow_db_exec(db, "routing_task_stage_results", 2, ps, err)))
        goto out;
    routing_result_t results[ROUTING_STAGE_DEPARTMENTS_MAX];
    for (size_t i = 0; i < n; i++) {
        results[i] = ROUTING_RESULT_PENDING;
        for (int r = 0; r < PQntuples(done); r++)
            if (strcmp(PQgetvalue(done, r, 0), deps[i]) == 0)
                results[i] = s_result_of(PQgetvalue(done, r, 1));
    }
    char no[16];
    snprintf(no, sizeof no, "%d", stage_no);
    const char *pe[2] = {task->case_no, no};
    if (!(earlier = ow_db_exec(db, "routing_wf_case_earlier", 2, pe, err)))
        goto out;
    routing_result_t before[ROUTING_WORKFLOW_STAGES_MAX];
    size_t n_before = (size_t)PQntuples(earlier);
    for (size_t i = 0; i < n_before && i < ROUTING_WORKFLOW_STAGES_MAX; i++)
        before[i] = s_result_of(PQgetvalue(earlier, (int)i, 0));
    /* DOMAIN §3 容缺: an approval of every stage waits for the materials (supply_store.h). */
    routing_step_t step = routing_workflow_step(mode, results, n, before, (size_t)stage_no - 1,
                                                n_stages, rongque, materials_complete);
    out->outcome = step.outcome;
    if (step.kind == ROUTING_STEP_WAIT) {
        rc = 1;
        goto out;
    }
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *pd[4] = {task->case_no, no, routing_result_name(step.stage_result), at};
    if (s_exec(db, "routing_wf_case_stage_done", 4, pd, err) < 0)
        goto out;
    /* 会签 refused / 或签 approved: the others' work is no longer needed. */
    if (step.withdraw_open) {
        if (!(cancelled = routing_task_cancel_stage(db, task->case_no, task->stage, err)))
            goto out;
        for (size_t i = 0; i < routing_tasks_count(cancelled); i++) {
            const Onewindow__V1__Task *t = routing_tasks_get(cancelled, i);
            char reason[160];
            snprintf(reason, sizeof reason, "stage %s %s (%s): this department's part is withdrawn",
                     task->stage, routing_result_name(step.stage_result),
                     routing_stage_mode_name(mode));
            if (s_task_event(db, t, centre_id, "task.updated", "task.cancelled", actor, reason,
                             "open", now_us, err) < 0)
                goto out;
        }
    }
    if (s_stage_event(db, "stage.completed", task->case_no, centre_id, task->stage, limit,
                      n == 1 ? deps[0] : "", now_us, err) < 0)
        goto out;
    if (step.kind == ROUTING_STEP_NEXT_STAGE) {
        if (s_start_stage(db, task->case_no, centre_id, task->item_code, stage_no + 1, now_us,
                          err) < 0)
            goto out;
        rc = 1;
        goto out;
    }
    out->decided = step.kind == ROUTING_STEP_CASE_DECIDED;
    const char *po[4] = {task->case_no, routing_case_outcome_name(step.outcome),
                         out->decided ? "true" : "false", at};
    if (s_exec(db, "routing_wf_case_outcome", 4, po, err) < 0)
        goto out;
    rc = 1;
out:
    routing_tasks_destroy(&cancelled);
    PQclear(earlier);
    PQclear(done);
    PQclear(stage);
    PQclear(lock);
    return rc;
}
