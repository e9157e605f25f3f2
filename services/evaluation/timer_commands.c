/* timer_commands — see timer_commands.h. */
#include "timer_commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/deadline.pb-c.h"
#include "ow_log.h"

/* How many commands one pass sends, and how long each waits for deadlined. */
#define S_PASS_MAX   256
#define S_TIMEOUT_MS 5000
#define S_PERIOD_S   2.0

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    /* $2/$3: days after the decision; a negative $3 means no default (defaults off). */
    {"evaluation_timer_rating_window",
     "INSERT INTO timer_commands (timer_key, case_no, kind, centre_id, due_at_us, op)"
     " SELECT 'evaluation:' || k.kind || ':' || s.case_no, s.case_no, k.kind, s.centre_id,"
     " s.decided_at_us + k.days::bigint * 86400000000, 'schedule'"
     " FROM served_cases s CROSS JOIN (VALUES ('" TIMER_RATING_INVITE "', $2::int),"
     " ('" TIMER_RATING_DEFAULT "', $3::int)) k(kind, days)"
     " WHERE s.case_no = $1 AND s.rateable AND k.days >= 0"
     " AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.case_no = s.case_no)"
     " ON CONFLICT (timer_key) DO NOTHING"},
    {"evaluation_timer_cancel_rating",
     "UPDATE timer_commands SET op = 'cancel', acked = false, attempts = 0, last_error = '',"
     " updated_at = now() WHERE case_no = ANY ($1::text[]) AND op = 'schedule'"
     " AND kind IN ('" TIMER_RATING_INVITE "', '" TIMER_RATING_DEFAULT "')"},
    {"evaluation_timer_schedule",
     "INSERT INTO timer_commands (timer_key, kind, case_no, centre_id, due_at_us, op)"
     " VALUES ($1, $2, $3, $4, $5, 'schedule') ON CONFLICT (timer_key) DO NOTHING"},
    {"evaluation_timer_cancel",
     "UPDATE timer_commands SET op = 'cancel', acked = false, attempts = 0, last_error = '',"
     " updated_at = now() WHERE timer_key = $1 AND op = 'schedule'"},
    {"evaluation_timer_pending",
     "SELECT timer_key, op, kind, case_no, centre_id, due_at_us, start_at_us, amount, unit"
     " FROM timer_commands"
     " WHERE NOT acked ORDER BY updated_at, timer_key LIMIT "
     "256"},
    /* Only the command that was sent: a cancel written meanwhile stays to be sent. $4: the due
     * time deadlined computed for a relative period (0 = keep). */
    {"evaluation_timer_acked",
     "UPDATE timer_commands SET acked = true, last_error = $3, due_at_us = CASE WHEN"
     " $4::bigint > 0 THEN $4::bigint ELSE due_at_us END WHERE timer_key = $1 AND op = $2"
     " AND NOT acked"},
    {"evaluation_timer_failed",
     "UPDATE timer_commands SET attempts = attempts + 1, last_error = $3, updated_at = now()"
     " WHERE timer_key = $1 AND op = $2 AND NOT acked"},
};

int timer_commands_prepare(ow_db_t *db, ow_error_t *err)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (ow_db_prepare(db, s_statements[i].name, s_statements[i].sql, err) != 0)
            return -1;
    return 0;
}

