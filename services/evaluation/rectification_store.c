/* rectification_store — see rectification_store.h. */
#include "rectification_store.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_clock.h"
#include "ow_idem.h"
#include "ow_text.h"
#include "ratings.h"
#include "rectification.h"
#include "rollup_applier.h"
#include "rollups.h"
#include "sql_arrays.h"

#define S_METHOD_ACT   "evaluation.act_on_ticket"
#define S_METHOD_ROLES "evaluation.put_staff_roles"
#define S_KEY_MAX      200
#define S_ROLES_MAX    1000
#define S_ADMINS_MAX   1024

/* The ticket's columns as every reader wants them; the due time is deadlined's answer to the
 * timer command (0 until it answered), the last step's action and actor from the history. */
#define S_TICKET_SELECT                                                                            \
    "SELECT t.ticket_id, t.case_no, t.department_code, t.centre_id, t.staff_id, t.grade,"          \
    " t.anonymous, t.state, t.classification, t.opened_at_us,"                                     \
    " COALESCE((SELECT c.due_at_us FROM timer_commands c WHERE c.timer_key ="                      \
    "  'evaluation:" TIMER_RECTIFY_DUE ":' || t.ticket_id), 0), t.overdue, t.verify_note,"         \
    " t.rectify_note, t.rectified_at_us, t.rater_told_at_us, t.revisit_grade, t.revisit_note,"     \
    " t.closed_at_us, t.appeal_reason, t.appeal_note, t.appeal_by, t.appeal_decision,"             \
    " t.appeal_decided_by, t.appeal_decision_note, t.updated_at_us, t.version, t.appeal_from,"     \
    " t.rectify_working_days, a.action, a.actor"                                                   \
    " FROM rectification_tickets t JOIN rectification_actions a"                                   \
    " ON a.ticket_id = t.ticket_id AND a.version = t.version"

