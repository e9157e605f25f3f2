/* timer_commands — the timers evaluationd asks deadlined to keep that need evaluation's own
 * tables to decide (the rating window, cancelled by a rating). The rows are written in the
 * caller's transaction and sent by the common sender (ow_timer_client.h, which also holds the
 * single-timer schedule and cancel).
 *
 * Timer keys: "evaluation:<kind>:<case_no or ticket>", kinds rating_invite, rating_default
 * (DOMAIN.md §6) and rectification_due (the rectification deadline). */
#ifndef EVALUATION_TIMER_COMMANDS_H
#define EVALUATION_TIMER_COMMANDS_H

#include "ow_db.h"
#include "ow_status.h"
#include "ow_timer_client.h"
#include "rating_window.h"

#define TIMER_OWNER          "evaluation"
#define TIMER_RATING_INVITE  "rating_invite"
#define TIMER_RATING_DEFAULT "rating_default"
#define TIMER_RECTIFY_DUE    "rectification_due"

/* Registers the prepared statements (these and the common client's). Returns 0 or -1 with
 * err. */
int timer_commands_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: when case_no has just become rateable (accepted and
 * decided) and is unrated, asks for its invitation timer (w->invite_after_days after the
 * decision) and, when defaults are on, its default timer (w->default_after_days). Does nothing
 * for a case not rateable or already rated, and nothing twice (keyed by timer key). Returns 0
 * or -1 with err (the caller rolls back). */
int timer_commands_rating_window(ow_db_t *db, const char *case_no, const rating_window_t *w,
                                 ow_error_t *err);

/* Inside the caller's transaction: the cases were rated, so their invitation and default
 * timers are to be cancelled (a rating cancels them, DOMAIN.md §6). case_nos_literal is a
 * PostgreSQL text[] literal (sql_arrays.h). Returns 0 or -1 with err. */
int timer_commands_cancel_rating(ow_db_t *db, const char *case_nos_literal, ow_error_t *err);

#endif
