/* hall — appointments (预约) and the hall queue (排号叫号) as intake methods (DOMAIN.md §3;
 * docs/intake.md "Appointments and the hall queue"). The rules are appointment_rules.h and
 * queue_ticket.h; here they meet the tables of migration 0006 and the outbox.
 *
 * Every method has the same shape: it takes the request bytes, the idempotency key (required
 * for writes: a repeat returns the first answer byte for byte), the caller's staff id, and
 * the time; it checks the request (INVALID_ARGUMENT listing every problem, nothing written),
 * then in ONE transaction applies the change, its events and its timer commands, and returns
 * the packed reply (caller frees). NOT_FOUND for an unknown slot, appointment or ticket;
 * FAILED_PRECONDITION for a move its state does not allow; PERMISSION_DENIED when the
 * target's centre does not start with the request's scope_centre (set by the gateway).
 *
 *   intake.put_slots           PutSlots → SlotList                 (slots.c)
 *   intake.list_slots          ListSlots → SlotList       read-only (slots.c)
 *   intake.book                BookAppointment → AppointmentReply  (appointments.c)
 *   intake.cancel_appointment  AppointmentAction → AppointmentReply
 *   intake.arrive              AppointmentAction → AppointmentReply (with the ticket)
 *   intake.take_ticket         TakeTicket → QueueTicketReply            (queue.c)
 *   intake.call_next           CallNext → QueueTicketReply
 *   intake.ticket_missed       QueueTicketAction → QueueTicketReply
 *   intake.ticket_serving      QueueTicketAction → QueueTicketReply
 *   intake.ticket_done         QueueTicketAction → QueueTicketReply
 *   intake.hall_statistics     HallStatistics → HallStatisticsReply read-only */
#ifndef INTAKE_HALL_H
#define INTAKE_HALL_H

#include <stddef.h>
#include <stdint.h>
#include "hall_policy.h"
#include "ow_envelope.h"
#include "ow_status.h"
#include "onewindow/v1/deadline.pb-c.h"

typedef struct ow_db ow_db_t;

/* Largest request any hall method accepts (a PutSlots of a few hundred slots). */
#define INTAKE_HALL_REQUEST_MAX (256 * 1024)
#define INTAKE_HALL_SLOTS_MAX   500

typedef int(intake_hall_fn)(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                            const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                            uint8_t **reply, size_t *reply_len, ow_error_t *err);

/* Registers the statements of every hall method. Returns 0, or -1 with err. */
int intake_hall_prepare(ow_db_t *db, ow_error_t *err);

intake_hall_fn intake_put_slots, intake_list_slots, intake_book, intake_cancel_appointment,
    intake_arrive, intake_take_ticket, intake_call_next, intake_ticket_missed,
    intake_ticket_serving, intake_ticket_done, intake_hall_statistics;

/* timer.fired of kind no_show (timer_fired.c), inside the inbox's transaction: an appointment
 * still booked is forfeited (state no_show, its slot's place given back, appointment.no_show);
 * when that no-show reaches the limit within the window, booking is blocked (booking_blocks,
 * blocked_until in the event). An appointment cancelled or arrived meanwhile: nothing. An
 * unknown appointment is poison (INVALID_ARGUMENT). Returns 0, or -1 with err. */
int intake_appointment_no_show(ow_db_t *db, const intake_hall_policy_t *policy,
                               const Onewindow__V1__Timer *t, int64_t now_us, ow_error_t *err);

#endif
