/* queue — the hall queue (排号叫号, DOMAIN.md §3; hall.h): intake.take_ticket,
 * intake.call_next, intake.ticket_missed, intake.ticket_serving, intake.ticket_done and
 * intake.hall_statistics. Who is called next and which moves are allowed are queue_ticket.h;
 * the 爱心通道 is lanes.h. Waiting and serving times are recorded on the ticket and carried by
 * its events for the hall statistics. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "applicant.h"
#include "hall.h"
#include "hall_store.h"
#include "lanes.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "queue_ticket.h"

#define S_REQUEST_MAX  4096
#define S_DECLARED_MAX 8
/* Waiting tickets read per call: far above any hall's queue at one window. */
#define S_WAITING_MAX    2000
#define S_STATS_ROWS_MAX 5000

static const ow_db_statement_t s_statements[] = {
    {"intake_hall_waiting",
     "SELECT ticket_id, love, appointment_id IS NOT NULL, slot_start_us, slot_end_us, "
     "taken_at_us, queued_at_us FROM queue_tickets WHERE centre_id = $1 AND window_code = $2 "
     "AND state = 'waiting' ORDER BY queued_at_us, ticket_id LIMIT 2000 FOR UPDATE"},
    {"intake_hall_statistics",
     "SELECT window_code, local_day::text, count(*), count(*) FILTER (WHERE state = 'done'), "
     "count(*) FILTER (WHERE state = 'void'), "
     "COALESCE(round(avg(waiting_seconds) FILTER (WHERE serving_at_us > 0)), 0)::bigint, "
     "COALESCE(round(avg(serving_seconds) FILTER (WHERE state = 'done')), 0)::bigint, "
     "COALESCE(max(waiting_seconds) FILTER (WHERE serving_at_us > 0), 0) "
     "FROM queue_tickets WHERE centre_id = $1 AND taken_at_us >= $2 AND taken_at_us < $3 "
     "GROUP BY 1, 2 ORDER BY 2, 1 LIMIT 5000"},
};

int hall_queue_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

int hall_love_lane(const char *id_type, const char *id_number, char *const *declared,
                   size_t n_declared, int64_t now_us, hall_ticket_t *t, ow_error_t *err)
{
    if (n_declared > S_DECLARED_MAX) {
        ow_error_add_violation(err, "declared_lanes", "at most %d reasons", S_DECLARED_MAX);
        return 1;
    }
    intake_lane_request_t req = {
        .id_type = id_type,
        .id_number = id_number,
        .today_yyyymmdd = ow_clock_local_yyyymmdd(now_us),
        .declared = (const char *const *)declared,
        .declared_count = n_declared,
    };
    intake_lanes_t lanes;
    size_t before = err->violation_count;
    int added = intake_lanes_derive(&req, &lanes, err);
    /* The API's name for the declared reasons here. */
    for (size_t i = before; i < err->violation_count; i++)
        if (strcmp(err->violations[i].field, "lanes.declared") == 0)
            snprintf(err->violations[i].field, sizeof err->violations[i].field, "declared_lanes");
    if (added > 0)
        return added;
    t->love = lanes.love;
    t->love_reasons[0] = '\0';
    for (size_t i = 0; i < lanes.love_reason_count; i++) {
        size_t used = strlen(t->love_reasons);
        snprintf(t->love_reasons + used, sizeof t->love_reasons - used, "%s%s", i ? "," : "",
                 lanes.love_reasons[i]);
    }
    return 0;
}

static int s_emit(ow_db_t *db, const char *type, const hall_ticket_t *t, int64_t now_us,
                  ow_error_t *err)
{
    hall_ticket_view_t v;
    hall_ticket_view(t, &v);
    return hall_emit(db, type, t->centre_id, now_us, &v.msg.base, err);
}

int hall_ticket_take(ow_db_t *db, hall_ticket_t *t, ow_error_t *err)
{
    if (hall_ticket_insert(db, t, err) < 0)
        return -1;
    return s_emit(db, "queue.ticket_taken", t, t->taken_at_us, err);
}

