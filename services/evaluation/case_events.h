/* case_events — what evaluationd does with intake's and routing's events: case.accepted
 * records what was served (served_cases), case.decided makes it rateable; the one that makes
 * it rateable also asks for its invitation and default timers (timer_commands.h). Each
 * handler runs inside the inbox's transaction (ow_inbox.h). */
#ifndef EVALUATION_CASE_EVENTS_H
#define EVALUATION_CASE_EVENTS_H

#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* ow_inbox_apply_fn for case.accepted (payload CaseAccepted); arg unused. A payload that does
 * not decode, lacks its case, or breaks a bound is INVALID_ARGUMENT (poison, skipped by the
 * inbox); database errors are passed on for the inbox to retry. */
int evaluation_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for case.decided (payload CaseDecided); arg unused. Errors as above. */
int evaluation_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
