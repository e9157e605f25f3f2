/* staff_rules — who among the staff is told what (DOMAIN.md §8; issue 7). Pure: no I/O.
 *
 *   task.created / task.updated → the task's assignee, when the task is open and its holder
 *                                 is new to it; with on_behalf_of set, the wording says it is
 *                                 held for that absent colleague (§4 A/B posts);
 *   task.updated, cancelled     → its holder, when the task was closed because intake closed
 *                                 the case (closed_reason case_withdrawn: the applicant
 *                                 withdrew; case_terminated: the 容缺 supply deadline lapsed),
 *                                 so that nobody keeps working on it;
 *   deadline.yellow             → the holders of the case's open tasks (of the clock's stage
 *                                 when a task is at that stage, else of every open task);
 *   deadline.red                → the same holders, and the centre's supervisors registered
 *                                 for red cards; urgent (sent in the SMS quiet hours);
 *   rating.recorded with is_bad → the centre's supervisors registered for bad reviews;
 *   rectification.overdue       → the centre's supervisors registered for overdue
 *                                 rectifications (evaluation_notices.h).
 *
 * A person is told once per event: holder and supervisor alike share the delivery kind, so the
 * delivery key (event id, kind, recipient, channel) keeps only the first. */
#ifndef NOTIFY_STAFF_RULES_H
#define NOTIFY_STAFF_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

/* Delivery kinds of staff notices. */
#define STAFF_NOTICE_TASK       "task_assigned"
#define STAFF_NOTICE_YELLOW     "deadline_yellow"
#define STAFF_NOTICE_RED        "deadline_red"
#define STAFF_NOTICE_BAD_REVIEW "bad_review"
#define STAFF_NOTICE_OVERDUE    "overdue_rectification"
#define STAFF_NOTICE_CLOSED     "task_closed"

/* Supervisor registrations name these kinds (notify.register_supervisor). */
#define SUPERVISOR_RED_CARD        "red_card"
#define SUPERVISOR_BAD_REVIEW      "bad_review"
#define SUPERVISOR_OVERDUE_RECTIFY "overdue_rectification"

#define STAFF_ID_MAX    64 /* bytes */
#define STAFF_NAME_MAX  400
#define STAFF_PHONE_MAX 32
#define STAFF_EMAIL_MAX 254
#define STAFF_CODE_MAX  64

/* One task as notifyd keeps it (case_tasks). Strings are borrowed. */
typedef struct {
    const char *task_id;
    const char *assignee;
    const char *on_behalf_of;
    const char *stage;
    const char *state; /* open, suspended, extension_requested, done, cancelled … */
} staff_task_t;

/* One entry of the staff directory (notify.set_staff_contact). Strings are borrowed. */
typedef struct {
    const char *staff_id;
    const char *name;
    const char *phone;
    const char *email;
    const char *channel; /* "" (SMS when a phone is known, else e-mail), sms, email, none */
    const char *centre_id;
    const char *department_code;
} staff_contact_t;

/* Whether a task in `state` is still being worked on by its holder (not done or cancelled). */
bool staff_task_is_open(const char *state);

/* The template kind to tell `assignee` about task t, whose previous holder notifyd knew as
 * previous_assignee ("" when the task is new to notifyd): TEMPLATE_TASK_ASSIGNED, or
 * TEMPLATE_TASK_ASSIGNED_ON_BEHALF when t is held for an absent colleague; NULL when nobody is
 * to be told (no assignee — an unheld task in a post's queue —, the same holder as before, or
 * the task is no longer open). */
const char *staff_task_notice(const char *previous_assignee, const staff_task_t *t);

/* The words for why a held task was closed when its case was (routing's Task.closed_reason):
 * case_withdrawn and case_terminated have them; NULL for every other reason (stage_decided:
 * the stage's result is known, which its holder's colleagues decided; "" and the unknown). */
const char *staff_task_closed_why(const char *closed_reason);

/* Whether t, in a task.updated, is to be told to its holder as closed with its case:
 * cancelled, held by someone, and closed for a reason staff_task_closed_why has words for. */
bool staff_task_closed_notice(const staff_task_t *t, const char *closed_reason);

/* The holders to tell of a card on the clock of `stage` ("" = the case clock): the assignees
 * of the open tasks at that stage when there is one, else of every open task; each at most
 * once, in the order of tasks. Writes up to `max` indexes into tasks to out and returns how
 * many. */
size_t staff_card_holders(const staff_task_t *tasks, size_t count, const char *stage, size_t *out,
                          size_t max);

/* The supervisor kind an event's notice belongs to: SUPERVISOR_RED_CARD for deadline.red,
 * SUPERVISOR_BAD_REVIEW for a bad rating.recorded (is_bad), SUPERVISOR_OVERDUE_RECTIFY for
 * rectification.overdue, NULL when supervisors are not told. */
const char *staff_supervisor_kind(const char *event_type, bool is_bad);

/* Whether kind is one a supervisor may register for. */
bool staff_supervisor_kind_valid(const char *kind);

/* Checks one directory entry; each problem is added to err as a violation on field
 * "<prefix>.<field>" (e.g. "contacts[2].phone"). Returns the number of problems added. */
int staff_contact_check(const staff_contact_t *c, const char *prefix, ow_error_t *err);

/* The channel a staff member is told on, as for applicants (event_rules_applicant_channel):
 * "sms", "email", or NULL (the file sink only). */
const char *staff_channel(const staff_contact_t *c, bool sms_on, bool email_on);

#endif
