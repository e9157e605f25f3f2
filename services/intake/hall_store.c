/* hall_store — see hall_store.h. */
#include "hall_store.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "receive.h"

#define S_TICKET_COLUMNS                                                                           \
    "ticket_id, centre_id, window_code, serial, state, love, love_reasons, "                       \
    "COALESCE(appointment_id::text, ''), slot_start_us, slot_end_us, id_type, id_number, "         \
    "taken_at_us, queued_at_us, called_at_us, missed_at_us, serving_at_us, done_at_us, "           \
    "voided_at_us, misses, waiting_seconds, serving_seconds, served_by"

#define S_APPOINTMENT_COLUMNS                                                                      \
    "appointment_id, slot_id, centre_id, item_group, window_code, slot_start_us, slot_end_us, "    \
    "applicant_name, id_type, id_number, phone, state, booked_at_us, cancelled_at_us, "            \
    "arrived_at_us, no_show_at_us, reason, COALESCE(ticket_id::text, '')"

static const ow_db_statement_t s_statements[] = {
    {"intake_hall_ticket_load",
     "SELECT " S_TICKET_COLUMNS " FROM queue_tickets WHERE ticket_id = $1 FOR UPDATE"},
    {"intake_hall_ticket_store",
     "UPDATE queue_tickets SET state = $2, queued_at_us = $3, called_at_us = $4, "
     "missed_at_us = $5, serving_at_us = $6, done_at_us = $7, voided_at_us = $8, misses = $9, "
     "waiting_seconds = $10, serving_seconds = $11, served_by = $12 WHERE ticket_id = $1"},
    {"intake_hall_ticket_serial",
     "INSERT INTO queue_counters (centre_id, window_code, local_day, last_serial) "
     "VALUES ($1, $2, $3::date, 1) ON CONFLICT (centre_id, window_code, local_day) "
     "DO UPDATE SET last_serial = queue_counters.last_serial + 1 RETURNING last_serial"},
    {"intake_hall_ticket_insert",
     "INSERT INTO queue_tickets (centre_id, window_code, local_day, serial, state, love, "
     "love_reasons, appointment_id, slot_start_us, slot_end_us, id_type, id_number, taken_at_us, "
     "queued_at_us) VALUES ($1, $2, $3::date, $4, 'waiting', $5, $6, NULLIF($7, '')::bigint, $8, "
     "$9, $10, $11, $12, $12) RETURNING ticket_id"},
    {"intake_hall_appointment_load",
     "SELECT " S_APPOINTMENT_COLUMNS " FROM appointments WHERE appointment_id = $1 FOR UPDATE"},
    {"intake_hall_appointment_store",
     "UPDATE appointments SET state = $2, cancelled_at_us = $3, arrived_at_us = $4, "
     "no_show_at_us = $5, reason = $6, ticket_id = NULLIF($7, '')::bigint "
     "WHERE appointment_id = $1"},
    {"intake_hall_slot_adjust", "UPDATE slots SET booked = booked + $2 WHERE slot_id = $1"},
};

int hall_store_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static int64_t s_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void s_copy(char *dst, size_t size, const PGresult *res, int row, int col)
{
    snprintf(dst, size, "%s", PQgetvalue(res, row, col));
}

