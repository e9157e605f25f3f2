/* rating_timeouts — what evaluationd does when deadlined says one of its timers fell due
 * (event timer.fired, source deadline, payload Timer; docs/contract.md "The timer service"):
 *   rating_invite   the case is still unrated: queue rating.invitation_due for notifyd
 *                   (DOMAIN.md §6: an invitation after 3 days without a rating);
 *   rating_default  the case is still unrated: record the default 基本满意, marked as a
 *                   default (ratings_record_default).
 * A rating that came first makes both do nothing. Other owners' timers are ignored. */
#ifndef EVALUATION_RATING_TIMEOUTS_H
#define EVALUATION_RATING_TIMEOUTS_H

#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rating_timeouts_prepare(ow_db_t *db, ow_error_t *err);

/* ow_inbox_apply_fn for timer.fired; arg unused. Runs inside the inbox's transaction: the
 * effect and the inbox position commit together, so each timer acts once. A payload that does
 * not decode is INVALID_ARGUMENT (poison); database errors are passed on to be retried. */
int evaluation_on_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
