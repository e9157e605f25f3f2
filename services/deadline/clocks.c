/* clocks — see clocks.h. */
#include "clocks.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "ow_outbox.h"
#include "ow_text.h"
#include "thresholds.h"
#include "working_days.h"

/* Columns every statement returns, in the order s_clock_from_row reads them. */
#define S_CLOCK_COLUMNS                                                                            \
    "clock_id, case_no, stage, centre_id, item_code, department_code, state, started_at_us, "      \
    "due_at_us, limit_value, unit, legal_limit, COALESCE(legal_due_at_us, 0), extension_days, "    \
    "joint_handling, COALESCE(stopped_at_us, 0), COALESCE(red_at_us, 0), "                         \
    "COALESCE(yellow_at_us, 0), COALESCE(suspended_at_us, 0), card, calendar_missing, "            \
    "COALESCE(used_working_days, 0), stop_reason"

static const ow_db_statement_t s_statements[] = {
    {"deadline_clock_insert",
     "INSERT INTO clocks (case_no, scope, stage, centre_id, item_code, department_code, state,"
     " started_at_us, limit_value, unit, legal_limit, due_at_us, source_event_id, extension_days)"
     " VALUES ($1, CASE WHEN $2 = '' THEN 'case' ELSE 'stage:' || $2 END, $2, $3, $4, $5,"
     " 'running', $6, $7, $8, $9, 0, $10,"
     " CASE WHEN $2 = '' THEN (SELECT COALESCE(sum(extra_days), 0) FROM extensions"
     "  WHERE case_no = $1 AND applied) ELSE 0 END)"
     " ON CONFLICT (case_no, scope) DO NOTHING RETURNING " S_CLOCK_COLUMNS},
    {"deadline_outcome_insert",
     "INSERT INTO case_outcomes (case_no, outcome, decided_at_us, event_id)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (case_no) DO NOTHING"},
    {"deadline_outcome_get", "SELECT decided_at_us, kind FROM case_outcomes WHERE case_no = $1"},
    /* An end before the decision (withdrawn, terminated): recorded once; it replaces a
     * decision seen first (intake has the last word on whether its case was decided). */
    {"deadline_case_end",
     "INSERT INTO case_outcomes (case_no, outcome, decided_at_us, event_id, kind, reason)"
     " VALUES ($1, $2, $3, $4, $2, $5) ON CONFLICT (case_no) DO UPDATE SET"
     " outcome = EXCLUDED.outcome, kind = EXCLUDED.kind, reason = EXCLUDED.reason"
     " WHERE case_outcomes.kind = 'decided' RETURNING decided_at_us"},
    /* ...and the clocks that decision stopped now say why the case really ended. */
    {"deadline_clocks_reason",
     "UPDATE clocks SET stop_reason = $2, updated_at = now() WHERE case_no = $1"
     " AND state = 'stopped' AND stop_reason = 'decided'"},
    /* Every open clock of a case, locked: the case clock first, then stages in start order. */
    {"deadline_clocks_open",
     "SELECT " S_CLOCK_COLUMNS " FROM clocks WHERE case_no = $1 AND state <> 'stopped'"
     " AND ($2 = '*' OR stage = $2) ORDER BY scope <> 'case', started_at_us, clock_id"
     " FOR UPDATE"},
    {"deadline_clock_get",
     "SELECT " S_CLOCK_COLUMNS " FROM clocks WHERE case_no = $1 AND stage = $2"
     " AND scope = CASE WHEN $2 = '' THEN 'case' ELSE 'stage:' || $2 END"},
    {"deadline_clock_stages",
     "SELECT " S_CLOCK_COLUMNS " FROM clocks WHERE case_no = $1 AND scope <> 'case'"
     " ORDER BY started_at_us, clock_id LIMIT $2"},
    {"deadline_clock_update",
     "UPDATE clocks SET state = $2, due_at_us = $3, yellow_at_us = $4, legal_due_at_us = $5,"
     " next_fire_us = $6, card = $7, suspended_at_us = $8, calendar_missing = $9,"
     " stopped_at_us = $10, used_working_days = $11, stop_reason = $12, updated_at = now()"
     " WHERE clock_id = $1"},
    {"deadline_spans",
     "SELECT from_us, to_us FROM (SELECT from_us, COALESCE(to_us, 9223372036854775807) AS to_us"
     " FROM suspensions WHERE case_no = $1 AND ($2 = '' OR stage IN ('', $2))"
     " AND COALESCE(to_us, 9223372036854775807) > $3 ORDER BY from_us DESC LIMIT 64) s"
     " ORDER BY from_us"},
    {"deadline_suspension_insert",
     "INSERT INTO suspensions (case_no, from_us, kind, stage, expected_days, expected_unit,"
     " reason, task_id, event_id) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9"
     " WHERE NOT EXISTS (SELECT 1 FROM suspensions WHERE case_no = $1 AND to_us IS NULL)"
     " ON CONFLICT DO NOTHING RETURNING from_us"},
    {"deadline_suspension_close",
     "UPDATE suspensions SET to_us = GREATEST($2::bigint, from_us) WHERE case_no = $1"
     " AND to_us IS NULL RETURNING from_us"},
    {"deadline_extension_sum",
     "SELECT COALESCE(sum(extra_days), 0) FROM extensions WHERE case_no = $1 AND applied"},
    {"deadline_extension_insert",
     "INSERT INTO extensions (event_id, case_no, extra_days, joint_handling, approved_by,"
     " reason, approved_at_us, applied, refusal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
     " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"},
    {"deadline_clock_extend",
     "UPDATE clocks SET extension_days = extension_days + $2, joint_handling = $3"
     " WHERE case_no = $1 AND scope = 'case'"},
    /* SKIP LOCKED: two deadlined instances scanning together each take different clocks. */
    {"deadline_cards_due",
     "SELECT " S_CLOCK_COLUMNS ", next_fire_us FROM clocks WHERE state = 'running'"
     " AND next_fire_us <= $1 ORDER BY next_fire_us, clock_id LIMIT $2 FOR UPDATE SKIP LOCKED"},
    {"deadline_cards_raise",
     "UPDATE clocks c SET card = u.card, state = u.state, next_fire_us = u.next_fire,"
     " yellow_raised_at_us = COALESCE(c.yellow_raised_at_us, u.yellow_raised),"
     " red_at_us = COALESCE(u.red_at, c.red_at_us), updated_at = now()"
     " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],"
     " $6::bigint[]) AS u(id, card, state, next_fire, yellow_raised, red_at)"
     " WHERE c.clock_id = u.id"},
};

