#include "org_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "absence_store.h"
#include "decide.h"
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
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_METHOD  "routing.put_org"
#define S_GET_MAX "10000"

int routing_org_store_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_org_centre_level", "SELECT level FROM centres WHERE centre_id = $1"},
        {"routing_org_put_centre",
         "INSERT INTO centres (centre_id, name, level, parent_id) VALUES ($1, $2, $3, nullif($4, "
         "''))"
         " ON CONFLICT (centre_id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,"
         "  parent_id = EXCLUDED.parent_id"},
        {"routing_org_put_department",
         "INSERT INTO departments (code, name, centre_id) VALUES ($1, $2, nullif($3, ''))"
         " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, centre_id = EXCLUDED.centre_id"},
        {"routing_org_put_staff",
         "INSERT INTO staff (staff_id, name, department_code, role, active, chief_delegate)"
         " VALUES ($1, $2, $3, $4, $5, $6)"
         " ON CONFLICT (staff_id) DO UPDATE SET name = EXCLUDED.name,"
         "  department_code = EXCLUDED.department_code, role = EXCLUDED.role,"
         "  active = EXCLUDED.active, chief_delegate = EXCLUDED.chief_delegate"},
        {"routing_org_put_post",
         "INSERT INTO posts (post_code, department_code, name, a_holder, b_holder, is_default)"
         " VALUES ($1, $2, $3, $4, nullif($5, ''), $6)"
         " ON CONFLICT (post_code) DO UPDATE SET department_code = EXCLUDED.department_code,"
         "  name = EXCLUDED.name, a_holder = EXCLUDED.a_holder, b_holder = EXCLUDED.b_holder,"
         "  is_default = EXCLUDED.is_default"},
        {"routing_org_get_centres",
         "SELECT centre_id, name, level, coalesce(parent_id, '') FROM centres"
         " ORDER BY centre_id LIMIT " S_GET_MAX},
        {"routing_org_get_departments",
         "SELECT code, name, coalesce(centre_id, '') FROM departments"
         " WHERE $1 = '' OR code = $1 ORDER BY code LIMIT " S_GET_MAX},
        {"routing_org_get_staff",
         "SELECT staff_id, name, department_code, role, NOT active, chief_delegate FROM staff"
         " WHERE $1 = '' OR department_code = $1 ORDER BY staff_id LIMIT " S_GET_MAX},
        {"routing_org_get_posts",
         "SELECT post_code, department_code, name, a_holder, coalesce(b_holder, ''), is_default"
         " FROM posts WHERE $1 = '' OR department_code = $1 ORDER BY post_code LIMIT " S_GET_MAX},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    return routing_absence_store_prepare(db, err);
}

/* The field a refused row names: the column in the constraint the server reports
 * ('… violates foreign key constraint "posts_a_holder_department_code_fkey"'). */
static const char *s_field_of(const char *message)
{
    static const char *const fields[] = {"a_holder",  "b_holder",        "parent_id",
                                         "centre_id", "department_code", "posts_one_default",
                                         "staff_id"};
    const char *c = strstr(message, "constraint \"");
    if (!c)
        return "row";
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strstr(c, fields[i]))
            return strcmp(fields[i], "posts_one_default") == 0 ? "is_default" : fields[i];
    return "row";
}

/* Writes one row inside a savepoint; a refusal becomes a violation "<table>[row].<field>"
 * and the transaction goes on. Returns 0 (written or refused), -1 with err when the
 * connection failed. */
static int s_put_row(ow_db_t *db, const char *stmt, int n, const char *const *params,
                     const char *table, size_t row, ow_error_t *violations, ow_error_t *err)
{
    if (ow_db_run(db, "SAVEPOINT routing_org_row", err) < 0)
        return -1;
    ow_error_t e;
    ow_error_clear(&e);
    PGresult *res = ow_db_exec(db, stmt, n, params, &e);
    if (res) {
        PQclear(res);
        return ow_db_run(db, "RELEASE SAVEPOINT routing_org_row", err);
    }
    if (e.code != OW_INVALID_ARGUMENT && e.code != OW_ALREADY_EXISTS) {
        *err = e;
        return -1;
    }
    char field[64];
    snprintf(field, sizeof field, "%s[%zu].%s", table, row, s_field_of(e.message));
    ow_error_add_violation(violations, field, "%s", e.message);
    return ow_db_run(db, "ROLLBACK TO SAVEPOINT routing_org_row", err);
}

