/* provincial_push — see provincial_push.h. */
#include "provincial_push.h"

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

struct provincial_pushes {
    PGresult *ratings; /* the case numbers and area codes the events borrow */
    ow_outbox_event_t *events;
    uint8_t **payloads; /* one packed RatingPush per event, owned */
    size_t n;
};

void provincial_pushes_destroy(provincial_pushes_t **pushes_p)
{
    provincial_pushes_t *p = pushes_p ? *pushes_p : NULL;
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->payloads[i]);
    free(p->payloads);
    free(p->events);
    PQclear(p->ratings);
    free(p);
    *pushes_p = NULL;
}

const ow_outbox_event_t *provincial_pushes_events(const provincial_pushes_t *pushes, size_t *n)
{
    *n = pushes ? pushes->n : 0;
    return pushes ? pushes->events : NULL;
}

int provincial_push_build(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          provincial_pushes_t **out, ow_error_t *err)
{
    int rc = -1;
    PGresult *ids = NULL;
    sql_array_t named = {0};
    provincial_pushes_t *p = calloc(1, sizeof *p);
    const char *params[] = {case_nos_literal};
    *out = NULL;
    if (!p) {
        ow_error_set(err, OW_INTERNAL, "out of memory for the provincial push");
        goto cleanup;
    }
    if (!(p->ratings = ow_db_exec(db, "evaluation_push_ratings", 1, params, err)))
        goto cleanup;
    const PGresult *ratings = p->ratings;
    int n = PQntuples(ratings);
    p->events = calloc(n ? (size_t)n : 1, sizeof *p->events);
    p->payloads = calloc(n ? (size_t)n : 1, sizeof *p->payloads);
    if (!p->events || !p->payloads) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %d pushes", n);
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
        Onewindow__V1__RatingPush msg = ONEWINDOW__V1__RATING_PUSH__INIT;
        msg.rating_id = PQgetvalue(ratings, i, 0);
        msg.case_no = (char *)case_no;
        msg.item_code = PQgetvalue(ratings, i, 2);
        msg.item_name = PQgetvalue(ratings, i, 3);
        msg.item_version = (int32_t)strtol(PQgetvalue(ratings, i, 4), NULL, 10);
        msg.area_code = PQgetvalue(ratings, i, 5);
        msg.level = PQgetvalue(ratings, i, 6);
        msg.department_code = PQgetvalue(ratings, i, 7);
        msg.department_name = PQgetvalue(ratings, i, 8);
        msg.case_status = PQgetvalue(ratings, i, 9);
        msg.channel = PQgetvalue(ratings, i, 10);
        msg.staff_id = PQgetvalue(ratings, i, 11);
        msg.window_id = PQgetvalue(ratings, i, 12);
        msg.grade = (int32_t)strtol(PQgetvalue(ratings, i, 13), NULL, 10);
        msg.rated_at_us = strtoll(PQgetvalue(ratings, i, 14), NULL, 10);
        msg.is_default = PQgetvalue(ratings, i, 15)[0] == 't';
        msg.anonymous = anonymous;
        if (has_id) {
            msg.applicant_name = PQgetvalue(ids, j, 1);
            msg.applicant_id_type = PQgetvalue(ids, j, 2);
            msg.applicant_id_number = PQgetvalue(ids, j, 3);
            msg.applicant_type = (char *)provincial_push_applicant_type(msg.applicant_id_type);
        }
        size_t len = onewindow__v1__rating_push__get_packed_size(&msg);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
            ow_error_set(err, OW_INTERNAL, "out of memory packing the push of %s", case_no);
            goto cleanup;
        }
        onewindow__v1__rating_push__pack(&msg, buf);
        p->payloads[p->n] = buf;
        p->events[p->n++] = (ow_outbox_event_t){.type = "rating.push_requested",
                                                .case_no = case_no,
                                                .centre_id = msg.area_code,
                                                .time_us = now_us,
                                                .payload = buf,
                                                .len = len};
    }
    *out = p;
    p = NULL;
    rc = 0;
cleanup:
    provincial_pushes_destroy(&p);
    PQclear(ids);
    sql_array_clear(&named);
    return rc;
}

int provincial_push_queue(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          ow_error_t *err)
{
    provincial_pushes_t *pushes = NULL;
    if (provincial_push_build(db, case_nos_literal, now_us, &pushes, err) != 0)
        return -1;
    size_t n = 0;
    const ow_outbox_event_t *events = provincial_pushes_events(pushes, &n);
    int rc = n > 0 ? ow_outbox_add_many(db, events, n, err) : 0;
    provincial_pushes_destroy(&pushes);
    return rc;
}
