#include "absence_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "decision.h"
#include "extension.h"
#include "organisation.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ow_pgarray.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "post_store.h"
#include "substitution.h"
#include "task_store.h"
#include "onewindow/v1/routing.pb-c.h"

#define S_OPEN_STATES "('open', 'suspended', 'extension_requested')"
#define S_ABSENCE_COLUMNS                                                                          \
    "absence_id, staff_id, kind, ts_to_us(start_at), ts_to_us(end_at), reason, recorded_by,"       \
    " coalesce(overridden_by, ''), start_applied, end_applied"
/* How many absences one sweep applies (bounded work per transaction). */
#define S_SWEEP_MAX "100"
/* Posts one absence may concern, and absences of one post's people, read at most. */
#define S_POSTS_MAX  64
#define S_OTHERS_MAX 256
/* Chief representatives (and delegates) of a department plus supervisors considered. */
#define S_FALLBACKS_MAX 64

int routing_absence_store_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t statements[] = {
        {"routing_abs_post_tasks",
         "SELECT task_id, assignee FROM tasks WHERE post_code = $1 AND state IN " S_OPEN_STATES
         " AND assignee IS NOT NULL ORDER BY created_at, task_id FOR UPDATE"},
        {"routing_abs_staff_posts",
         "SELECT post_code FROM posts WHERE a_holder = $1 OR b_holder = $1"
         " UNION SELECT post_code FROM tasks WHERE assignee = $1 AND state IN " S_OPEN_STATES
         " AND post_code IS NOT NULL ORDER BY 1 LIMIT 64"},
        {"routing_abs_staff", "SELECT department_code FROM staff WHERE staff_id = $1"},
        /* The posts an absence concerns, with EVERY active chief representative (or delegate)
         * of the department and every active supervisor: the fallbacks of substitution.h. */
        {"routing_abs_posts_of",
         "SELECT p.post_code, p.a_holder, coalesce(p.b_holder, ''),"
         "       coalesce((SELECT string_agg(x.staff_id, ',' ORDER BY x.staff_id) FROM staff x"
         "                  WHERE x.department_code = p.department_code AND x.active"
         "                    AND (x.role = 'chief_representative' OR x.chief_delegate)), ''),"
         "       coalesce((SELECT string_agg(x.staff_id, ',' ORDER BY x.staff_id) FROM staff x"
         "                  WHERE x.role = 'supervisor' AND x.active), '')"
         "  FROM posts p"
         " WHERE p.a_holder = $1 OR p.b_holder = $1 ORDER BY p.post_code LIMIT 64"},
        {"routing_abs_overlapping",
         "SELECT staff_id, ts_to_us(start_at), ts_to_us(end_at) FROM absences"
         " WHERE staff_id = ANY ($1::text[]) AND end_at > us_to_ts($2) AND start_at < us_to_ts($3)"
         " ORDER BY start_at LIMIT 256"},
        {"routing_abs_insert",
         "INSERT INTO absences (staff_id, kind, start_at, end_at, recorded_by, overridden_by,"
         "  reason, recorded_at, start_applied, end_applied)"
         " VALUES ($1, $2, us_to_ts($3), us_to_ts($4), $5, nullif($6, ''), $7, us_to_ts($8),"
         "  $9, $10) RETURNING " S_ABSENCE_COLUMNS},
        {"routing_abs_get", "SELECT " S_ABSENCE_COLUMNS " FROM absences WHERE absence_id = $1"
                            " FOR UPDATE"},
        {"routing_abs_end",
         "UPDATE absences SET end_at = us_to_ts($2), ended_by = $3, start_applied = true,"
         "  end_applied = true WHERE absence_id = $1 RETURNING " S_ABSENCE_COLUMNS},
        {"routing_abs_due",
         "SELECT absence_id FROM absences"
         " WHERE (NOT start_applied AND start_at <= us_to_ts($1))"
         "    OR (NOT end_applied AND end_at <= us_to_ts($1))"
         " ORDER BY start_at, absence_id LIMIT " S_SWEEP_MAX " FOR UPDATE SKIP LOCKED"},
        {"routing_abs_mark",
         "UPDATE absences SET start_applied = start_applied OR start_at <= us_to_ts($2),"
         "  end_applied = end_applied OR end_at <= us_to_ts($2) WHERE absence_id = $1"
         " RETURNING " S_ABSENCE_COLUMNS},
        {"routing_org_change", "INSERT INTO org_changes (at, actor, action, subject, detail)"
                               " VALUES (us_to_ts($1), $2, $3, $4, $5)"},
    };
    if (OW_DB_PREPARE_ALL(db, statements, err) != 0)
        return -1;
    if (routing_task_store_prepare(db, err) < 0)
        return -1;
    return routing_post_store_prepare(db, err);
}

