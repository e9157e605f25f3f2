/* receive — the intake.receive command (DOMAIN.md §3): 收件 and the window's decision, one of
 *   accepted (受理凭证 with the promised date), decided on the spot (即办件), one-time notice
 *   (every missing or defective material at once), 容缺 acceptance (commitment, supply list
 *   and deadline), not accepted (reason and the authority to go to)
 * — each with its document stored, its events, the lanes (爱心/绿色通道) and, for
 * cross-region cases, both the receiving (收件地) and deciding (办理地) centres.
 *
 * Knows nothing of sockets: it takes the request bytes and the promised completion time
 * deadlined computed (0 when deadlined did not answer), and returns the packed Reply. */
#ifndef INTAKE_RECEIVE_H
#define INTAKE_RECEIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalogue.h"
#include "ow_status.h"
#include "submit.h"
#include "onewindow/v1/intake.pb-c.h"

/* Registers every statement receive, correct and withdraw need. Returns 0, or -1 with err. */
int intake_receive_prepare(ow_db_t *db, ow_error_t *err);

/* Unpacks and bounds-checks a ReceiveApplication; NULL with err (INVALID_ARGUMENT). The
 * caller frees with onewindow__v1__receive_application__free_unpacked. */
Onewindow__V1__ReceiveApplication *intake_receive_unpack(const uint8_t *request, size_t len,
                                                         ow_error_t *err);

/* Runs intake.receive. now_us is the time of receipt; promised_due_us when the promised
 * limit ends if accepted at now_us (deadline.compute_due; 0 = unknown: receipts then carry
 * the limit without a date, and 容缺 is refused because its ceiling cannot be checked).
 *
 * Every problem at once as violations (those of intake.submit, plus "defects",
 * "deciding_centre_id", "lanes.*", and — when 容缺 is asked for and not allowed — every
 * "rongque" reason). Then ONE transaction: idempotency, number, case, outstanding list,
 * document, events (case.received, then case.accepted | case.decided_on_spot |
 * case.notice_issued | case.rongque_accepted + case.accepted | case.not_accepted), the
 * idempotency record. Returns 0 with *reply (caller frees), or -1 with err and nothing
 * written. Runs as a batch of one (batch.h). */
int intake_receive(ow_db_t *db, const intake_settings_t *settings, const char *idempotency_key,
                   const uint8_t *request, size_t len, int64_t now_us, int64_t promised_due_us,
                   uint8_t **reply, size_t *reply_len, ow_error_t *err);

/* intake.receive's work inside the caller's open transaction, for the group commit
 * (batch.h): as intake_receive without BEGIN and COMMIT. Returns 0 with *reply (caller
 * frees), or -1 with err; on -1 the caller rolls back to its savepoint. */
int intake_receive_apply(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                         const char *idempotency_key, const uint8_t *request, size_t len,
                         int64_t now_us, int64_t promised_due_us, uint8_t **reply,
                         size_t *reply_len, ow_error_t *err);

/* intake.decide_receipt (issue 3): the window's decision on a case received without one
 * (state 1 已接件), within art. 32's 5 working days: the request's findings (defects, 容缺 asked
 * for with commitment and supply deadline, outside the powers) over the materials handed in at
 * receipt, judged by the same rules as intake.receive, recorded by the same code — outcome,
 * notice or supply list, document, events (the outcome's, as at the window), the 容缺 supply
 * timer — and the notice-duty timer cancelled. Accepted outcomes are accepted now (decided
 * within the duty); promised_due_us from now_us as for intake.receive. INVALID_ARGUMENT lists
 * every problem (case_no, defects, refer_to, every rongque reason); NOT_FOUND for an unknown
 * case; FAILED_PRECONDITION when the case is not in state 1 (decided, deemed accepted,
 * withdrawn) or the key was reused with another body. A repeat returns the first answer.
 * Returns 0 with *reply (ReceiveReply; caller frees), or -1 with err and nothing written. */
int intake_decide_receipt(ow_db_t *db, const char *idempotency_key, const uint8_t *request,
                          size_t len, int64_t now_us, int64_t promised_due_us, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err);

/* ---- shared by the commands on a case (receive.c, case_changes.c) ---- */

/* True for a 1-200 printable character idempotency key. */
bool intake_key_valid(const char *key);

/* True for 1-OW_CASE_NO_MAX printable characters (a case number to look up). */
bool intake_case_no_valid(const char *case_no);

/* Runs a prepared statement that returns no rows. Returns 0, or -1 with err. */
int intake_exec(ow_db_t *db, const char *name, int n, const char *const *p, ow_error_t *err);

/* Inside an open transaction: moves the case to state; accepted_us / promised_us when not 0
 * set those times; reason becomes closed_reason; 11-13 set decided_at = now. */
int intake_case_set_state(ow_db_t *db, const char *case_no, int state, int64_t accepted_us,
                          int64_t promised_us, const char *reason, int64_t now_us, ow_error_t *err);

/* A Document of kind for case c at now_us; strings borrow from c. */
void intake_document_init(Onewindow__V1__Document *d, const Onewindow__V1__CaseSummary *c,
                          const char *kind, int64_t now_us);

/* Inside an open transaction: case.accepted (payload CaseAccepted) for c. */
int intake_emit_accepted(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t now_us,
                         ow_error_t *err);

/* Packs ReceiveReply {c, c->outcome, doc} and stores it under key for method, inside the
 * open transaction. Returns 0 with *reply (caller frees), or -1 with err. */
int intake_command_reply(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                         size_t len, const Onewindow__V1__CaseSummary *c,
                         const Onewindow__V1__Document *doc, uint8_t **reply, size_t *reply_len,
                         ow_error_t *err);

/* As intake_command_reply, then commits.
 * Returns 0 with *reply (caller frees), or -1 with err (the caller rolls back). */
int intake_command_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                          size_t len, const Onewindow__V1__CaseSummary *c,
                          const Onewindow__V1__Document *doc, uint8_t **reply, size_t *reply_len,
                          ow_error_t *err);

/* ---- case_changes.c ---- */

/* intake.correct: 补正 after a notice, or supply of 容缺 materials. Only listed materials;
 * when the notice's list is complete the case is accepted, dated per art. 32
 * (correction.h), with a receipt and case.accepted. promised_due_us as above, from now_us.
 * FAILED_PRECONDITION when the case has nothing outstanding. Returns 0 with *reply
 * (ReceiveReply) or -1 with err. */
int intake_correct(ow_db_t *db, const char *idempotency_key, const uint8_t *request, size_t len,
                   int64_t now_us, int64_t promised_due_us, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err);

/* intake.withdraw: 2 已撤件 before acceptance, 14 撤回 after it and before a decision
 * (FAILED_PRECONDITION otherwise); document and case.withdrawn. Returns 0 with *reply
 * (ReceiveReply) or -1 with err. */
int intake_withdraw(ow_db_t *db, const char *idempotency_key, const uint8_t *request, size_t len,
                    int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);

#endif
