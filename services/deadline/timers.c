/* timers — see timers.h. */
#include "timers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_clock.h"
#include "ow_envelope.h"
#include "ow_outbox.h"
#include "working_days.h"

#define S_COLUMNS                                                                                  \
    "timer_key, owner, kind, case_no, centre_id, due_at_us, state, COALESCE(fired_at_us, 0), "     \
    "context, start_at_us, amount, unit"

static const ow_db_statement_t s_statements[] = {
    {"deadline_timer_insert",
     "INSERT INTO timers (timer_key, owner, kind, case_no, centre_id, due_at_us, start_at_us,"
     " amount, unit, context, calendar_missing, state)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')"
     " ON CONFLICT (timer_key) DO NOTHING RETURNING " S_COLUMNS},
    {"deadline_timer_get", "SELECT " S_COLUMNS " FROM timers WHERE timer_key = $1 FOR UPDATE"},
    {"deadline_timer_replace",
     "UPDATE timers SET owner = $2, kind = $3, case_no = $4, centre_id = $5, due_at_us = $6,"
     " start_at_us = $7, amount = $8, unit = $9, context = $10, calendar_missing = $11,"
     " state = 'pending', fired_at_us = NULL, updated_at = now()"
     " WHERE timer_key = $1 AND state = 'cancelled' RETURNING " S_COLUMNS},
    {"deadline_timer_cancel", "UPDATE timers SET state = 'cancelled', updated_at = now()"
                              " WHERE timer_key = $1 AND state = 'pending' RETURNING " S_COLUMNS},
    /* SKIP LOCKED: several deadlined instances each claim different timers; the state change
     * and timer.fired commit together, so a timer fires once. Rows come back in the order they
     * fire in, so the scan merges them with the cards without comparing keys itself. */
    {"deadline_timer_claim",
     "SELECT " S_COLUMNS " FROM timers WHERE state = 'pending' AND due_at_us <= $1"
     " ORDER BY due_at_us, timer_key LIMIT $2 FOR UPDATE SKIP LOCKED"},
    {"deadline_timer_fire",
     "UPDATE timers SET state = 'fired', fired_at_us = $1, updated_at = now()"
     " WHERE timer_key = ANY($2::text[]) AND state = 'pending'"},
};

int timers_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static void s_check_text(ow_error_t *err, const char *field, const char *text, size_t max,
                         bool required)
{
    if (required && (!text || !*text))
        ow_error_add_violation(err, field, "is empty");
    else if (text && strlen(text) > max)
        ow_error_add_violation(err, field, "is longer than %zu bytes", max);
}

int timers_validate(const Onewindow__V1__ScheduleTimer *req, const deadline_calendar_t *cal,
                    int64_t *due_us, bool *calendar_missing, ow_error_t *err)
{
    s_check_text(err, "timer_key", req->timer_key, TIMER_KEY_MAX, true);
    s_check_text(err, "owner", req->owner, TIMER_OWNER_MAX, true);
    s_check_text(err, "kind", req->kind, TIMER_KIND_MAX, true);
    s_check_text(err, "case_no", req->case_no, OW_CASE_NO_MAX, false);
    s_check_text(err, "centre_id", req->centre_id, CALENDAR_CENTRE_MAX, false);
    if (req->context.len > TIMER_CONTEXT_MAX)
        ow_error_add_violation(err, "context", "is %zu bytes, more than %d", req->context.len,
                               TIMER_CONTEXT_MAX);
    deadline_unit_t unit = DEADLINE_UNIT_WORKING_DAYS;
    bool relative = req->due_at_us == 0;
    if (!relative) {
        if (req->due_at_us < 0)
            ow_error_add_violation(err, "due_at_us", "is negative");
        if (req->start_at_us || req->amount || *req->unit)
            ow_error_add_violation(err, "due_at_us",
                                   "is set together with start_at_us/amount/unit: give one");
    } else {
        if (req->start_at_us <= 0)
            ow_error_add_violation(err, "start_at_us",
                                   "is not set: give due_at_us, or start_at_us, amount and unit");
        if (req->amount < 0 || req->amount > DEADLINE_LIMIT_MAX)
            ow_error_add_violation(err, "amount", "%d is outside 0..%d", (int)req->amount,
                                   DEADLINE_LIMIT_MAX);
        if (deadline_unit_parse(req->unit, &unit) != 0)
            ow_error_add_violation(err, "unit",
                                   "is not working_days, natural_days, working_hours or "
                                   "natural_hours");
    }
    if (ow_error_finish_violations(err) != 0)
        return -1;
    *calendar_missing = false;
    if (!relative) {
        *due_us = req->due_at_us;
        return 0;
    }
    deadline_frame_t frame = {.cal = cal, .centre_id = req->centre_id};
    deadline_due_at(&frame, req->start_at_us, req->amount, unit, due_us);
    *calendar_missing = frame.calendar_missing;
    return 0;
}

