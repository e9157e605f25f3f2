/* clocks — the time limits of each case and of each of its stages (限时办结, DOMAIN.md §5),
 * kept in the deadline schema.
 *
 * One clock per case (scope "case") and one per workflow stage (scope "stage:<name>": a stage
 * can be late while the case is in time). A clock starts running at acceptance (or when its
 * stage starts) with the promised limit, beside the legal limit (art. 42); suspensions
 * (art. 45) are intervals that do not count, and an approved extension (art. 42) lengthens
 * it: both recompute the due time from the stored intervals. A running clock shows a yellow
 * card when its limit is close and a red one once it is passed (state expired); a card that
 * no longer holds (an extension, the decision) is cleared. States: running, suspended,
 * stopped (decided, stage completed, or the case withdrawn or terminated: stop_reason),
 * expired.
 *
 * Every change is written together with its event (deadline.started, .stopped, .suspended,
 * .resumed, .extended, .yellow, .red, .cleared: payload onewindow.v1.Clock) in the caller's
 * transaction, or for the card scan in its own, so an event exists if and only if its change
 * committed; the scan claims clocks FOR UPDATE SKIP LOCKED, so each card is raised once even
 * with several deadlined instances.
 *
 * Nothing here knows ZeroMQ: these are plain functions over the context's ow_db_t. */
#ifndef DEADLINE_CLOCKS_H
#define DEADLINE_CLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "deadline_context.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"
#include "calendar.h"
#include "limits.h"

#define CLOCK_STATE_MAX 15
#define CLOCK_UNIT_MAX  15
#define CLOCK_STAGE_MAX 64
#define CLOCK_CODE_MAX  64
#define CLOCK_KIND_MAX  32
/* Suspensions of one case taken into account: far beyond any real case (bounded work). */
#define CLOCK_SPANS_MAX 64
/* Stage clocks listed with a case clock. */
#define CLOCK_STAGES_MAX 32
/* Why a stopped clock stopped (clocks.stop_reason). */
#define CLOCK_REASON_MAX           15
#define CLOCK_STOP_DECIDED         "decided"
#define CLOCK_STOP_STAGE_COMPLETED "stage_completed"
#define CLOCK_STOP_WITHDRAWN       "withdrawn"  /* 撤回 (case.withdrawn) */
#define CLOCK_STOP_TERMINATED      "terminated" /* 容缺 supply deadline lapsed */
/* The applicant's or intake's words on why the case ended, as stored. */
#define CLOCK_END_REASON_MAX 2000

typedef struct {
    int64_t clock_id;
    char case_no[OW_CASE_NO_MAX + 1];
    char stage[CLOCK_STAGE_MAX + 1]; /* "" = the case as a whole */
    char centre_id[OW_CENTRE_ID_MAX + 1];
    char item_code[CLOCK_CODE_MAX + 1];
    char department_code[CLOCK_CODE_MAX + 1];
    char state[CLOCK_STATE_MAX + 1]; /* running, suspended, stopped, expired */
    int64_t started_at_us;           /* acceptance time: counting starts the next day */
    int64_t due_at_us;               /* promised limit + extensions; as of the suspension */
    int32_t limit;
    char unit[CLOCK_UNIT_MAX + 1];
    int32_t legal_limit;     /* 0 = unknown */
    int64_t legal_due_at_us; /* 0 = unknown */
    int32_t extension_days;
    bool joint_handling;
    int64_t stopped_at_us;   /* 0 while not stopped */
    int64_t red_at_us;       /* 0 unless it ever went red (kept after a late stop) */
    int64_t yellow_at_us;    /* 0 when no yellow card applies */
    int64_t suspended_at_us; /* 0 unless suspended */
    char card[8];            /* none, yellow, red */
    bool calendar_missing;
    int32_t used_working_days;              /* once stopped */
    char stop_reason[CLOCK_REASON_MAX + 1]; /* once stopped: CLOCK_STOP_* */
    int64_t event_at_us;                    /* not stored: the instant of the card being raised */
} deadline_clock_t;

/* What case.accepted tells us. Strings are borrowed for the call. */
typedef struct {
    const char *case_no;
    const char *centre_id;
    const char *item_code;
    const char *department_code;
    int64_t accepted_at_us;
    int32_t limit;    /* promised limit (承诺时限) */
    const char *unit; /* working_days, natural_days, working_hours, natural_hours */
    int32_t legal_limit;
    const char *event_id; /* the case.accepted event, for tracing */
} clock_start_t;

/* What case.suspended tells us (routing's CaseSuspended). Strings borrowed. */
typedef struct {
    const char *case_no;
    const char *stage; /* "" = the case (and every open stage clock) */
    const char *kind;  /* hearing, tender, …, correction */
    int64_t from_us;
    int32_t expected_days;
    const char *expected_unit;
    const char *reason;
    const char *task_id;
    const char *event_id;
} clock_suspend_t;