void hall_ticket_from_row(const PGresult *res, int row, hall_ticket_t *t)
{
    memset(t, 0, sizeof *t);
    s_copy(t->ticket_id, sizeof t->ticket_id, res, row, 0);
    s_copy(t->centre_id, sizeof t->centre_id, res, row, 1);
    s_copy(t->window, sizeof t->window, res, row, 2);
    t->serial = (int)s_i64(res, row, 3);
    s_copy(t->state, sizeof t->state, res, row, 4);
    t->love = PQgetvalue(res, row, 5)[0] == 't';
    s_copy(t->love_reasons, sizeof t->love_reasons, res, row, 6);
    s_copy(t->appointment_id, sizeof t->appointment_id, res, row, 7);
    t->slot_start_us = s_i64(res, row, 8);
    t->slot_end_us = s_i64(res, row, 9);
    s_copy(t->id_type, sizeof t->id_type, res, row, 10);
    s_copy(t->id_number, sizeof t->id_number, res, row, 11);
    t->taken_at_us = s_i64(res, row, 12);
    t->queued_at_us = s_i64(res, row, 13);
    t->called_at_us = s_i64(res, row, 14);
    t->missed_at_us = s_i64(res, row, 15);
    t->serving_at_us = s_i64(res, row, 16);
    t->done_at_us = s_i64(res, row, 17);
    t->voided_at_us = s_i64(res, row, 18);
    t->misses = (int)s_i64(res, row, 19);
    t->waiting_seconds = s_i64(res, row, 20);
    t->serving_seconds = s_i64(res, row, 21);
    s_copy(t->served_by, sizeof t->served_by, res, row, 22);
}

int hall_ticket_load(ow_db_t *db, const char *ticket_id, hall_ticket_t *t, ow_error_t *err)
{
    const char *p[1] = {ticket_id};
    PGresult *res = ow_db_exec(db, "intake_hall_ticket_load", 1, p, err);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found)
        hall_ticket_from_row(res, 0, t);
    PQclear(res);
    return found;
}

int hall_ticket_store(ow_db_t *db, const hall_ticket_t *t, ow_error_t *err)
{
    char v[10][24];
    int64_t nums[] = {t->queued_at_us,  t->called_at_us,    t->missed_at_us,
                      t->serving_at_us, t->done_at_us,      t->voided_at_us,
                      t->misses,        t->waiting_seconds, t->serving_seconds};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        snprintf(v[i], sizeof v[i], "%" PRId64, nums[i]);
    const char *p[12] = {t->ticket_id, t->state, v[0], v[1], v[2], v[3],
                         v[4],         v[5],     v[6], v[7], v[8], t->served_by};
    return intake_exec(db, "intake_hall_ticket_store", 12, p, err);
}