static int s_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                    size_t len, const hall_ticket_t *t, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err)
{
    hall_ticket_view_t v;
    hall_ticket_view(t, &v);
    Onewindow__V1__QueueTicketReply r = ONEWINDOW__V1__QUEUE_TICKET_REPLY__INIT;
    r.ticket = &v.msg;
    return hall_finish(db, method, key, request, len, &r.base, reply, reply_len, err);
}

static int64_t s_seconds(int64_t from_us, int64_t to_us)
{
    return to_us > from_us ? (to_us - from_us) / 1000000 : 0;
}

int intake_take_ticket(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                       const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                       uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)policy;
    (void)caller;
    int rc = -1;
    Onewindow__V1__TakeTicket *req = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (len > S_REQUEST_MAX || !(req = onewindow__v1__take_ticket__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid TakeTicket");
        return -1;
    }
    hall_ticket_t t;
    memset(&t, 0, sizeof t);
    hall_check_centre(req->centre_id, "centre_id", err);
    hall_check_code(req->window, 16, "window", err);
    hall_check_scope(req->scope_centre, err);
    /* A walk-in may show an ID (the 爱心通道 by age) or not (a number from the machine). */
    char why[128] = "";
    if (req->id_number[0] || req->id_type[0]) {
        if (strcmp(req->id_type, "resident_id") == 0) {
            if (!intake_resident_id_valid(req->id_number, why, sizeof why))
                ow_error_add_violation(err, "id_number", "%s", why);
        } else if (strcmp(req->id_type, "uscc") == 0) {
            if (!intake_uscc_valid(req->id_number, why, sizeof why))
                ow_error_add_violation(err, "id_number", "%s", why);
        } else {
            ow_error_add_violation(err, "id_type", "must be resident_id or uscc");
        }
    }
    bool valid_id = err->violation_count == 0;
    hall_love_lane(valid_id ? req->id_type : "", req->id_number, req->declared_lanes,
                   req->n_declared_lanes, now_us, &t, err);
    if (ow_error_finish_violations(err) < 0)
        goto out;
    if (!hall_in_scope(req->scope_centre, req->centre_id, "the window", err))
        goto out;
    int opened = hall_begin(db, "intake.take_ticket", key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    snprintf(t.centre_id, sizeof t.centre_id, "%s", req->centre_id);
    snprintf(t.window, sizeof t.window, "%s", req->window);
    snprintf(t.id_type, sizeof t.id_type, "%s", req->id_type);
    if (req->id_number[0])
        intake_applicant_normalise_id(req->id_number, t.id_number, sizeof t.id_number);
    t.taken_at_us = now_us;
    if (hall_ticket_take(db, &t, err) < 0 ||
        s_finish(db, "intake.take_ticket", key, request, len, &t, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    if (req)
        onewindow__v1__take_ticket__free_unpacked(req, NULL);
    return rc;
}

int intake_call_next(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                     const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                     uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)policy;
    (void)caller;
    int rc = -1;
    Onewindow__V1__CallNext *req = NULL;
    PGresult *res = NULL;
    intake_ticket_t *queue = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (len > S_REQUEST_MAX || !(req = onewindow__v1__call_next__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid CallNext");
        return -1;
    }
    hall_check_centre(req->centre_id, "centre_id", err);
    hall_check_code(req->window, 16, "window", err);
    hall_check_scope(req->scope_centre, err);
    if (ow_error_finish_violations(err) < 0)
        goto out;
    if (!hall_in_scope(req->scope_centre, req->centre_id, "the window", err))
        goto out;
    int opened = hall_begin(db, "intake.call_next", key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    /* The waiting tickets locked: two windows' calls (two instances) never take the same. */
    const char *p[2] = {req->centre_id, req->window};
    if (!(res = ow_db_exec(db, "intake_hall_waiting", 2, p, err)))
        goto done;
    int n = PQntuples(res);
    if (!(queue = calloc((size_t)n + 1, sizeof *queue))) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading the queue");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int64_t taken = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        int64_t queued = strtoll(PQgetvalue(res, i, 6), NULL, 10);
        queue[i] = (intake_ticket_t){
            .taken_at_us = taken,
            .requeued_at_us = queued != taken ? queued : 0,
            .love = PQgetvalue(res, i, 1)[0] == 't',
            .booked = PQgetvalue(res, i, 2)[0] == 't',
            .slot_start_us = strtoll(PQgetvalue(res, i, 3), NULL, 10),
            .slot_end_us = strtoll(PQgetvalue(res, i, 4), NULL, 10),
            .state = INTAKE_TICKET_WAITING,
        };
    }
    long next = intake_ticket_next(queue, (size_t)n, now_us);
    if (next < 0) {
        ow_error_set(err, OW_NOT_FOUND, "nobody is waiting at window %s of centre %s", req->window,
                     req->centre_id);
        goto done;
    }
    hall_ticket_t t;
    if (hall_ticket_load(db, PQgetvalue(res, (int)next, 0), &t, err) <= 0)
        goto done;
    snprintf(t.state, sizeof t.state, "called");
    t.called_at_us = now_us;
    t.waiting_seconds = s_seconds(t.taken_at_us, now_us);
    if (hall_ticket_store(db, &t, err) < 0 ||
        s_emit(db, "queue.ticket_called", &t, now_us, err) < 0 ||
        s_finish(db, "intake.call_next", key, request, len, &t, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    free(queue);
    PQclear(res);
    if (req)
        onewindow__v1__call_next__free_unpacked(req, NULL);
    return rc;
}

typedef enum { S_MISSED, S_SERVING, S_DONE } s_move_t;

static int s_move(ow_db_t *db, const intake_hall_policy_t *policy, const char *method,
                  s_move_t move, const char *key, const char *caller, const uint8_t *request,
                  size_t len, int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__QueueTicketAction *req = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (len > S_REQUEST_MAX ||
        !(req = onewindow__v1__queue_ticket_action__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid QueueTicketAction");
        return -1;
    }
    hall_check_id(req->ticket_id, "ticket_id", err);
    hall_check_scope(req->scope_centre, err);
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int opened = hall_begin(db, method, key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    hall_ticket_t t;
    int found = hall_ticket_load(db, req->ticket_id, &t, err);
    if (found == 0)
        ow_error_set(err, OW_NOT_FOUND, "ticket %s does not exist", req->ticket_id);
    if (found <= 0 || !hall_in_scope(req->scope_centre, t.centre_id, "the ticket", err))
        goto done;
    int from = intake_ticket_state_parse(t.state);
    intake_ticket_state_t to = move == S_MISSED    ? INTAKE_TICKET_MISSED
                               : move == S_SERVING ? INTAKE_TICKET_SERVING
                                                   : INTAKE_TICKET_DONE;
    if (from < 0 || !intake_ticket_can_move((intake_ticket_state_t)from, to)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "ticket %s is %s: it cannot become %s",
                     req->ticket_id, t.state, intake_ticket_state_name(to));
        goto done;
    }
    if (move == S_MISSED) {
        /* Missed when called: back to the end of the queue while requeues are left, else
         * void. Both steps are events (missed, then requeued or voided). */
        intake_ticket_t rule = {.state = INTAKE_TICKET_MISSED, .requeues = t.misses};
        bool requeue = intake_ticket_may_requeue(&rule, policy->max_requeues);
        snprintf(t.state, sizeof t.state, "missed");
        t.missed_at_us = now_us;
        t.misses++;
        if (s_emit(db, "queue.ticket_missed", &t, now_us, err) < 0)
            goto done;
        if (requeue) {
            snprintf(t.state, sizeof t.state, "waiting");
            t.queued_at_us = now_us;
        } else {
            snprintf(t.state, sizeof t.state, "void");
            t.voided_at_us = now_us;
        }
        if (s_emit(db, requeue ? "queue.ticket_requeued" : "queue.ticket_voided", &t, now_us, err) <
            0)
            goto done;
    } else if (move == S_SERVING) {
        snprintf(t.state, sizeof t.state, "serving");
        t.serving_at_us = now_us;
        /* Waiting ends with the call the visitor answered. */
        t.waiting_seconds = s_seconds(t.taken_at_us, t.called_at_us);
        snprintf(t.served_by, sizeof t.served_by, "%s", caller ? caller : "");
        if (s_emit(db, "queue.ticket_serving", &t, now_us, err) < 0)
            goto done;
    } else {
        snprintf(t.state, sizeof t.state, "done");
        t.done_at_us = now_us;
        t.serving_seconds = s_seconds(t.serving_at_us, now_us);
        if (s_emit(db, "queue.ticket_done", &t, now_us, err) < 0)
            goto done;
    }
    if (hall_ticket_store(db, &t, err) < 0 ||
        s_finish(db, method, key, request, len, &t, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    if (req)
        onewindow__v1__queue_ticket_action__free_unpacked(req, NULL);
    return rc;
}

int intake_ticket_missed(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                         const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                         uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    return s_move(db, policy, "intake.ticket_missed", S_MISSED, key, caller, request, len, now_us,
                  reply, reply_len, err);
}

int intake_ticket_serving(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                          const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                          uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    return s_move(db, policy, "intake.ticket_serving", S_SERVING, key, caller, request, len, now_us,
                  reply, reply_len, err);
}

int intake_ticket_done(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                       const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                       uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    return s_move(db, policy, "intake.ticket_done", S_DONE, key, caller, request, len, now_us,
                  reply, reply_len, err);
}

int intake_hall_statistics(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                           const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                           uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)policy;
    (void)key;
    (void)caller;
    int rc = -1;
    Onewindow__V1__HallStatistics *req = NULL;
    PGresult *res = NULL;
    Onewindow__V1__WindowDay *rows = NULL, **rowp = NULL;
    if (len > S_REQUEST_MAX ||
        !(req = onewindow__v1__hall_statistics__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid HallStatistics");
        return -1;
    }
    hall_check_centre(req->centre_id, "centre_id", err);
    int64_t from = req->from_us, to = req->to_us ? req->to_us : now_us + 1;
    if (from < 0 || to <= from)
        ow_error_add_violation(err, "to", "must be after from");
    if (ow_error_finish_violations(err) < 0)
        goto done;
    char f[24], t[24];
    snprintf(f, sizeof f, "%" PRId64, from);
    snprintf(t, sizeof t, "%" PRId64, to);
    const char *p[3] = {req->centre_id, f, t};
    if (!(res = ow_db_exec(db, "intake_hall_statistics", 3, p, err)))
        goto done;
    int n = PQntuples(res);
    rows = calloc((size_t)n + 1, sizeof *rows);
    rowp = calloc((size_t)n + 1, sizeof *rowp);
    if (!rows || !rowp) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        Onewindow__V1__WindowDay *w = &rows[i];
        onewindow__v1__window_day__init(w);
        w->window = PQgetvalue(res, i, 0);
        w->day = PQgetvalue(res, i, 1);
        w->tickets = atoi(PQgetvalue(res, i, 2));
        w->served = atoi(PQgetvalue(res, i, 3));
        w->voided = atoi(PQgetvalue(res, i, 4));
        w->average_waiting_seconds = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        w->average_serving_seconds = strtoll(PQgetvalue(res, i, 6), NULL, 10);
        w->max_waiting_seconds = strtoll(PQgetvalue(res, i, 7), NULL, 10);
        rowp[i] = w;
    }
    Onewindow__V1__HallStatisticsReply r = ONEWINDOW__V1__HALL_STATISTICS_REPLY__INIT;
    r.windows = rowp;
    r.n_windows = (size_t)n;
    if (hall_pack_reply(&r.base, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    free(rows);
    free(rowp);
    PQclear(res);
    if (req)
        onewindow__v1__hall_statistics__free_unpacked(req, NULL);
    return rc;
}