int clocks_prepare(ow_db_t *db, ow_error_t *err)
{
    if (OW_DB_PREPARE_ALL(db, s_statements, err) != 0)
        return -1;
    return thresholds_prepare(db, err);
}

static int64_t s_int64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void s_clock_from_row(const PGresult *res, int row, deadline_clock_t *c)
{
    memset(c, 0, sizeof *c);
    c->clock_id = s_int64(res, row, 0);
    snprintf(c->case_no, sizeof c->case_no, "%s", PQgetvalue(res, row, 1));
    snprintf(c->stage, sizeof c->stage, "%s", PQgetvalue(res, row, 2));
    snprintf(c->centre_id, sizeof c->centre_id, "%s", PQgetvalue(res, row, 3));
    snprintf(c->item_code, sizeof c->item_code, "%s", PQgetvalue(res, row, 4));
    snprintf(c->department_code, sizeof c->department_code, "%s", PQgetvalue(res, row, 5));
    snprintf(c->state, sizeof c->state, "%s", PQgetvalue(res, row, 6));
    c->started_at_us = s_int64(res, row, 7);
    c->due_at_us = s_int64(res, row, 8);
    c->limit = (int32_t)s_int64(res, row, 9);
    snprintf(c->unit, sizeof c->unit, "%s", PQgetvalue(res, row, 10));
    c->legal_limit = (int32_t)s_int64(res, row, 11);
    c->legal_due_at_us = s_int64(res, row, 12);
    c->extension_days = (int32_t)s_int64(res, row, 13);
    c->joint_handling = PQgetvalue(res, row, 14)[0] == 't';
    c->stopped_at_us = s_int64(res, row, 15);
    c->red_at_us = s_int64(res, row, 16);
    c->yellow_at_us = s_int64(res, row, 17);
    c->suspended_at_us = s_int64(res, row, 18);
    snprintf(c->card, sizeof c->card, "%s", PQgetvalue(res, row, 19));
    c->calendar_missing = PQgetvalue(res, row, 20)[0] == 't';
    c->used_working_days = (int32_t)s_int64(res, row, 21);
    snprintf(c->stop_reason, sizeof c->stop_reason, "%s", PQgetvalue(res, row, 22));
}

/* The instant remaining time is seen from: the stop, the suspension, or now. */
static int64_t s_seen_at(const deadline_clock_t *clock, int64_t now_us)
{
    if (strcmp(clock->state, "stopped") == 0)
        return clock->stopped_at_us;
    if (strcmp(clock->state, "suspended") == 0 && clock->suspended_at_us)
        return clock->suspended_at_us;
    return now_us;
}

int32_t clocks_remaining_working_days(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us)
{
    deadline_frame_t frame = {.cal = cal, .centre_id = clock->centre_id};
    return deadline_remaining_working_days(&frame, s_seen_at(clock, now_us), clock->due_at_us);
}

double clocks_remaining_working_hours(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us)
{
    deadline_frame_t frame = {.cal = cal, .centre_id = clock->centre_id};
    return deadline_remaining_working_hours(&frame, s_seen_at(clock, now_us), clock->due_at_us);
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
    msg->stage = (char *)clock->stage;
    msg->remaining_working_hours = clocks_remaining_working_hours(cal, clock, now_us);
    msg->legal_limit = clock->legal_limit;
    msg->legal_due_at_us = clock->legal_due_at_us;
    msg->extension_days = clock->extension_days;
    msg->card = (char *)clock->card;
    msg->yellow_at_us = clock->yellow_at_us;
    msg->red_at_us = clock->red_at_us;
    msg->suspended_at_us = clock->suspended_at_us;
    msg->calendar_missing = clock->calendar_missing;
    msg->centre_id = (char *)clock->centre_id;
    msg->item_code = (char *)clock->item_code;
    msg->department_code = (char *)clock->department_code;
    msg->used_working_days = clock->used_working_days;
    msg->event_at_us = clock->event_at_us;
    msg->stop_reason = (char *)clock->stop_reason;
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
static int s_emit(const deadline_context_t *ctx, const char *type, const deadline_clock_t *clock,
                  int64_t now_us, ow_error_t *err)
{
    uint8_t *payload = NULL;
    size_t len = 0;
    if (clocks_pack(ctx->cal, clock, now_us, &payload, &len) != 0) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing %s for case %s", type,
                     clock->case_no);
        return -1;
    }
    int rc =
        ow_outbox_add(ctx->db, type, clock->case_no, clock->centre_id, now_us, payload, len, err);
    free(payload);
    return rc;
}

static void s_fmt(char *buf, size_t size, int64_t v)
{
    snprintf(buf, size, "%" PRId64, v);
}

/* Loads the suspensions that apply to the clock (all of the case for the case clock; the
 * case's and its own for a stage clock) into spans. Returns how many, or -1 with err. */
