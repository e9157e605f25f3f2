/* hall_store — what the hall methods (slots.c, appointments.c, queue.c) share: the rows of
 * migration 0006 as C values and as messages, the command frame (idempotency, commit), the
 * centre scope, the events, and the checks of codes and ids. Internal to intaked. */
#ifndef INTAKE_HALL_STORE_H
#define INTAKE_HALL_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "ow_status.h"
#include "onewindow/v1/hall.pb-c.h"

typedef struct ow_db ow_db_t;

#define HALL_ID_MAX 18 /* digits of a bigserial */

/* One queue ticket as stored; strings are copies. */
typedef struct {
    char ticket_id[HALL_ID_MAX + 1];
    char centre_id[16];
    char window[20];
    int serial;
    char state[12];
    bool love;
    char love_reasons[128]; /* comma-separated */
    char appointment_id[HALL_ID_MAX + 1];
    int64_t slot_start_us, slot_end_us;
    char id_type[16];
    char id_number[24];
    int64_t taken_at_us, queued_at_us, called_at_us, missed_at_us, serving_at_us, done_at_us,
        voided_at_us;
    int misses;
    int64_t waiting_seconds, serving_seconds;
    char served_by[72];
} hall_ticket_t;

/* One appointment as stored. */
typedef struct {
    char appointment_id[HALL_ID_MAX + 1];
    char slot_id[HALL_ID_MAX + 1];
    char centre_id[16];
    char item_group[72];
    char window[20];
    int64_t slot_start_us, slot_end_us;
    char applicant_name[256];
    char id_type[16];
    char id_number[24];
    char phone[40];
    char state[12];
    int64_t booked_at_us, cancelled_at_us, arrived_at_us, no_show_at_us;
    char reason[512];
    char ticket_id[HALL_ID_MAX + 1];
    int64_t blocked_until_us; /* not stored here: the no-show's outcome, for the event */
} hall_appointment_t;

/* A ticket's message view; the strings borrow from the ticket and the view's own storage. */
typedef struct {
    Onewindow__V1__QueueTicket msg;
    char number[48];
    char reasons_buf[128];
    char *reasons[8];
} hall_ticket_view_t;

/* Fills view from t (t must outlive view). */
void hall_ticket_view(const hall_ticket_t *t, hall_ticket_view_t *view);

/* An appointment's message; strings borrow from a. */
void hall_appointment_view(const hall_appointment_t *a, Onewindow__V1__Appointment *msg);

/* Register the statements (names "intake_hall_…") of this module, slots.c, appointments.c
 * and queue.c. Return 0 or -1 with err. */
int hall_store_prepare(ow_db_t *db, ow_error_t *err);
int hall_slots_prepare(ow_db_t *db, ow_error_t *err);
int hall_appointments_prepare(ow_db_t *db, ow_error_t *err);
int hall_queue_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: gives visitor t (centre_id, window, love, love_reasons,
 * appointment and slot, id, taken_at_us filled in) the next number and queues it, emitting
 * queue.ticket_taken (queue.c). */
int hall_ticket_take(ow_db_t *db, hall_ticket_t *t, ow_error_t *err);

/* Derives the 爱心通道 of a visitor (lanes.h) from an ID (id_type may be "" for none) and
 * declared reasons on the local day of now_us into t->love / t->love_reasons; violations
 * under "id_number" / "declared_lanes" (queue.c). */
int hall_love_lane(const char *id_type, const char *id_number, char *const *declared,
                   size_t n_declared, int64_t now_us, hall_ticket_t *t, ow_error_t *err);

/* Loads one ticket (lock: FOR UPDATE). Returns 1 found, 0 not found, -1 with err. */
int hall_ticket_load(ow_db_t *db, const char *ticket_id, hall_ticket_t *t, ow_error_t *err);

/* Reads row of a result whose columns are HALL_TICKET_COLUMNS. */
void hall_ticket_from_row(const PGresult *res, int row, hall_ticket_t *t);

/* Writes the ticket's mutable columns back (state, times, misses, durations, served_by). */
int hall_ticket_store(ow_db_t *db, const hall_ticket_t *t, ow_error_t *err);

/* Inserts a new waiting ticket (no event: hall_ticket_take) for t->centre_id / t->window with the
 * next serial of the local day of t->taken_at_us; fills ticket_id and serial. */
int hall_ticket_insert(ow_db_t *db, hall_ticket_t *t, ow_error_t *err);

/* Loads one appointment FOR UPDATE. Returns 1 found, 0 not found, -1 with err. */
int hall_appointment_load(ow_db_t *db, const char *appointment_id, hall_appointment_t *a,
                          ow_error_t *err);

/* Writes the appointment's mutable columns back (state, times, reason, ticket). */
int hall_appointment_store(ow_db_t *db, const hall_appointment_t *a, ow_error_t *err);

/* Adds delta (+1/-1) to the slot's bookings held. */
int hall_slot_adjust(ow_db_t *db, const char *slot_id, int delta, ow_error_t *err);

/* Queues event type with payload msg (packed here) for centre at now_us. */
int hall_emit(ow_db_t *db, const char *type, const char *centre_id, int64_t now_us,
              const ProtobufCMessage *msg, ow_error_t *err);

/* Packs msg as the payload of an OK onewindow.v1.Reply (what ow_rpc_reply_packed sends and
 * the idempotency record keeps) into *reply (caller frees). Returns 0 or -1 with err. */
int hall_pack_reply(const ProtobufCMessage *msg, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err);

/* The command frame. hall_begin: needs a valid key (INVALID_ARGUMENT), begins, and returns 1
 * with the first answer when the key is known (transaction closed), 0 with the transaction
 * open, -1 with err (closed). hall_finish: packs reply_msg, saves it under key, commits;
 * returns 0 with *reply (caller frees), or -1 with err (the caller rolls back). */
int hall_begin(ow_db_t *db, const char *method, const char *key, const uint8_t *request, size_t len,
               uint8_t **reply, size_t *reply_len, ow_error_t *err);
int hall_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                size_t len, const ProtobufCMessage *reply_msg, uint8_t **reply, size_t *reply_len,
                ow_error_t *err);

/* True when the gateway's scope allows centre: scope "" (administrators, internal callers)
 * or a prefix of centre. Otherwise sets PERMISSION_DENIED naming what. */
bool hall_in_scope(const char *scope, const char *centre, const char *what, ow_error_t *err);

/* Checks; each adds a violation under field when the text is not what it should be. */
void hall_check_centre(const char *s, const char *field, ow_error_t *err); /* 12 digits */
void hall_check_code(const char *s, size_t max, const char *field, ow_error_t *err);
void hall_check_id(const char *s, const char *field, ow_error_t *err); /* 1-18 digits */
void hall_check_scope(const char *s, ow_error_t *err);                 /* 0-12 digits */

/* "A01-007". */
void hall_ticket_number(const char *window, int serial, char *out, size_t size);

#endif