void timers_free(Onewindow__V1__Timer **timer_p)
{
    if (!timer_p || !*timer_p)
        return;
    Onewindow__V1__Timer *t = *timer_p;
    free(t->timer_key);
    free(t->owner);
    free(t->kind);
    free(t->case_no);
    free(t->centre_id);
    free(t->state);
    free(t->context.data);
    free(t);
    *timer_p = NULL;
}

static char *s_dup(const char *text)
{
    return strdup(text ? text : "");
}

/* A Timer from row `row` of res; NULL when out of memory. */
static Onewindow__V1__Timer *s_from_row(const PGresult *res, int row)
{
    Onewindow__V1__Timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    onewindow__v1__timer__init(t);
    t->timer_key = s_dup(PQgetvalue(res, row, 0));
    t->owner = s_dup(PQgetvalue(res, row, 1));
    t->kind = s_dup(PQgetvalue(res, row, 2));
    t->case_no = s_dup(PQgetvalue(res, row, 3));
    t->centre_id = s_dup(PQgetvalue(res, row, 4));
    t->due_at_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    t->state = s_dup(PQgetvalue(res, row, 6));
    t->fired_at_us = strtoll(PQgetvalue(res, row, 7), NULL, 10);
    size_t len = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, 8), &len);
    if (raw && len) {
        t->context.data = malloc(len);
        if (t->context.data) {
            memcpy(t->context.data, raw, len);
            t->context.len = len;
        }
    }
    PQfreemem(raw);
    if (!t->timer_key || !t->owner || !t->kind || !t->case_no || !t->centre_id || !t->state ||
        (len && !t->context.data))
        timers_free(&t);
    return t;
}

static Onewindow__V1__Timer *s_unknown(const char *key)
{
    Onewindow__V1__Timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    onewindow__v1__timer__init(t);
    t->timer_key = s_dup(key);
    t->owner = s_dup("");
    t->kind = s_dup("");
    t->case_no = s_dup("");
    t->centre_id = s_dup("");
    t->state = s_dup("unknown");
    if (!t->timer_key || !t->owner || !t->kind || !t->case_no || !t->centre_id || !t->state)
        timers_free(&t);
    return t;
}

/* Does the stored row (get/replace columns) carry the same request? */
static bool s_same(const PGresult *res, const Onewindow__V1__ScheduleTimer *req, int64_t due_us)
{
    size_t len = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 8), &len);
    bool same = raw && len == req->context.len &&
                (len == 0 || memcmp(raw, req->context.data, len) == 0) &&
                strcmp(PQgetvalue(res, 0, 1), req->owner) == 0 &&
                strcmp(PQgetvalue(res, 0, 2), req->kind) == 0 &&
                strcmp(PQgetvalue(res, 0, 3), req->case_no) == 0 &&
                strcmp(PQgetvalue(res, 0, 4), req->centre_id) == 0 &&
                strtoll(PQgetvalue(res, 0, 5), NULL, 10) == due_us &&
                strtoll(PQgetvalue(res, 0, 9), NULL, 10) == req->start_at_us &&
                strtoll(PQgetvalue(res, 0, 10), NULL, 10) == req->amount &&
                strcmp(PQgetvalue(res, 0, 11), req->unit) == 0;
    PQfreemem(raw);
    return same;
}