static int s_load_spans(const deadline_context_t *ctx, const deadline_clock_t *clock,
                        deadline_span_t *spans, ow_error_t *err)
{
    char started[24];
    s_fmt(started, sizeof started, clock->started_at_us);
    const char *params[] = {clock->case_no, clock->stage, started};
    PGresult *res = ow_db_exec(ctx->db, "deadline_spans", 3, params, err);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n && i < CLOCK_SPANS_MAX; i++) {
        spans[i].from_us = s_int64(res, i, 0);
        spans[i].to_us = s_int64(res, i, 1);
    }
    PQclear(res);
    return n < CLOCK_SPANS_MAX ? n : CLOCK_SPANS_MAX;
}

/* Writes the clock's computed fields back. next_fire_us 0 = NULL (not scanned). */
static int s_store(const deadline_context_t *ctx, const deadline_clock_t *c, int64_t next_fire_us,
                   ow_error_t *err)
{
    char id[24], due[24], yellow[24], legal[24], next[24], susp[24], stopped[24], used[16];
    s_fmt(id, sizeof id, c->clock_id);
    s_fmt(due, sizeof due, c->due_at_us);
    s_fmt(yellow, sizeof yellow, c->yellow_at_us);
    s_fmt(legal, sizeof legal, c->legal_due_at_us);
    s_fmt(next, sizeof next, next_fire_us);
    s_fmt(susp, sizeof susp, c->suspended_at_us);
    s_fmt(stopped, sizeof stopped, c->stopped_at_us);
    snprintf(used, sizeof used, "%d", (int)c->used_working_days);
    bool stopped_clock = strcmp(c->state, "stopped") == 0;
    const char *params[] = {id,
                            c->state,
                            due,
                            c->yellow_at_us ? yellow : NULL,
                            c->legal_due_at_us ? legal : NULL,
                            next_fire_us ? next : NULL,
                            c->card,
                            c->suspended_at_us ? susp : NULL,
                            c->calendar_missing ? "t" : "f",
                            stopped_clock ? stopped : NULL,
                            stopped_clock ? used : NULL,
                            stopped_clock ? c->stop_reason : ""};
    PGresult *res = ow_db_exec(ctx->db, "deadline_clock_update", 12, params, err);
    PQclear(res);
    return res ? 0 : -1;
}

/* Recomputes a locked, open clock from its limit, extensions and the stored suspensions
 * (art. 42, 45), and stores it. Queues `event` (may be NULL) when the clock changed between
 * suspended and not (or always, with force), and deadline.cleared when a card it shows no
 * longer holds. Returns 0 or -1 with err. */
static int s_recompute(const deadline_context_t *ctx, deadline_clock_t *c, const char *event,
                       bool force, int64_t now_us, ow_error_t *err)
{
    deadline_span_t spans[CLOCK_SPANS_MAX];
    int n = s_load_spans(ctx, c, spans, err);
    if (n < 0)
        return -1;
    deadline_thresholds_t t;
    if (thresholds_for(ctx, c->centre_id, c->item_code, &t, err) != 0)
        return -1;
    deadline_unit_t unit;
    if (deadline_unit_parse(c->unit, &unit) != 0) {
        ow_error_set(err, OW_INTERNAL, "clock of %s has an unknown unit '%s'", c->case_no, c->unit);
        return -1;
    }
    bool open = n > 0 && spans[n - 1].to_us == DEADLINE_NEVER;
    /* While suspended the times shown are those as of the suspension (the open interval left
     * out); resuming recomputes them with the interval closed. */
    deadline_frame_t frame = {.cal = ctx->cal,
                              .centre_id = c->centre_id,
                              .spans = spans,
                              .span_count = (size_t)(open ? n - 1 : n)};
    deadline_times_t times, legal;
    if (deadline_limit_times(&frame, c->started_at_us, c->limit, c->extension_days, unit, &t,
                             &times) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "the limit of %s (%d + %d extension) is outside 0..%d", c->case_no,
                     (int)c->limit, (int)c->extension_days, DEADLINE_LIMIT_MAX);
        return -1;
    }
    c->due_at_us = times.due_at_us;
    c->yellow_at_us = times.yellow_at_us == DEADLINE_NEVER ? 0 : times.yellow_at_us;
    c->legal_due_at_us = 0;
    if (c->legal_limit > 0 && deadline_limit_times(&frame, c->started_at_us, c->legal_limit,
                                                   c->extension_days, unit, &t, &legal) == 0)
        c->legal_due_at_us = legal.due_at_us;
    c->calendar_missing = c->calendar_missing || frame.calendar_missing;

    bool was_suspended = strcmp(c->state, "suspended") == 0;
    deadline_card_t card = DEADLINE_CARD_NONE;
    deadline_card_parse(c->card, &card);
    bool cleared = false;
    int64_t next = 0;
    if (open) {
        snprintf(c->state, sizeof c->state, "suspended");
        c->suspended_at_us = spans[n - 1].from_us;
    } else {
        c->suspended_at_us = 0;
        deadline_card_t holds = deadline_card_at(&times, now_us);
        if (holds < card) { /* a card that no longer holds is withdrawn (DOMAIN §5) */
            card = holds;
            cleared = true;
        }
        snprintf(c->card, sizeof c->card, "%s", deadline_card_name(card));
        snprintf(c->state, sizeof c->state, "%s",
                 card == DEADLINE_CARD_RED ? "expired" : "running");
        int64_t fire = deadline_card_next(&times, card);
        next = fire == DEADLINE_NEVER ? 0 : fire;
    }
    if (s_store(ctx, c, next, err) != 0)
        return -1;
    bool is_suspended = strcmp(c->state, "suspended") == 0;
    if (event && (force || was_suspended != is_suspended) &&
        s_emit(ctx, event, c, now_us, err) != 0)
        return -1;
    if (cleared && s_emit(ctx, "deadline.cleared", c, now_us, err) != 0)
        return -1;
    return 0;
}