/* The level of centre id: from the import itself, else the database; NULL when unknown. */
static const char *s_parent_level(ow_db_t *db, const Onewindow__V1__Organisation *o, const char *id,
                                  char *buf, size_t size, ow_error_t *err, int *failed)
{
    for (size_t i = 0; i < o->n_centres; i++)
        if (strcmp(o->centres[i]->centre_id, id) == 0)
            return o->centres[i]->level;
    const char *p[1] = {id};
    PGresult *res = ow_db_exec(db, "routing_org_centre_level", 1, p, err);
    if (!res) {
        *failed = 1;
        return NULL;
    }
    const char *level = NULL;
    if (PQntuples(res) == 1) {
        snprintf(buf, size, "%s", PQgetvalue(res, 0, 0));
        level = buf;
    }
    PQclear(res);
    return level;
}

static int s_level_rank(const char *level)
{
    return strcmp(level, "county") == 0 ? 0 : strcmp(level, "village") == 0 ? 2 : 1;
}

/* Writes every row; violations collects the refused ones. Returns 0 or -1 with err. */
static int s_write_all(ow_db_t *db, const Onewindow__V1__Organisation *o, ow_error_t *violations,
                       ow_error_t *err)
{
    /* Parents first: the county, then sub-centres and townships, then villages. */
    for (int rank = 0; rank <= 2; rank++)
        for (size_t i = 0; i < o->n_centres; i++) {
            const Onewindow__V1__OrgCentre *c = o->centres[i];
            if (s_level_rank(c->level) != rank)
                continue;
            const char *p[4] = {c->centre_id, c->name, c->level, c->parent_id};
            if (s_put_row(db, "routing_org_put_centre", 4, p, "centres", i, violations, err) < 0)
                return -1;
        }
    for (size_t i = 0; i < o->n_departments; i++) {
        const Onewindow__V1__OrgDepartment *d = o->departments[i];
        const char *p[3] = {d->code, d->name, d->centre_id};
        if (s_put_row(db, "routing_org_put_department", 3, p, "departments", i, violations, err) <
            0)
            return -1;
    }
    for (size_t i = 0; i < o->n_staff; i++) {
        const Onewindow__V1__OrgStaff *s = o->staff[i];
        const char *p[6] = {s->staff_id,
                            s->name,
                            s->department_code,
                            s->role,
                            s->inactive ? "false" : "true",
                            s->chief_delegate ? "true" : "false"};
        if (s_put_row(db, "routing_org_put_staff", 6, p, "staff", i, violations, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < o->n_posts; i++) {
        const Onewindow__V1__OrgPost *q = o->posts[i];
        const char *p[6] = {q->post_code, q->department_code, q->name,
                            q->a_holder,  q->b_holder,        q->is_default ? "true" : "false"};
        if (s_put_row(db, "routing_org_put_post", 6, p, "posts", i, violations, err) < 0)
            return -1;
    }
    return 0;
}

int routing_org_put(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                    size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__Organisation *o = NULL;
    uint8_t *payload = NULL, *packed = NULL;
    size_t payload_len = 0, packed_len = 0;
    *reply = NULL;
    *reply_len = 0;
    actor = actor ? actor : "";
    if (!ow_text_graphic(key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_METHOD " needs an idempotency key");
        return -1;
    }
    if (len > ROUTING_ORG_MAX_BYTES ||
        !(o = onewindow__v1__organisation__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.Organisation (at most %d bytes)",
                     ROUTING_ORG_MAX_BYTES);
        return -1;
    }
    size_t rows = o->n_centres + o->n_departments + o->n_staff + o->n_posts;
    if (rows == 0 || rows > ROUTING_ORG_ROWS_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_METHOD " takes 1-%d rows, not %zu",
                     ROUTING_ORG_ROWS_MAX, rows);
        goto out;
    }
    if (ow_db_begin(db, err) < 0)
        goto out;
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0 || routing_may_manage_org(&who.actor, err) < 0)
        goto done;
    /* Every row's own fields first: all problems at once, nothing written. */
    for (size_t i = 0; i < o->n_centres; i++) {
        const Onewindow__V1__OrgCentre *c = o->centres[i];
        char buf[32];
        int failed = 0;
        const char *parent_level =
            c->parent_id[0] ? s_parent_level(db, o, c->parent_id, buf, sizeof buf, err, &failed)
                            : NULL;
        if (failed)
            goto done;
        routing_centre_t rc_ = {c->centre_id, c->name, c->level, c->parent_id};
        routing_centre_check(&rc_, parent_level, i, err);
    }
    for (size_t i = 0; i < o->n_departments; i++) {
        routing_department_t d = {o->departments[i]->code, o->departments[i]->name,
                                  o->departments[i]->centre_id};
        routing_department_check(&d, i, err);
    }
    for (size_t i = 0; i < o->n_staff; i++) {
        routing_staff_t s = {o->staff[i]->staff_id, o->staff[i]->name, o->staff[i]->department_code,
                             o->staff[i]->role};
        routing_staff_check(&s, i, err);
    }
    for (size_t i = 0; i < o->n_posts; i++) {
        routing_post_t p = {o->posts[i]->post_code, o->posts[i]->department_code, o->posts[i]->name,
                            o->posts[i]->a_holder, o->posts[i]->b_holder};
        routing_post_check(&p, i, err);
    }
    if (ow_error_finish_violations(err) < 0)
        goto done;
    /* Then what the database knows (references, one default post): still all at once. */
    if (s_write_all(db, o, err, err) < 0 || ow_error_finish_violations(err) < 0)
        goto done;
    int64_t now_us = ow_clock_now_us();
    unsigned moved = 0;
    /* A post's holders or a holder's standing changed: its open work follows (DOMAIN §4). */
    for (size_t i = 0; i < o->n_posts; i++)
        if (routing_rehold_post(db, o->posts[i]->post_code, now_us, keep_until_done, actor,
                                "the post's holders changed", &moved, err) < 0)
            goto done;
    for (size_t i = 0; i < o->n_staff; i++)
        if (routing_rehold_staff(db, o->staff[i]->staff_id, now_us, keep_until_done, actor,
                                 "the holder's standing changed", &moved, err) < 0)
            goto done;
    Onewindow__V1__OrganisationChanged ch = ONEWINDOW__V1__ORGANISATION_CHANGED__INIT;
    ch.centres = (uint32_t)o->n_centres;
    ch.departments = (uint32_t)o->n_departments;
    ch.staff = (uint32_t)o->n_staff;
    ch.posts = (uint32_t)o->n_posts;
    ch.changed_by = (char *)actor;
    ch.changed_at_us = now_us;
    ch.tasks_moved = moved;
    if (ow_pack(&ch.base, &payload, &payload_len, err) < 0 ||
        ow_outbox_add(db, "organisation.changed", NULL, NULL, now_us, payload, payload_len, err) <
            0)
        goto done;
    char at[32], summary[160];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    snprintf(summary, sizeof summary, "%zu centres, %zu departments, %zu staff, %zu posts",
             o->n_centres, o->n_departments, o->n_staff, o->n_posts);
    const char *log[5] = {at, actor, "org.put", summary, key};
    PGresult *res = ow_db_exec(db, "routing_org_change", 5, log, err);
    if (!res)
        goto done;
    PQclear(res);
    if (ow_rpc_pack_reply(NULL, payload, payload_len, &packed, &packed_len) < 0) {
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
        goto done;
    }
    if (ow_idem_save(db, key, S_METHOD, request, len, packed, packed_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "organisation changed", "by", actor, "rows", summary, NULL);
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    free(packed);
    free(payload);
    onewindow__v1__organisation__free_unpacked(o, NULL);
    return rc;
}

uint8_t *routing_org_get(ow_db_t *db, const uint8_t *request, size_t len, size_t *out_len,
                         ow_error_t *err)
{
    Onewindow__V1__GetOrganisation *req = NULL;
    PGresult *res[4] = {NULL, NULL, NULL, NULL};
    Onewindow__V1__OrgCentre *c = NULL, **cp = NULL;
    Onewindow__V1__OrgDepartment *d = NULL, **dp = NULL;
    Onewindow__V1__OrgStaff *s = NULL, **sp = NULL;
    Onewindow__V1__OrgPost *p = NULL, **pp = NULL;
    uint8_t *out = NULL;
    if (len > 1024 || !(req = onewindow__v1__get_organisation__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.GetOrganisation");
        return NULL;
    }
    if (req->department_code[0] && !routing_id_valid(req->department_code)) {
        ow_error_add_violation(err, "department_code", "must be empty or a department code");
        ow_error_finish_violations(err);
        goto done;
    }
    static const char *const stmts[4] = {"routing_org_get_centres", "routing_org_get_departments",
                                         "routing_org_get_staff", "routing_org_get_posts"};
    const char *param[1] = {req->department_code};
    for (int i = 0; i < 4; i++)
        if (!(res[i] = ow_db_exec(db, stmts[i], i == 0 ? 0 : 1, i == 0 ? NULL : param, err)))
            goto done;
    size_t nc = (size_t)PQntuples(res[0]), nd = (size_t)PQntuples(res[1]),
           ns = (size_t)PQntuples(res[2]), np = (size_t)PQntuples(res[3]);
    c = calloc(nc + 1, sizeof *c);
    cp = calloc(nc + 1, sizeof *cp);
    d = calloc(nd + 1, sizeof *d);
    dp = calloc(nd + 1, sizeof *dp);
    s = calloc(ns + 1, sizeof *s);
    sp = calloc(ns + 1, sizeof *sp);
    p = calloc(np + 1, sizeof *p);
    pp = calloc(np + 1, sizeof *pp);
    if (!c || !cp || !d || !dp || !s || !sp || !p || !pp) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading the organisation");
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        onewindow__v1__org_centre__init(&c[i]);
        c[i].centre_id = PQgetvalue(res[0], (int)i, 0);
        c[i].name = PQgetvalue(res[0], (int)i, 1);
        c[i].level = PQgetvalue(res[0], (int)i, 2);
        c[i].parent_id = PQgetvalue(res[0], (int)i, 3);
        cp[i] = &c[i];
    }
    for (size_t i = 0; i < nd; i++) {
        onewindow__v1__org_department__init(&d[i]);
        d[i].code = PQgetvalue(res[1], (int)i, 0);
        d[i].name = PQgetvalue(res[1], (int)i, 1);
        d[i].centre_id = PQgetvalue(res[1], (int)i, 2);
        dp[i] = &d[i];
    }
    for (size_t i = 0; i < ns; i++) {
        onewindow__v1__org_staff__init(&s[i]);
        s[i].staff_id = PQgetvalue(res[2], (int)i, 0);
        s[i].name = PQgetvalue(res[2], (int)i, 1);
        s[i].department_code = PQgetvalue(res[2], (int)i, 2);
        s[i].role = PQgetvalue(res[2], (int)i, 3);
        s[i].inactive = PQgetvalue(res[2], (int)i, 4)[0] == 't';
        s[i].chief_delegate = PQgetvalue(res[2], (int)i, 5)[0] == 't';
        sp[i] = &s[i];
    }
    for (size_t i = 0; i < np; i++) {
        onewindow__v1__org_post__init(&p[i]);
        p[i].post_code = PQgetvalue(res[3], (int)i, 0);
        p[i].department_code = PQgetvalue(res[3], (int)i, 1);
        p[i].name = PQgetvalue(res[3], (int)i, 2);
        p[i].a_holder = PQgetvalue(res[3], (int)i, 3);
        p[i].b_holder = PQgetvalue(res[3], (int)i, 4);
        p[i].is_default = PQgetvalue(res[3], (int)i, 5)[0] == 't';
        pp[i] = &p[i];
    }
    Onewindow__V1__Organisation o = ONEWINDOW__V1__ORGANISATION__INIT;
    o.n_centres = nc;
    o.centres = cp;
    o.n_departments = nd;
    o.departments = dp;
    o.n_staff = ns;
    o.staff = sp;
    o.n_posts = np;
    o.posts = pp;
    if (ow_pack(&o.base, &out, out_len, err) < 0)
        out = NULL;
done:
    free(c);
    free(cp);
    free(d);
    free(dp);
    free(s);
    free(sp);
    free(p);
    free(pp);
    for (int i = 0; i < 4; i++)
        PQclear(res[i]);
    onewindow__v1__get_organisation__free_unpacked(req, NULL);
    return out;
}
