/* applicant_notices — the applicant's notices beyond acceptance and decision (DOMAIN.md §8;
 * issue 7): the one-time notice (case.notice_issued, every listed material), the 容缺 supply
 * reminder (case.rongque_accepted: what to supply and by when), the special procedure and its
 * expected length (case.suspended, art. 45: the applicant is told in writing how long it is
 * expected to take), the extension and its reason (case.extended, art. 42). Each goes to the
 * file sink and over the applicant's channel, as case_accepted does (event_rules.h). The
 * handlers run inside the inbox's transaction after queuing the event's webhooks; arg:
 * event_rules_t. A payload that does not decode or breaks a bound is INVALID_ARGUMENT
 * (poison); database errors are passed on for the inbox to retry.
 *
 * The wording helpers are pure. */
#ifndef NOTIFY_APPLICANT_NOTICES_H
#define NOTIFY_APPLICANT_NOTICES_H

#include <stddef.h>
#include "event_rules.h"
#include "onewindow/v1/intake.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_status.h"

/* Delivery kinds (= their template kinds). */
#define APPLICANT_NOTICE_ISSUED "case_notice_issued"
#define APPLICANT_RONGQUE       "case_rongque_accepted"
#define APPLICANT_SUSPENDED     "case_suspended"
#define APPLICANT_EXTENDED      "case_extended"
#define APPLICANT_MATERIALS_MAX 1500 /* bytes of the listed materials in one notice */

/* The Chinese name of a special procedure or return (routing's CaseSuspended.kind): 听证,
 * 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审, 补正; NULL for an unknown kind. */
const char *applicant_procedure_name(const char *kind);

/* "15个工作日" / "10个自然日" into buf; "" days unknown (0) → "另行告知". */
void applicant_expected_length(int days, const char *unit, char *buf, size_t size);

/* The listed materials as one line, "营业执照（未提交）、身份证明（已过期）", into buf (at
 * most size - 1 bytes, cut only between entries and ending "等" when cut). Returns the count
 * written. */
size_t applicant_materials_text(Onewindow__V1__ListedMaterial *const *listed, size_t n, char *buf,
                                size_t size);

/* ow_inbox_apply_fn for case.notice_issued and case.rongque_accepted (payload CaseChanged). */
int applicant_notices_on_changed(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* ow_inbox_apply_fn for case.suspended (CaseSuspended) and case.extended (CaseExtended). */
int applicant_notices_on_routing(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* Inside the inbox's transaction: tells the applicant known by name / phone / email notice
 * `kind` (= its template kind) of ev: the file sink (recipient the phone, else the name) and
 * the applicant's channel (event_rules_tell; their preference is looked up here). values must
 * supply every placeholder of kind and notice_subject. Neither phone, name nor e-mail: logged,
 * nothing queued, 0. Returns 0 or -1 with err. arg: event_rules_t. */
int applicant_notices_tell(ow_db_t *db, const event_rules_t *rules, const ow_event_t *ev,
                           const char *kind, const char *name, const char *phone, const char *email,
                           const template_value_t *values, size_t count, ow_error_t *err);

#endif
