/* ratings — the ratings of served cases (好差评, DOMAIN.md §6), kept in the evaluation
 * schema. One rating per case, only once the case is decided; each rating is written
 * together with its rating.recorded event (payload onewindow.v1.Rating, which never names
 * the rater). Plain functions over an ow_db_t: nothing here knows ZeroMQ. */
#ifndef EVALUATION_RATINGS_H
#define EVALUATION_RATINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_db.h"
#include "ow_status.h"
#include "indicator_sets.h"
#include "rating_rules.h"
#include "rating_window.h"

typedef struct {
    char rating_id[37];
    char case_no[RATING_CASE_NO_MAX + 1];
    int32_t grade;
    char comment[RATING_COMMENT_MAX_CHARS * 4 + 1]; /* UTF-8: at most 4 bytes a character */
    char channel[16];
    int64_t rated_at_us;
    bool is_bad;
    char department_code[65];
    char item_code[65];
    char centre_id[16];
    bool is_default; /* the 基本满意 recorded by default after the late window (§6) */
} rating_t;

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int ratings_prepare(ow_db_t *db, ow_error_t *err);

/* The rating window every rating of this process is checked against (rating_window.h), set
 * once at start-up from the configuration (evaluation_policy.c); until then the shipped
 * defaults of DOMAIN.md §6. *w is copied. */
void ratings_set_window(const rating_window_t *w);
const rating_window_t *ratings_window(void);

/* Inside the caller's transaction: records a rating of case_no made at now_us and queues
 * rating.recorded; asks for the case's invitation and default timers to be cancelled
 * (timer_commands.h); fills *out. Returns 0, or -1 with err (the caller rolls back):
 *   INVALID_ARGUMENT    a bad grade (1–5), channel, comment or case number (all listed);
 *   NOT_FOUND           the case is unknown here (no case.accepted seen for it);
 *   FAILED_PRECONDITION the case is not decided yet, or its rating window has closed
 *                       (ratings_window(): late rating is allowed for a period, §6);
 *   ALREADY_EXISTS      the case is already rated (one rating per service);
 *   UNAVAILABLE/INTERNAL a database error. */
int ratings_record(ow_db_t *db, const char *case_no, int32_t grade, const char *comment,
                   const char *channel, int64_t now_us, rating_t *out, ow_error_t *err);

/* A rating request with everything issue 6 added; NULL strings count as empty. */
typedef struct {
    const char *case_no;
    int32_t grade;
    const char *comment;
    const char *channel;
    const char *window_id;     /* the window rated, "" unknown */
    const char *staff_id;      /* the staff member rated, "" unknown */
    const char *indicator_set; /* "" = offline.v1 */
    const char *const *score_codes;
    const int32_t *scores;
    size_t score_count;
    bool anonymous;
} rating_input_t;

/* The checks of ratings_record_input that need no database, as a plain function: fills
 * scores (indexed as indicator_t, 0 = not scored) and *set_name (borrowed: in's or a
 * constant). Returns 0, or -1 with err INVALID_ARGUMENT listing every bad field. */
int ratings_check_input(const rating_input_t *in, int32_t scores[INDICATOR_COUNT],
                        const char **set_name, ow_error_t *err);

/* As ratings_record, with what is rated and the indicator scores (indicator_sets.h); the
 * level is derived from the centre's area code. The rating's roll-ups (rollups.h) are updated
 * in the same transaction. Errors as ratings_record; INVALID_ARGUMENT also lists bad
 * window_id, staff_id, indicator_set and scores[i]. */
int ratings_record_input(ow_db_t *db, const rating_input_t *in, int64_t now_us, rating_t *out,
                         ow_error_t *err);

/* Inside the caller's transaction: the default grade of ratings_window() for case_no, made
 * at at_us because no rating came within the window (DOMAIN.md §6: "counts as 基本满意 by
 * default, marked as a default"): recorded with is_default, channel "" (nobody rated through
 * any channel), into the roll-ups (counted apart as defaults) and announced by
 * rating.recorded. Returns 1 with *out filled when recorded, 0 when there is nothing to do (the
 * case is rated, unknown, undecided, or defaults are off), -1 with err on a database error. */
int ratings_record_default(ow_db_t *db, const char *case_no, int64_t at_us, rating_t *out,
                           ow_error_t *err);

/* Inside the caller's transaction: keeps the rating but takes it out of every figure and
 * records why (an upheld appeal 申诉复核, DOMAIN.md §6). Returns 0, or -1 with err:
 * FAILED_PRECONDITION when the rating is unknown or already excluded; a database error. */
int ratings_exclude(ow_db_t *db, const char *rating_id, const char *reason, ow_error_t *err);

/* Inside the caller's transaction, after ratings of the cases listed (a PostgreSQL text[]
 * literal) were recorded at now_us — by either path: cancels their invitation and default
 * timers, opens the rectification ticket of each bad review (rectification_store.h), records
 * the automatic −2 of each 不满意 rating of a staff member (assessment_records.h) and queues the
 * provincial push (provincial_push.h). Returns 0 or -1 with err (the caller rolls back). */
int ratings_after_recorded(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                           ow_error_t *err);

/* ratings_after_recorded without the provincial push, for a caller that writes the push's
 * events itself with its own (provincial_push_build). */
int ratings_follow_up(ow_db_t *db, const char *case_nos_literal, int64_t now_us, ow_error_t *err);

/* Reads the rating of case_no into *out. Returns 0, or -1 with err: NOT_FOUND when the case
 * is unrated (or unknown), a database error otherwise. */
int ratings_get(ow_db_t *db, const char *case_no, rating_t *out, ow_error_t *err);

/* Fills msg (initialised by the caller) from r; its strings borrow r's. */
void ratings_fill_message(const rating_t *r, Onewindow__V1__Rating *msg);

#endif
