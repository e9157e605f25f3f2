/* appointments — booking a slot (预约, DOMAIN.md §3; hall.h): intake.book,
 * intake.cancel_appointment, intake.arrive, and the no-show when its timer fires. The rules
 * are appointment_rules.h under the configured policy (hall_policy.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "applicant.h"
#include "hall.h"
#include "hall_store.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "timer_commands.h"

#define S_REQUEST_MAX  8192
#define S_NO_SHOWS_MAX 100
#define S_REASON_MAX   500

static const ow_db_statement_t s_statements[] = {
    /* One booking at a time per person, across instances: the day and block checks below
     * then see every committed booking of that person. */
    {"intake_hall_person_lock",
     "SELECT pg_advisory_xact_lock(hashtextextended('intake.person:' || $1, 0))"},
    {"intake_hall_slot_lock",
     "SELECT centre_id, item_group, window_code, start_us, end_us, capacity, booked "
     "FROM slots WHERE slot_id = $1 FOR UPDATE"},
    {"intake_hall_same_day",
     "SELECT count(*) FROM appointments WHERE id_number = $1 AND local_day = $2::date "
     "AND state IN ('booked', 'arrived')"},
    {"intake_hall_no_shows",
     "SELECT no_show_at_us FROM appointments WHERE id_number = $1 AND state = 'no_show' "
     "AND no_show_at_us > $2 ORDER BY no_show_at_us DESC LIMIT 100"},
    {"intake_hall_appointment_insert",
     "INSERT INTO appointments (slot_id, centre_id, item_group, window_code, slot_start_us, "
     "slot_end_us, local_day, applicant_name, id_type, id_number, phone, state, booked_at_us) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, 'booked', $12) "
     "RETURNING appointment_id"},
    {"intake_hall_block_insert",
     "INSERT INTO booking_blocks (id_number, appointment_id, blocked_from_us, blocked_until_us) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"},
};

