/* report — how owctl shows the gateway's answers to a person: a case with its tasks, clock
 * and rating; a submitted case; the test clock; a refusal with its detail and every invalid
 * field. Plain functions writing to a FILE, so each is tested against its text.
 *
 * The applicant's ID number is masked in readable output (first 4 and last 4 characters
 * shown), as on a printed receipt; --json shows the gateway's answer unchanged. */
#ifndef OWCTL_REPORT_H
#define OWCTL_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "command_line.h"

/* A refusal: "error: HTTP 400 INVALID_ARGUMENT: <detail>" then "  - field: reason" per
 * invalid field. answer may be NULL or not a problem document (then only the status). */
void report_problem(FILE *out, int status, const json_t *answer);

/* The case view of GET /v1/cases/{case_no}. */
void report_case(FILE *out, const json_t *view);

/* The answer to POST /v1/applications ({"case": CASE}). */
void report_submitted(FILE *out, const json_t *answer);

/* Prints the answer of case accept (a ReceiveReply: the case, the outcome, its document with
 * what it lists and why). */
void report_receipt_decided(FILE *out, const json_t *answer);

/* The answer to POST /v1/admin/clock ({"now","offset_seconds"}). */
void report_clock_moved(FILE *out, const json_t *answer);

/* The answer to GET /v1/admin/clock: one line per daemon, then those that did not answer. */
void report_clock_survey(FILE *out, const json_t *answer);

/* Masks an ID number into out (size bytes): "3301**********0011". Short numbers are masked
 * whole. */
void report_mask_id(const char *id, char *out, size_t size);

/* owctl token issue|revoke|list: the new token (printed once: only its hash is kept), or
 * one line per token (id, role, centre, subject, expiry, revoked). */
void report_tokens(FILE *out, bool issued, const json_t *answer);

/* calendar load: "calendar YEAR loaded (national | centre ID)"; notify dead: one line per
 * dead letter (id, kind, channel, recipient, attempts, last error) and the cursor; notify
 * resend: the delivery queued again. */
void report_operations(FILE *out, owctl_verb_t verb, const json_t *answer);

/* owctl report: the rows of evaluation.report as a table (period, key, total, valid, active,
 * defaults, good, bad, rates, rectified, revisited), or with csv as CSV with a header line
 * (every count, the five grade counts, the rates); the next page's token after the table (on
 * stderr for CSV, so the file stays rows only). */
void report_ratings(FILE *out, bool csv, const json_t *answer);

/* owctl assessment month: one line per staff member in rank order and the month's cap on 好. */
void report_assessment_month(FILE *out, const json_t *answer);

/* Appointments and the hall queue: the slots (one line each), an appointment (and the ticket
 * an arrival gives), a ticket. */
void report_hall(FILE *out, owctl_verb_t verb, const json_t *answer);

/* Prints the year's assessment answer (GET /v1/assessments/years/{year}): rank, staff, annual
 * grade, the twelve month grades, counts, longest run of 差 and total score. */
void report_assessment_year(FILE *out, const json_t *answer);

#endif
