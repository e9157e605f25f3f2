/* evaluation_notices — what notifyd tells people about evaluationd's events (DOMAIN.md §6/§8;
 * issues 6 and 7):
 *
 *   rating.invitation_due     → the applicant: the 3-day rating reminder (§6 "an invitation
 *                               goes out after 3 days without a rating"), from notifyd's own
 *                               copy of the case (the event carries no identity);
 *   rectification.rater_told  → the applicant who rated: the rectification result (§8), unless
 *                               the rating was anonymous (nobody to tell);
 *   rectification.overdue     → the centre's supervisors registered for
 *                               overdue_rectification (§8).
 *
 * Each handler first queues the event's webhooks (event_rules_on_event) and runs inside the
 * inbox's transaction; the delivery key (event id, kind, recipient, channel) keeps a replay
 * from sending anything twice. arg: event_rules_t (borrowed). A payload that does not decode
 * or breaks a bound is INVALID_ARGUMENT (poison); database errors are passed on for the inbox
 * to retry. The rules and the wording helpers are pure. */
#ifndef NOTIFY_EVALUATION_NOTICES_H
#define NOTIFY_EVALUATION_NOTICES_H

#include <stdbool.h>
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* Delivery kinds (= their template kinds). */
#define EVALUATION_NOTICE_REMINDER "rating_reminder"
#define EVALUATION_NOTICE_RESULT   "rectification_result"
#define EVALUATION_NOTICE_OVERDUE  "overdue_rectification"

/* The notice a rectification event causes: EVALUATION_NOTICE_RESULT for rater_told of a
 * real-name rating, EVALUATION_NOTICE_OVERDUE for overdue; NULL for every other step and for
 * rater_told of an anonymous rating. */
const char *evaluation_ticket_notice(const char *event_type, bool anonymous);

/* The applicant's words for a ticket's classification: fix_now 立即整改, fix_by_deadline
 * 限期整改, explain 解释说明; anything else 整改. */
const char *evaluation_classification_text(const char *classification);

/* 非常不满意 for grade 1, 不满意 otherwise (a ticket's grade is 1 or 2). */
const char *evaluation_grade_text(int grade);

/* ow_inbox_apply_fn for rating.invitation_due (payload RatingInvitation). */
int evaluation_notices_on_invitation(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for rectification.rater_told and rectification.overdue (payload
 * RectificationTicket). */
int evaluation_notices_on_ticket(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

#endif