/* Stops a locked open clock at stopped_at_us for reason (clocks.h CLOCK_STOP_*): records the
 * working days used, queues deadline.stopped, and deadline.cleared when it showed a card. */
static int s_stop_locked(const deadline_context_t *ctx, deadline_clock_t *c, int64_t stopped_at_us,
                         const char *reason, int64_t now_us, ow_error_t *err)
{
    deadline_span_t spans[CLOCK_SPANS_MAX];
    int n = s_load_spans(ctx, c, spans, err);
    if (n < 0)
        return -1;
    /* A decision during a suspension ends it for counting purposes. */
    if (n > 0 && spans[n - 1].to_us == DEADLINE_NEVER)
        spans[n - 1].to_us = stopped_at_us;
    deadline_frame_t frame = {
        .cal = ctx->cal, .centre_id = c->centre_id, .spans = spans, .span_count = (size_t)n};
    c->used_working_days = deadline_working_days_used(&frame, c->started_at_us, stopped_at_us);
    bool carded = strcmp(c->card, "none") != 0;
    snprintf(c->state, sizeof c->state, "stopped");
    snprintf(c->card, sizeof c->card, "none");
    snprintf(c->stop_reason, sizeof c->stop_reason, "%s", reason);
    c->stopped_at_us = stopped_at_us;
    c->suspended_at_us = 0;
    if (s_store(ctx, c, 0, err) != 0 || s_emit(ctx, "deadline.stopped", c, now_us, err) != 0)
        return -1;
    if (carded && s_emit(ctx, "deadline.cleared", c, now_us, err) != 0)
        return -1;
    return 0;
}

/* Locks the open clocks of a case (stage "*" = all, else that stage's; "" = the case clock).
 * Returns the result (caller PQclears) or NULL with err. */
static PGresult *s_open_clocks(const deadline_context_t *ctx, const char *case_no,
                               const char *stage, ow_error_t *err)
{
    const char *params[] = {case_no, stage};
    return ow_db_exec(ctx->db, "deadline_clocks_open", 2, params, err);
}

/* Echo a value in a message only when it is short printable ASCII (messages become JSON). */
static const char *s_echo(const char *text)
{
    return ow_text_printable(text, 32) ? text : "(unprintable)";
}

static bool s_too_long(const char *text, size_t max)
{
    return text && strlen(text) > max;
}

/* Inserts and recomputes a new clock (case or stage); queues deadline.started. *created says
 * whether it was new. */
static int s_insert(const deadline_context_t *ctx, const char *case_no, const char *stage,
                    const char *centre_id, const char *item_code, const char *department_code,
                    int64_t started_at_us, int32_t limit, const char *unit, int32_t legal_limit,
                    const char *event_id, int64_t now_us, bool *created, ow_error_t *err)
{
    char started[24], lim[16], legal[16];
    s_fmt(started, sizeof started, started_at_us);
    snprintf(lim, sizeof lim, "%d", (int)limit);
    snprintf(legal, sizeof legal, "%d", (int)legal_limit);
    const char *params[] = {case_no,
                            stage,
                            centre_id ? centre_id : "",
                            item_code ? item_code : "",
                            department_code ? department_code : "",
                            started,
                            lim,
                            unit,
                            legal,
                            event_id};
    PGresult *res = ow_db_exec(ctx->db, "deadline_clock_insert", 10, params, err);
    if (!res)
        return -1;
    *created = PQntuples(res) == 1;
    int rc = 0;
    if (*created) {
        deadline_clock_t clock;
        s_clock_from_row(res, 0, &clock);
        rc = s_recompute(ctx, &clock, NULL, false, now_us, err);
        if (rc == 0)
            rc = s_emit(ctx, "deadline.started", &clock, now_us, err);
    }
    PQclear(res);
    return rc;
}

/* Validates a limit and unit as a clock would take them, naming the two fields. */
static void s_check_limit(const char *limit_field, int32_t limit, const char *unit_field,
                          const char *unit_text, ow_error_t *err)
{
    deadline_unit_t unit;
    if (deadline_unit_parse(unit_text, &unit) != 0)
        ow_error_add_violation(err, unit_field,
                               "'%s' is not a unit (working_days, natural_days, "
                               "working_hours, natural_hours)",
                               s_echo(unit_text));
    if (limit < 0 || limit > DEADLINE_LIMIT_MAX)
        ow_error_add_violation(err, limit_field, "%d is outside 0..%d", (int)limit,
                               DEADLINE_LIMIT_MAX);
}