static const ow_db_statement_t s_statements[] = {
    /* One statement per batch of ratings: the tickets, their first step, their deadline timer
     * (relative: deadlined counts the working days on the centre's calendar). */
    {"evaluation_rect_open",
     "WITH t AS (INSERT INTO rectification_tickets (ticket_id, case_no, department_code,"
     " centre_id, staff_id, grade, anonymous, state, opened_at_us, updated_at_us,"
     " rectify_working_days)"
     " SELECT rating_id, case_no, department_code, centre_id, staff_id, grade, anonymous, 'open',"
     " $2::bigint, $2::bigint, $3::int FROM ratings WHERE case_no = ANY ($1::text[]) AND is_bad"
     " AND NOT is_default ORDER BY rating_id ON CONFLICT (ticket_id) DO NOTHING"
     " RETURNING ticket_id, case_no, centre_id, opened_at_us),"
     " a AS (INSERT INTO rectification_actions (ticket_id, version, action, at_us, to_state)"
     " SELECT ticket_id, 1, 'open', opened_at_us, 'open' FROM t)"
     " INSERT INTO timer_commands (timer_key, kind, case_no, centre_id, due_at_us, op,"
     " start_at_us, amount, unit)"
     " SELECT 'evaluation:" TIMER_RECTIFY_DUE ":' || ticket_id, '" TIMER_RECTIFY_DUE "', case_no,"
     " centre_id, 0, 'schedule', opened_at_us, $3::int, 'working_days' FROM t"
     " ON CONFLICT (timer_key) DO NOTHING"},
    {"evaluation_rect_lock", S_TICKET_SELECT " WHERE t.ticket_id = $1::uuid FOR UPDATE OF t"},
    {"evaluation_rect_get", S_TICKET_SELECT " WHERE t.ticket_id = $1::uuid"},
    {"evaluation_rect_get_case", S_TICKET_SELECT " WHERE t.case_no = $1"},
    {"evaluation_rect_update",
     "UPDATE rectification_tickets SET state = $2, version = version + 1, updated_at_us = $3,"
     " classification = CASE WHEN $4 = 'classify' THEN $5 ELSE classification END,"
     " verify_note = CASE WHEN $4 = 'verify' THEN $6 ELSE verify_note END,"
     " rectify_note = CASE WHEN $4 = 'rectify' THEN $6 ELSE rectify_note END,"
     " rectified_at_us = CASE WHEN $4 = 'rectify' THEN $3 ELSE rectified_at_us END,"
     " rater_told_at_us = CASE WHEN $4 = 'tell_rater' THEN $3 ELSE rater_told_at_us END,"
     " revisit_grade = CASE WHEN $4 = 'revisit' THEN $7::smallint ELSE revisit_grade END,"
     " revisit_note = CASE WHEN $4 = 'revisit' THEN $6 ELSE revisit_note END,"
     " closed_at_us = CASE WHEN $4 IN ('close', 'uphold') THEN $3 ELSE closed_at_us END,"
     " appeal_reason = CASE WHEN $4 = 'appeal' THEN $8 ELSE appeal_reason END,"
     " appeal_note = CASE WHEN $4 = 'appeal' THEN $6 ELSE appeal_note END,"
     " appeal_by = CASE WHEN $4 = 'appeal' THEN $9 ELSE appeal_by END,"
     " appeal_from = CASE WHEN $4 = 'appeal' THEN $10 ELSE appeal_from END,"
     " appeal_decision = CASE WHEN $4 IN ('uphold', 'reject') THEN $11 ELSE appeal_decision END,"
     " appeal_decided_by = CASE WHEN $4 IN ('uphold', 'reject') THEN $9"
     "  ELSE appeal_decided_by END,"
     " appeal_decision_note = CASE WHEN $4 IN ('uphold', 'reject') THEN $6"
     "  ELSE appeal_decision_note END,"
     " overdue = overdue OR $4 = 'overdue',"
     " overdue_at_us = CASE WHEN $4 = 'overdue' THEN $3 ELSE overdue_at_us END"
     " WHERE ticket_id = $1::uuid RETURNING version, state"},
    {"evaluation_rect_step",
     "INSERT INTO rectification_actions (ticket_id, version, action, actor, at_us, from_state,"
     " to_state, note) VALUES ($1::uuid, $2::int, $3, $4, $5, $6, $7, $8)"},
    /* The rating's rectified / revisited flag and its 32 roll-up slices, once (§6 rates). Only
     * a valid rating counts; the flag makes a rebuild agree (rollups.c). */
    {"evaluation_rect_flag",
     "UPDATE ratings SET rectified = rectified OR $2::boolean, revisited = revisited OR"
     " $3::boolean WHERE rating_id = $1::uuid AND NOT excluded"
     " AND ((NOT rectified AND $2::boolean) OR (NOT revisited AND $3::boolean))"
     " RETURNING rating_id"},
    {"evaluation_rect_role", "SELECT role, department_code FROM staff_roles WHERE staff_id = $1"},
    {"evaluation_rect_put_roles",
     "INSERT INTO staff_roles (staff_id, role, department_code, updated_by, updated_at_us)"
     " SELECT u.s, u.r, u.d, $4, $5::bigint FROM unnest($1::text[], $2::text[], $3::text[])"
     " AS u(s, r, d) ORDER BY 1"
     " ON CONFLICT (staff_id) DO UPDATE SET role = EXCLUDED.role, department_code ="
     " EXCLUDED.department_code, updated_by = EXCLUDED.updated_by,"
     " updated_at_us = EXCLUDED.updated_at_us"},
};

static int s_working_days = 5;
static char s_admins[S_ADMINS_MAX];

void rectification_set_policy(int rectify_working_days, const char *administrators)
{
    s_working_days = rectify_working_days > 0 ? rectify_working_days : 5;
    snprintf(s_admins, sizeof s_admins, "%s", administrators ? administrators : "");
}

int rectification_store_prepare(ow_db_t *db, ow_error_t *err)
{
    if (OW_DB_PREPARE_ALL(db, s_statements, err) != 0)
        return -1;
    return rollups_prepare_progress(db, err);
}

