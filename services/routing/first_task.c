#include "first_task.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "assignment.h"
#include "decision.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "task_store.h"
#include "supply_store.h"
#include "work_order.h"
#include "workflow_store.h"
#include "onewindow/v1/intake.pb-c.h"

int routing_first_task_prepare(ow_db_t *db, ow_error_t *err)
{
    if (routing_assignment_prepare(db, err) < 0 || routing_task_store_prepare(db, err) < 0 ||
        routing_workflow_store_prepare(db, err) < 0 || routing_supply_prepare(db, err) < 0)
        return -1;
    return 0;
}

static bool s_digits(const char *s, size_t min, size_t max)
{
    size_t len = strlen(s);
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

int routing_apply_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseAccepted *accepted = NULL;
    routing_tasks_t *task = NULL;
    uint8_t *payload = NULL;

    if (ev->payload_len > ROUTING_EVENT_MAX_BYTES ||
        !(accepted = onewindow__v1__case_accepted__unpack(NULL, ev->payload_len, ev->payload)) ||
        !accepted->case_) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.accepted payload is not a CaseAccepted");
        goto done;
    }
    const Onewindow__V1__CaseSummary *c = accepted->case_;
    if (!s_digits(c->case_no, 1, OW_CASE_NO_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.accepted names no valid case number");
        goto done;
    }
    if (!routing_id_valid(c->department_code) || !routing_id_valid(c->item_code)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case.accepted for %s lacks a valid department or item code", c->case_no);
        goto done;
    }
    if (!s_digits(c->centre_id, 0, OW_CENTRE_ID_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.accepted for %s has a malformed centre_id",
                     c->case_no);
        goto done;
    }

    int64_t now_us = ow_clock_now_us();
    /* DOMAIN §3 容缺: the case's approval will wait for its materials (supply_store.h). */
    if (c->rongque && routing_supply_open(db, c->case_no, c->centre_id, now_us, err) < 0)
        goto done;
    /* An item (version) with a workflow: its first stage's parallel tasks (workflow_store.h);
     * without one, the skeleton's single task below. */
    int staged = routing_workflow_start_case(db, c, now_us, err);
    if (staged != 0) {
        rc = staged > 0 ? 0 : -1;
        goto done;
    }
    routing_assignment_t who;
    if (routing_assign_first(db, c->department_code, now_us, &who, err) < 0)
        goto done;
    routing_new_task_t t = {
        .case_no = c->case_no,
        .centre_id = c->centre_id,
        .item_code = c->item_code,
        .department_code = c->department_code,
        .assignee = who.assignee,
        .on_behalf_of = who.on_behalf_of,
        .post_code = who.post_code,
        .stage = ROUTING_STAGE_REVIEW_DECISION,
        .created_at_us = now_us,
        /* DOMAIN §4: work lists go green channel, love channel, then earliest due. */
        .lane = routing_lane_of(c->green_lane, c->love_lane),
        .due_us = c->promised_due_us,
    };
    int created = routing_task_insert(db, &t, &task, err);
    if (created < 0)
        goto done;
    if (created == 0) {
        /* The case already has its first task: nothing more to do, nothing to emit. */
        rc = 0;
        goto done;
    }
    const Onewindow__V1__Task *row = routing_tasks_get(task, 0);
    char after[ROUTING_TASK_DESCRIBE_SIZE];
    routing_task_describe(row, after, sizeof after);
    /* DOMAIN §4: a substitute acts on A's behalf and the record shows both. */
    if (routing_audit_append(db, now_us, "routingd", who.on_behalf_of, "task.created", row->task_id,
                             row->case_no,
                             who.post_code[0] ? "assigned to the department's default post"
                                              : "assigned to the department's approver",
                             "", after, err) < 0)
        goto done;
    size_t len = onewindow__v1__task__get_packed_size(row);
    payload = malloc(len ? len : 1);
    if (!payload) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing task.created");
        goto done;
    }
    onewindow__v1__task__pack(row, payload);
    if (ow_outbox_add(db, "task.created", row->case_no, c->centre_id, now_us, payload, len, err) <
        0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "task created", "case_no", row->case_no, "task_id", row->task_id,
              "assignee", row->assignee, NULL);
    rc = 0;
done:
    free(payload);
    routing_tasks_destroy(&task);
    if (accepted)
        onewindow__v1__case_accepted__free_unpacked(accepted, NULL);
    return rc;
}
