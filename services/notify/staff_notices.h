/* staff_notices — the inbox handlers that tell staff and supervisors (DOMAIN.md §8; issue 7):
 * routing's task events keep notifyd's copy of who holds each task and tell a new holder;
 * deadlined's yellow and red cards tell the holders of the case's open tasks, red also the
 * centre's supervisors; evaluationd's bad reviews tell the centre's supervisors. Who is told
 * is decided by staff_rules.h; how each person is reached by the staff directory
 * (staff_directory.h). Each handler first queues the event's webhooks (event_rules_on_event),
 * and runs inside the inbox's transaction, so its deliveries are queued if and only if the
 * event is applied. arg: event_rules_t (borrowed). A payload that does not decode or breaks a
 * bound is INVALID_ARGUMENT (poison, skipped by the inbox); database errors are passed on for
 * the inbox to retry. */
#ifndef NOTIFY_STAFF_NOTICES_H
#define NOTIFY_STAFF_NOTICES_H

#include <stddef.h>
#include "event_rules.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* task.created, task.updated, task.decided (payload Task). */
int staff_notices_on_task(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* deadline.yellow, deadline.red (payload Clock). */
int staff_notices_on_card(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* rating.recorded (payload Rating): a bad review (is_bad) tells the supervisors. */
int staff_notices_on_rating(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* Inside the inbox's transaction: tells staff_id notice `kind` of ev with template_kind, on
 * the file sink (recipient = staff id) and over their channel from the staff directory
 * (event_rules_tell). values[0] must be {"staff_name", …}: it is filled here with the
 * directory's name, else the id. Returns 0 or -1 with err. */
int staff_notices_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                       const char *kind, const char *template_kind, const char *staff_id,
                       template_value_t *values, size_t count, ow_error_t *err);

#endif