int clocks_start(const deadline_context_t *ctx, const clock_start_t *start, int64_t now_us,
                 ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (!start->case_no || !*start->case_no)
        ow_error_add_violation(err, "case.case_no", "is empty: a clock needs its case number");
    s_check_limit("case.promised_limit", start->limit, "case.limit_unit", start->unit, err);
    if (start->legal_limit < 0 || start->legal_limit > DEADLINE_LIMIT_MAX)
        ow_error_add_violation(err, "case.legal_limit", "%d is outside 0..%d",
                               (int)start->legal_limit, DEADLINE_LIMIT_MAX);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    bool created = false;
    if (s_insert(ctx, start->case_no, "", start->centre_id, start->item_code,
                 start->department_code, start->accepted_at_us, start->limit, start->unit,
                 start->legal_limit, start->event_id, now_us, &created, err) != 0)
        goto cleanup;
    if (!created) { /* the clock exists: a repeated acceptance changes nothing */
        rc = 0;
        goto cleanup;
    }
    const char *outcome_params[] = {start->case_no};
    res = ow_db_exec(ctx->db, "deadline_outcome_get", 1, outcome_params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 1) {
        int64_t decided = s_int64(res, 0, 0);
        char kind[CLOCK_REASON_MAX + 1];
        snprintf(kind, sizeof kind, "%s", PQgetvalue(res, 0, 1));
        PQclear(res);
        res = s_open_clocks(ctx, start->case_no, "", err);
        if (!res)
            goto cleanup;
        for (int i = 0; i < PQntuples(res); i++) {
            deadline_clock_t clock;
            s_clock_from_row(res, i, &clock);
            if (s_stop_locked(ctx, &clock, decided, kind, now_us, err) != 0)
                goto cleanup;
        }
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_stop(const deadline_context_t *ctx, const char *case_no, const char *outcome,
                int64_t decided_at_us, const char *event_id, int64_t now_us, ow_error_t *err)
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
    s_fmt(at, sizeof at, decided_at_us);
    const char *params[] = {case_no, outcome, at, event_id};
    res = ow_db_exec(ctx->db, "deadline_outcome_insert", 4, params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    /* The decision ends the case and every stage still open. */
    res = s_open_clocks(ctx, case_no, "*", err);
    if (!res)
        goto cleanup;
    for (int i = 0; i < PQntuples(res); i++) {
        deadline_clock_t clock;
        s_clock_from_row(res, i, &clock);
        if (s_stop_locked(ctx, &clock, decided_at_us, CLOCK_STOP_DECIDED, now_us, err) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_end(const deadline_context_t *ctx, const clock_end_t *end, int64_t now_us,
               ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (!end->case_no || !*end->case_no)
        ow_error_add_violation(err, "case_no", "is empty: which case ended?");
    if (!end->kind || (strcmp(end->kind, CLOCK_STOP_WITHDRAWN) != 0 &&
                       strcmp(end->kind, CLOCK_STOP_TERMINATED) != 0))
        ow_error_add_violation(err, "kind", "must be withdrawn or terminated");
    if (s_too_long(end->reason, CLOCK_END_REASON_MAX))
        ow_error_add_violation(err, "case.closed_reason", "is longer than %d bytes",
                               CLOCK_END_REASON_MAX);
    if (end->ended_at_us <= 0)
        ow_error_add_violation(err, "ended_at_us", "is missing: when did the case end?");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    char at[24];
    s_fmt(at, sizeof at, end->ended_at_us);
    const char *params[] = {end->case_no, end->kind, at, end->event_id,
                            end->reason ? end->reason : ""};
    res = ow_db_exec(ctx->db, "deadline_case_end", 5, params, err);
    if (!res)
        goto cleanup;
    bool recorded = PQntuples(res) == 1;
    PQclear(res);
    res = NULL;
    if (!recorded) { /* ended before: its clocks stopped then */
        rc = 0;
        goto cleanup;
    }
    /* A decision applied first stopped the clocks; the end is what happened to the case. */
    const char *reason_params[] = {end->case_no, end->kind};
    res = ow_db_exec(ctx->db, "deadline_clocks_reason", 2, reason_params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    /* The case and every stage still open stop: no card may follow (DOMAIN §5 warns about
     * cases being handled, and this one no longer is). */
    res = s_open_clocks(ctx, end->case_no, "*", err);
    if (!res)
        goto cleanup;
    for (int i = 0; i < PQntuples(res); i++) {
        deadline_clock_t clock;
        s_clock_from_row(res, i, &clock);
        if (s_stop_locked(ctx, &clock, end->ended_at_us, end->kind, now_us, err) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* Recomputes every open clock of the case; `event` for those whose suspension changed. */
static int s_recompute_case(const deadline_context_t *ctx, const char *case_no, const char *event,
                            int64_t now_us, ow_error_t *err)
{
    PGresult *res = s_open_clocks(ctx, case_no, "*", err);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        deadline_clock_t clock;
        s_clock_from_row(res, i, &clock);
        rc = s_recompute(ctx, &clock, event, false, now_us, err);
    }
    PQclear(res);
    return rc;
}

int clocks_suspend(const deadline_context_t *ctx, const clock_suspend_t *s, int64_t now_us,
                   ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (!s->case_no || !*s->case_no)
        ow_error_add_violation(err, "case_no", "is empty: which case is suspended?");
    if (!s->kind || !*s->kind)
        ow_error_add_violation(err, "kind", "is empty: art. 45 names the procedure");
    else if (s_too_long(s->kind, CLOCK_KIND_MAX))
        ow_error_add_violation(err, "kind", "is longer than %d bytes", CLOCK_KIND_MAX);
    if (s_too_long(s->stage, CLOCK_STAGE_MAX))
        ow_error_add_violation(err, "stage", "is longer than %d bytes", CLOCK_STAGE_MAX);
    if (s->from_us <= 0)
        ow_error_add_violation(err, "started_at_us", "is missing: when did the suspension start?");
    if (s->expected_days < 0 || s->expected_days > DEADLINE_LIMIT_MAX)
        ow_error_add_violation(err, "expected_days", "%d is outside 0..%d", (int)s->expected_days,
                               DEADLINE_LIMIT_MAX);
    if (s->expected_unit && *s->expected_unit && strcmp(s->expected_unit, "working_days") != 0 &&
        strcmp(s->expected_unit, "natural_days") != 0)
        ow_error_add_violation(err, "expected_unit", "'%s' is not working_days or natural_days",
                               s_echo(s->expected_unit));
    if (s_too_long(s->reason, 2000))
        ow_error_add_violation(err, "reason", "is longer than 2000 bytes");
    if (s_too_long(s->task_id, CLOCK_CODE_MAX))
        ow_error_add_violation(err, "task_id", "is longer than %d bytes", CLOCK_CODE_MAX);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    char from[24], expected[16];
    s_fmt(from, sizeof from, s->from_us);
    snprintf(expected, sizeof expected, "%d", (int)s->expected_days);
    const char *params[] = {s->case_no,
                            from,
                            s->kind,
                            s->stage ? s->stage : "",
                            expected,
                            s->expected_unit ? s->expected_unit : "",
                            s->reason ? s->reason : "",
                            s->task_id ? s->task_id : "",
                            s->event_id};
    res = ow_db_exec(ctx->db, "deadline_suspension_insert", 9, params, err);
    if (!res)
        goto cleanup;
    /* Already suspended (or a repeat): intervals never overlap, nothing changes. */
    if (PQntuples(res) == 1 &&
        s_recompute_case(ctx, s->case_no, "deadline.suspended", now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_resume(const deadline_context_t *ctx, const char *case_no, int64_t resumed_at_us,
                  const char *event_id, int64_t now_us, ow_error_t *err)
{
    (void)event_id;
    int rc = -1;
    PGresult *res = NULL;
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty: which case is resumed?");
    if (resumed_at_us <= 0)
        ow_error_add_violation(err, "resumed_at_us", "is missing: when did the case resume?");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    char at[24];
    s_fmt(at, sizeof at, resumed_at_us);
    const char *params[] = {case_no, at};
    res = ow_db_exec(ctx->db, "deadline_suspension_close", 2, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 1 && s_recompute_case(ctx, case_no, "deadline.resumed", now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int clocks_extend(const deadline_context_t *ctx, const clock_extend_t *e, int64_t now_us,
                  bool *refused, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    *refused = false;
    if (!e->case_no || !*e->case_no)
        ow_error_add_violation(err, "case_no", "is empty: which case is extended?");
    if (s_too_long(e->approved_by, CLOCK_CODE_MAX))
        ow_error_add_violation(err, "approved_by", "is longer than %d bytes", CLOCK_CODE_MAX);
    if (s_too_long(e->reason, 2000))
        ow_error_add_violation(err, "reason", "is longer than 2000 bytes");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    /* The ceiling counts what was granted before (art. 42: 10, or 15 for joint handling, in
     * total) and applies to working-day limits; without a clock yet (the sources replay
     * independently) the limit is taken to be in working days, as statutory ones are. */
    const char *case_params[] = {e->case_no};
    res = ow_db_exec(ctx->db, "deadline_extension_sum", 1, case_params, err);
    if (!res)
        goto cleanup;
    int32_t already = (int32_t)s_int64(res, 0, 0);
    PQclear(res);
    res = NULL;
    deadline_unit_t unit = DEADLINE_UNIT_WORKING_DAYS;
    deadline_clock_t clock;
    ow_error_t lookup;
    ow_error_clear(&lookup);
    if (clocks_get(ctx->db, e->case_no, "", &clock, &lookup) == 0)
        deadline_unit_parse(clock.unit, &unit);
    else if (lookup.code != OW_NOT_FOUND) {
        *err = lookup;
        goto cleanup;
    }
    ow_error_t refusal;
    ow_error_clear(&refusal);
    *refused = deadline_extension_check(already, e->extra_days, e->joint_handling, e->approved_by,
                                        unit, &refusal) != 0;

    char extra[16], at[24];
    snprintf(extra, sizeof extra, "%d", (int)e->extra_days);
    s_fmt(at, sizeof at, e->approved_at_us);
    const char *params[] = {e->event_id,
                            e->case_no,
                            extra,
                            e->joint_handling ? "t" : "f",
                            e->approved_by ? e->approved_by : "",
                            e->reason ? e->reason : "",
                            at,
                            *refused ? "f" : "t",
                            *refused ? refusal.message : ""};
    res = ow_db_exec(ctx->db, "deadline_extension_insert", 9, params, err);
    if (!res)
        goto cleanup;
    bool recorded = PQntuples(res) == 1;
    PQclear(res);
    res = NULL;
    if (recorded && !*refused) {
        const char *ext_params[] = {e->case_no, extra, e->joint_handling ? "t" : "f"};
        res = ow_db_exec(ctx->db, "deadline_clock_extend", 3, ext_params, err);
        if (!res)
            goto cleanup;
        PQclear(res);
        res = s_open_clocks(ctx, e->case_no, "", err);
        if (!res)
            goto cleanup;
        for (int i = 0; i < PQntuples(res); i++) {
            deadline_clock_t c;
            s_clock_from_row(res, i, &c);
            if (s_recompute(ctx, &c, "deadline.extended", true, now_us, err) != 0)
                goto cleanup;
        }
    }
    if (*refused)
        *err = refusal;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

/* A stage clock started for a case already over (routing's stage.started applied after
 * intake's case.withdrawn: two sources, each replayed on its own) stops at once, at the end's
 * instant and for its reason. Returns 0 or -1 with err. */
static int s_stop_if_over(const deadline_context_t *ctx, const char *case_no, const char *stage,
                          int64_t now_us, ow_error_t *err)
{
    const char *params[] = {case_no};
    PGresult *res = ow_db_exec(ctx->db, "deadline_outcome_get", 1, params, err);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 1) {
        int64_t ended = s_int64(res, 0, 0);
        char kind[CLOCK_REASON_MAX + 1];
        snprintf(kind, sizeof kind, "%s", PQgetvalue(res, 0, 1));
        PQclear(res);
        res = s_open_clocks(ctx, case_no, stage, err);
        if (!res)
            return -1;
        for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
            deadline_clock_t clock;
            s_clock_from_row(res, i, &clock);
            /* Never before its own start: routing started it before hearing of the end. */
            int64_t at = ended > clock.started_at_us ? ended : clock.started_at_us;
            rc = s_stop_locked(ctx, &clock, at, kind, now_us, err);
        }
    }
    PQclear(res);
    return rc;
}

int clocks_stage_start(const deadline_context_t *ctx, const clock_stage_t *s, int64_t now_us,
                       ow_error_t *err)
{
    if (!s->case_no || !*s->case_no)
        ow_error_add_violation(err, "case_no", "is empty: whose stage started?");
    if (!s->stage || !*s->stage)
        ow_error_add_violation(err, "stage", "is empty: a stage clock needs the stage's name");
    else if (s_too_long(s->stage, CLOCK_STAGE_MAX) || strcmp(s->stage, "*") == 0)
        ow_error_add_violation(err, "stage", "is longer than %d bytes or '*'", CLOCK_STAGE_MAX);
    if (s_too_long(s->department_code, CLOCK_CODE_MAX))
        ow_error_add_violation(err, "department_code", "is longer than %d bytes", CLOCK_CODE_MAX);
    s_check_limit("limit", s->limit, "unit", s->unit, err);
    if (s->at_us <= 0)
        ow_error_add_violation(err, "at_us", "is missing: when did the stage start?");
    if (ow_error_finish_violations(err) != 0)
        return -1;
    /* The stage inherits the case's centre (its calendar) and item (its thresholds). */
    deadline_clock_t cc;
    ow_error_t lookup;
    ow_error_clear(&lookup);
    bool have_case = clocks_get(ctx->db, s->case_no, "", &cc, &lookup) == 0;
    if (!have_case && lookup.code != OW_NOT_FOUND) {
        *err = lookup;
        return -1;
    }
    bool created = false;
    if (s_insert(ctx, s->case_no, s->stage, have_case ? cc.centre_id : s->centre_id,
                 have_case ? cc.item_code : "", s->department_code, s->at_us, s->limit, s->unit, 0,
                 s->event_id, now_us, &created, err) != 0)
        return -1;
    return created ? s_stop_if_over(ctx, s->case_no, s->stage, now_us, err) : 0;
}

int clocks_stage_stop(const deadline_context_t *ctx, const char *case_no, const char *stage,
                      int64_t at_us, int64_t now_us, ow_error_t *err)
{
    if (!case_no || !*case_no)
        ow_error_add_violation(err, "case_no", "is empty: whose stage completed?");
    if (!stage || !*stage || strcmp(stage, "*") == 0)
        ow_error_add_violation(err, "stage", "is empty: which stage completed?");
    if (ow_error_finish_violations(err) != 0)
        return -1;
    PGresult *res = s_open_clocks(ctx, case_no, stage, err);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        deadline_clock_t clock;
        s_clock_from_row(res, i, &clock);
        rc = s_stop_locked(ctx, &clock, at_us, CLOCK_STOP_STAGE_COMPLETED, now_us, err);
    }
    PQclear(res);
    return rc;
}

int clocks_get(ow_db_t *db, const char *case_no, const char *stage, deadline_clock_t *out,
               ow_error_t *err)
{
    int rc = -1;
    const char *params[] = {case_no, stage ? stage : ""};
    PGresult *res = ow_db_exec(db, "deadline_clock_get", 2, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        if (stage && *stage)
            ow_error_set(err, OW_NOT_FOUND, "case %s has no clock for stage '%s'", case_no,
                         s_echo(stage));
        else
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

int clocks_list_stages(ow_db_t *db, const char *case_no, deadline_clock_t *out, int max,
                       ow_error_t *err)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max);
    const char *params[] = {case_no, limit};
    PGresult *res = ow_db_exec(db, "deadline_clock_stages", 2, params, err);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        s_clock_from_row(res, i, &out[i]);
    PQclear(res);
    return n;
}

/* The order cards are raised in: instant, then clock, then yellow before red. */
static int s_card_cmp(const void *a, const void *b)
{
    const clocks_card_t *x = a, *y = b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    if (x->clock_id != y->clock_id)
        return x->clock_id < y->clock_id ? -1 : 1;
    return (int)x->card - (int)y->card;
}

/* A growing text buffer for array literals ("{1,2,NULL}"). */
typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} s_buf_t;

static void s_buf_add(s_buf_t *b, const char *item)
{
    size_t n = strlen(item);
    if (b->failed)
        return;
    if (b->len + n + 3 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
    b->text[b->len] = b->len == 0 ? '{' : ',';
    b->len++;
    memcpy(b->text + b->len, item, n);
    b->len += n;
    b->text[b->len] = '\0';
}

static const char *s_buf_close(s_buf_t *b)
{
    if (b->failed)
        return NULL;
    if (b->len == 0)
        s_buf_add(b, "");
    if (b->failed)
        return NULL;
    b->text[b->len] = '}';
    b->text[b->len + 1] = '\0';
    return b->text;
}

void clocks_batch_free(clocks_batch_t *batch)
{
    if (!batch)
        return;
    free(batch->clocks);
    free(batch->cards);
    free(batch->yellowed);
    memset(batch, 0, sizeof *batch);
}

int clocks_claim_cards(const deadline_context_t *ctx, int64_t now_us, int batch,
                       clocks_batch_t *out, ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    char now[24], limit[16];
    s_fmt(now, sizeof now, now_us);
    snprintf(limit, sizeof limit, "%d", batch);
    const char *params[] = {now, limit};
    PGresult *res = ow_db_exec(ctx->db, "deadline_cards_due", 2, params, err);
    if (!res)
        return -1;
    int n = PQntuples(res);
    out->clocks = calloc((size_t)n + 1, sizeof *out->clocks);
    out->cards = calloc((size_t)n * 2 + 1, sizeof *out->cards);
    out->yellowed = calloc((size_t)n + 1, sizeof *out->yellowed);
    if (!out->clocks || !out->cards || !out->yellowed) {
        ow_error_set(err, OW_INTERNAL, "out of memory scanning %d clocks", n);
        PQclear(res);
        clocks_batch_free(out);
        return -1;
    }
    out->n = n;
    /* DOMAIN §5: yellow when the limit is close, red once passed; both when the scan comes
     * late (a restart, a moved test clock), each once and in the order they fell due. */
    for (int i = 0; i < n; i++) {
        s_clock_from_row(res, i, &out->clocks[i]);
        deadline_clock_t *c = &out->clocks[i];
        deadline_times_t times = {.due_at_us = c->due_at_us,
                                  .yellow_at_us =
                                      c->yellow_at_us ? c->yellow_at_us : DEADLINE_NEVER};
        deadline_card_t card = DEADLINE_CARD_NONE;
        deadline_card_parse(c->card, &card);
        deadline_card_t target = deadline_card_at(&times, now_us);
        if (card == DEADLINE_CARD_NONE && target >= DEADLINE_CARD_YELLOW &&
            times.yellow_at_us < times.due_at_us)
            out->cards[out->ncards++] =
                (clocks_card_t){i, c->clock_id, DEADLINE_CARD_YELLOW, times.yellow_at_us};
        if (card < DEADLINE_CARD_RED && target == DEADLINE_CARD_RED)
            out->cards[out->ncards++] =
                (clocks_card_t){i, c->clock_id, DEADLINE_CARD_RED, times.due_at_us};
        if (i == n - 1) {
            out->last_fire_us = s_int64(res, i, PQnfields(res) - 1);
            out->last_clock_id = c->clock_id;
        }
    }
    PQclear(res);
    qsort(out->cards, (size_t)out->ncards, sizeof *out->cards, s_card_cmp);
    return 0;
}

int clocks_raise_card(const deadline_context_t *ctx, clocks_batch_t *batch,
                      const clocks_card_t *card, int64_t now_us, ow_error_t *err)
{
    deadline_clock_t *c = &batch->clocks[card->clock];
    bool red = card->card == DEADLINE_CARD_RED;
    snprintf(c->card, sizeof c->card, "%s", deadline_card_name(card->card));
    if (red) {
        snprintf(c->state, sizeof c->state, "expired");
        c->red_at_us = now_us;
    } else
        batch->yellowed[card->clock] = true;
    c->event_at_us = card->at_us;
    return s_emit(ctx, red ? "deadline.red" : "deadline.yellow", c, now_us, err);
}

int clocks_store_cards(const deadline_context_t *ctx, const clocks_batch_t *batch, int64_t now_us,
                       ow_error_t *err)
{
    int rc = -1;
    s_buf_t cols[6] = {{0}};
    if (batch->n == 0)
        return 0;
    for (int i = 0; i < batch->n; i++) {
        const deadline_clock_t *c = &batch->clocks[i];
        deadline_times_t times = {.due_at_us = c->due_at_us,
                                  .yellow_at_us =
                                      c->yellow_at_us ? c->yellow_at_us : DEADLINE_NEVER};
        deadline_card_t card = DEADLINE_CARD_NONE;
        deadline_card_parse(c->card, &card);
        int64_t next = deadline_card_next(&times, card);
        char id[24], next_text[24], at[24];
        s_fmt(id, sizeof id, c->clock_id);
        s_fmt(next_text, sizeof next_text, next);
        s_fmt(at, sizeof at, now_us);
        s_buf_add(&cols[0], id);
        s_buf_add(&cols[1], c->card);
        s_buf_add(&cols[2], c->state);
        s_buf_add(&cols[3], next == DEADLINE_NEVER ? "NULL" : next_text);
        s_buf_add(&cols[4], batch->yellowed[i] ? at : "NULL");
        s_buf_add(&cols[5], card == DEADLINE_CARD_RED ? at : "NULL");
    }
    const char *arrays[6];
    for (int k = 0; k < 6; k++)
        if (!(arrays[k] = s_buf_close(&cols[k]))) {
            ow_error_set(err, OW_INTERNAL, "out of memory scanning %d clocks", batch->n);
            goto cleanup;
        }
    PGresult *upd = ow_db_exec(ctx->db, "deadline_cards_raise", 6, arrays, err);
    if (!upd)
        goto cleanup;
    PQclear(upd);
    rc = 0;
cleanup:
    for (int k = 0; k < 6; k++)
        free(cols[k].text);
    return rc;
}

int clocks_fire_cards(const deadline_context_t *ctx, int64_t now_us, int batch, int *claimed,
                      ow_error_t *err)
{
    int rc = -1;
    clocks_batch_t b = {0};
    if (claimed)
        *claimed = 0;
    if (ow_db_begin(ctx->db, err) != 0)
        return -1;
    if (clocks_claim_cards(ctx, now_us, batch, &b, err) != 0)
        goto cleanup;
    for (int r = 0; r < b.ncards; r++)
        if (clocks_raise_card(ctx, &b, &b.cards[r], now_us, err) != 0)
            goto cleanup;
    if (clocks_store_cards(ctx, &b, now_us, err) != 0 || ow_db_commit(ctx->db, err) != 0)
        goto cleanup;
    if (claimed)
        *claimed = b.n;
    rc = b.ncards;
cleanup:
    clocks_batch_free(&b);
    if (rc < 0 && ow_db_in_transaction(ctx->db))
        ow_db_rollback(ctx->db);
    return rc;
}
