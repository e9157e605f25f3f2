/* timer_requests — the timer service's request methods (docs/contract.md "The timer
 * service"): deadline.schedule_timer, deadline.cancel_timer, deadline.compute_due. The
 * handlers decode, validate, call timers / working_days, and encode; arg is the
 * deadline_context_t. Each answers exactly once: INVALID_ARGUMENT (every problem listed,
 * nothing written) for a payload that does not decode or breaks a rule, FAILED_PRECONDITION
 * for a key reused with other fields, UNAVAILABLE/INTERNAL on a database error. */
#ifndef DEADLINE_TIMER_REQUESTS_H
#define DEADLINE_TIMER_REQUESTS_H

#include "ow_rpc.h"

/* ScheduleTimer → TimerReply. The timer key is the idempotency key: the same key with the
 * same fields answers the stored timer and changes nothing. */
void timer_requests_schedule(ow_rpc_call_t *call, void *arg);

/* CancelTimer → TimerReply; an unknown key answers state "unknown", a fired one "fired". */
void timer_requests_cancel(ow_rpc_call_t *call, void *arg);

/* ComputeDue → ComputeDueReply; nothing stored. */
void timer_requests_compute_due(ow_rpc_call_t *call, void *arg);

#endif
