/* outcome_events — the events of a case's outcome (case_outcome.h), written in the caller's
 * open transaction: a final outcome emits case.decided (CaseDecided: approved 11, approved 12
 * after the 容缺 materials, refused 13) and an approval opens the delivery of its result
 * (delivery.h: art. 44's 10 days run from this decision); awaiting_materials emits
 * case.awaiting_materials (CaseDecided with outcome "awaiting_materials", state 0); pending
 * and terminated emit nothing. */
#ifndef ROUTING_OUTCOME_EVENTS_H
#define ROUTING_OUTCOME_EVENTS_H

#include <stdint.h>
#include "case_outcome.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

/* The case's outcome at at_us, by `by` (the deciding staff id) through task_id with comment
 * (all borrowed; comment may be ""). Returns 0, or -1 with err. */
int routing_emit_outcome(ow_db_t *db, routing_case_outcome_t outcome, const char *case_no,
                         const char *centre_id, int64_t at_us, const char *by, const char *task_id,
                         const char *comment, ow_error_t *err);

#endif
