#include "outcome_events.h"

#include <stdlib.h>
#include "delivery.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "onewindow/v1/routing.pb-c.h"

int routing_emit_outcome(ow_db_t *db, routing_case_outcome_t outcome, const char *case_no,
                         const char *centre_id, int64_t at_us, const char *by, const char *task_id,
                         const char *comment, ow_error_t *err)
{
    const char *type = NULL;
    Onewindow__V1__CaseDecided cd = ONEWINDOW__V1__CASE_DECIDED__INIT;
    if (routing_case_outcome_final(outcome)) {
        type = "case.decided";
        cd.outcome = (char *)routing_case_outcome_decided(outcome);
        cd.state = routing_case_outcome_state(outcome);
    } else if (outcome == ROUTING_CASE_AWAITING_MATERIALS) {
        /* DOMAIN §3: approved by every stage, issued only after all materials are in. */
        type = "case.awaiting_materials";
        cd.outcome = (char *)routing_case_outcome_name(outcome);
    } else {
        return 0;
    }
    cd.case_no = (char *)case_no;
    cd.decided_at_us = at_us;
    cd.decided_by = (char *)by;
    cd.task_id = (char *)task_id;
    cd.comment = (char *)(comment ? comment : "");
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (ow_pack(&cd.base, &bytes, &len, err) < 0)
        return -1;
    int rc = ow_outbox_add(db, type, case_no, centre_id, at_us, bytes, len, err);
    free(bytes);
    if (rc < 0)
        return -1;
    /* Art. 44: an approved result is issued and delivered within 10 days of the decision. */
    if (outcome == ROUTING_CASE_APPROVED || outcome == ROUTING_CASE_APPROVED_AFTER_SUPPLY)
        return routing_delivery_open(db, case_no, centre_id, task_id, at_us, err);
    return 0;
}