static int s_exec(ow_db_t *db, const char *name, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int timer_commands_rating_window(ow_db_t *db, const char *case_no, const rating_window_t *w,
                                 ow_error_t *err)
{
    char invite[16], deflt[16];
    snprintf(invite, sizeof invite, "%d", w->invite_after_days);
    /* DOMAIN.md §6: the default is configurable; switched off, no default timer at all. */
    snprintf(deflt, sizeof deflt, "%d", w->default_enabled ? w->default_after_days : -1);
    const char *params[] = {case_no, invite, deflt};
    return s_exec(db, "evaluation_timer_rating_window", 3, params, err);
}

int timer_commands_cancel_rating(ow_db_t *db, const char *case_nos_literal, ow_error_t *err)
{
    const char *params[] = {case_nos_literal};
    return s_exec(db, "evaluation_timer_cancel_rating", 1, params, err);
}

int timer_commands_schedule(ow_db_t *db, const char *timer_key, const char *kind,
                            const char *case_no, const char *centre_id, int64_t due_at_us,
                            ow_error_t *err)
{
    char due[24];
    snprintf(due, sizeof due, "%" PRId64, due_at_us);
    const char *params[] = {timer_key, kind, case_no ? case_no : "", centre_id ? centre_id : "",
                            due};
    return s_exec(db, "evaluation_timer_schedule", 5, params, err);
}

int timer_commands_cancel(ow_db_t *db, const char *timer_key, ow_error_t *err)
{
    const char *params[] = {timer_key};
    return s_exec(db, "evaluation_timer_cancel", 1, params, err);
}

/* ---- the sender ---- */

struct timer_sender {
    ow_loop_t *loop;
    ow_db_t *db;
    ow_rpc_client_t *deadline;
    ow_timer_t *period; /* every S_PERIOD_S: retries and the first pass after a restart */
    ow_timer_t *soon;   /* one-shot, armed by a kick */
    size_t in_flight;   /* requests of the current pass still unanswered */
    uint64_t acked;
};

/* One request in flight; owned by the call until its callback. */
typedef struct {
    timer_sender_t *sender;
    char key[201];
    char op[9];
} s_call_t;

static void s_pass(timer_sender_t *self);

static void s_mark(timer_sender_t *self, const char *stmt, const s_call_t *c, const char *note,
                   int64_t due_at_us)
{
    ow_error_t err;
    ow_error_clear(&err);
    char due[24];
    snprintf(due, sizeof due, "%" PRId64, due_at_us);
    const char *params[] = {c->key, c->op, note, due};
    if (s_exec(self->db, stmt, strcmp(stmt, "evaluation_timer_acked") == 0 ? 4 : 3, params, &err) !=
        0)
        ow_log_kv(OW_LOG_WARN, "timer command not marked (sent again later)", "timer_key", c->key,
                  "error", err.message, NULL);
}

static void s_on_reply(const ow_rpc_result_t *result, void *arg)
{
    s_call_t *c = arg;
    timer_sender_t *self = c->sender;
    self->in_flight--;
    if (result->status == OW_CANCELLED) /* shutting down: the row is sent on the next start */
        goto cleanup;
    if (result->status == OW_OK) {
        /* A relative period (the rectification deadline in working days): keep the due time
         * deadlined computed on its calendar. */
        int64_t due = 0;
        Onewindow__V1__TimerReply *r =
            onewindow__v1__timer_reply__unpack(NULL, result->payload_len, result->payload);
        if (r && r->timer)
            due = r->timer->due_at_us;
        if (r)
            onewindow__v1__timer_reply__free_unpacked(r, NULL);
        s_mark(self, "evaluation_timer_acked", c, "", due);
        self->acked++;
    } else if (result->status == OW_INVALID_ARGUMENT || result->status == OW_FAILED_PRECONDITION) {
        /* deadlined refused it for good (a resend gets the same answer): keep the reason on
         * the row and in the log for an operator rather than resend forever. */
        ow_log_kv(OW_LOG_ERROR, "deadlined refused a timer command", "timer_key", c->key, "op",
                  c->op, "error", result->message, NULL);
        s_mark(self, "evaluation_timer_acked", c, result->message, 0);
    } else
        s_mark(self, "evaluation_timer_failed", c, result->message, 0);
    if (self->in_flight == 0 && result->status == OW_OK)
        ow_timer_arm(self->soon, 0); /* more may be waiting beyond this pass */
cleanup:
    free(c);
}

static void s_send(timer_sender_t *self, const PGresult *res, int row)
{
    s_call_t *c = calloc(1, sizeof *c);
    if (!c)
        return; /* sent on a later pass */
    c->sender = self;
    snprintf(c->key, sizeof c->key, "%s", PQgetvalue(res, row, 0));
    snprintf(c->op, sizeof c->op, "%s", PQgetvalue(res, row, 1));
    uint8_t *buf = NULL;
    size_t len = 0;
    char idem[220];
    const char *method;
    if (strcmp(c->op, "schedule") == 0) {
        Onewindow__V1__ScheduleTimer m = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
        m.timer_key = c->key;
        m.owner = TIMER_OWNER;
        m.kind = PQgetvalue(res, row, 2);
        m.case_no = PQgetvalue(res, row, 3);
        m.centre_id = PQgetvalue(res, row, 4);
        m.due_at_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
        /* A relative period: deadlined counts it on the centre's calendar (docs/contract.md,
         * "The timer service"). */
        if (m.due_at_us == 0 && strtol(PQgetvalue(res, row, 7), NULL, 10) > 0) {
            m.start_at_us = strtoll(PQgetvalue(res, row, 6), NULL, 10);
            m.amount = (int32_t)strtol(PQgetvalue(res, row, 7), NULL, 10);
            m.unit = PQgetvalue(res, row, 8);
        }
        len = onewindow__v1__schedule_timer__get_packed_size(&m);
        buf = malloc(len ? len : 1);
        if (buf)
            onewindow__v1__schedule_timer__pack(&m, buf);
        method = "deadline.schedule_timer";
        /* docs/contract.md: the idempotency key of schedule_timer is the timer key. */
        snprintf(idem, sizeof idem, "%s", c->key);
    } else {
        Onewindow__V1__CancelTimer m = ONEWINDOW__V1__CANCEL_TIMER__INIT;
        m.timer_key = c->key;
        len = onewindow__v1__cancel_timer__get_packed_size(&m);
        buf = malloc(len ? len : 1);
        if (buf)
            onewindow__v1__cancel_timer__pack(&m, buf);
        method = "deadline.cancel_timer";
        snprintf(idem, sizeof idem, "cancel:%s", c->key);
    }
    if (!buf) {
        free(c);
        return;
    }
    self->in_flight++;
    ow_rpc_call(self->deadline, method, idem, TIMER_OWNER, buf, len, S_TIMEOUT_MS, s_on_reply, c);
    free(buf);
}

static void s_pass(timer_sender_t *self)
{
    /* One pass at a time: a timer never has two requests in flight, so its cancel cannot
     * overtake its schedule. Another handler's open transaction is not ours to join. */
    if (self->in_flight > 0 || ow_db_in_transaction(self->db) || ow_loop_stopping(self->loop))
        return;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = ow_db_exec(self->db, "evaluation_timer_pending", 0, NULL, &err);
    if (!res) {
        ow_log_kv(OW_LOG_WARN, "timer commands not read (retried)", "error", err.message, NULL);
        return;
    }
    for (int i = 0; i < PQntuples(res) && i < S_PASS_MAX; i++)
        s_send(self, res, i);
    PQclear(res);
}

static void s_on_timer(void *arg)
{
    s_pass(arg);
}

timer_sender_t *timer_sender_new(ow_loop_t *loop, ow_db_t *db, ow_rpc_client_t *deadline,
                                 ow_error_t *err)
{
    timer_sender_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    self->loop = loop;
    self->db = db;
    self->deadline = deadline;
    /* The first pass right away: commands left unacknowledged before a restart go out now. */
    self->period = ow_loop_timer(loop, S_PERIOD_S, true, s_on_timer, self);
    self->soon = ow_loop_timer(loop, 0, false, s_on_timer, self);
    if (!self->period || !self->soon)
        goto fail;
    return self;
fail:
    ow_error_set(err, OW_INTERNAL, "out of memory starting the timer command sender");
    timer_sender_destroy(&self);
    return NULL;
}

void timer_sender_destroy(timer_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    timer_sender_t *self = *self_p;
    ow_timer_destroy(&self->period);
    ow_timer_destroy(&self->soon);
    free(self);
    *self_p = NULL;
}

void timer_sender_kick(timer_sender_t *self)
{
    if (self)
        ow_timer_arm(self->soon, 0);
}

uint64_t timer_sender_acked(const timer_sender_t *self)
{
    return self ? self->acked : 0;
}