int timers_schedule(ow_db_t *db, const Onewindow__V1__ScheduleTimer *req, int64_t due_us,
                    bool calendar_missing, Onewindow__V1__Timer **out, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    char due[24], start[24], amount[16];
    snprintf(due, sizeof due, "%" PRId64, due_us);
    snprintf(start, sizeof start, "%" PRId64, req->start_at_us);
    snprintf(amount, sizeof amount, "%d", (int)req->amount);
    const char *values[] = {req->timer_key,
                            req->owner,
                            req->kind,
                            req->case_no,
                            req->centre_id,
                            due,
                            start,
                            amount,
                            req->unit,
                            (const char *)req->context.data,
                            calendar_missing ? "true" : "false"};
    int lengths[11] = {0};
    int formats[11] = {0};
    lengths[9] = (int)req->context.len;
    formats[9] = 1;
    if (!values[9])
        values[9] = "";
    res = ow_db_execb(db, "deadline_timer_insert", 11, values, lengths, formats, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        PQclear(res);
        const char *key[] = {req->timer_key};
        res = ow_db_exec(db, "deadline_timer_get", 1, key, err);
        if (!res)
            goto cleanup;
        if (PQntuples(res) == 1 && !s_same(res, req, due_us)) {
            if (strcmp(PQgetvalue(res, 0, 6), "cancelled") != 0) {
                ow_error_set(err, OW_FAILED_PRECONDITION,
                             "timer %s exists (%s) with other fields: cancel it first, or use "
                             "another key",
                             req->timer_key, PQgetvalue(res, 0, 6));
                goto cleanup;
            }
            PQclear(res);
            res = ow_db_execb(db, "deadline_timer_replace", 11, values, lengths, formats, err);
            if (!res)
                goto cleanup;
        }
    }
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_ABORTED, "timer %s changed under us; retry", req->timer_key);
        goto cleanup;
    }
    *out = s_from_row(res, 0);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading timer %s", req->timer_key);
        goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int timers_cancel(ow_db_t *db, const char *timer_key, Onewindow__V1__Timer **out, ow_error_t *err)
{
    int rc = -1;
    const char *key[] = {timer_key};
    PGresult *res = ow_db_exec(db, "deadline_timer_cancel", 1, key, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        PQclear(res);
        res = ow_db_exec(db, "deadline_timer_get", 1, key, err);
        if (!res)
            goto cleanup;
    }
    *out = PQntuples(res) == 1 ? s_from_row(res, 0) : s_unknown(timer_key);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading timer %s", timer_key);
        goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

void timers_free_all(Onewindow__V1__Timer ***timers_p, int n)
{
    if (!timers_p || !*timers_p)
        return;
    for (int i = 0; i < n; i++)
        timers_free(&(*timers_p)[i]);
    free(*timers_p);
    *timers_p = NULL;
}

int timers_claim_due(ow_db_t *db, int64_t now_us, int batch, Onewindow__V1__Timer ***out, int *n,
                     ow_error_t *err)
{
    *out = NULL;
    *n = 0;
    char now[24], limit[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(limit, sizeof limit, "%d", batch);
    const char *params[] = {now, limit};
    PGresult *res = ow_db_exec(db, "deadline_timer_claim", 2, params, err);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    Onewindow__V1__Timer **timers = calloc(rows ? (size_t)rows : 1, sizeof *timers);
    for (int i = 0; timers && i < rows; i++)
        if (!(timers[i] = s_from_row(res, i)))
            timers_free_all(&timers, i);
    PQclear(res);
    if (!timers) {
        ow_error_set(err, OW_INTERNAL, "out of memory claiming %d timers", rows);
        return -1;
    }
    *out = timers;
    *n = rows;
    return 0;
}

int timers_queue_fired(ow_db_t *db, const Onewindow__V1__Timer *timer, int64_t now_us,
                       ow_error_t *err)
{
    size_t len = onewindow__v1__timer__get_packed_size(timer);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing timer.fired");
        return -1;
    }
    onewindow__v1__timer__pack(timer, buf);
    int rc =
        ow_outbox_add(db, "timer.fired", timer->case_no, timer->centre_id, now_us, buf, len, err);
    free(buf);
    return rc;
}

/* Appends key to an array literal as a quoted element: keys are the callers' text, so commas,
 * quotes and backslashes must not split or end it. */
static char *s_array_add(char *text, size_t *len, size_t *cap, const char *key)
{
    size_t need = *len + 2 * strlen(key) + 4;
    if (need > *cap) {
        size_t grown_cap = need * 2;
        char *grown = realloc(text, grown_cap);
        if (!grown) {
            free(text);
            return NULL;
        }
        text = grown;
        *cap = grown_cap;
    }
    char sep = *len == 0 ? '{' : ',';
    text[(*len)++] = sep;
    text[(*len)++] = '"';
    for (const char *k = key; *k; k++) {
        if (*k == '"' || *k == '\\')
            text[(*len)++] = '\\';
        text[(*len)++] = *k;
    }
    text[(*len)++] = '"';
    text[*len] = '\0';
    return text;
}

int timers_mark_fired(ow_db_t *db, Onewindow__V1__Timer *const *timers, int n, int64_t now_us,
                      ow_error_t *err)
{
    if (n <= 0)
        return 0;
    size_t len = 0, cap = 0;
    char *keys = NULL;
    for (int i = 0; i < n; i++)
        if (!(keys = s_array_add(keys, &len, &cap, timers[i]->timer_key))) {
            ow_error_set(err, OW_INTERNAL, "out of memory marking %d timers fired", n);
            return -1;
        }
    keys[len++] = '}';
    keys[len] = '\0';
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {now, keys};
    PGresult *res = ow_db_exec(db, "deadline_timer_fire", 2, params, err);
    free(keys);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int timers_fire_due(ow_db_t *db, int64_t now_us, int batch, ow_error_t *err)
{
    int rc = -1, n = 0;
    Onewindow__V1__Timer **fired = NULL;
    if (ow_db_begin(db, err) != 0)
        return -1;
    if (timers_claim_due(db, now_us, batch, &fired, &n, err) != 0)
        goto cleanup;
    for (int i = 0; i < n; i++)
        if (timers_queue_fired(db, fired[i], now_us, err) != 0)
            goto cleanup;
    if (timers_mark_fired(db, fired, n, now_us, err) != 0 || ow_db_commit(db, err) != 0)
        goto cleanup;
    rc = n;
cleanup:
    timers_free_all(&fired, n);
    if (rc < 0 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    return rc;
}
