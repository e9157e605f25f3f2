/* provincial_push — see provincial_push.h. */
#include "provincial_push.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "sql_arrays.h"

static const ow_db_statement_t s_statements[] = {
    {"evaluation_push_ratings",
     "SELECT r.rating_id, r.case_no, r.item_code, s.item_name, s.item_version, r.centre_id,"
     " r.level, r.department_code, s.department_name, coalesce(s.outcome, ''), r.channel,"
     " r.staff_id, r.window_id, r.grade, r.rated_at_us, r.is_default, r.anonymous"
     " FROM ratings r JOIN served_cases s ON s.case_no = r.case_no"
     " WHERE r.case_no = ANY ($1::text[]) AND NOT r.excluded ORDER BY r.case_no COLLATE \"C\""},
    /* The logged read (migration 0006): real-name ratings only. */
    {"evaluation_push_identities",
     "SELECT o_case_no, o_name, o_id_type, o_id_number FROM read_applicants($1::text[], $2)"
     " ORDER BY o_case_no COLLATE \"C\""},
    {"evaluation_push_outbox",
     "INSERT INTO outbox (type, case_no, centre_id, time_us, payload)"
     " SELECT 'rating.push_requested', u.c, u.ce, $1::bigint, decode(u.p, 'hex')"
     " FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(c, ce, p, ord)"
     " ORDER BY u.ord"},
};

int provincial_push_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

const char *provincial_push_applicant_type(const char *id_type)
{
    if (id_type && strcmp(id_type, "resident_id") == 0)
        return "natural_person";
    if (id_type && strcmp(id_type, "uscc") == 0)
        return "legal_person";
    return "";
}

int provincial_push_queue(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          ow_error_t *err)
{
    int rc = -1;
    PGresult *ratings = NULL, *ids = NULL, *res = NULL;
    sql_array_t named = {0}, cases = {0}, centres = {0}, payloads = {0};
    const char *params[] = {case_nos_literal};
    if (!(ratings = ow_db_exec(db, "evaluation_push_ratings", 1, params, err)))
        goto cleanup;
    int n = PQntuples(ratings);
    if (n == 0) {
        rc = 0;
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        if (PQgetvalue(ratings, i, 16)[0] != 't')
            sql_array_add_text(&named, PQgetvalue(ratings, i, 1));
    int m = 0;
    if (named.count > 0) {
        const char *read[] = {sql_array_text(&named), PROVINCIAL_PUSH_PURPOSE};
        if (!read[0]) {
            ow_error_set(err, OW_INTERNAL, "out of memory listing %d cases", n);
            goto cleanup;
        }
        if (!(ids = ow_db_exec(db, "evaluation_push_identities", 2, read, err)))
            goto cleanup;
        m = PQntuples(ids);
    }
    /* Both results are ordered by case number in byte order (COLLATE "C", as strcmp): walk
     * them together. */
    int j = 0;
    for (int i = 0; i < n; i++) {
        const char *case_no = PQgetvalue(ratings, i, 1);
        bool anonymous = PQgetvalue(ratings, i, 16)[0] == 't';
        while (j < m && strcmp(PQgetvalue(ids, j, 0), case_no) < 0)
            j++;
        bool has_id = !anonymous && j < m && strcmp(PQgetvalue(ids, j, 0), case_no) == 0;
        Onewindow__V1__RatingPush p = ONEWINDOW__V1__RATING_PUSH__INIT;
        p.rating_id = PQgetvalue(ratings, i, 0);
        p.case_no = (char *)case_no;
        p.item_code = PQgetvalue(ratings, i, 2);
        p.item_name = PQgetvalue(ratings, i, 3);
        p.item_version = (int32_t)strtol(PQgetvalue(ratings, i, 4), NULL, 10);
        p.area_code = PQgetvalue(ratings, i, 5);
        p.level = PQgetvalue(ratings, i, 6);
        p.department_code = PQgetvalue(ratings, i, 7);
        p.department_name = PQgetvalue(ratings, i, 8);
        p.case_status = PQgetvalue(ratings, i, 9);
        p.channel = PQgetvalue(ratings, i, 10);
        p.staff_id = PQgetvalue(ratings, i, 11);
        p.window_id = PQgetvalue(ratings, i, 12);
        p.grade = (int32_t)strtol(PQgetvalue(ratings, i, 13), NULL, 10);
        p.rated_at_us = strtoll(PQgetvalue(ratings, i, 14), NULL, 10);
        p.is_default = PQgetvalue(ratings, i, 15)[0] == 't';
        p.anonymous = anonymous;
        if (has_id) {
            p.applicant_name = PQgetvalue(ids, j, 1);
            p.applicant_id_type = PQgetvalue(ids, j, 2);
            p.applicant_id_number = PQgetvalue(ids, j, 3);
            p.applicant_type = (char *)provincial_push_applicant_type(p.applicant_id_type);
        }
        size_t len = onewindow__v1__rating_push__get_packed_size(&p);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
            ow_error_set(err, OW_INTERNAL, "out of memory packing the push of %s", case_no);
            goto cleanup;
        }
        onewindow__v1__rating_push__pack(&p, buf);
        sql_array_add_hex(&payloads, buf, len);
        free(buf);
        sql_array_add_text(&cases, case_no);
        sql_array_add_text(&centres, p.area_code);
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *out[] = {now, sql_array_text(&cases), sql_array_text(&centres),
                         sql_array_text(&payloads)};
    if (!out[1] || !out[2] || !out[3]) {
        ow_error_set(err, OW_INTERNAL, "out of memory listing %d pushes", n);
        goto cleanup;
    }
    if (!(res = ow_db_exec(db, "evaluation_push_outbox", 4, out, err)))
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(ratings);
    PQclear(ids);
    PQclear(res);
    sql_array_clear(&named);
    sql_array_clear(&cases);
    sql_array_clear(&centres);
    sql_array_clear(&payloads);
    return rc;
}
