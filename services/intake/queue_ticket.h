/* queue_ticket — the hall queue (排号叫号, DOMAIN.md §3): take a number → waiting → called →
 * (missed → requeued or void) → serving → done, per window, and who is called next.
 *
 * Calling order: 爱心通道 first (DOMAIN §3: served first), then booked visitors within their
 * slot (booked visitors get priority within their slot), then by the ticket's place in the
 * queue: the time it was taken, or the time of its last requeue (a missed ticket goes to the
 * back, behind everyone who waited while it was called). A missed ticket may be requeued
 * `max_requeues` times (configurable, default 1), then it is void.
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_QUEUE_TICKET_H
#define INTAKE_QUEUE_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    INTAKE_TICKET_WAITING = 1,
    INTAKE_TICKET_CALLED,
    INTAKE_TICKET_MISSED,
    INTAKE_TICKET_SERVING,
    INTAKE_TICKET_DONE,
    INTAKE_TICKET_VOID,
} intake_ticket_state_t;

typedef struct {
    int64_t taken_at_us;
    int64_t requeued_at_us; /* the last requeue; 0 = never requeued */
    bool love;              /* 爱心通道 */
    bool booked;            /* holds an appointment */
    int64_t slot_start_us;  /* booked: the slot's window [start, end) */
    int64_t slot_end_us;
    intake_ticket_state_t state;
    int requeues;
} intake_ticket_t;

/* "waiting", "called", …; NULL for a value outside the enum. */
const char *intake_ticket_state_name(intake_ticket_state_t state);

/* Parses a name; -1 when unknown. */
int intake_ticket_state_parse(const char *name);

/* True when a ticket may move from → to:
 * waiting→called|void, called→serving|missed, missed→waiting (requeue)|void, serving→done. */
bool intake_ticket_can_move(intake_ticket_state_t from, intake_ticket_state_t to);

/* True when a missed ticket may go back to waiting. */
bool intake_ticket_may_requeue(const intake_ticket_t *t, int max_requeues);

/* Index of the waiting ticket to call next at now_us, or -1 when none waits. */
long intake_ticket_next(const intake_ticket_t *tickets, size_t n, int64_t now_us);

#endif
