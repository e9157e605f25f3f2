/* ow_timer_client — see ow_timer_client.h. */
#include "ow_timer_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/deadline.pb-c.h"
#include "ow_db.h"
#include "ow_log.h"

/* How many commands one pass sends, and how long each waits for deadlined. */
#define S_PASS_MAX   256
#define S_TIMEOUT_MS 5000
#define S_PERIOD_S   2.0
#define S_OWNER_MAX  64

static const ow_db_statement_t s_statements[] = {
    {"ow_timer_schedule",
     "INSERT INTO timer_commands (timer_key, kind, case_no, centre_id, due_at_us, start_at_us,"
     " amount, unit, op) VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7::integer, $8,"
     " 'schedule') ON CONFLICT (timer_key) DO NOTHING"},
    {"ow_timer_cancel",
     "UPDATE timer_commands SET op = 'cancel', acked = false, attempts = 0, last_error = '',"
     " updated_at = clock_timestamp() WHERE timer_key = $1 AND op = 'schedule'"},
    {"ow_timer_cancel_case",
     "UPDATE timer_commands SET op = 'cancel', acked = false, attempts = 0, last_error = '',"
     " updated_at = clock_timestamp() WHERE case_no = $1 AND op = 'schedule'"},
    {"ow_timer_pending",
     "SELECT timer_key, op, kind, case_no, centre_id, due_at_us, start_at_us, amount, unit"
     " FROM timer_commands WHERE NOT acked ORDER BY updated_at, timer_key LIMIT 256"},
    /* Only the command that was sent: a cancel written meanwhile stays to be sent. $4: the due
     * time deadlined computed for a relative period (0 = keep). */
    {"ow_timer_acked",
     "UPDATE timer_commands SET acked = true, last_error = $3, due_at_us = CASE WHEN"
     " $4::bigint > 0 THEN $4::bigint ELSE due_at_us END WHERE timer_key = $1 AND op = $2"
     " AND NOT acked"},
    {"ow_timer_failed",
     "UPDATE timer_commands SET attempts = attempts + 1, last_error = $3,"
     " updated_at = clock_timestamp() WHERE timer_key = $1 AND op = $2 AND NOT acked"},
};

