/* case_contacts — see case_contacts.h. */
#include "case_contacts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COLUMNS                                                                                  \
    "case_no, applicant_name, phone, email, item_code, item_name, centre_id, promised_limit,"      \
    " limit_unit, accepted_at_us IS NOT NULL, COALESCE(accepted_at_us, 0),"                        \
    " COALESCE(accepted_event_id::text, ''), decided_at_us IS NOT NULL, COALESCE(outcome, ''),"    \
    " COALESCE(decided_at_us, 0), decision_comment, COALESCE(decided_event_id::text, '')"

static const ow_db_statement_t s_statements[] = {
    /* Fills a row the decision created first; never overwrites an acceptance. RETURNING
     * yields a row only when this statement wrote it. */
    {"notify_contact_accept",
     "INSERT INTO case_contacts AS cc (case_no, applicant_name, phone, email, item_code,"
     " item_name, centre_id, promised_limit, limit_unit, accepted_at_us, accepted_event_id)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
     " ON CONFLICT (case_no) DO UPDATE SET applicant_name = EXCLUDED.applicant_name,"
     " phone = EXCLUDED.phone, email = EXCLUDED.email, item_code = EXCLUDED.item_code,"
     " item_name = EXCLUDED.item_name, centre_id = EXCLUDED.centre_id,"
     " promised_limit = EXCLUDED.promised_limit, limit_unit = EXCLUDED.limit_unit,"
     " accepted_at_us = EXCLUDED.accepted_at_us, accepted_event_id = EXCLUDED.accepted_event_id,"
     " updated_at = now() WHERE cc.accepted_at_us IS NULL RETURNING " S_COLUMNS},
    {"notify_contact_decide",
     "INSERT INTO case_contacts AS cc (case_no, outcome, decided_at_us, decision_comment,"
     " decided_event_id) VALUES ($1, $2, $3, $4, $5)"
     " ON CONFLICT (case_no) DO UPDATE SET outcome = EXCLUDED.outcome,"
     " decided_at_us = EXCLUDED.decided_at_us, decision_comment = EXCLUDED.decision_comment,"
     " decided_event_id = EXCLUDED.decided_event_id, updated_at = now()"
     " WHERE cc.decided_at_us IS NULL RETURNING " S_COLUMNS},
    {"notify_contact_get", "SELECT " S_COLUMNS " FROM case_contacts WHERE case_no = $1"},
};

int case_contacts_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static void s_copy(char *dst, size_t size, const PGresult *res, int col)
{
    snprintf(dst, size, "%s", PQgetvalue(res, 0, col));
}

static void s_contact_from_row(const PGresult *res, case_contact_t *c)
{
    memset(c, 0, sizeof *c);
    s_copy(c->case_no, sizeof c->case_no, res, 0);
    s_copy(c->applicant_name, sizeof c->applicant_name, res, 1);
    s_copy(c->phone, sizeof c->phone, res, 2);
    s_copy(c->email, sizeof c->email, res, 3);
    s_copy(c->item_code, sizeof c->item_code, res, 4);
    s_copy(c->item_name, sizeof c->item_name, res, 5);
    s_copy(c->centre_id, sizeof c->centre_id, res, 6);
    c->promised_limit = (int32_t)strtol(PQgetvalue(res, 0, 7), NULL, 10);
    s_copy(c->limit_unit, sizeof c->limit_unit, res, 8);
    c->accepted = PQgetvalue(res, 0, 9)[0] == 't';
    c->accepted_at_us = strtoll(PQgetvalue(res, 0, 10), NULL, 10);
    s_copy(c->accepted_event_id, sizeof c->accepted_event_id, res, 11);
    c->decided = PQgetvalue(res, 0, 12)[0] == 't';
    s_copy(c->outcome, sizeof c->outcome, res, 13);
    c->decided_at_us = strtoll(PQgetvalue(res, 0, 14), NULL, 10);
    s_copy(c->decision_comment, sizeof c->decision_comment, res, 15);
    s_copy(c->decided_event_id, sizeof c->decided_event_id, res, 16);
}

/* Runs a statement that returns the row it wrote, or none. */
static int s_write(ow_db_t *db, const char *name, int n, const char *const *params,
                   case_contact_t *out, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    int wrote = PQntuples(res) == 1;
    if (wrote)
        s_contact_from_row(res, out);
    PQclear(res);
    return wrote;
}

int case_contacts_accept(ow_db_t *db, const Onewindow__V1__CaseSummary *c, int64_t accepted_at_us,
                         const char *event_id, case_contact_t *out, ow_error_t *err)
{
    const Onewindow__V1__Applicant *a = c->applicant;
    char limit[16], at[24];
    snprintf(limit, sizeof limit, "%d", (int)c->promised_limit);
    snprintf(at, sizeof at, "%" PRId64, accepted_at_us);
    const char *params[] = {c->case_no,        a ? a->name : "",
                            a ? a->phone : "", a ? a->email : "",
                            c->item_code,      c->item_name,
                            c->centre_id,      limit,
                            c->limit_unit,     at,
                            event_id};
    return s_write(db, "notify_contact_accept", 11, params, out, err);
}

int case_contacts_decide(ow_db_t *db, const Onewindow__V1__CaseDecided *d, int64_t decided_at_us,
                         const char *event_id, case_contact_t *out, ow_error_t *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, decided_at_us);
    const char *params[] = {d->case_no, d->outcome, at, d->comment, event_id};
    return s_write(db, "notify_contact_decide", 5, params, out, err);
}

int case_contacts_get(ow_db_t *db, const char *case_no, case_contact_t *out, ow_error_t *err)
{
    const char *params[] = {case_no};
    return s_write(db, "notify_contact_get", 1, params, out, err);
}
