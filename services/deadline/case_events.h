/* case_events — what deadlined does with intake's and routing's events: case.accepted starts
 * the case's clock, case.decided stops it, case.withdrawn and case.terminated end it early,
 * routing's suspensions, extensions and stages move it.
 * Each handler runs inside the inbox's transaction (ow_inbox.h), so the clock change, its
 * deadline.* event and the inbox's last seq commit together. */
#ifndef DEADLINE_CASE_EVENTS_H
#define DEADLINE_CASE_EVENTS_H

#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* ow_inbox_apply_fn for case.accepted (payload CaseAccepted); arg is the
 * deadline_context_t (its calendar). A payload that does
 * not decode, lacks its case, or breaks a bound is INVALID_ARGUMENT (the inbox skips it as
 * poison); database errors are passed on for the inbox to retry. */
int deadline_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for case.decided (payload CaseDecided); arg as above. Errors as above. */
int deadline_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for routing's clock events, arg as above, errors as above:
 * case.suspended (CaseSuspended: the case clock and the stage's stop counting, art. 45),
 * case.resumed (CaseResumed), case.extended (CaseExtended: checked against art. 42; a refused
 * extension is recorded with its reason and logged, not poison), stage.started and
 * stage.completed (StageEvent: a stage's own clock). */
int deadline_on_case_suspended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);
int deadline_on_case_resumed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);
int deadline_on_case_extended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);
int deadline_on_stage_started(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);
int deadline_on_stage_completed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for intake's case.withdrawn and case.terminated (CaseChanged): the case
 * ended before a decision, so its clocks stop — the case's and every stage's — with the reason
 * (withdrawn / terminated, and CaseSummary.closed_reason) and any card cleared; the end is
 * remembered so that a clock created later starts stopped (clocks_end). Arg and errors as
 * above. */
int deadline_on_case_ended(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