int ow_timer_client_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static int s_exec(ow_db_t *db, const char *name, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

void ow_timer_key(char *out, size_t size, const char *owner, const char *kind, const char *id)
{
    snprintf(out, size, "%s:%s:%s", owner, kind, id);
}

static int s_schedule(ow_db_t *db, const char *key, const char *kind, const char *case_no,
                      const char *centre_id, int64_t due_at_us, int64_t start_at_us, int amount,
                      const char *unit, ow_error_t *err)
{
    if (strlen(key) > OW_TIMER_KEY_MAX) {
        ow_error_set(err, OW_INTERNAL, "timer key '%.40s…' is longer than %d bytes", key,
                     OW_TIMER_KEY_MAX);
        return -1;
    }
    char due[24], start[24], n[16];
    snprintf(due, sizeof due, "%" PRId64, due_at_us);
    snprintf(start, sizeof start, "%" PRId64, start_at_us);
    snprintf(n, sizeof n, "%d", amount);
    const char *p[] = {key,   kind, case_no ? case_no : "", centre_id ? centre_id : "", due,
                       start, n,    unit ? unit : ""};
    return s_exec(db, "ow_timer_schedule", 8, p, err);
}

int ow_timer_schedule(ow_db_t *db, const char *timer_key, const char *kind, const char *case_no,
                      const char *centre_id, int64_t due_at_us, ow_error_t *err)
{
    return s_schedule(db, timer_key, kind, case_no, centre_id, due_at_us, 0, 0, "", err);
}

int ow_timer_schedule_relative(ow_db_t *db, const char *timer_key, const char *kind,
                               const char *case_no, const char *centre_id, int64_t start_at_us,
                               int amount, const char *unit, ow_error_t *err)
{
    return s_schedule(db, timer_key, kind, case_no, centre_id, 0, start_at_us, amount, unit, err);
}

int ow_timer_cancel(ow_db_t *db, const char *timer_key, ow_error_t *err)
{
    const char *p[] = {timer_key};
    return s_exec(db, "ow_timer_cancel", 1, p, err);
}

int ow_timer_cancel_case(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *p[] = {case_no};
    return s_exec(db, "ow_timer_cancel_case", 1, p, err);
}

/* ---- the sender ---- */

struct ow_timer_sender {
    ow_loop_t *loop;
    ow_db_t *db;
    ow_rpc_client_t *deadline;
    char owner[S_OWNER_MAX];
    ow_timer_t *period; /* every S_PERIOD_S: retries, and the first pass after a restart */
    ow_timer_t *soon;   /* one-shot, armed by a kick */
    size_t in_flight;   /* requests of the current pass still unanswered */
    uint64_t acked;
};

/* One request in flight; owned by the call until its callback. */
typedef struct {
    ow_timer_sender_t *sender;
    char key[OW_TIMER_KEY_MAX + 1];
    char op[9];
} s_call_t;

static void s_mark(ow_timer_sender_t *self, const char *stmt, const s_call_t *c, const char *note,
                   int64_t due_at_us)
{
    ow_error_t err;
    ow_error_clear(&err);
    char due[24];
    snprintf(due, sizeof due, "%" PRId64, due_at_us);
    const char *params[] = {c->key, c->op, note, due};
    int n = strcmp(stmt, "ow_timer_acked") == 0 ? 4 : 3;
    if (s_exec(self->db, stmt, n, params, &err) != 0)
        ow_log_kv(OW_LOG_WARN, "timer command not marked (sent again later)", "timer_key", c->key,
                  "error", err.message, NULL);
}

static void s_on_reply(const ow_rpc_result_t *result, void *arg)
{
    s_call_t *c = arg;
    ow_timer_sender_t *self = c->sender;
    self->in_flight--;
    if (result->status == OW_CANCELLED) /* shutting down: the row is sent on the next start */
        goto cleanup;
    if (ow_db_in_transaction(self->db)) {
        /* Another handler's transaction is open (cannot happen between loop callbacks, but
         * never join it): the row stays unacknowledged and is resent, harmlessly. */
        goto cleanup;
    }
    if (result->status == OW_OK) {
        /* A relative period: keep the due time deadlined computed on its calendar. */
        int64_t due = 0;
        Onewindow__V1__TimerReply *r =
            onewindow__v1__timer_reply__unpack(NULL, result->payload_len, result->payload);
        if (r && r->timer)
            due = r->timer->due_at_us;
        if (r)
            onewindow__v1__timer_reply__free_unpacked(r, NULL);
        s_mark(self, "ow_timer_acked", c, "", due);
        self->acked++;
    } else if (result->status == OW_INVALID_ARGUMENT || result->status == OW_FAILED_PRECONDITION) {
        /* Refused for good (a resend gets the same answer): keep the reason on the row and in
         * the log for an operator rather than resend forever. */
        ow_log_kv(OW_LOG_ERROR, "deadlined refused a timer command", "timer_key", c->key, "op",
                  c->op, "error", result->message, NULL);
        s_mark(self, "ow_timer_acked", c, result->message, 0);
    } else {
        s_mark(self, "ow_timer_failed", c, result->message, 0);
    }
    if (self->in_flight == 0 && result->status == OW_OK)
        ow_timer_arm(self->soon, 0); /* more may be waiting beyond this pass */
cleanup:
    free(c);
}

static void s_send(ow_timer_sender_t *self, const PGresult *res, int row)
{
    s_call_t *c = calloc(1, sizeof *c);
    uint8_t *buf = NULL;
    if (!c)
        return; /* sent on a later pass */
    c->sender = self;
    snprintf(c->key, sizeof c->key, "%s", PQgetvalue(res, row, 0));
    snprintf(c->op, sizeof c->op, "%s", PQgetvalue(res, row, 1));
    size_t len = 0;
    char idem[OW_TIMER_KEY_MAX + 16];
    const char *method;
    if (strcmp(c->op, "schedule") == 0) {
        Onewindow__V1__ScheduleTimer m = ONEWINDOW__V1__SCHEDULE_TIMER__INIT;
        m.timer_key = c->key;
        m.owner = self->owner;
        m.kind = PQgetvalue(res, row, 2);
        m.case_no = PQgetvalue(res, row, 3);
        m.centre_id = PQgetvalue(res, row, 4);
        m.due_at_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
        /* A relative period: deadlined counts it on the centre's calendar (docs/contract.md,
         * "The timer service"). */
        if (m.due_at_us == 0) {
            m.start_at_us = strtoll(PQgetvalue(res, row, 6), NULL, 10);
            m.amount = (int32_t)strtol(PQgetvalue(res, row, 7), NULL, 10);
            m.unit = PQgetvalue(res, row, 8);
        }
        len = onewindow__v1__schedule_timer__get_packed_size(&m);
        if ((buf = malloc(len ? len : 1)))
            onewindow__v1__schedule_timer__pack(&m, buf);
        method = "deadline.schedule_timer";
        /* docs/contract.md: the idempotency key of schedule_timer is the timer key. */
        snprintf(idem, sizeof idem, "%s", c->key);
    } else {
        Onewindow__V1__CancelTimer m = ONEWINDOW__V1__CANCEL_TIMER__INIT;
        m.timer_key = c->key;
        len = onewindow__v1__cancel_timer__get_packed_size(&m);
        if ((buf = malloc(len ? len : 1)))
            onewindow__v1__cancel_timer__pack(&m, buf);
        method = "deadline.cancel_timer";
        snprintf(idem, sizeof idem, "cancel:%s", c->key);
    }
    if (!buf) {
        free(c);
        return;
    }
    self->in_flight++;
    ow_rpc_call(self->deadline, method, idem, self->owner, buf, len, S_TIMEOUT_MS, s_on_reply, c);
    free(buf);
}

static void s_pass(void *arg)
{
    ow_timer_sender_t *self = arg;
    /* One pass at a time: a timer never has two requests in flight, so its cancel cannot
     * overtake its schedule. Another handler's open transaction is not ours to join. */
    if (self->in_flight > 0 || ow_db_in_transaction(self->db) || ow_loop_stopping(self->loop))
        return;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = ow_db_exec(self->db, "ow_timer_pending", 0, NULL, &err);
    if (!res) {
        ow_log_kv(OW_LOG_WARN, "timer commands not read (retried)", "error", err.message, NULL);
        return;
    }
    for (int i = 0; i < PQntuples(res) && i < S_PASS_MAX; i++)
        s_send(self, res, i);
    PQclear(res);
}

ow_timer_sender_t *ow_timer_sender_new(ow_loop_t *loop, ow_db_t *db, ow_rpc_client_t *deadline,
                                       const char *owner, ow_error_t *err)
{
    ow_timer_sender_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    self->loop = loop;
    self->db = db;
    self->deadline = deadline;
    snprintf(self->owner, sizeof self->owner, "%s", owner ? owner : "");
    /* The periodic pass also runs first at start-up: commands left unacknowledged before a
     * restart (pending timers) go out again. */
    self->period = ow_loop_timer(loop, S_PERIOD_S, true, s_pass, self);
    self->soon = ow_loop_timer(loop, 0, false, s_pass, self);
    if (!self->period || !self->soon)
        goto fail;
    return self;
fail:
    ow_error_set(err, OW_INTERNAL, "out of memory starting the timer command sender");
    ow_timer_sender_destroy(&self);
    return NULL;
}

void ow_timer_sender_destroy(ow_timer_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_timer_sender_t *self = *self_p;
    ow_timer_destroy(&self->period);
    ow_timer_destroy(&self->soon);
    free(self);
    *self_p = NULL;
}

void ow_timer_sender_kick(ow_timer_sender_t *self)
{
    if (self)
        ow_timer_arm(self->soon, 0);
}

uint64_t ow_timer_sender_acked(const ow_timer_sender_t *self)
{
    return self ? self->acked : 0;
}
