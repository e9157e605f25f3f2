/* rectification_store — bad-review rectification tickets kept in the evaluation schema
 * (migration 0005), moved by the rules of rectification.c. Every change writes the ticket,
 * its step in rectification_actions, its event (rectification.*, payload RectificationTicket,
 * never the rater), its roll-up counters and its deadline timer command in the caller's
 * transaction. Plain functions over an ow_db_t, and the request handlers. */
#ifndef EVALUATION_RECTIFICATION_STORE_H
#define EVALUATION_RECTIFICATION_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_status.h"
#include "rectification.h"
#include "timer_commands.h"

/* Registers the prepared statements. Returns 0 or -1 with err. */
int rectification_store_prepare(ow_db_t *db, ow_error_t *err);

/* The rectification period of tickets opened from now on (evaluation.rectify_working_days,
 * DOMAIN.md §6: 5 working days, 15 in places) and the staff ids that are administrators by
 * configuration (evaluation.administrators, comma-separated; copied) — who may give the first
 * roles. Set once at start-up. */
void rectification_set_policy(int rectify_working_days, const char *administrators);

/* Inside the caller's transaction: opens a ticket for every bad review (grade 1–2, not a
 * default) among the ratings of the cases listed (a PostgreSQL text[] literal), with its first
 * step and its rectification_due timer command (deadlined computes the due time: the period
 * in working days from the rating, on the centre's calendar). A ticket already open is left
 * alone. Returns 0 or -1 with err (the caller rolls back). */
int rectification_open_for_cases(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                                 ow_error_t *err);

/* evaluation.act_on_ticket as a plain function: decodes ActOnTicket, and in one transaction
 * checks the key (ow_idem), the fields (all at once), the caller's role, the ticket's state,
 * then writes the step, its effects and its event and stores the reply under the key. Returns 0
 * with the packed Reply (*reply, caller frees; a repeat returns the first) and *fresh when this
 * call wrote; -1 with err and nothing written: INVALID_ARGUMENT (no key, bad payload, bad
 * fields), PERMISSION_DENIED, NOT_FOUND (no such ticket), FAILED_PRECONDITION (state, or a key
 * reused with another request). */
int rectification_act(ow_db_t *db, const char *idempotency_key, const char *caller,
                      const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                      size_t *reply_len, int *fresh, ow_error_t *err);

/* evaluation.put_staff_roles as a plain function (same shape as rectification_act): the caller
 * must be an administrator (configured or in staff_roles); 1..1000 roles, every bad entry a
 * violation `roles[i].field`; all written or none. */
int rectification_put_roles(ow_db_t *db, const char *idempotency_key, const char *caller,
                            const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                            size_t *reply_len, int *fresh, ow_error_t *err);

/* Inside the caller's transaction: the rectification_due timer of ticket_id fired at now_us.
 * Marks a ticket not yet rectified overdue and emits rectification.overdue, once. Returns 0
 * (also for an unknown ticket, or nothing to do) or -1 with err. */
int rectification_on_deadline(ow_db_t *db, const Onewindow__V1__Timer *timer, int64_t now_us,
                              ow_error_t *err);

/* The role of staff id `caller`: an administrator when configured (evaluation.administrators),
 * else what staff_roles says (dept filled for a handler), else RECT_ROLE_NONE (also for an
 * empty caller). Returns 0, or -1 with err on a database error. */
int rectification_role_of(ow_db_t *db, const char *caller, rect_role_t *role, char *dept,
                          size_t size, ow_error_t *err);

/* What the handlers borrow (the service outlives it). */
typedef struct {
    ow_db_t *db;
    ow_relay_t *relay;         /* kicked after a commit; may be NULL */
    ow_timer_sender_t *timers; /* kicked after a commit; may be NULL */
} rectification_requests_t;

/* ow_rpc_handler_fn for evaluation.act_on_ticket, evaluation.get_ticket (GetTicket →
 * TicketReply; NOT_FOUND; read by any caller with a role) and evaluation.put_staff_roles; arg
 * is a rectification_requests_t. */
void rectification_on_act(ow_rpc_call_t *call, void *arg);
void rectification_on_get(ow_rpc_call_t *call, void *arg);
void rectification_on_put_roles(ow_rpc_call_t *call, void *arg);

#endif
