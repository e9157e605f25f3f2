/* clocks — see clocks.h. */
#include "clocks.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_outbox.h"
#include "ow_text.h"
#include "working_days.h"

/* Columns every statement returns, in the order s_clock_from_row reads them. */
#define S_CLOCK_COLUMNS                                                                            \
    "case_no, centre_id, state, started_at_us, due_at_us, limit_value, unit, "                     \
    "COALESCE(stopped_at_us, 0), COALESCE(red_at_us, 0)"

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"deadline_clock_insert",
     "INSERT INTO clocks (case_no, scope, centre_id, item_code, department_code, state,"
     " started_at_us, limit_value, unit, legal_limit, due_at_us, source_event_id)"
     " VALUES ($1, 'case', $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10)"
     " ON CONFLICT (case_no, scope) DO NOTHING RETURNING " S_CLOCK_COLUMNS},
    {"deadline_outcome_insert",
     "INSERT INTO case_outcomes (case_no, outcome, decided_at_us, event_id)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (case_no) DO NOTHING"},
    {"deadline_outcome_get", "SELECT decided_at_us FROM case_outcomes WHERE case_no = $1"},
    {"deadline_clock_stop",
     "UPDATE clocks SET state = 'stopped', stopped_at_us = $2, updated_at = now()"
     " WHERE case_no = $1 AND scope = 'case' AND state IN ('running', 'expired')"
     " RETURNING " S_CLOCK_COLUMNS},
    {"deadline_clock_get",
     "SELECT " S_CLOCK_COLUMNS " FROM clocks WHERE case_no = $1 AND scope = 'case'"},
    /* SKIP LOCKED: two deadlined instances scanning together each take different clocks. */
    {"deadline_clock_expire",
     "UPDATE clocks SET state = 'expired', red_at_us = $1, updated_at = now()"
     " WHERE clock_id IN (SELECT clock_id FROM clocks WHERE state = 'running'"
     " AND due_at_us <= $1 ORDER BY due_at_us LIMIT $2 FOR UPDATE SKIP LOCKED)"
     " RETURNING " S_CLOCK_COLUMNS},
};

int clocks_prepare(ow_db_t *db, ow_error_t *err)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (ow_db_prepare(db, s_statements[i].name, s_statements[i].sql, err) != 0)
            return -1;
    return 0;
}

static int64_t s_int64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void s_clock_from_row(const PGresult *res, int row, deadline_clock_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->case_no, sizeof c->case_no, "%s", PQgetvalue(res, row, 0));
    snprintf(c->centre_id, sizeof c->centre_id, "%s", PQgetvalue(res, row, 1));
    snprintf(c->state, sizeof c->state, "%s", PQgetvalue(res, row, 2));
    c->started_at_us = s_int64(res, row, 3);
    c->due_at_us = s_int64(res, row, 4);
    c->limit = (int32_t)s_int64(res, row, 5);
    snprintf(c->unit, sizeof c->unit, "%s", PQgetvalue(res, row, 6));
    c->stopped_at_us = s_int64(res, row, 7);
    c->red_at_us = s_int64(res, row, 8);
}

int32_t clocks_remaining_working_days(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us)
{
    int64_t at = strcmp(clock->state, "stopped") == 0 ? clock->stopped_at_us : now_us;
    deadline_frame_t frame = {.cal = cal, .centre_id = clock->centre_id};
    return deadline_remaining_working_days(&frame, at, clock->due_at_us);
}

void clocks_fill_message(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                         int64_t now_us, Onewindow__V1__Clock *msg)
{
    /* protobuf-c takes non-const strings but only reads them while packing. */
    msg->case_no = (char *)clock->case_no;
    msg->state = (char *)clock->state;
    msg->started_at_us = clock->started_at_us;
    msg->due_at_us = clock->due_at_us;
    msg->limit = clock->limit;
    msg->unit = (char *)clock->unit;
    msg->stopped_at_us = clock->stopped_at_us;
    msg->remaining_working_days = clocks_remaining_working_days(cal, clock, now_us);
}

int clocks_pack(const deadline_calendar_t *cal, const deadline_clock_t *clock, int64_t now_us,
                uint8_t **out, size_t *len)
{
    Onewindow__V1__Clock msg = ONEWINDOW__V1__CLOCK__INIT;
    clocks_fill_message(cal, clock, now_us, &msg);
    size_t size = onewindow__v1__clock__get_packed_size(&msg);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return -1;
    onewindow__v1__clock__pack(&msg, buf);
    *out = buf;
    *len = size;
    return 0;
}

/* Queues one deadline.* event for the clock inside the open transaction. */
static int s_emit(ow_db_t *db, const deadline_calendar_t *cal, const char *type,
                  const deadline_clock_t *clock, int64_t now_us, ow_error_t *err)
{
    uint8_t *payload = NULL;
    size_t len = 0;
    if (clocks_pack(cal, clock, now_us, &payload, &len) != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing %s for case %s", type,
                     clock->case_no);
        return -1;
    }
    int rc = ow_outbox_add(db, type, clock->case_no, clock->centre_id, now_us, payload, len, err);
    free(payload);
    return rc;
}