int hall_appointments_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static void s_day(int64_t time_us, char *out, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(out, size, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

/* The person's no-shows recent enough to matter to the block rule (the window, plus the block
 * that the last of them may have started). Returns the count, or -1 with err. */
static int s_no_shows(ow_db_t *db, const intake_hall_policy_t *policy, const char *id_number,
                      int64_t now_us, int64_t *out, ow_error_t *err)
{
    const intake_appointment_policy_t *p = &policy->appointments;
    int64_t since = now_us - p->no_show_window_s * 1000000LL -
                    (int64_t)p->block_months * 31 * 86400 * 1000000LL;
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, since);
    const char *params[2] = {id_number, s};
    PGresult *res = ow_db_exec(db, "intake_hall_no_shows", 2, params, err);
    if (!res)
        return -1;
    int n = PQntuples(res) < S_NO_SHOWS_MAX ? PQntuples(res) : S_NO_SHOWS_MAX;
    for (int i = 0; i < n; i++)
        out[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    PQclear(res);
    return n;
}

/* The appointment's reply (and, with t, its ticket), saved under key and committed. */
static int s_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                    size_t len, const hall_appointment_t *a, const hall_ticket_t *t,
                    uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__Appointment am;
    hall_appointment_view(a, &am);
    hall_ticket_view_t tv;
    Onewindow__V1__AppointmentReply r = ONEWINDOW__V1__APPOINTMENT_REPLY__INIT;
    r.appointment = &am;
    if (t) {
        hall_ticket_view(t, &tv);
        r.ticket = &tv.msg;
    }
    return hall_finish(db, method, key, request, len, &r.base, reply, reply_len, err);
}

static int s_emit(ow_db_t *db, const char *type, const hall_appointment_t *a, int64_t now_us,
                  ow_error_t *err)
{
    Onewindow__V1__Appointment m;
    hall_appointment_view(a, &m);
    return hall_emit(db, type, a->centre_id, now_us, &m.base, err);
}

int intake_book(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)caller;
    int rc = -1;
    Onewindow__V1__BookAppointment *req = NULL;
    PGresult *slot = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (len > S_REQUEST_MAX ||
        !(req = onewindow__v1__book_appointment__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid BookAppointment");
        return -1;
    }
    hall_check_id(req->slot_id, "slot_id", err);
    hall_check_scope(req->scope_centre, err);
    const Onewindow__V1__Applicant *ap = req->applicant;
    intake_applicant_t applicant = {0};
    if (ap)
        applicant =
            (intake_applicant_t){ap->name, ap->id_type, ap->id_number, ap->phone, ap->email};
    intake_check_applicant(ap ? &applicant : NULL, err);
    if (ow_error_finish_violations(err) < 0)
        goto out;

    int opened = hall_begin(db, "intake.book", key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    hall_appointment_t a;
    memset(&a, 0, sizeof a);
    intake_applicant_normalise_id(ap->id_number, a.id_number, sizeof a.id_number);
    const char *lp[1] = {a.id_number};
    PGresult *lock = ow_db_exec(db, "intake_hall_person_lock", 1, lp, err);
    if (!lock)
        goto done;
    PQclear(lock);
    const char *sp[1] = {req->slot_id};
    if (!(slot = ow_db_exec(db, "intake_hall_slot_lock", 1, sp, err)))
        goto done;
    if (PQntuples(slot) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "slot %s does not exist", req->slot_id);
        goto done;
    }
    snprintf(a.slot_id, sizeof a.slot_id, "%s", req->slot_id);
    snprintf(a.centre_id, sizeof a.centre_id, "%s", PQgetvalue(slot, 0, 0));
    snprintf(a.item_group, sizeof a.item_group, "%s", PQgetvalue(slot, 0, 1));
    snprintf(a.window, sizeof a.window, "%s", PQgetvalue(slot, 0, 2));
    a.slot_start_us = strtoll(PQgetvalue(slot, 0, 3), NULL, 10);
    a.slot_end_us = strtoll(PQgetvalue(slot, 0, 4), NULL, 10);
    int capacity = atoi(PQgetvalue(slot, 0, 5));
    int booked = atoi(PQgetvalue(slot, 0, 6));
    if (!hall_in_scope(req->scope_centre, a.centre_id, "the slot", err))
        goto done;

    char day[16];
    s_day(a.slot_start_us, day, sizeof day);
    const char *dp[2] = {a.id_number, day};
    PGresult *same = ow_db_exec(db, "intake_hall_same_day", 2, dp, err);
    if (!same)
        goto done;
    bool same_day = atoi(PQgetvalue(same, 0, 0)) > 0;
    PQclear(same);
    int64_t no_shows[S_NO_SHOWS_MAX];
    int n_no_shows = s_no_shows(db, policy, a.id_number, now_us, no_shows, err);
    if (n_no_shows < 0)
        goto done;
    /* Every reason at once: started, full, already booked that day, blocked. */
    if (intake_appointment_check_booking(&policy->appointments, a.slot_start_us, capacity, booked,
                                         same_day, no_shows, (size_t)n_no_shows, now_us, err) > 0) {
        ow_error_finish_violations(err);
        goto done;
    }
    if (hall_slot_adjust(db, a.slot_id, 1, err) < 0)
        goto done;
    snprintf(a.applicant_name, sizeof a.applicant_name, "%s", ap->name);
    snprintf(a.id_type, sizeof a.id_type, "%s", ap->id_type);
    snprintf(a.phone, sizeof a.phone, "%s", ap->phone);
    snprintf(a.state, sizeof a.state, "booked");
    a.booked_at_us = now_us;
    char start[24], end[24], at[24];
    snprintf(start, sizeof start, "%" PRId64, a.slot_start_us);
    snprintf(end, sizeof end, "%" PRId64, a.slot_end_us);
    snprintf(at, sizeof at, "%" PRId64, now_us);
    const char *ip[12] = {a.slot_id, a.centre_id,      a.item_group, a.window,    start,   end,
                          day,       a.applicant_name, a.id_type,    a.id_number, a.phone, at};
    PGresult *ins = ow_db_exec(db, "intake_hall_appointment_insert", 12, ip, err);
    if (!ins)
        goto done;
    snprintf(a.appointment_id, sizeof a.appointment_id, "%s", PQgetvalue(ins, 0, 0));
    PQclear(ins);
    /* Not arrived by slot start + the grace: forfeited (deadlined keeps the time). */
    char tk[INTAKE_TIMER_KEY_MAX + 1];
    intake_timer_key(tk, sizeof tk, INTAKE_TIMER_NO_SHOW, a.appointment_id);
    if (ow_timer_schedule(db, tk, INTAKE_TIMER_NO_SHOW, NULL, a.centre_id,
                          intake_appointment_no_show_due(&policy->appointments, a.slot_start_us),
                          err) < 0 ||
        s_emit(db, "appointment.booked", &a, now_us, err) < 0 ||
        s_finish(db, "intake.book", key, request, len, &a, NULL, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    PQclear(slot);
    if (req)
        onewindow__v1__book_appointment__free_unpacked(req, NULL);
    return rc;
}

/* Checks an AppointmentAction and loads its appointment locked. Returns 1 (a repeat:
 * *reply is the first answer), 0 (transaction open, *a loaded and in scope), or -1 with
 * err (closed). */
static int s_open(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                  size_t len, Onewindow__V1__AppointmentAction **req, hall_appointment_t *a,
                  uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    *reply = NULL;
    *reply_len = 0;
    if (len > S_REQUEST_MAX ||
        !(*req = onewindow__v1__appointment_action__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid AppointmentAction");
        return -1;
    }
    const Onewindow__V1__AppointmentAction *r = *req;
    hall_check_id(r->appointment_id, "appointment_id", err);
    hall_check_scope(r->scope_centre, err);
    if (strlen(r->reason) > S_REASON_MAX || !intake_text_valid(r->reason, S_REASON_MAX))
        ow_error_add_violation(err, "reason", "at most %d bytes of text", S_REASON_MAX);
    if (ow_error_finish_violations(err) < 0)
        return -1;
    int opened = hall_begin(db, method, key, request, len, reply, reply_len, err);
    if (opened != 0)
        return opened;
    int found = hall_appointment_load(db, r->appointment_id, a, err);
    if (found == 0)
        ow_error_set(err, OW_NOT_FOUND, "appointment %s does not exist", r->appointment_id);
    if (found <= 0 || !hall_in_scope(r->scope_centre, a->centre_id, "the appointment", err)) {
        ow_db_rollback(db);
        return -1;
    }
    if (strcmp(a->state, "booked") != 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "appointment %s is %s, no longer booked",
                     a->appointment_id, a->state);
        ow_db_rollback(db);
        return -1;
    }
    return 0;
}

int intake_cancel_appointment(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                              const char *caller, const uint8_t *request, size_t len,
                              int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)caller;
    Onewindow__V1__AppointmentAction *req = NULL;
    hall_appointment_t a;
    int rc =
        s_open(db, "intake.cancel_appointment", key, request, len, &req, &a, reply, reply_len, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : -1;
        goto out;
    }
    rc = -1;
    if (req->n_declared_lanes) {
        ow_error_add_violation(err, "declared_lanes", "belong to the arrival, not a cancellation");
        ow_error_finish_violations(err);
        goto done;
    }
    if (!intake_appointment_may_cancel(&policy->appointments, a.slot_start_us, now_us)) {
        char when[40];
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "appointments are cancelled at least %lld minutes before the slot (%s)",
                     (long long)(policy->appointments.cancel_before_s / 60),
                     ow_clock_format_local(a.slot_start_us, when, sizeof when));
        goto done;
    }
    char tk[INTAKE_TIMER_KEY_MAX + 1];
    intake_timer_key(tk, sizeof tk, INTAKE_TIMER_NO_SHOW, a.appointment_id);
    snprintf(a.state, sizeof a.state, "cancelled");
    a.cancelled_at_us = now_us;
    snprintf(a.reason, sizeof a.reason, "%s", req->reason);
    if (hall_appointment_store(db, &a, err) < 0 || hall_slot_adjust(db, a.slot_id, -1, err) < 0 ||
        ow_timer_cancel(db, tk, err) < 0 ||
        s_emit(db, "appointment.cancelled", &a, now_us, err) < 0 ||
        s_finish(db, "intake.cancel_appointment", key, request, len, &a, NULL, reply, reply_len,
                 err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    if (req)
        onewindow__v1__appointment_action__free_unpacked(req, NULL);
    return rc;
}

int intake_arrive(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                  const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                  uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)caller;
    Onewindow__V1__AppointmentAction *req = NULL;
    hall_appointment_t a;
    int rc = s_open(db, "intake.arrive", key, request, len, &req, &a, reply, reply_len, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : -1;
        goto out;
    }
    rc = -1;
    hall_ticket_t t;
    memset(&t, 0, sizeof t);
    if (hall_love_lane(a.id_type, a.id_number, req->declared_lanes, req->n_declared_lanes, now_us,
                       &t, err) > 0) {
        ow_error_finish_violations(err);
        goto done;
    }
    if (!intake_appointment_may_arrive(&policy->appointments, a.slot_start_us, now_us)) {
        char from[40], until[40];
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "arrival for this appointment is accepted from %s until %s",
                     ow_clock_format_local(a.slot_start_us - 3600 * 1000000LL, from, sizeof from),
                     ow_clock_format_local(
                         intake_appointment_no_show_due(&policy->appointments, a.slot_start_us),
                         until, sizeof until));
        goto done;
    }
    /* The ticket carries the slot: it is called before walk-ins within the slot. */
    snprintf(t.centre_id, sizeof t.centre_id, "%s", a.centre_id);
    snprintf(t.window, sizeof t.window, "%s", a.window);
    snprintf(t.appointment_id, sizeof t.appointment_id, "%s", a.appointment_id);
    snprintf(t.id_type, sizeof t.id_type, "%s", a.id_type);
    snprintf(t.id_number, sizeof t.id_number, "%s", a.id_number);
    t.slot_start_us = a.slot_start_us;
    t.slot_end_us = a.slot_end_us;
    t.taken_at_us = now_us;
    if (hall_ticket_take(db, &t, err) < 0)
        goto done;
    char tk[INTAKE_TIMER_KEY_MAX + 1];
    intake_timer_key(tk, sizeof tk, INTAKE_TIMER_NO_SHOW, a.appointment_id);
    snprintf(a.state, sizeof a.state, "arrived");
    a.arrived_at_us = now_us;
    snprintf(a.ticket_id, sizeof a.ticket_id, "%s", t.ticket_id);
    if (hall_appointment_store(db, &a, err) < 0 || ow_timer_cancel(db, tk, err) < 0 ||
        s_emit(db, "appointment.arrived", &a, now_us, err) < 0 ||
        s_finish(db, "intake.arrive", key, request, len, &a, &t, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    if (req)
        onewindow__v1__appointment_action__free_unpacked(req, NULL);
    return rc;
}

int intake_appointment_no_show(ow_db_t *db, const intake_hall_policy_t *policy,
                               const Onewindow__V1__Timer *t, int64_t now_us, ow_error_t *err)
{
    static const char prefix[] = INTAKE_TIMER_OWNER ":" INTAKE_TIMER_NO_SHOW ":";
    const char *id = strncmp(t->timer_key, prefix, sizeof prefix - 1) == 0
                         ? t->timer_key + sizeof prefix - 1
                         : "";
    ow_error_t bad;
    ow_error_clear(&bad);
    hall_check_id(id, "timer_key", &bad);
    if (bad.violation_count) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired %s: not an appointment's no-show",
                     t->timer_key);
        return -1;
    }
    hall_appointment_t a;
    int found = hall_appointment_load(db, id, &a, err);
    if (found < 0)
        return -1;
    if (found == 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired %s for unknown appointment %s",
                     t->timer_key, id);
        return -1;
    }
    if (strcmp(a.state, "booked") != 0)
        return 0; /* cancelled or arrived in time */
    /* Dated at the rule's moment (slot start + grace), not the timer's delivery: the 90-day
     * window counts from when the slot was forfeited. */
    int64_t at = intake_appointment_no_show_due(&policy->appointments, a.slot_start_us);
    snprintf(a.state, sizeof a.state, "no_show");
    a.no_show_at_us = at;
    if (hall_appointment_store(db, &a, err) < 0 || hall_slot_adjust(db, a.slot_id, -1, err) < 0)
        return -1;
    int64_t no_shows[S_NO_SHOWS_MAX];
    int n = s_no_shows(db, policy, a.id_number, now_us, no_shows, err);
    if (n < 0)
        return -1;
    a.blocked_until_us =
        intake_appointment_blocked_until(&policy->appointments, no_shows, (size_t)n, now_us);
    if (a.blocked_until_us) {
        char from[24], until[24];
        snprintf(from, sizeof from, "%" PRId64, at);
        snprintf(until, sizeof until, "%" PRId64, a.blocked_until_us);
        const char *p[4] = {a.id_number, a.appointment_id, from, until};
        PGresult *res = ow_db_exec(db, "intake_hall_block_insert", 4, p, err);
        if (!res)
            return -1;
        PQclear(res);
    }
    if (s_emit(db, "appointment.no_show", &a, now_us, err) < 0)
        return -1;
    ow_log_kv(OW_LOG_INFO, "appointment forfeited (no-show)", "appointment_id", a.appointment_id,
              "blocked", a.blocked_until_us ? "yes" : "no", NULL);
    return 0;
}
