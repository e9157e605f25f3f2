/* authority — who may do what to a task (DOMAIN.md §4), as a plain function. No I/O.
 *
 *   decide, return for correction, start/end a special procedure, request an extension,
 *   transfer, release: the task's holder, or the substitute standing in for a holder who is
 *   away (substitution.h) — and the department's chief representative for its own
 *   department's tasks;
 *   the final decision of a department's part (a stage marked final): the department's
 *   chief representative or the delegate named for it (首席代表: the department's delegated
 *   authority at the centre);
 *   grant (or deny) an extension: a head of the task's department (art. 42);
 *   claim an unheld task from its post's queue: the post's A or B holder, or the chief
 *   representative.
 * Anything else is PERMISSION_DENIED, checked before the task's state, so a stranger learns
 * nothing about the task; an inactive member of staff may do nothing. */
#ifndef ROUTING_AUTHORITY_H
#define ROUTING_AUTHORITY_H

#include <stdbool.h>
#include "ow_status.h"

typedef enum {
    ROUTING_ACT_DECIDE,  /* approve or refuse */
    ROUTING_ACT_RETURN,  /* return for correction during processing */
    ROUTING_ACT_SUSPEND, /* start a special procedure */
    ROUTING_ACT_RESUME,  /* end it */
    ROUTING_ACT_REQUEST_EXTENSION,
    ROUTING_ACT_GRANT_EXTENSION, /* or deny it */
    ROUTING_ACT_TRANSFER,
    ROUTING_ACT_CLAIM,
    ROUTING_ACT_RELEASE,
} routing_action_t;

/* The acting member of staff, as routing knows them. */
typedef struct {
    const char *staff_id;
    const char *department_code;
    const char *role; /* window_clerk, approver, chief_representative, department_head,
                         supervisor, administrator */
    bool active;
    bool chief_delegate; /* named delegate of their department's chief representative */
} routing_actor_t;

/* The task as far as authority is concerned. */
typedef struct {
    const char *holder;     /* "" while in the post's queue */
    const char *substitute; /* who stands in for the holder while away; "" */
    const char *department_code;
    const char *post_a, *post_b; /* the post's holders, for claim */
    const char *state;           /* open, suspended, extension_requested, done, cancelled */
    bool final_stage;            /* the stage takes the department's final decision */
} routing_task_view_t;

/* "decide", "return", "suspend", … (the audit trail's action names). */
const char *routing_action_name(routing_action_t action);

/* Returns 0 when actor may do action to task now, or -1 with err: PERMISSION_DENIED (who
 * may, in the message), then FAILED_PRECONDITION when the task's state does not allow the
 * action (decided, cancelled, suspended, already held, …). */
int routing_authorise(const routing_actor_t *actor, routing_action_t action,
                      const routing_task_view_t *task, ow_error_t *err);

#endif