/* What case.extended tells us (routing's CaseExtended). Strings borrowed. */
typedef struct {
    const char *case_no;
    int32_t extra_days;
    bool joint_handling;
    const char *approved_by;
    const char *reason;
    int64_t approved_at_us;
    const char *event_id;
} clock_extend_t;

/* What stage.started tells us (routing's StageEvent). Strings borrowed. */
typedef struct {
    const char *case_no;
    const char *stage;
    const char *centre_id; /* from the envelope: used when the case clock is not known yet */
    const char *department_code;
    int32_t limit;
    const char *unit;
    int64_t at_us;
    const char *event_id;
} clock_stage_t;

/* What case.withdrawn / case.terminated tell us: intake ended the case before a decision.
 * Strings borrowed. */
typedef struct {
    const char *case_no;
    const char *kind;   /* CLOCK_STOP_WITHDRAWN or CLOCK_STOP_TERMINATED */
    const char *reason; /* CaseSummary.closed_reason; may be NULL */
    int64_t ended_at_us;
    const char *event_id;
} clock_end_t;

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int clocks_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: starts the case's clock and queues deadline.started, with
 * the suspensions and extensions already recorded for the case taken into account (the two
 * sources replay independently). A clock that already exists is left alone (nothing queued).
 * When the case was already decided the new clock is stopped at once at the decision time and
 * deadline.stopped queued too. Returns 0, or -1 with err: INVALID_ARGUMENT naming every bad
 * field (empty case number, unknown unit, limit outside 0..DEADLINE_LIMIT_MAX); a database
 * error otherwise. */
int clocks_start(const deadline_context_t *ctx, const clock_start_t *start, int64_t now_us,
                 ow_error_t *err);

/* Inside the caller's transaction: records the case's outcome and stops its clock and every
 * stage clock still open (deadline.stopped each; deadline.cleared for a clock that showed a
 * card). Records the working days used (supervision). A second outcome, or stopping a stopped
 * clock, changes nothing. Returns 0, or -1 with err (INVALID_ARGUMENT for an empty case number
 * or outcome). */
