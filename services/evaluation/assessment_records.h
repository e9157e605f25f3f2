/* assessment_records — the records of the monthly staff assessment (DOMAIN.md §7) kept in the
 * evaluation schema (migration 0007), and the month's table scored by assessment.c.
 *
 * "Deductions come from data where the data exists … and from supervisors' inspection records
 * otherwise": each 不满意 rating (grade 1–2 a rater made) of a staff member becomes rule
 * unsatisfied_rating × 1 in the rating's own transaction, keyed by the rating and withdrawn when
 * an appeal is upheld; everything else is entered by a supervisor (evaluation.record_assessment).
 * The month table (evaluation.assessment_month, `owctl assessment month 2026-10`) scores every
 * staff member rated that month (from the roll-ups, not raw ratings) or with a record. */
#ifndef EVALUATION_ASSESSMENT_RECORDS_H
#define EVALUATION_ASSESSMENT_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include "assessment.h"
#include "ow_db.h"
#include "ow_rpc.h"
#include "ow_status.h"

/* Registers the prepared statements. Returns 0 or -1 with err. */
int assessment_records_prepare(ow_db_t *db, ow_error_t *err);

/* The rules every month is scored with (configuration, evaluation_policy.c), copied; until set,
 * assessment_rules_defaults(). */
void assessment_records_set_rules(const assessment_rules_t *rules);

/* Inside the caller's transaction: one unsatisfied_rating record per 不满意 rating of a staff
 * member among the ratings of the cases listed (a PostgreSQL text[] literal), in the China-time
 * month of the rating; once per rating. Returns 0 or -1 with err. */
int assessment_records_from_ratings(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                                    ow_error_t *err);

/* Inside the caller's transaction: the rating's automatic record no longer counts (an upheld
 * appeal). Returns 0 or -1 with err. */
int assessment_records_withdraw_rating(ow_db_t *db, const char *rating_id, ow_error_t *err);

/* evaluation.record_assessment as a plain function: decodes RecordAssessment and, in one
 * transaction, checks the key (ow_idem), the caller (a supervisor in staff_roles, else
 * PERMISSION_DENIED), every field at once (INVALID_ARGUMENT: staff_id, month YYYY-MM, rule_code
 * known to the configured rules and not unsatisfied_rating — that one comes from ratings —,
 * quantity 0..1000, note), writes the record and event assessment.recorded, stores the reply.
 * Returns 0 with the packed Reply (*reply, caller frees; a repeat returns the first) and *fresh
 * when it wrote; -1 with err and nothing written. */
int assessment_records_record(ow_db_t *db, const char *idempotency_key, const char *caller,
                              const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                              size_t *reply_len, int *fresh, ow_error_t *err);

/* evaluation.assessment_month as a plain function: decodes AssessmentMonth and answers the
 * packed Reply with AssessmentMonthReply (*reply, caller frees): every staff member rated that
 * month or with a record, scored (groups floored at zero, bonuses uncapped), graded with the
 * 30 % cap on 好 and the bonus. Returns 0, or -1 with err (INVALID_ARGUMENT for a bad month). */
int assessment_records_month(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **reply,
                             size_t *reply_len, ow_error_t *err);

/* "YYYY-MM" → "YYYY-MM-01" in out[11]. Returns 0, or -1 when it is not a month 2000-01..2099-12. */
int assessment_records_month_start(const char *month, char out[11]);

/* ow_rpc_handler_fn for evaluation.record_assessment and evaluation.assessment_month; arg is a
 * rectification_requests_t (rectification_store.h). */
void assessment_records_on_record(ow_rpc_call_t *call, void *arg);
void assessment_records_on_month(ow_rpc_call_t *call, void *arg);

/* evaluation.assessment_year: AssessmentYear{year YYYY} → the packed Reply with
 * AssessmentYearReply (*reply, caller frees): every staff member in any month's table of the
 * year, with the twelve month grades (each month graded as assessment_records_month does, with
 * its own 30 % cap on 好) and the annual grade of assessment_grade_year (DOMAIN.md §7: 优秀,
 * 合格, 基本合格, 不合格; at most 30 % 优秀), in rank order. Read-only. Returns 0, or -1 with err
 * (INVALID_ARGUMENT for a bad year). */
int assessment_records_year(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **reply,
                            size_t *reply_len, ow_error_t *err);
void assessment_records_on_year(ow_rpc_call_t *call, void *arg);

#endif