static void s_day(int64_t time_us, char *out, size_t size)
{
    int d = ow_clock_local_yyyymmdd(time_us);
    snprintf(out, size, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

int hall_ticket_insert(ow_db_t *db, hall_ticket_t *t, ow_error_t *err)
{
    char day[16], serial[16], start[24], end[24], taken[24];
    s_day(t->taken_at_us, day, sizeof day);
    const char *cp[3] = {t->centre_id, t->window, day};
    PGresult *res = ow_db_exec(db, "intake_hall_ticket_serial", 3, cp, err);
    if (!res)
        return -1;
    t->serial = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    snprintf(serial, sizeof serial, "%d", t->serial);
    snprintf(start, sizeof start, "%" PRId64, t->slot_start_us);
    snprintf(end, sizeof end, "%" PRId64, t->slot_end_us);
    snprintf(taken, sizeof taken, "%" PRId64, t->taken_at_us);
    const char *p[12] = {
        t->centre_id,      t->window, day, serial,     t->love ? "t" : "f", t->love_reasons,
        t->appointment_id, start,     end, t->id_type, t->id_number,        taken};
    if (!(res = ow_db_exec(db, "intake_hall_ticket_insert", 12, p, err)))
        return -1;
    s_copy(t->ticket_id, sizeof t->ticket_id, res, 0, 0);
    PQclear(res);
    snprintf(t->state, sizeof t->state, "waiting");
    t->queued_at_us = t->taken_at_us;
    return 0;
}

void hall_ticket_number(const char *window, int serial, char *out, size_t size)
{
    snprintf(out, size, "%s-%03d", window, serial);
}

void hall_ticket_view(const hall_ticket_t *t, hall_ticket_view_t *v)
{
    Onewindow__V1__QueueTicket *m = &v->msg;
    onewindow__v1__queue_ticket__init(m);
    hall_ticket_number(t->window, t->serial, v->number, sizeof v->number);
    m->ticket_id = (char *)t->ticket_id;
    m->centre_id = (char *)t->centre_id;
    m->window = (char *)t->window;
    m->number = v->number;
    m->state = (char *)t->state;
    m->love = t->love;
    snprintf(v->reasons_buf, sizeof v->reasons_buf, "%s", t->love_reasons);
    size_t n = 0;
    for (char *save = NULL, *r = strtok_r(v->reasons_buf, ",", &save);
         r && n < sizeof v->reasons / sizeof v->reasons[0]; r = strtok_r(NULL, ",", &save))
        v->reasons[n++] = r;
    m->love_reasons = v->reasons;
    m->n_love_reasons = n;
    m->appointment_id = (char *)t->appointment_id;
    m->slot_start_us = t->slot_start_us;
    m->slot_end_us = t->slot_end_us;
    m->taken_at_us = t->taken_at_us;
    m->queued_at_us = t->queued_at_us;
    m->called_at_us = t->called_at_us;
    m->missed_at_us = t->missed_at_us;
    m->serving_at_us = t->serving_at_us;
    m->done_at_us = t->done_at_us;
    m->voided_at_us = t->voided_at_us;
    m->misses = t->misses;
    m->waiting_seconds = t->waiting_seconds;
    m->serving_seconds = t->serving_seconds;
    m->served_by = (char *)t->served_by;
}

static void s_appointment_from_row(const PGresult *res, int row, hall_appointment_t *a)
{
    memset(a, 0, sizeof *a);
    s_copy(a->appointment_id, sizeof a->appointment_id, res, row, 0);
    s_copy(a->slot_id, sizeof a->slot_id, res, row, 1);
    s_copy(a->centre_id, sizeof a->centre_id, res, row, 2);
    s_copy(a->item_group, sizeof a->item_group, res, row, 3);
    s_copy(a->window, sizeof a->window, res, row, 4);
    a->slot_start_us = s_i64(res, row, 5);
    a->slot_end_us = s_i64(res, row, 6);
    s_copy(a->applicant_name, sizeof a->applicant_name, res, row, 7);
    s_copy(a->id_type, sizeof a->id_type, res, row, 8);
    s_copy(a->id_number, sizeof a->id_number, res, row, 9);
    s_copy(a->phone, sizeof a->phone, res, row, 10);
    s_copy(a->state, sizeof a->state, res, row, 11);
    a->booked_at_us = s_i64(res, row, 12);
    a->cancelled_at_us = s_i64(res, row, 13);
    a->arrived_at_us = s_i64(res, row, 14);
    a->no_show_at_us = s_i64(res, row, 15);
    s_copy(a->reason, sizeof a->reason, res, row, 16);
    s_copy(a->ticket_id, sizeof a->ticket_id, res, row, 17);
}

int hall_appointment_load(ow_db_t *db, const char *appointment_id, hall_appointment_t *a,
                          ow_error_t *err)
{
    const char *p[1] = {appointment_id};
    PGresult *res = ow_db_exec(db, "intake_hall_appointment_load", 1, p, err);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found)
        s_appointment_from_row(res, 0, a);
    PQclear(res);
    return found;
}

int hall_appointment_store(ow_db_t *db, const hall_appointment_t *a, ow_error_t *err)
{
    char c[24], ar[24], ns[24];
    snprintf(c, sizeof c, "%" PRId64, a->cancelled_at_us);
    snprintf(ar, sizeof ar, "%" PRId64, a->arrived_at_us);
    snprintf(ns, sizeof ns, "%" PRId64, a->no_show_at_us);
    const char *p[7] = {a->appointment_id, a->state, c, ar, ns, a->reason, a->ticket_id};
    return intake_exec(db, "intake_hall_appointment_store", 7, p, err);
}

void hall_appointment_view(const hall_appointment_t *a, Onewindow__V1__Appointment *m)
{
    onewindow__v1__appointment__init(m);
    m->appointment_id = (char *)a->appointment_id;
    m->slot_id = (char *)a->slot_id;
    m->centre_id = (char *)a->centre_id;
    m->item_group = (char *)a->item_group;
    m->window = (char *)a->window;
    m->slot_start_us = a->slot_start_us;
    m->slot_end_us = a->slot_end_us;
    m->applicant_name = (char *)a->applicant_name;
    m->id_type = (char *)a->id_type;
    m->id_number = (char *)a->id_number;
    m->phone = (char *)a->phone;
    m->state = (char *)a->state;
    m->booked_at_us = a->booked_at_us;
    m->cancelled_at_us = a->cancelled_at_us;
    m->arrived_at_us = a->arrived_at_us;
    m->no_show_at_us = a->no_show_at_us;
    m->ticket_id = (char *)a->ticket_id;
    m->reason = (char *)a->reason;
    m->blocked_until_us = a->blocked_until_us;
}

int hall_slot_adjust(ow_db_t *db, const char *slot_id, int delta, ow_error_t *err)
{
    char d[8];
    snprintf(d, sizeof d, "%d", delta);
    const char *p[2] = {slot_id, d};
    return intake_exec(db, "intake_hall_slot_adjust", 2, p, err);
}

int hall_emit(ow_db_t *db, const char *type, const char *centre_id, int64_t now_us,
              const ProtobufCMessage *msg, ow_error_t *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (ow_pack(msg, &buf, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, NULL, centre_id, now_us, buf, len, err);
    free(buf);
    return rc;
}

int hall_begin(ow_db_t *db, const char *method, const char *key, const uint8_t *request, size_t len,
               uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (ow_db_begin(db, err) < 0)
        return -1;
    int found = ow_idem_find(db, key, method, request, len, reply, reply_len, err);
    if (found != 0)
        ow_db_rollback(db);
    return found;
}

int hall_pack_reply(const ProtobufCMessage *msg, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err)
{
    uint8_t *payload = NULL;
    size_t len = 0;
    if (ow_pack(msg, &payload, &len, err) < 0)
        return -1;
    int rc = ow_rpc_pack_reply(NULL, payload, len, reply, reply_len);
    free(payload);
    if (rc < 0)
        ow_error_set(err, OW_INTERNAL, "out of memory packing the reply");
    return rc < 0 ? -1 : 0;
}

int hall_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                size_t len, const ProtobufCMessage *reply_msg, uint8_t **reply, size_t *reply_len,
                ow_error_t *err)
{
    if (hall_pack_reply(reply_msg, reply, reply_len, err) < 0)
        return -1;
    if (ow_idem_save(db, key, method, request, len, *reply, *reply_len, err) < 0 ||
        ow_db_commit(db, err) < 0) {
        free(*reply);
        *reply = NULL;
        *reply_len = 0;
        return -1;
    }
    return 0;
}

bool hall_in_scope(const char *scope, const char *centre, const char *what, ow_error_t *err)
{
    if (!scope || !*scope || strncmp(centre, scope, strlen(scope)) == 0)
        return true;
    ow_error_set(err, OW_PERMISSION_DENIED, "%s belongs to centre %s: outside the caller's centre",
                 what, centre);
    return false;
}

static bool s_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

void hall_check_centre(const char *s, const char *field, ow_error_t *err)
{
    if (!s_digits(s, 12, 12))
        ow_error_add_violation(err, field, "must be a 12-digit area code (区划代码)");
}

void hall_check_code(const char *s, size_t max, const char *field, ow_error_t *err)
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n >= 1 && n <= max;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-';
    if (!ok)
        ow_error_add_violation(err, field, "must be 1-%zu characters of A-Z a-z 0-9 . _ -", max);
}

void hall_check_id(const char *s, const char *field, ow_error_t *err)
{
    if (!s_digits(s, 1, HALL_ID_MAX) || strtoll(s, NULL, 10) <= 0)
        ow_error_add_violation(err, field, "must be an id of 1-%d digits", HALL_ID_MAX);
}

void hall_check_scope(const char *s, ow_error_t *err)
{
    if (!s_digits(s, 0, 12))
        ow_error_add_violation(err, "scope_centre", "must be 0-12 digits");
}
