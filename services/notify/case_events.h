/* case_events — what notifyd does with intake's and routing's events (docs/contract.md):
 * case.accepted stores the applicant's contact for the case and queues case_accepted;
 * case.decided queues case_decided (approved or refused wording) and rating_invitation. Each
 * handler runs inside the inbox's transaction, so the deliveries are queued if and only if
 * the event is applied; the dispatcher sends them after the commit. */
#ifndef NOTIFY_CASE_EVENTS_H
#define NOTIFY_CASE_EVENTS_H

#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* ow_inbox_apply_fn for case.accepted (payload CaseAccepted); arg is the templates_t to
 * render with (borrowed). A payload that does not decode, lacks its case, or breaks a bound
 * is INVALID_ARGUMENT (poison, skipped by the inbox); database errors are passed on for the
 * inbox to retry. */
int notify_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for case.decided (payload CaseDecided); arg as above. An outcome other
 * than approved or refused is INVALID_ARGUMENT. */
int notify_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
