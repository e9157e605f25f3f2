/* case_store — the cases table (migrations/0002_cases.sql): writing a new case with the
 * materials handed in, reading one back as the CaseSummary every reply and event carries,
 * and closing it with a decision. All writes happen inside the caller's open transaction,
 * so a case exists if and only if the events it caused were committed with it. */
#ifndef INTAKE_CASE_STORE_H
#define INTAKE_CASE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "catalogue.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct ow_db ow_db_t;
typedef struct intake_case intake_case_t;

/* A case about to be written; every string is borrowed and already validated. */
typedef struct {
    const char *case_no;
    int state;
    const intake_item_t *item; /* the item version the case is accepted under */
    const char *applicant_name;
    const char *applicant_id_type;
    const char *applicant_id_number; /* normalised (intake_applicant_normalise_id) */
    const char *applicant_phone;
    const char *applicant_email; /* "" when none */
    const char *channel;
    const char *centre_id;
    int64_t received_at_us;
    int64_t accepted_at_us;       /* 0 = not accepted */
    const char *const *materials; /* codes handed in; duplicates are stored once */
    size_t material_count;
} intake_new_case_t;

/* Registers the statements of this module on db. Returns 0, or -1 with err. */
int intake_case_store_prepare(ow_db_t *db, ow_error_t *err);

/* Inside an open transaction: inserts the case and its materials. Returns 0, or -1 with err
 * (ALREADY_EXISTS when the number is taken). */
int intake_case_insert(ow_db_t *db, const intake_new_case_t *c, ow_error_t *err);

/* Inside an open transaction: as intake_case_insert in one round trip, and returns the case as
 * written (intake_case_written: as intake_case_load would read it). Returns a new case the
 * caller frees with intake_case_destroy, or NULL with err (ALREADY_EXISTS when the number is
 * taken). */
intake_case_t *intake_case_insert_returning(ow_db_t *db, const intake_new_case_t *c,
                                            ow_error_t *err);

/* The set-based group commit (batch.c): intake_case_insert for cases[0..n) in ONE statement
 * (the cases as written are intake_case_written's), sent deferred (ow_db_defer): its failure
 * — ALREADY_EXISTS when a number is taken, or another database error — is returned by the
 * next call on db that waits for a result, and the caller rolls back. Returns 0, or -1 with
 * err (out of memory; the connection). */
int intake_case_insert_many(ow_db_t *db, const intake_new_case_t *cases, size_t n, ow_error_t *err);

/* The case c as intake_case_load reads it right after it was written by one of the inserts
 * above: c's values, its item's, and the defaults of the columns the inserts leave out. Built
 * in memory (no read back: the replies and events of a batch come from here); a unit test
 * holds it equal to intake_case_load. Copies every string; returns a new case the caller frees
 * with intake_case_destroy, or NULL when out of memory. */
intake_case_t *intake_case_written(const intake_new_case_t *c);

/* Reads a case. With for_update the row stays locked until the caller's transaction ends.
 * Returns a new case the caller frees with intake_case_destroy, or NULL with err (NOT_FOUND
 * for an unknown number, or the database error). */
intake_case_t *intake_case_load(ow_db_t *db, const char *case_no, bool for_update, ow_error_t *err);

void intake_case_destroy(intake_case_t **self_p);

/* The case as the API shows it. Owned by the case; valid until intake_case_destroy. */
const Onewindow__V1__CaseSummary *intake_case_summary(const intake_case_t *self);

/* Inside an open transaction: records the decision — state (11 or 13) and when it was made.
 * Returns 0, or -1 with err. */
int intake_case_set_decided(ow_db_t *db, const char *case_no, int state, int64_t decided_at_us,
                            int64_t now_us, ow_error_t *err);

/* Inside an open transaction: every stage approved the 容缺 case at since_us and the decision
 * waits for its materials (routing's case.awaiting_materials); the CaseSummary shows
 * awaiting_materials until the case is decided or closed. A repeat keeps the first time.
 * Returns 0, or -1 with err. */
int intake_case_set_awaiting(ow_db_t *db, const char *case_no, int64_t since_us, int64_t now_us,
                             ow_error_t *err);

#endif