static int s_exec(ow_db_t *db, const char *name, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int rectification_open_for_cases(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                                 ow_error_t *err)
{
    char now[24], days[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(days, sizeof days, "%d", s_working_days);
    const char *params[] = {case_nos_literal, now, days};
    return s_exec(db, "evaluation_rect_open", 3, params, err);
}

/* ---- a ticket row ---- */

static int64_t s_i64(const PGresult *res, int col)
{
    return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static bool s_bool(const PGresult *res, int col)
{
    return PQgetvalue(res, 0, col)[0] == 't';
}

/* The message borrows res's strings. */
static void s_fill_message(const PGresult *res, Onewindow__V1__RectificationTicket *m)
{
    char **s[] = {&m->ticket_id, &m->case_no, &m->department_code, &m->centre_id, &m->staff_id};
    for (int i = 0; i < 5; i++)
        *s[i] = PQgetvalue(res, 0, i);
    m->grade = (int32_t)s_i64(res, 5);
    m->anonymous = s_bool(res, 6);
    m->state = PQgetvalue(res, 0, 7);
    m->classification = PQgetvalue(res, 0, 8);
    m->opened_at_us = s_i64(res, 9);
    m->due_at_us = s_i64(res, 10);
    m->overdue = s_bool(res, 11);
    m->verify_note = PQgetvalue(res, 0, 12);
    m->rectify_note = PQgetvalue(res, 0, 13);
    m->rectified_at_us = s_i64(res, 14);
    m->rater_told_at_us = s_i64(res, 15);
    m->revisit_grade = (int32_t)s_i64(res, 16);
    m->revisit_note = PQgetvalue(res, 0, 17);
    m->closed_at_us = s_i64(res, 18);
    m->appeal_reason = PQgetvalue(res, 0, 19);
    m->appeal_note = PQgetvalue(res, 0, 20);
    m->appeal_by = PQgetvalue(res, 0, 21);
    m->appeal_decision = PQgetvalue(res, 0, 22);
    m->appeal_decided_by = PQgetvalue(res, 0, 23);
    m->appeal_decision_note = PQgetvalue(res, 0, 24);
    m->updated_at_us = s_i64(res, 25);
    m->version = (int32_t)s_i64(res, 26);
    m->rectify_working_days = (int32_t)s_i64(res, 28);
    m->last_action = PQgetvalue(res, 0, 29);
    m->actor = PQgetvalue(res, 0, 30);
}

static rect_ticket_t s_rules_ticket(const PGresult *res)
{
    rect_ticket_t t = rect_ticket_opened(PQgetvalue(res, 0, 2), s_bool(res, 6));
    t.state = rect_state_parse(PQgetvalue(res, 0, 7));
    t.overdue = s_bool(res, 11);
    snprintf(t.classification, sizeof t.classification, "%s", PQgetvalue(res, 0, 8));
    t.revisit_grade = (int32_t)s_i64(res, 16);
    snprintf(t.appeal_reason, sizeof t.appeal_reason, "%s", PQgetvalue(res, 0, 19));
    snprintf(t.appeal_by, sizeof t.appeal_by, "%s", PQgetvalue(res, 0, 21));
    snprintf(t.appeal_decision, sizeof t.appeal_decision, "%s", PQgetvalue(res, 0, 22));
    t.appealed_once = PQgetvalue(res, 0, 19)[0] != '\0';
    t.appeal_from = *PQgetvalue(res, 0, 27) ? rect_state_parse(PQgetvalue(res, 0, 27)) : RECT_OPEN;
    return t;
}

/* Packs m into a new buffer (caller frees), NULL when out of memory. */
static uint8_t *s_pack_ticket(const Onewindow__V1__RectificationTicket *m, size_t *len)
{
    *len = onewindow__v1__rectification_ticket__get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        onewindow__v1__rectification_ticket__pack(m, buf);
    return buf;
}

/* Packs TicketReply{ticket of res} into a Reply (caller frees). Returns 0 or -1 with err. */
static int s_ticket_reply(const PGresult *res, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__RectificationTicket m = ONEWINDOW__V1__RECTIFICATION_TICKET__INIT;
    s_fill_message(res, &m);
    Onewindow__V1__TicketReply r = ONEWINDOW__V1__TICKET_REPLY__INIT;
    r.ticket = &m;
    size_t len = onewindow__v1__ticket_reply__get_packed_size(&r);
    uint8_t *buf = malloc(len ? len : 1);
    int rc = -1;
    if (buf) {
        onewindow__v1__ticket_reply__pack(&r, buf);
        rc = ow_rpc_pack_reply(NULL, buf, len, reply, reply_len);
    }
    free(buf);
    if (rc != 0)
        ow_error_set(err, OW_INTERNAL, "out of memory packing the ticket");
    return rc;
}

/* Queues event `type` with the ticket as it now is (re-read under the lock held). */
static int s_emit(ow_db_t *db, const char *ticket_id, const char *type, int64_t now_us,
                  PGresult **now_res, ow_error_t *err)
{
    int rc = -1;
    uint8_t *buf = NULL;
    const char *params[] = {ticket_id};
    PGresult *res = ow_db_exec(db, "evaluation_rect_get", 1, params, err);
    if (!res)
        goto cleanup;
    Onewindow__V1__RectificationTicket m = ONEWINDOW__V1__RECTIFICATION_TICKET__INIT;
    s_fill_message(res, &m);
    size_t len = 0;
    buf = s_pack_ticket(&m, &len);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing ticket %s", ticket_id);
        goto cleanup;
    }
    /* The ticket has no field for the rater (DOMAIN.md §6: the identity is protected). */
    if (ow_outbox_add(db, type, m.case_no, m.centre_id, now_us, buf, len, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(buf);
    if (rc == 0 && now_res)
        *now_res = res;
    else
        PQclear(res);
    return rc;
}

int rectification_role_of(ow_db_t *db, const char *caller, rect_role_t *role, char *dept,
                          size_t size, ow_error_t *err)
{
    *role = RECT_ROLE_NONE;
    dept[0] = '\0';
    if (!caller || !*caller)
        return 0;
    /* evaluation.administrators: "a,b,c" — whole ids only. */
    size_t n = strlen(caller);
    for (const char *p = s_admins; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, caller, n) == 0) {
            *role = RECT_ROLE_ADMIN;
            return 0;
        }
        p += len + (end ? 1 : 0);
    }
    const char *params[] = {caller};
    PGresult *res = ow_db_exec(db, "evaluation_rect_role", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        *role = rect_role_parse(PQgetvalue(res, 0, 0));
        snprintf(dept, size, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return 0;
}

static bool s_uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* Checks the key, starts the transaction and looks the key up: 1 = a repeat (*reply set,
 * transaction closed), 0 = go on inside the transaction, -1 = err. */
static int s_begin_keyed(ow_db_t *db, const char *key, const char *method, const uint8_t *payload,
                         size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    /* ARCHITECTURE: every command that changes state carries an idempotency key. */
    if (!key || !*key || strlen(key) > S_KEY_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "%s needs an idempotency key of 1..%d bytes (repeat it to retry safely)",
                     method, S_KEY_MAX);
        return -1;
    }
    if (ow_db_begin(db, err) != 0)
        return -1;
    int found = ow_idem_find(db, key, method, payload, len, reply, reply_len, err);
    if (found != 0)
        ow_db_rollback(db);
    return found;
}

/* The step's effects beyond the ticket row (rectification.h rect_effects_t). */
static int s_effects(ow_db_t *db, const char *ticket_id, const rect_effects_t *fx,
                     const rect_ticket_t *t, const char *note, ow_error_t *err)
{
    if (fx->count_rectified || fx->count_revisited) {
        /* What waits for the roll-up applier is folded before the flag changes, so that the
         * rating counts as it stood and the step's delta follows (rollups.h); an exclusion
         * below holds the applier itself (ratings_exclude). */
        if (rollup_applier_hold(db, err) != 0)
            return -1;
        const char *params[] = {ticket_id, fx->count_rectified ? "true" : "false",
                                fx->count_revisited ? "true" : "false"};
        PGresult *res = ow_db_exec(db, "evaluation_rect_flag", 3, params, err);
        if (!res)
            return -1;
        bool changed = PQntuples(res) == 1;
        PQclear(res);
        if (changed && rollups_apply_progress(db, ticket_id, fx->count_rectified ? 1 : 0,
                                              fx->count_revisited ? 1 : 0, err) != 0)
            return -1;
    }
    if (fx->cancel_deadline) {
        char key[120];
        snprintf(key, sizeof key, "evaluation:" TIMER_RECTIFY_DUE ":%s", ticket_id);
        if (ow_timer_cancel(db, key, err) != 0)
            return -1;
    }
    if (fx->exclude_rating) {
        /* §6: an upheld appeal keeps the rating, excludes it from statistics, records why. */
        char reason[RECT_NOTE_BYTES + 64];
        snprintf(reason, sizeof reason, "appeal upheld (%s): %s", t->appeal_reason, note);
        if (ratings_exclude(db, ticket_id, reason, err) != 0)
            return -1;
    }
    return 0;
}

/* Writes the row and its step for a transition from `from` (by `action`, a rules action name
 * or "overdue"). */
static int s_write_step(ow_db_t *db, const char *ticket_id, const char *action, const char *actor,
                        const rect_ticket_t *t, rect_state_t from, const rect_command_t *cmd,
                        int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    char now[24], grade[8];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(grade, sizeof grade, "%d", (int)t->revisit_grade);
    const char *note = cmd && cmd->note ? cmd->note : "";
    const char *decision = t->appeal_decision;
    const char *params[] = {ticket_id,
                            rect_state_name(t->state),
                            now,
                            action,
                            t->classification,
                            note,
                            grade,
                            t->appeal_reason,
                            actor ? actor : "",
                            rect_state_name(t->appeal_from),
                            decision};
    PGresult *res = ow_db_exec(db, "evaluation_rect_update", 11, params, err);
    if (!res)
        goto cleanup;
    const char *step[] = {ticket_id,
                          PQgetvalue(res, 0, 0),
                          action,
                          actor ? actor : "",
                          now,
                          rect_state_name(from),
                          rect_state_name(t->state),
                          note};
    if (s_exec(db, "evaluation_rect_step", 8, step, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int rectification_act(ow_db_t *db, const char *idempotency_key, const char *caller,
                      const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                      size_t *reply_len, int *fresh, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL, *after = NULL;
    *fresh = 0;
    Onewindow__V1__ActOnTicket *req = onewindow__v1__act_on_ticket__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_METHOD_ACT ": payload is not an ActOnTicket");
        goto cleanup;
    }
    int found =
        s_begin_keyed(db, idempotency_key, S_METHOD_ACT, payload, len, reply, reply_len, err);
    if (found != 0) {
        rc = found > 0 ? 0 : -1;
        goto cleanup;
    }
    rect_command_t cmd = {.action = req->action,
                          .classification = req->classification,
                          .note = req->note,
                          .revisit_grade = req->revisit_grade,
                          .appeal_reason = req->appeal_reason};
    rect_action_t action;
    /* Every bad field at once, the ticket id among them; nothing is written. */
    if (!s_uuid_valid(req->ticket_id))
        ow_error_add_violation(err, "ticket_id", "is not a ticket id (the rating's UUID)");
    if (rect_check_command(&cmd, &action, err) != 0 || ow_error_finish_violations(err) != 0)
        goto cleanup;
    const char *params[] = {req->ticket_id};
    if (!(res = ow_db_exec(db, "evaluation_rect_lock", 1, params, err)))
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_NOT_FOUND, "no rectification ticket %s", req->ticket_id);
        goto cleanup;
    }
    rect_ticket_t t = s_rules_ticket(res);
    rect_role_t role;
    char dept[65];
    const char *who = caller ? caller : "";
    if (rectification_role_of(db, who, &role, dept, sizeof dept, err) != 0 ||
        rect_authorise(&t, action, who, role, dept, err) != 0)
        goto cleanup;
    rect_effects_t fx;
    rect_state_t from = t.state;
    if (rect_apply(&t, &cmd, who, &fx, err) != 0 ||
        s_write_step(db, req->ticket_id, rect_action_name(action), who, &t, from, &cmd, now_us,
                     err) != 0 ||
        s_effects(db, req->ticket_id, &fx, &t, cmd.note ? cmd.note : "", err) != 0 ||
        s_emit(db, req->ticket_id, fx.event, now_us, &after, err) != 0 ||
        s_ticket_reply(after, reply, reply_len, err) != 0)
        goto cleanup;
    if (ow_idem_save(db, idempotency_key, S_METHOD_ACT, payload, len, *reply, *reply_len, err) !=
            0 ||
        ow_db_commit(db, err) != 0)
        goto cleanup;
    *fresh = 1;
    rc = 0;
cleanup:
    if (rc != 0) {
        if (ow_db_in_transaction(db))
            ow_db_rollback(db);
        free(*reply);
        *reply = NULL;
    }
    PQclear(res);
    PQclear(after);
    if (req)
        onewindow__v1__act_on_ticket__free_unpacked(req, NULL);
    return rc;
}

int rectification_on_deadline(ow_db_t *db, const Onewindow__V1__Timer *timer, int64_t now_us,
                              ow_error_t *err)
{
    static const char prefix[] = "evaluation:" TIMER_RECTIFY_DUE ":";
    const char *id = timer->timer_key + (strncmp(timer->timer_key, prefix, sizeof prefix - 1) == 0
                                             ? sizeof prefix - 1
                                             : strlen(timer->timer_key));
    if (!s_uuid_valid(id)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer %s names no ticket", timer->timer_key);
        return -1;
    }
    int rc = -1;
    const char *params[] = {id};
    PGresult *res = ow_db_exec(db, "evaluation_rect_lock", 1, params, err);
    if (!res)
        goto cleanup;
    rc = 0;
    if (PQntuples(res) == 0)
        goto cleanup;
    rect_ticket_t t = s_rules_ticket(res);
    rect_state_t from = t.state;
    /* §6 / §8: an overdue rectification is a red card for the supervisors, raised once. */
    if (!rect_mark_overdue(&t))
        goto cleanup;
    rc = -1;
    if (s_write_step(db, id, "overdue", "", &t, from, NULL, now_us, err) != 0 ||
        s_emit(db, id, "rectification.overdue", now_us, NULL, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* ---- roles ---- */

int rectification_put_roles(ow_db_t *db, const char *idempotency_key, const char *caller,
                            const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                            size_t *reply_len, int *fresh, ow_error_t *err)
{
    int rc = -1;
    sql_array_t ids = {0}, roles = {0}, depts = {0};
    *fresh = 0;
    Onewindow__V1__PutStaffRoles *req = onewindow__v1__put_staff_roles__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, S_METHOD_ROLES ": payload is not a PutStaffRoles");
        goto cleanup;
    }
    int found =
        s_begin_keyed(db, idempotency_key, S_METHOD_ROLES, payload, len, reply, reply_len, err);
    if (found != 0) {
        rc = found > 0 ? 0 : -1;
        goto cleanup;
    }
    rect_role_t role;
    char dept[65];
    if (rectification_role_of(db, caller, &role, dept, sizeof dept, err) != 0)
        goto cleanup;
    /* PERMISSION_DENIED before any field is looked at, and nothing written. */
    if (role != RECT_ROLE_ADMIN) {
        ow_error_set(err, OW_PERMISSION_DENIED,
                     "only an administrator may give rectification roles (%s is not one)",
                     caller && *caller ? caller : "an anonymous caller");
        goto cleanup;
    }
    if (req->n_roles == 0 || req->n_roles > S_ROLES_MAX)
        ow_error_add_violation(err, "roles", "must list 1..%d entries, not %zu", S_ROLES_MAX,
                               req->n_roles);
    for (size_t i = 0; i < req->n_roles && i < S_ROLES_MAX; i++) {
        const Onewindow__V1__StaffRole *r = req->roles[i];
        char field[48];
        snprintf(field, sizeof field, "roles[%zu].staff_id", i);
        if (!ow_text_code(r->staff_id, 64))
            ow_error_add_violation(err, field, "must be 1..64 of [A-Za-z0-9._-]");
        else
            for (size_t j = 0; j < i; j++)
                if (strcmp(req->roles[j]->staff_id, r->staff_id) == 0) {
                    ow_error_add_violation(err, field, "repeats roles[%zu]", j);
                    break;
                }
        snprintf(field, sizeof field, "roles[%zu].role", i);
        rect_role_t rr = rect_role_parse(r->role);
        if (rr == RECT_ROLE_NONE && strcmp(r->role, "none") != 0)
            ow_error_add_violation(err, field,
                                   "must be handler, supervisor, reviewer, administrator or none");
        snprintf(field, sizeof field, "roles[%zu].department_code", i);
        if (rr == RECT_ROLE_HANDLER && !ow_text_code(r->department_code, 64))
            ow_error_add_violation(err, field,
                                   "a handler belongs to one department (1..64 "
                                   "of [A-Za-z0-9._-])");
        else if (rr != RECT_ROLE_HANDLER && *r->department_code &&
                 !ow_text_code(r->department_code, 64))
            ow_error_add_violation(err, field, "must be 1..64 of [A-Za-z0-9._-] or empty");
        sql_array_add_text(&ids, r->staff_id);
        sql_array_add_text(&roles, r->role);
        sql_array_add_text(&depts, r->department_code);
    }
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {sql_array_text(&ids), sql_array_text(&roles), sql_array_text(&depts),
                            caller, now};
    if (!params[0] || !params[1] || !params[2]) {
        ow_error_set(err, OW_INTERNAL, "out of memory listing the roles");
        goto cleanup;
    }
    if (s_exec(db, "evaluation_rect_put_roles", 5, params, err) != 0)
        goto cleanup;
    Onewindow__V1__StaffRolesReply out = ONEWINDOW__V1__STAFF_ROLES_REPLY__INIT;
    out.written = (uint32_t)req->n_roles;
    size_t out_len = onewindow__v1__staff_roles_reply__get_packed_size(&out);
    uint8_t body[16];
    onewindow__v1__staff_roles_reply__pack(&out, body);
    if (ow_rpc_pack_reply(NULL, body, out_len, reply, reply_len) != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the reply");
        goto cleanup;
    }
    if (ow_idem_save(db, idempotency_key, S_METHOD_ROLES, payload, len, *reply, *reply_len, err) !=
            0 ||
        ow_db_commit(db, err) != 0)
        goto cleanup;
    *fresh = 1;
    rc = 0;
cleanup:
    if (rc != 0) {
        if (ow_db_in_transaction(db))
            ow_db_rollback(db);
        free(*reply);
        *reply = NULL;
    }
    sql_array_clear(&ids);
    sql_array_clear(&roles);
    sql_array_clear(&depts);
    if (req)
        onewindow__v1__put_staff_roles__free_unpacked(req, NULL);
    return rc;
}

/* ---- handlers ---- */

typedef int(s_command_fn)(ow_db_t *db, const char *idempotency_key, const char *caller,
                          const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                          size_t *reply_len, int *fresh, ow_error_t *err);

static void s_serve(ow_rpc_call_t *call, rectification_requests_t *self, s_command_fn *fn)
{
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int fresh = 0;
    if (fn(self->db, ow_rpc_call_idempotency_key(call), ow_rpc_call_caller(call), payload, len,
           ow_clock_now_us(), &reply, &reply_len, &fresh, &err) != 0) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    ow_rpc_reply_packed(call, reply, reply_len);
    free(reply);
    if (fresh && self->relay)
        ow_relay_kick(self->relay);
    if (fresh)
        ow_timer_sender_kick(self->timers);
}

void rectification_on_act(ow_rpc_call_t *call, void *arg)
{
    s_serve(call, arg, rectification_act);
}

void rectification_on_put_roles(ow_rpc_call_t *call, void *arg)
{
    s_serve(call, arg, rectification_put_roles);
}

void rectification_on_get(ow_rpc_call_t *call, void *arg)
{
    rectification_requests_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = NULL;
    uint8_t *reply = NULL;
    size_t reply_len = 0, len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__GetTicket *req = onewindow__v1__get_ticket__unpack(NULL, len, payload);
    rect_role_t role = RECT_ROLE_NONE;
    char dept[65];
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "evaluation.get_ticket: payload is not a GetTicket");
        goto cleanup;
    }
    bool by_id = *req->ticket_id != '\0';
    if (by_id ? !s_uuid_valid(req->ticket_id) : !ow_text_graphic(req->case_no, 64)) {
        ow_error_add_violation(&err, by_id ? "ticket_id" : "case_no",
                               by_id ? "is not a ticket id" : "give a ticket id or a case number");
        ow_error_finish_violations(&err);
        goto cleanup;
    }
    if (rectification_role_of(self->db, ow_rpc_call_caller(call), &role, dept, sizeof dept, &err) !=
        0)
        goto cleanup;
    if (role == RECT_ROLE_NONE) {
        ow_error_set(&err, OW_PERMISSION_DENIED, "the caller has no rectification role");
        goto cleanup;
    }
    const char *params[] = {by_id ? req->ticket_id : req->case_no};
    res = ow_db_exec(self->db, by_id ? "evaluation_rect_get" : "evaluation_rect_get_case", 1,
                     params, &err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(&err, OW_NOT_FOUND, "no rectification ticket for %s", params[0]);
        goto cleanup;
    }
    if (s_ticket_reply(res, &reply, &reply_len, &err) != 0)
        goto cleanup;
cleanup:
    if (reply)
        ow_rpc_reply_packed(call, reply, reply_len);
    else
        ow_rpc_reply_error(call, &err);
    free(reply);
    PQclear(res);
    if (req)
        onewindow__v1__get_ticket__free_unpacked(req, NULL);
}
