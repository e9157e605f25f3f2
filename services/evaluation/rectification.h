/* rectification — the bad-review rectification ticket (整改工单, DOMAIN.md §6) as a pure state
 * machine, with who may move it. No I/O: rectification_store.c keeps tickets in Postgres.
 *
 * Every grade 1–2 a rater made (not a default) opens a ticket:
 *
 *   open --verify--> verified --classify--> classified --rectify--> rectified
 *     --tell_rater--> rater_told --revisit(grade 1–5)--> revisited --close--> closed
 *
 * "The responsible unit verifies it, classifies it (fix at once / fix within a deadline /
 * explain where there is no legal basis), rectifies within 5 working days, tells the rater,
 * and revisits — the rater rates the rectification" (§6). An anonymous rating has nobody to
 * tell or revisit: its ticket closes from rectified.
 *
 * Appeal (申诉复核, §6): from open, verified or classified the unit may appeal a mistaken or
 * malicious review (once per ticket); a reviewer who is not the appellant upholds it
 * (appeal_upheld, final: the rating is kept but excluded from every figure, and why is
 * recorded) or rejects it (back to the state the appeal came from).
 *
 * Overdue: the rectification deadline passing before the ticket is rectified marks it overdue
 * (a red card, rectification.overdue) once; the ticket can still be rectified late. */
#ifndef EVALUATION_RECTIFICATION_H
#define EVALUATION_RECTIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef enum {
    RECT_OPEN = 0,
    RECT_VERIFIED,
    RECT_CLASSIFIED,
    RECT_RECTIFIED,
    RECT_RATER_TOLD,
    RECT_REVISITED,
    RECT_CLOSED,
    RECT_APPEALED,
    RECT_APPEAL_UPHELD,
    RECT_STATE_COUNT
} rect_state_t;

typedef enum {
    RECT_VERIFY = 0,
    RECT_CLASSIFY,
    RECT_RECTIFY,
    RECT_TELL_RATER,
    RECT_REVISIT,
    RECT_CLOSE,
    RECT_APPEAL,
    RECT_UPHOLD,
    RECT_REJECT,
    RECT_ACTION_COUNT,
    RECT_ACTION_NONE = -1
} rect_action_t;

typedef enum {
    RECT_ROLE_NONE = 0,
    RECT_ROLE_HANDLER,    /* staff of the responsible unit: its own department's tickets */
    RECT_ROLE_SUPERVISOR, /* 监督: any ticket, and appeals */
    RECT_ROLE_REVIEWER,   /* 复核: appeals only */
    RECT_ROLE_ADMIN       /* keeps the roles; no ticket actions */
} rect_role_t;

#define RECT_NOTE_MAX_CHARS 1000
#define RECT_NOTE_BYTES     (RECT_NOTE_MAX_CHARS * 4 + 1)
#define RECT_ID_MAX         64

/* The ticket as the rules see it. */
typedef struct {
    rect_state_t state;
    bool anonymous;
    bool overdue;
    char department_code[65];
    char classification[16]; /* "", fix_now, fix_by_deadline, explain */
    int32_t revisit_grade;   /* 0 until revisited */
    bool appealed_once;
    rect_state_t appeal_from;        /* where a rejected appeal returns */
    char appeal_by[RECT_ID_MAX + 1]; /* the appellant: may not decide the appeal */
    char appeal_reason[16];          /* mistaken, malicious */
    char appeal_decision[16];        /* upheld, rejected */
} rect_ticket_t;

/* One command, as it arrives (strings borrowed; NULL = ""). */
typedef struct {
    const char *action;         /* verify, classify, … (rect_action_name) */
    const char *classification; /* classify: fix_now, fix_by_deadline, explain */
    const char *note;           /* required for rectify (what was done, or the explanation),
                                   appeal, uphold and reject (why); ≤ 1000 characters */
    int32_t revisit_grade;      /* revisit: the rater's own rating of the rectification, 1–5 */
    const char *appeal_reason;  /* appeal: mistaken, malicious */
} rect_command_t;

/* What a transition asks of the store, in the same transaction. */
typedef struct {
    rect_action_t action;
    rect_state_t from, to;
    bool count_rectified; /* roll-ups: the bad review is now rectified */
    bool count_revisited; /* roll-ups: the rater was revisited */
    bool cancel_deadline; /* the rectification_due timer is no longer wanted */
    bool exclude_rating;  /* upheld appeal: the rating leaves every figure */
    const char *event;    /* the event type to emit, e.g. "rectification.rater_told" */
} rect_effects_t;

/* Names ("open" …, "verify" …, "handler" …); "" for an unknown value. */
const char *rect_state_name(rect_state_t s);
const char *rect_action_name(rect_action_t a);
const char *rect_role_name(rect_role_t r);
/* Parses a name; -1 (RECT_ACTION_NONE) / RECT_STATE_COUNT / RECT_ROLE_NONE when unknown. */
rect_action_t rect_action_parse(const char *name);
rect_state_t rect_state_parse(const char *name);
rect_role_t rect_role_parse(const char *name);

/* A ticket just opened by a bad review. */
rect_ticket_t rect_ticket_opened(const char *department_code, bool anonymous);

/* Checks the command's fields as a plain function: every bad field is a violation of one
 * INVALID_ARGUMENT ("action", "classification", "note", "revisit_grade", "appeal_reason").
 * Returns 0 or -1 with err; *action is set when the action is known. */
int rect_check_command(const rect_command_t *cmd, rect_action_t *action, ow_error_t *err);

/* May `caller` with `role` (of `caller_department`) take `action` on t? Returns 0, or -1 with
 * err PERMISSION_DENIED naming why (no role; a handler of another department; a reviewer
 * outside appeals; the appellant deciding their own appeal). */
int rect_authorise(const rect_ticket_t *t, rect_action_t action, const char *caller,
                   rect_role_t role, const char *caller_department, ow_error_t *err);

/* Applies a checked command to *t: on success returns 0, updates *t and fills *fx. When the
 * ticket's state does not allow the action returns -1 with err FAILED_PRECONDITION naming the
 * state and what is needed, and leaves *t unchanged. caller is the appellant for an appeal. */
int rect_apply(rect_ticket_t *t, const rect_command_t *cmd, const char *caller, rect_effects_t *fx,
               ow_error_t *err);

/* The rectification deadline passed: returns true (and sets t->overdue) when the ticket is
 * not yet rectified, not upheld on appeal, and not already overdue — the red card is raised
 * once. Otherwise false and t is unchanged. */
bool rect_mark_overdue(rect_ticket_t *t);

/* True once the ticket can change no more (closed, appeal upheld). */
bool rect_state_final(rect_state_t s);

#endif