/* Stops the case's clock at stopped_at_us if it runs or expired; queues deadline.stopped. */
static int s_stop_clock(ow_db_t *db, const deadline_calendar_t *cal, const char *case_no,
                        int64_t stopped_at_us, int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, stopped_at_us);
    const char *params[] = {case_no, at};
    PGresult *res = ow_db_exec(db, "deadline_clock_stop", 2, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 1) {
        deadline_clock_t clock;
        s_clock_from_row(res, 0, &clock);
        if (s_emit(db, cal, "deadline.stopped", &clock, now_us, err) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* Echo a unit in a message only when it is short printable ASCII (messages become JSON). */
static bool s_printable(const char *text)
{
    return ow_text_printable(text, 32);
}

int clocks_start(ow_db_t *db, const deadline_calendar_t *cal, const clock_start_t *start,
                 int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    deadline_unit_t unit;
    int64_t due_us = 0;
    deadline_frame_t frame = {.cal = cal, .centre_id = start->centre_id};

    if (!start->case_no || !*start->case_no)
        ow_error_add_violation(err, "case.case_no", "is empty: a clock needs its case number");
    if (deadline_unit_parse(start->unit, &unit) != 0)
        ow_error_add_violation(err, "case.limit_unit",
                               "'%s' is not a unit (working_days, natural_days, "
                               "working_hours, natural_hours)",
                               s_printable(start->unit) ? start->unit : "(unprintable)");
    else if (deadline_due_at(&frame, start->accepted_at_us, start->limit, unit, &due_us) != 0)
        ow_error_add_violation(err, "case.promised_limit", "%d is outside 0..%d", (int)start->limit,
                               DEADLINE_LIMIT_MAX);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    char started[24], limit[16], legal[16], due[24];
    snprintf(started, sizeof started, "%" PRId64, start->accepted_at_us);
    snprintf(limit, sizeof limit, "%d", (int)start->limit);
    snprintf(legal, sizeof legal, "%d", (int)start->legal_limit);
    snprintf(due, sizeof due, "%" PRId64, due_us);
    const char *params[] = {start->case_no,
                            start->centre_id ? start->centre_id : "",
                            start->item_code ? start->item_code : "",
                            start->department_code ? start->department_code : "",
                            started,
                            limit,
                            deadline_unit_name(unit),
                            legal,
                            due,
                            start->event_id};
    res = ow_db_exec(db, "deadline_clock_insert", 10, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) { /* the clock exists: a repeated acceptance changes nothing */
        rc = 0;
        goto cleanup;
    }
    deadline_clock_t clock;
    s_clock_from_row(res, 0, &clock);
    if (s_emit(db, cal, "deadline.started", &clock, now_us, err) != 0)
        goto cleanup;
    PQclear(res);

    const char *outcome_params[] = {start->case_no};
    res = ow_db_exec(db, "deadline_outcome_get", 1, outcome_params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 1 &&
        s_stop_clock(db, cal, start->case_no, s_int64(res, 0, 0), now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_stop(ow_db_t *db, const deadline_calendar_t *cal, const char *case_no,
                const char *outcome, int64_t decided_at_us, const char *event_id, int64_t now_us,
                ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty: cannot stop an unnamed case's clock");
    if (!outcome || !*outcome)
        ow_error_add_violation(err, "outcome", "is empty: a decided case has an outcome");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    char at[24];
    snprintf(at, sizeof at, "%" PRId64, decided_at_us);
    const char *params[] = {case_no, outcome, at, event_id};
    res = ow_db_exec(db, "deadline_outcome_insert", 4, params, err);
    if (!res)
        goto cleanup;
    if (s_stop_clock(db, cal, case_no, decided_at_us, now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_get(ow_db_t *db, const char *case_no, deadline_clock_t *out, ow_error_t *err)
{
    int rc = -1;
    const char *params[] = {case_no};
    PGresult *res = ow_db_exec(db, "deadline_clock_get", 1, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_NOT_FOUND, "case %s has no clock (not accepted, or not seen yet)",
                     case_no);
        goto cleanup;
    }
    s_clock_from_row(res, 0, out);
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_expire_due(ow_db_t *db, const deadline_calendar_t *cal, int64_t now_us, int batch,
                      ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (ow_db_begin(db, err) != 0)
        return -1;
    char now[24], limit[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(limit, sizeof limit, "%d", batch);
    const char *params[] = {now, limit};
    res = ow_db_exec(db, "deadline_clock_expire", 2, params, err);
    if (!res)
        goto cleanup;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        deadline_clock_t clock;
        s_clock_from_row(res, i, &clock);
        /* DOMAIN.md §5: the red card, raised once, in the transaction that marks it. */
        if (s_emit(db, cal, "deadline.red", &clock, now_us, err) != 0)
            goto cleanup;
    }
    if (ow_db_commit(db, err) != 0)
        goto cleanup;
    rc = n;
cleanup:
    PQclear(res);
    if (rc < 0 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    return rc;
}
