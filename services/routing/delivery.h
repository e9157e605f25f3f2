/* delivery — issuing and delivering an approved case's result (DOMAIN.md §4, 行政许可法
 * art. 44: within 10 days of the decision): pickup at the unified output window or by post
 * with its tracking number. Approval opens the delivery (deliveries table, 0006) in the
 * decision's transaction; routing_api then asks deadlined for the timer (owner "routing",
 * kind delivery_10d, 10 working days from the approval — art. 82: the law's periods are
 * working days) and marks it scheduled when deadlined confirmed; timer.fired of an
 * undelivered result marks it overdue (delivery.overdue). */
#ifndef ROUTING_DELIVERY_H
#define ROUTING_DELIVERY_H

#include <stddef.h>
#include <stdint.h>
#include "ow_envelope.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_DELIVERY_DAYS       10 /* art. 44 */
#define ROUTING_DELIVERY_TIMER_KIND "delivery_10d"
#define ROUTING_TRACKING_MAX        64

/* Registers this module's statements on db. Returns 0, or -1 with err. */
int routing_delivery_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the approval's transaction: opens the delivery of case_no (once; a repeat does
 * nothing), decided by task_id at at_us. Returns 0 or -1 with err. */
int routing_delivery_open(ow_db_t *db, const char *case_no, const char *centre_id,
                          const char *task_id, int64_t at_us, ow_error_t *err);

/* routing.deliver: the packed Delivery request (case_no, method, tracking_no) in its own
 * transaction; emits case.delivered (Delivery). A repeat of idempotency_key returns the first
 * answer. Returns 0 with *reply (packed OK Reply with the Delivery; caller frees) or -1 with
 * err and nothing written: PERMISSION_DENIED (not active staff), INVALID_ARGUMENT (every
 * problem: case_no, method pickup/post, tracking_no required for post, at most 64 printable
 * characters), NOT_FOUND (the case has no approved result to deliver), FAILED_PRECONDITION
 * (already delivered, or the key reused), database errors. */
int routing_deliver(ow_db_t *db, const char *idempotency_key, const char *actor,
                    const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err);

/* An ow_inbox_apply_fn for deadline's timer.fired: a delivery_10d timer of owner routing whose
 * result is still undelivered marks it overdue (audit delivery.overdue, event
 * delivery.overdue); other timers are not routing's and are skipped. Returns 0, or -1 with
 * err (INVALID_ARGUMENT for a payload that is not a Timer: poison). */
int routing_apply_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* A delivery whose timer deadlined has not yet confirmed. */
typedef struct {
    char case_no[OW_CASE_NO_MAX + 1];
    char centre_id[OW_CENTRE_ID_MAX + 1];
    char timer_key[96];
    int64_t approved_at_us;
} routing_delivery_timer_t;

/* Up to max deliveries whose timer is still to be scheduled, into out. Returns how many, or
 * -1 with err. */
int routing_delivery_unscheduled(ow_db_t *db, routing_delivery_timer_t *out, size_t max,
                                 ow_error_t *err);

/* The packed deadline ScheduleTimer for t (caller frees). Returns 0 or -1 with err. */
int routing_delivery_timer_request(const routing_delivery_timer_t *t, uint8_t **out, size_t *len,
                                   ow_error_t *err);

/* deadlined confirmed the timer of case_no. Returns 0 or -1 with err. */
int routing_delivery_mark_scheduled(ow_db_t *db, const char *case_no, ow_error_t *err);

#endif
