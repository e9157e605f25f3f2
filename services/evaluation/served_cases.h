/* served_cases — evaluationd's own copy of the cases it may be asked to rate, learnt from
 * events: case.accepted says what was served (item, department, centre; the applicant is kept
 * apart in case_applicants), case.decided makes the case rateable. Either may come first. */
#ifndef EVALUATION_SERVED_CASES_H
#define EVALUATION_SERVED_CASES_H

#include <stdint.h>
#include "onewindow/v1/intake.pb-c.h"
#include "ow_db.h"
#include "ow_status.h"

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int served_cases_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: records the accepted case and its applicant. A case
 * already recorded as accepted is left as it is. accepted_at_us is the acceptance time;
 * event_id the case.accepted event. The caller has checked the strings' bounds. Returns 0,
 * or -1 with err. */
int served_cases_accept(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t accepted_at_us,
                        const char *event_id, ow_error_t *err);

/* Inside the caller's transaction: records the case's outcome, which makes it rateable once
 * it is also accepted. A second outcome for a case changes nothing. Returns 0, or -1 with
 * err. */
int served_cases_decide(ow_db_t *db, const char *case_no, const char *outcome,
                        int64_t decided_at_us, const char *event_id, ow_error_t *err);

#endif