/* Packs msg into the outbox as type. Returns 0 or -1 with err. */
static int s_emit(ow_db_t *db, const char *type, const ProtobufCMessage *msg, const char *case_no,
                  const char *centre_id, int64_t now_us, ow_error_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (ow_pack(msg, &bytes, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, case_no, centre_id, now_us, bytes, len, err);
    free(bytes);
    return rc;
}

static int s_change_log(ow_db_t *db, int64_t now_us, const char *actor, const char *action,
                        const char *subject, const char *detail, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *p[5] = {at, actor, action, subject, detail ? detail : ""};
    PGresult *res = ow_db_exec(db, "routing_org_change", 5, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* One task moved to holder: updated, audited, emitted. Returns 0 or -1 with err. */
static int s_move_task(ow_db_t *db, const char *task_id, const routing_holder_t *holder,
                       int64_t now_us, const char *actor, const char *reason, ow_error_t *err)
{
    int rc = -1;
    routing_tasks_t *task = routing_task_load(db, task_id, true, err), *stored = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!task)
        goto done;
    const Onewindow__V1__Task *t = routing_tasks_get(task, 0);
    Onewindow__V1__Task next = *t;
    next.assignee = (char *)holder->holder;
    next.on_behalf_of = (char *)holder->on_behalf_of;
    stored = routing_task_update(db, &next, err);
    if (!stored)
        goto done;
    const Onewindow__V1__Task *after_task = routing_tasks_get(stored, 0);
    char before[ROUTING_TASK_DESCRIBE_SIZE], after[ROUTING_TASK_DESCRIBE_SIZE];
    routing_task_describe(t, before, sizeof before);
    routing_task_describe(after_task, after, sizeof after);
    /* DOMAIN §4: B acts on A's behalf and the record shows both. */
    if (routing_audit_append(db, now_us, actor, holder->on_behalf_of, "task.reassigned", t->task_id,
                             t->case_no, reason, before, after, err) < 0)
        goto done;
    if (ow_pack(&after_task->base, &bytes, &len, err) < 0 ||
        ow_outbox_add(db, "task.updated", t->case_no, routing_tasks_centre(task, 0), now_us, bytes,
                      len, err) < 0)
        goto done;
    rc = 0;
done:
    free(bytes);
    routing_tasks_destroy(&stored);
    routing_tasks_destroy(&task);
    return rc;
}

int routing_rehold_post(ow_db_t *db, const char *post_code, int64_t now_us, bool keep_until_done,
                        const char *actor, const char *reason, unsigned *moved, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    routing_post_view_row_t row;
    int found = routing_post_view_load(db, post_code, now_us, &row, err);
    if (found <= 0)
        return found;
    const char *p[1] = {post_code};
    res = ow_db_exec(db, "routing_abs_post_tasks", 1, p, err);
    if (!res)
        goto done;
    for (int i = 0; i < PQntuples(res); i++) {
        routing_holder_t to;
        bool change = false;
        ow_error_t chain;
        ow_error_clear(&chain);
        if (routing_post_rehold(&row.view, PQgetvalue(res, i, 1), keep_until_done, &to, &change,
                                &chain) < 0) {
            /* Nobody in the chain is there (an absence recorded before the rules, or staff
             * made inactive): the work stays where it is rather than vanish. */
            ow_log_kv(OW_LOG_WARN, "post left without anyone: work stays", "post_code", post_code,
                      "error", chain.message, NULL);
            break;
        }
        if (!change)
            continue;
        if (s_move_task(db, PQgetvalue(res, i, 0), &to, now_us, actor, reason, err) < 0)
            goto done;
        (*moved)++;
    }
    rc = 0;
done:
    PQclear(res);
    return rc;
}

int routing_rehold_staff(ow_db_t *db, const char *staff_id, int64_t now_us, bool keep_until_done,
                         const char *actor, const char *reason, unsigned *moved, ow_error_t *err)
{
    const char *p[1] = {staff_id};
    PGresult *res = ow_db_exec(db, "routing_abs_staff_posts", 1, p, err);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        rc = routing_rehold_post(db, PQgetvalue(res, i, 0), now_us, keep_until_done, actor, reason,
                                 moved, err);
    PQclear(res);
    return rc;
}

/* The Absence message of row 0 of res (strings point into res). */
static void s_absence_from(PGresult *res, Onewindow__V1__Absence *a)
{
    onewindow__v1__absence__init(a);
    a->absence_id = PQgetvalue(res, 0, 0);
    a->staff_id = PQgetvalue(res, 0, 1);
    a->kind = PQgetvalue(res, 0, 2);
    a->start_at_us = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    a->end_at_us = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    a->reason = PQgetvalue(res, 0, 5);
    a->recorded_by = PQgetvalue(res, 0, 6);
    a->overridden_by = PQgetvalue(res, 0, 7);
    a->started = PQgetvalue(res, 0, 8)[0] == 't';
    a->ended = PQgetvalue(res, 0, 9)[0] == 't';
}

/* DOMAIN §4: "a post is never left without someone" — every post the absentee holds (A or B)
 * is checked with substitution.h against the absences already recorded of its people. */
static int s_posts_allow(ow_db_t *db, const routing_absence_t *absence, bool override,
                         ow_error_t *err)
{
    int rc = -1;
    PGresult *posts = NULL, *others = NULL;
    ow_pgarray_t *ids = NULL;
    const char *p[1] = {absence->staff_id};
    posts = ow_db_exec(db, "routing_abs_posts_of", 1, p, err);
    if (!posts)
        goto done;
    char from[32], to[32];
    snprintf(from, sizeof from, "%" PRId64, absence->start_us);
    snprintf(to, sizeof to, "%" PRId64, absence->end_us);
    for (int i = 0; i < PQntuples(posts); i++) {
        /* A, B, then the fallbacks: every chief representative, then every supervisor. */
        const char *fallbacks[S_FALLBACKS_MAX];
        size_t n_fallbacks = 0;
        char lists[2][S_FALLBACKS_MAX * 66];
        for (int col = 3; col <= 4; col++) {
            char *list = lists[col - 3];
            snprintf(list, sizeof lists[0], "%s", PQgetvalue(posts, i, col));
            for (char *id = list; *id && n_fallbacks < S_FALLBACKS_MAX;) {
                char *comma = strchr(id, ',');
                if (comma)
                    *comma = '\0';
                fallbacks[n_fallbacks++] = id;
                if (!comma)
                    break;
                id = comma + 1;
            }
        }
        ow_pgarray_destroy(&ids);
        if (!(ids = ow_pgarray_new()) || ow_pgarray_add_text(ids, PQgetvalue(posts, i, 1)) < 0 ||
            ow_pgarray_add_text(ids, PQgetvalue(posts, i, 2)) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory checking an absence");
            goto done;
        }
        for (size_t f = 0; f < n_fallbacks; f++)
            if (ow_pgarray_add_text(ids, fallbacks[f]) < 0) {
                ow_error_set(err, OW_INTERNAL, "out of memory checking an absence");
                goto done;
            }
        const char *q[3] = {ow_pgarray_text(ids), from, to};
        if (!q[0]) {
            ow_error_set(err, OW_INTERNAL, "out of memory checking an absence");
            goto done;
        }
        PQclear(others);
        others = ow_db_exec(db, "routing_abs_overlapping", 3, q, err);
        if (!others)
            goto done;
        routing_absence_t list[S_OTHERS_MAX];
        size_t n = 0;
        for (int j = 0; j < PQntuples(others) && n < S_OTHERS_MAX; j++, n++) {
            list[n].staff_id = PQgetvalue(others, j, 0);
            list[n].start_us = strtoll(PQgetvalue(others, j, 1), NULL, 10);
            list[n].end_us = strtoll(PQgetvalue(others, j, 2), NULL, 10);
        }
        if (routing_absence_allowed(absence, PQgetvalue(posts, i, 0), PQgetvalue(posts, i, 1),
                                    PQgetvalue(posts, i, 2), fallbacks, n_fallbacks, list, n,
                                    override, err) < 0)
            goto done;
    }
    rc = 0;
done:
    ow_pgarray_destroy(&ids);
    PQclear(others);
    PQclear(posts);
    return rc;
}

/* Packs AbsenceReply into a Reply and saves it under key. Returns 0 with *reply or -1. */
static int s_answer(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                    size_t len, Onewindow__V1__Absence *a, unsigned moved, uint8_t **reply,
                    size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__AbsenceReply ar = ONEWINDOW__V1__ABSENCE_REPLY__INIT;
    ar.absence = a;
    ar.tasks_moved = moved;
    uint8_t *payload = NULL, *packed = NULL;
    size_t payload_len = 0, packed_len = 0;
    int rc = -1;
    if (ow_pack(&ar.base, &payload, &payload_len, err) < 0)
        goto done;
    if (ow_rpc_pack_reply(NULL, payload, payload_len, &packed, &packed_len) < 0) {
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
        goto done;
    }
    if (ow_idem_save(db, key, method, request, len, packed, packed_len, err) < 0)
        goto done;
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    free(packed);
    free(payload);
    return rc;
}

/* Begins the transaction and answers a repeat: returns 1 (*reply set, rolled back), 0 (go
 * on, transaction open), -1 with err (rolled back). */
static int s_begin(ow_db_t *db, const char *key, const char *method, const uint8_t *request,
                   size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    if (ow_db_begin(db, err) < 0)
        return -1;
    int found = ow_idem_find(db, key, method, request, len, reply, reply_len, err);
    if (found != 0)
        ow_db_rollback(db);
    return found;
}

int routing_absence_record(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                           size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                           ow_error_t *err)
{
    static const char method[] = "routing.record_absence";
    int rc = -1;
    Onewindow__V1__Absence *req = NULL;
    PGresult *res = NULL, *row = NULL;
    *reply = NULL;
    *reply_len = 0;
    actor = actor ? actor : "";
    if (!ow_text_graphic(key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > ROUTING_ABSENCE_MAX_BYTES ||
        !(req = onewindow__v1__absence__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.Absence");
        return -1;
    }
    int64_t now_us = ow_clock_now_us();
    /* "Ahead of time or at once": no start means now. */
    int64_t start_us = req->start_at_us ? req->start_at_us : now_us;
    if (routing_absence_check(req->staff_id, req->kind, start_us, req->end_at_us, req->reason,
                              err) > 0) {
        ow_error_finish_violations(err);
        goto out;
    }
    int found = s_begin(db, key, method, request, len, reply, reply_len, err);
    if (found != 0) {
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0)
        goto done;
    const char *p[1] = {req->staff_id};
    if (!(res = ow_db_exec(db, "routing_abs_staff", 1, p, err)))
        goto done;
    /* Permission first (a stranger learns nothing of who exists), then the staff member. */
    const char *dept = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
    if (routing_may_record_absence(&who.actor, req->staff_id, dept, req->supervisor_override, err) <
        0)
        goto done;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "no member of staff %s", req->staff_id);
        goto done;
    }
    routing_absence_t absence = {
        .staff_id = req->staff_id, .start_us = start_us, .end_us = req->end_at_us};
    if (s_posts_allow(db, &absence, req->supervisor_override, err) < 0)
        goto done;
    bool started = start_us <= now_us, ended = req->end_at_us <= now_us;
    char s_start[32], s_end[32], s_now[32];
    snprintf(s_start, sizeof s_start, "%" PRId64, start_us);
    snprintf(s_end, sizeof s_end, "%" PRId64, req->end_at_us);
    snprintf(s_now, sizeof s_now, "%" PRId64, now_us);
    const char *ins[10] = {req->staff_id,
                           req->kind,
                           s_start,
                           s_end,
                           actor,
                           req->supervisor_override ? actor : "",
                           req->reason,
                           s_now,
                           started ? "true" : "false",
                           ended ? "true" : "false"};
    if (!(row = ow_db_exec(db, "routing_abs_insert", 10, ins, err)))
        goto done;
    Onewindow__V1__Absence a;
    s_absence_from(row, &a);
    unsigned moved = 0;
    /* Recorded as already started: A hands over now (DOMAIN §4). One already over moves
     * nothing. */
    if (started && !ended &&
        routing_rehold_staff(db, req->staff_id, now_us, keep_until_done, actor,
                             "absence started: work goes to the substitute", &moved, err) < 0)
        goto done;
    char detail[160];
    snprintf(detail, sizeof detail, "%s of %s%s", a.kind, a.staff_id,
             req->supervisor_override ? "; supervisor override" : "");
    if (s_change_log(db, now_us, actor, "absence.recorded", a.absence_id, detail, err) < 0 ||
        s_emit(db, "absence.recorded", &a.base, NULL, NULL, now_us, err) < 0)
        goto done;
    if (started && !ended && s_emit(db, "absence.started", &a.base, NULL, NULL, now_us, err) < 0)
        goto done;
    if (s_answer(db, key, method, request, len, &a, moved, reply, reply_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "absence recorded", "absence_id", a.absence_id, "staff_id", a.staff_id,
              "by", actor, NULL);
    rc = 0;
done:
    if (rc < 0) {
        ow_db_rollback(db);
        free(*reply);
        *reply = NULL;
    }
out:
    PQclear(row);
    PQclear(res);
    if (req)
        onewindow__v1__absence__free_unpacked(req, NULL);
    return rc;
}

int routing_absence_end(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                        size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                        ow_error_t *err)
{
    static const char method[] = "routing.end_absence";
    int rc = -1;
    Onewindow__V1__EndAbsence *req = NULL;
    PGresult *res = NULL, *staff = NULL, *row = NULL;
    *reply = NULL;
    *reply_len = 0;
    actor = actor ? actor : "";
    if (!ow_text_graphic(key, ROUTING_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > ROUTING_ABSENCE_MAX_BYTES ||
        !(req = onewindow__v1__end_absence__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.EndAbsence");
        return -1;
    }
    if (!routing_uuid_valid(req->absence_id))
        ow_error_add_violation(err, "absence_id", "must be an absence id (a UUID)");
    if (!ow_text_valid(req->reason, ROUTING_REASON_MAX))
        ow_error_add_violation(err, "reason", "must be UTF-8 of at most %d bytes",
                               ROUTING_REASON_MAX);
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int found = s_begin(db, key, method, request, len, reply, reply_len, err);
    if (found != 0) {
        rc = found > 0 ? 0 : -1;
        goto out;
    }
    const char *p[1] = {req->absence_id};
    if (!(res = ow_db_exec(db, "routing_abs_get", 1, p, err)))
        goto done;
    routing_actor_row_t who;
    if (routing_actor_load(db, actor, &who, err) < 0)
        goto done;
    const char *staff_id = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "";
    const char *sp[1] = {staff_id};
    if (!(staff = ow_db_exec(db, "routing_abs_staff", 1, sp, err)))
        goto done;
    const char *dept = PQntuples(staff) == 1 ? PQgetvalue(staff, 0, 0) : "";
    if (PQntuples(res) != 1) {
        /* Only someone who may record absences at all learns that this one does not exist. */
        if (!who.actor.active) {
            ow_error_set(err, OW_PERMISSION_DENIED, "the caller is not active staff");
            goto done;
        }
        ow_error_set(err, OW_NOT_FOUND, "no absence %s", req->absence_id);
        goto done;
    }
    if (routing_may_record_absence(&who.actor, staff_id, dept, false, err) < 0)
        goto done;
    int64_t now_us = ow_clock_now_us();
    int64_t start_us = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    int64_t end_us = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    if (end_us <= now_us) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "absence %s is already over", req->absence_id);
        goto done;
    }
    /* Back early: the absence ends now; one not started yet is withdrawn (its stretch shrinks
     * to a microsecond at its start, so it never takes effect). */
    int64_t new_end = now_us > start_us ? now_us : start_us + 1;
    char s_end[32];
    snprintf(s_end, sizeof s_end, "%" PRId64, new_end);
    const char *u[3] = {req->absence_id, s_end, actor};
    if (!(row = ow_db_exec(db, "routing_abs_end", 3, u, err)))
        goto done;
    Onewindow__V1__Absence a;
    s_absence_from(row, &a);
    unsigned moved = 0;
    /* DOMAIN §4: "B hands back on return" (or keeps until done: routing.return_on_comeback). */
    if (routing_rehold_staff(db, staff_id, now_us, keep_until_done, actor,
                             req->reason[0] ? req->reason : "absence ended: work handed back",
                             &moved, err) < 0)
        goto done;
    if (s_change_log(db, now_us, actor, "absence.ended", a.absence_id, req->reason, err) < 0 ||
        s_emit(db, "absence.ended", &a.base, NULL, NULL, now_us, err) < 0 ||
        s_answer(db, key, method, request, len, &a, moved, reply, reply_len, err) < 0 ||
        ow_db_commit(db, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0) {
        ow_db_rollback(db);
        free(*reply);
        *reply = NULL;
    }
out:
    PQclear(row);
    PQclear(staff);
    PQclear(res);
    if (req)
        onewindow__v1__end_absence__free_unpacked(req, NULL);
    return rc;
}

int routing_absence_sweep(ow_db_t *db, int64_t now_us, bool keep_until_done, ow_error_t *err)
{
    int rc = -1, applied = 0;
    PGresult *due = NULL;
    char s_now[32];
    snprintf(s_now, sizeof s_now, "%" PRId64, now_us);
    if (ow_db_begin(db, err) < 0)
        return -1;
    const char *p[1] = {s_now};
    if (!(due = ow_db_exec(db, "routing_abs_due", 1, p, err)))
        goto done;
    for (int i = 0; i < PQntuples(due); i++) {
        const char *m[2] = {PQgetvalue(due, i, 0), s_now};
        PGresult *row = ow_db_exec(db, "routing_abs_mark", 2, m, err);
        if (!row)
            goto done;
        Onewindow__V1__Absence a;
        s_absence_from(row, &a);
        bool over = a.end_at_us <= now_us;
        unsigned moved = 0;
        const char *why = over ? "absence ended: work handed back"
                               : "absence started: work goes to the substitute";
        int r = routing_rehold_staff(db, a.staff_id, now_us, keep_until_done, "routingd", why,
                                     &moved, err);
        if (r == 0)
            r = s_change_log(db, now_us, "routingd", over ? "absence.ended" : "absence.started",
                             a.absence_id, why, err);
        if (r == 0)
            r = s_emit(db, over ? "absence.ended" : "absence.started", &a.base, NULL, NULL, now_us,
                       err);
        PQclear(row);
        if (r < 0)
            goto done;
        applied++;
    }
    if (ow_db_commit(db, err) < 0)
        goto done;
    rc = applied;
done:
    if (rc < 0)
        ow_db_rollback(db);
    PQclear(due);
    return rc;
}
