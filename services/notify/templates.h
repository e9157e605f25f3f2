/* templates — the texts of notifications: Chinese text with {placeholders}, versioned
 * (DOMAIN.md §8), checked when loaded and rendered with no I/O.
 *
 * Syntax: {name} is replaced by the value of `name` ([a-z_], at most 32 characters); {{ and
 * }} stand for literal braces. Each kind of template has a fixed set of placeholders — the
 * facts its event supplies — and a template naming any other is refused when loaded, so a
 * typo in a template stops start-up instead of reaching an applicant.
 *
 * Per channel (issue 7): a kind written "kind@sms" (or @file, @email) is that channel's own
 * text and has the kind's placeholders; "kind" alone serves every channel without one. */
#ifndef NOTIFY_TEMPLATES_H
#define NOTIFY_TEMPLATES_H

#include <stddef.h>
#include "ow_status.h"

#define TEMPLATE_BODY_MAX 4000 /* bytes */

/* Template kinds. A delivery of kind case_decided uses the approved or refused wording. */
#define TEMPLATE_CASE_ACCEPTED         "case_accepted"
#define TEMPLATE_CASE_DECIDED_APPROVED "case_decided_approved"
#define TEMPLATE_CASE_DECIDED_REFUSED  "case_decided_refused"
#define TEMPLATE_RATING_INVITATION     "rating_invitation"
/* E-mail subjects (issue 7), loaded with channel 'email'. */
#define TEMPLATE_CASE_ACCEPTED_SUBJECT     "case_accepted_subject"
#define TEMPLATE_CASE_DECIDED_SUBJECT      "case_decided_subject"
#define TEMPLATE_RATING_INVITATION_SUBJECT "rating_invitation_subject"
/* Staff and supervisors (issue 7, DOMAIN.md §8; staff_rules.h says who gets which). */
#define TEMPLATE_TASK_ASSIGNED           "task_assigned"
#define TEMPLATE_TASK_ASSIGNED_ON_BEHALF "task_assigned_on_behalf"
#define TEMPLATE_DEADLINE_YELLOW         "deadline_yellow"
#define TEMPLATE_DEADLINE_RED            "deadline_red"
#define TEMPLATE_DEADLINE_RED_SUPERVISOR "deadline_red_supervisor"
#define TEMPLATE_BAD_REVIEW              "bad_review"
/* A held task closed because intake closed its case (withdrawn, 容缺 lapse). */
#define TEMPLATE_TASK_CLOSED "task_closed"
/* The applicant's further notices (applicant_notices.h). */
#define TEMPLATE_CASE_NOTICE_ISSUED    "case_notice_issued"
#define TEMPLATE_CASE_RONGQUE_ACCEPTED "case_rongque_accepted"
#define TEMPLATE_CASE_SUSPENDED        "case_suspended"
#define TEMPLATE_CASE_EXTENDED         "case_extended"
/* Evaluation's notices (evaluation_notices.h): the 3-day rating reminder and the
 * rectification result to the applicant, overdue rectifications to supervisors. */
#define TEMPLATE_RATING_REMINDER       "rating_reminder"
#define TEMPLATE_RECTIFICATION_RESULT  "rectification_result"
#define TEMPLATE_OVERDUE_RECTIFICATION "overdue_rectification"
/* The e-mail subject of every notice above. */
#define TEMPLATE_NOTICE_SUBJECT "notice_subject"

typedef struct {
    const char *name;
    const char *value;
} template_value_t;

typedef struct templates templates_t;

/* Returns an empty set, or NULL when out of memory. Caller owns it. */
templates_t *templates_new(void);

/* Frees the set. Sets *self_p to NULL; harmless when already NULL. */
void templates_destroy(templates_t **self_p);

/* The placeholders a kind may use, as a NULL-terminated list; NULL for an unknown kind. */
const char *const *templates_placeholders(const char *kind);

/* Checks body against kind's placeholders without loading it. Returns 0, or -1 with err
 * INVALID_ARGUMENT naming the kind and what is wrong: an unknown kind, an unknown placeholder,
 * an unclosed or empty brace, a lone '}', a body that is empty or too long. */
int templates_check(const char *kind, const char *body, ow_error_t *err);

/* Checks body (templates_check) and keeps a copy as the kind's template at version; a
 * higher version replaces a lower one, a lower or equal one is ignored. Returns 0, or -1
 * with err (the set is unchanged). */
int templates_add(templates_t *self, const char *kind, int version, const char *body,
                  ow_error_t *err);

/* The name to render kind for channel with: "kind@channel" when the set holds that
 * channel's own text (written into buf), else kind. channel "" or "any" means any. */
const char *templates_pick(const templates_t *self, const char *kind, const char *channel,
                           char *buf, size_t size);

/* Returns 0 when the set holds every kind, else -1 with err naming the first missing. */
int templates_check_complete(const templates_t *self, ow_error_t *err);

/* Version of kind's template, 0 when absent. */
int templates_version(const templates_t *self, const char *kind);

/* Renders kind's template with values (the first value of a name wins). Returns a new string
 * the caller frees, or NULL with err: NOT_FOUND when the set has no such template, INTERNAL
 * when a placeholder has no value (the caller must supply every placeholder of the kind) or
 * out of memory. */
char *templates_render(const templates_t *self, const char *kind, const template_value_t *values,
                       size_t count, ow_error_t *err);

#endif
