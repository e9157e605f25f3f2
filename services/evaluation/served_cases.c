/* served_cases — see served_cases.h. */
#include "served_cases.h"

#include <inttypes.h>
#include <stdio.h>

static const ow_db_statement_t s_statements[] = {
    /* Fills a row the decision created first, but never overwrites an acceptance. */
    {"evaluation_case_accept",
     "INSERT INTO served_cases (case_no, item_code, item_name, item_version, department_code,"
     " department_name, centre_id, channel, accepted_at_us, accepted_event_id)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
     " ON CONFLICT (case_no) DO UPDATE SET item_code = EXCLUDED.item_code,"
     " item_name = EXCLUDED.item_name, item_version = EXCLUDED.item_version,"
     " department_code = EXCLUDED.department_code, department_name = EXCLUDED.department_name,"
     " centre_id = EXCLUDED.centre_id, channel = EXCLUDED.channel,"
     " accepted_at_us = EXCLUDED.accepted_at_us, accepted_event_id = EXCLUDED.accepted_event_id,"
     " updated_at = now() WHERE served_cases.accepted_at_us IS NULL"},
    /* No conflict target: evaluationd may add identities but not read them (migration 0006),
     * and naming one would need SELECT on it. A repeat is still nothing to do. */
    {"evaluation_applicant_insert",
     "INSERT INTO case_applicants (case_no, name, id_type, id_number, phone, email)"
     " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"},
    {"evaluation_case_decide",
     "INSERT INTO served_cases (case_no, outcome, decided_at_us, decided_event_id)"
     " VALUES ($1, $2, $3, $4)"
     " ON CONFLICT (case_no) DO UPDATE SET outcome = EXCLUDED.outcome,"
     " decided_at_us = EXCLUDED.decided_at_us, decided_event_id = EXCLUDED.decided_event_id,"
     " updated_at = now() WHERE served_cases.decided_at_us IS NULL"},
};

int served_cases_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

int served_cases_accept(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t accepted_at_us,
                        const char *event_id, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    char version[16], at[24];
    snprintf(version, sizeof version, "%d", (int)c->item_version);
    snprintf(at, sizeof at, "%" PRId64, accepted_at_us);
    const char *params[] = {
        c->case_no,         c->item_code, c->item_name, version, c->department_code,
        c->department_name, c->centre_id, c->channel,   at,      event_id};
    res = ow_db_exec(db, "evaluation_case_accept", 10, params, err);
    if (!res)
        goto cleanup;
    PQclear(res);
    const Onewindow__V1__Applicant *a = c->applicant;
    const char *applicant[] = {c->case_no,          a ? a->name : "",
                               a ? a->id_type : "", a ? a->id_number : "",
                               a ? a->phone : "",   a ? a->email : ""};
    res = ow_db_exec(db, "evaluation_applicant_insert", 6, applicant, err);
    if (!res)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int served_cases_decide(ow_db_t *db, const char *case_no, const char *outcome,
                        int64_t decided_at_us, const char *event_id, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, decided_at_us);
    const char *params[] = {case_no, outcome, at, event_id};
    PGresult *res = ow_db_exec(db, "evaluation_case_decide", 4, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
