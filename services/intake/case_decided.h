/* case_decided — applies routing's case.decided event to the case: the state routing decided,
 * 11 办结（通过）, 12 办结（容缺通过） or 13 办结（不通过）, and the time of the decision; and
 * routing's case.awaiting_materials (a 容缺 case approved by every stage, waiting for its
 * materials before the decision is issued, DOMAIN §3). Runs inside the inbox's transaction
 * (ow_inbox.h), which records routing's seq with the change, so the decision is applied exactly
 * once. */
#ifndef INTAKE_CASE_DECIDED_H
#define INTAKE_CASE_DECIDED_H

#include "ow_envelope.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define INTAKE_EVENT_MAX_BYTES (64 * 1024)

/* An ow_inbox_apply_fn (arg unused). Returns 0 when the case is decided now or already was
 * with the same outcome. Returns -1 with INVALID_ARGUMENT for an event that can never apply
 * (malformed payload, outcome and state that disagree, unknown case, a case that is closed
 * otherwise or not yet accepted, a 12 for a case not under 容缺 or with materials still
 * outstanding): the inbox parks it as poison for an operator. Returns -1
 * with the database's code (transient: the inbox retries) when the database failed. */
int intake_apply_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* An ow_inbox_apply_fn for case.awaiting_materials (arg unused): marks the case awaiting its
 * 容缺 materials (shown in its CaseSummary) once. A case closed meanwhile is left alone.
 * Poison (INVALID_ARGUMENT): malformed payload, unknown case, a case not accepted under 容缺. */
int intake_apply_case_awaiting(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
