/* case_contacts — notifyd's own copy of each case it tells an applicant about, learnt from
 * case.accepted (contact, item, limit) and case.decided (outcome). Either event may be
 * applied first. Plain functions over an ow_db_t, inside the caller's transaction. */
#ifndef NOTIFY_CASE_CONTACTS_H
#define NOTIFY_CASE_CONTACTS_H

#include <stdint.h>
#include "notices.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_db.h"
#include "ow_status.h"

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int case_contacts_prepare(ow_db_t *db, ow_error_t *err);

/* Records the acceptance of c (bounds already checked by the caller). Returns 1 and fills
 * *out with the whole row when this call recorded it, 0 when the case was already recorded
 * as accepted (nothing changed), -1 with err on a database error. */
int case_contacts_accept(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t accepted_at_us,
                         const char *event_id, case_contact_t *out, ow_error_t *err);

/* Records the decision d (bounds already checked). Returns 1 and fills *out with the whole
 * row when this call recorded it, 0 when a decision was already recorded, -1 with err. */
int case_contacts_decide(ow_db_t *db, const Onewindow__V1__CaseDecided *d, int64_t decided_at_us,
                         const char *event_id, case_contact_t *out, ow_error_t *err);

/* Reads the case's row into *out. Returns 1, 0 when the case is unknown, -1 with err. */
int case_contacts_get(ow_db_t *db, const char *case_no, case_contact_t *out, ow_error_t *err);

#endif
