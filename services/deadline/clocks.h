/* clocks — the time limit of each case (限时办结), kept in the deadline schema.
 *
 * One clock per case (scope "case"; stage clocks get their own scope later). A clock starts
 * running at acceptance with the promised limit, stops when the case is decided, and expires
 * (a red card, DOMAIN.md §5) once the system time passes its due time while still running.
 * Every change is written together with its event (deadline.started, deadline.stopped,
 * deadline.red: payload onewindow.v1.Clock) in the caller's transaction, or for the expiry
 * scan in its own, so an event exists if and only if its change committed.
 *
 * Nothing here knows ZeroMQ: these are plain functions over an ow_db_t. */
#ifndef DEADLINE_CLOCKS_H
#define DEADLINE_CLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"
#include "calendar.h"

#define CLOCK_STATE_MAX 15
#define CLOCK_UNIT_MAX  15

typedef struct {
    char case_no[OW_CASE_NO_MAX + 1];
    char centre_id[OW_CENTRE_ID_MAX + 1];
    char state[CLOCK_STATE_MAX + 1]; /* running, stopped, expired */
    int64_t started_at_us;           /* acceptance time: counting starts the next day */
    int64_t due_at_us;
    int32_t limit;
    char unit[CLOCK_UNIT_MAX + 1];
    int64_t stopped_at_us; /* 0 while not stopped */
    int64_t red_at_us;     /* 0 unless it ever expired (kept after a late stop) */
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

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int clocks_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: starts the case's clock and queues deadline.started.
 * A clock that already exists is left alone (nothing queued). When the case was already
 * decided (routing's case.decided can arrive before intake's case.accepted: two sources), the
 * new clock is stopped at once at the decision time and deadline.stopped queued too.
 * Returns 0, or -1 with err: INVALID_ARGUMENT naming the field for an empty case number, an
 * unknown unit or a limit outside 0..DEADLINE_LIMIT_MAX; a database error otherwise. */
int clocks_start(ow_db_t *db, const deadline_calendar_t *cal, const clock_start_t *start,
                 int64_t now_us, ow_error_t *err);

/* Inside the caller's transaction: records the case's outcome and stops its clock if running
 * or expired, queuing deadline.stopped. decided_at_us is when the decision was made (the
 * stop time). Recording a second outcome for a case, or stopping a clock that is already
 * stopped, changes nothing. Returns 0, or -1 with err (INVALID_ARGUMENT for an empty case
 * number or outcome). */
int clocks_stop(ow_db_t *db, const deadline_calendar_t *cal, const char *case_no,
                const char *outcome, int64_t decided_at_us, const char *event_id, int64_t now_us,
                ow_error_t *err);

/* Reads the case's clock into *out. Returns 0, or -1 with err: NOT_FOUND when the case has
 * no clock (yet), a database error otherwise. Works inside or outside a transaction. */
int clocks_get(ow_db_t *db, const char *case_no, deadline_clock_t *out, ow_error_t *err);

/* The expiry scan, in its own transaction (db must not be in one): marks at most `batch`
 * running clocks whose due time is at or before now_us as expired and queues deadline.red for
 * each, so a red card is raised exactly once per clock. Returns the number expired (0..batch),
 * or -1 with err (everything rolled back; the next scan retries). */
int clocks_expire_due(ow_db_t *db, const deadline_calendar_t *cal, int64_t now_us, int batch,
                      ow_error_t *err);

/* Working days left for the clock as seen at now_us: frozen at the stop time once stopped
 * (see deadline_remaining_working_days). */
int32_t clocks_remaining_working_days(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                                      int64_t now_us);

/* Fills msg (initialised by the caller) from the clock; its strings borrow the clock's, so
 * msg is valid while clock is. */
void clocks_fill_message(const deadline_calendar_t *cal, const deadline_clock_t *clock,
                         int64_t now_us, Onewindow__V1__Clock *msg);

/* Packs the clock as onewindow.v1.Clock (remaining days as seen at now_us) into a new buffer
 * the caller frees. Returns 0, or -1 when out of memory. */
int clocks_pack(const deadline_calendar_t *cal, const deadline_clock_t *clock, int64_t now_us,
                uint8_t **out, size_t *len);

#endif