int clocks_stop(const deadline_context_t *ctx, const char *case_no, const char *outcome,
                int64_t decided_at_us, const char *event_id, int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: intake ended the case before a decision (withdrawn,
 * terminated). Records the end (once per case; it replaces a decision seen first, and the
 * clocks that decision stopped take the end's reason), then stops the case clock and every
 * open stage clock at ended_at_us with stop_reason = kind, clearing any card shown
 * (deadline.stopped each, deadline.cleared for a carded one): no card is raised for the case
 * afterwards, and supervision counts it as ended early, never as decided or overdue. A clock
 * created later (case.accepted or stage.started applied after the end) starts stopped. A
 * repeat changes nothing. Returns 0, or -1 with err (INVALID_ARGUMENT naming every bad field:
 * empty case number, unknown kind, reason over CLOCK_END_REASON_MAX, no time). */
int clocks_end(const deadline_context_t *ctx, const clock_end_t *end, int64_t now_us,
               ow_error_t *err);

/* Inside the caller's transaction: records a suspension (art. 45) and suspends the case clock
 * and the stage's clock (every open stage clock when stage is ""), queuing deadline.suspended
 * for each. A suspension while one is open for the case, or a repeat, changes nothing.
 * Returns 0, or -1 with err (INVALID_ARGUMENT naming every bad field). */
int clocks_suspend(const deadline_context_t *ctx, const clock_suspend_t *s, int64_t now_us,
                   ow_error_t *err);

/* Inside the caller's transaction: closes the case's open suspension at resumed_at_us and
 * recomputes every open clock of the case from the stored intervals, queuing deadline.resumed
 * for each clock that runs again (and deadline.cleared where a card no longer holds). No open
 * suspension: nothing changes. Returns 0, or -1 with err. */
int clocks_resume(const deadline_context_t *ctx, const char *case_no, int64_t resumed_at_us,
                  const char *event_id, int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: checks an approved extension against art. 42 (ceilings 10,
 * or 15 for joint handling, in total; a recorded approver; working-day limits only) and
 * records it. Allowed: the case clock's limit grows by extra_days (legal and promised), its
 * due times are recomputed and deadline.extended queued (deadline.cleared too when a card no
 * longer holds), *refused = false. Refused: recorded with the reason, nothing else changes,
 * *refused = true (and err holds the reasons as violations, code INVALID_ARGUMENT). Returns 0
 * in both cases, -1 with err on a database error. */
int clocks_extend(const deadline_context_t *ctx, const clock_extend_t *e, int64_t now_us,
                  bool *refused, ow_error_t *err);

/* Inside the caller's transaction: starts a stage's clock (deadline.started, stage set), or
 * leaves an existing one alone. When the case is already decided or ended the new clock is
 * stopped at once (deadline.stopped, the case's stop reason). Returns 0, or -1 with err
 * (INVALID_ARGUMENT naming every bad field). */
int clocks_stage_start(const deadline_context_t *ctx, const clock_stage_t *s, int64_t now_us,
                       ow_error_t *err);

/* Inside the caller's transaction: stops a stage's clock at at_us (deadline.stopped, and
 * deadline.cleared when it showed a card). Unknown or stopped: nothing. Returns 0 or -1. */
int clocks_stage_stop(const deadline_context_t *ctx, const char *case_no, const char *stage,
                      int64_t at_us, int64_t now_us, ow_error_t *err);

/* Reads a clock (stage "" or NULL: the case clock) into *out. Returns 0, or -1 with err:
 * NOT_FOUND when there is none (yet), a database error otherwise. */
int clocks_get(ow_db_t *db, const char *case_no, const char *stage, deadline_clock_t *out,
               ow_error_t *err);

/* Reads up to max stage clocks of the case, in start order, into out. Returns how many, or -1
 * with err. */
int clocks_list_stages(ow_db_t *db, const char *case_no, deadline_clock_t *out, int max,
                       ow_error_t *err);

/* The card scan, in its own transaction (db must not be in one): claims at most `batch`
 * running clocks whose next card instant is at or before now_us (FOR UPDATE SKIP LOCKED) and
 * raises what fell due — the yellow card, then the red one (state expired) — queuing
 * deadline.yellow / deadline.red in the order of their instants (event_at_us). Each card is
 * raised once per clock. Returns the number of events queued, or -1 with err (rolled back;
 * the next scan retries). *claimed (may be NULL) gets the number of clocks claimed. */
int clocks_fire_cards(const deadline_context_t *ctx, int64_t now_us, int batch, int *claimed,
                      ow_error_t *err);

/* One card a scan raises: the clock (index in its batch, and id), the card, its instant. */
typedef struct {
    int clock;
    int64_t clock_id;
    deadline_card_t card;
    int64_t at_us;
} clocks_card_t;

/* The clocks one scan transaction claimed and the cards due on them. */
typedef struct {
    deadline_clock_t *clocks; /* n claimed, in (next_fire_us, clock_id) order */
    int n;
    clocks_card_t *cards; /* ncards due by the scan's now, in (at_us, clock_id, card) order */
    int ncards;
    bool *yellowed;        /* per clock: yellow raised in this batch */
    int64_t last_fire_us;  /* the last claimed clock's (next_fire_us, clock_id): every clock */
    int64_t last_clock_id; /* not claimed comes after it (when n == the batch asked for) */
} clocks_batch_t;

/* Inside the caller's transaction: claims (FOR UPDATE SKIP LOCKED) at most `batch` running
 * clocks whose next card instant is at or before now_us, in (next_fire_us, clock_id) order,
 * and lists the cards due on them by now_us into *out (caller frees with clocks_batch_free).
 * Returns 0 or -1 with err (*out empty). */
int clocks_claim_cards(const deadline_context_t *ctx, int64_t now_us, int batch,
                       clocks_batch_t *out, ow_error_t *err);

/* Inside the caller's transaction: raises card (one of batch's) on its clock in memory and
 * queues deadline.yellow / deadline.red at now_us. Returns 0 or -1 with err. */
int clocks_raise_card(const deadline_context_t *ctx, clocks_batch_t *batch,
                      const clocks_card_t *card, int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: stores every claimed clock with the cards raised on it
 * (cards not raised stay due: the next instant is recomputed). Returns 0 or -1 with err. */
int clocks_store_cards(const deadline_context_t *ctx, const clocks_batch_t *batch, int64_t now_us,
                       ow_error_t *err);

/* Frees what clocks_claim_cards allocated and empties *batch; harmless on an empty batch. */
void clocks_batch_free(clocks_batch_t *batch);

/* Working days left for the clock as seen at now_us: frozen at the stop time once stopped
 * and at the suspension while suspended (see deadline_remaining_working_days). */
int32_t clocks_remaining_working_days(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us);

/* Working hours left, frozen as above (deadline_remaining_working_hours). */
double clocks_remaining_working_hours(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us);

/* Fills msg (initialised by the caller) from the clock; its strings borrow the clock's, so
 * msg is valid while clock is. */
void clocks_fill_message(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                         int64_t now_us, Onewindow__V1__Clock *msg);

/* Packs the clock as onewindow.v1.Clock (remaining time as seen at now_us) into a new buffer
 * the caller frees. Returns 0, or -1 when out of memory. */
int clocks_pack(const deadline_calendar_t *cal, const deadline_clock_t *clock, int64_t now_us,
                uint8_t **out, size_t *len);

#endif
