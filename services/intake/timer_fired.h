/* timer_fired — what intaked does when deadlined fires one of its timers (event timer.fired,
 * source deadline, payload Timer; docs/contract.md "The timer service"). Runs inside the
 * inbox's transaction, which records deadline's seq with the change: each effect happens once.
 *
 *   notice_duty     the case is still 1 已接件 after 5 working days (art. 32): deemed accepted
 *                   as of its receipt — state 3, document deemed_accepted, events
 *                   case.deemed_accepted and case.accepted
 *   rongque_supply  a 容缺 case whose supply list is still incomplete: terminated — state 13
 *                   办结（不通过）, document termination listing what was not supplied, event
 *                   case.terminated
 *   no_show         an appointment still booked is forfeited (hall.h, appointments.c)
 * A timer whose case has moved on (decided, supplied, withdrawn) does nothing. */
#ifndef INTAKE_TIMER_FIRED_H
#define INTAKE_TIMER_FIRED_H

#include "ow_envelope.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* An ow_inbox_apply_fn; arg is the hall policy (const intake_hall_policy_t *, NULL = the
 * defaults). Returns 0 when applied, when nothing was left to do, and
 * for timers of other owners. Returns -1 with INVALID_ARGUMENT for an event that can never
 * apply (malformed payload, unknown kind of ours, unknown case): the inbox parks it. Returns
 * -1 with the database's code (transient: the inbox retries) when the database failed. */
int intake_apply_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
