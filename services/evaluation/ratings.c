/* ratings — see ratings.h. */
#include "ratings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_outbox.h"

#define S_RATING_COLUMNS                                                                           \
    "rating_id, case_no, grade, comment, channel, rated_at_us, is_bad, department_code,"           \
    " item_code, centre_id"

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    /* FOR UPDATE: two ratings of one case racing (two instances, two keys) queue here, and
     * the second then sees the first. */
    {"evaluation_case_for_rating",
     "SELECT accepted_at_us IS NOT NULL, decided_at_us IS NOT NULL, department_code,"
     " item_code, centre_id, EXISTS (SELECT 1 FROM ratings r WHERE r.case_no = $1)"
     " FROM served_cases WHERE case_no = $1 FOR UPDATE"},
    {"evaluation_rating_insert",
     "INSERT INTO ratings (case_no, grade, is_bad, comment, channel, rated_at_us,"
     " department_code, item_code, centre_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
     " RETURNING " S_RATING_COLUMNS},
    {"evaluation_rating_get", "SELECT " S_RATING_COLUMNS " FROM ratings WHERE case_no = $1"},
};

int ratings_prepare(ow_db_t *db, ow_error_t *err)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (ow_db_prepare(db, s_statements[i].name, s_statements[i].sql, err) != 0)
            return -1;
    return 0;
}

static void s_rating_from_row(const PGresult *res, int row, rating_t *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->rating_id, sizeof r->rating_id, "%s", PQgetvalue(res, row, 0));
    snprintf(r->case_no, sizeof r->case_no, "%s", PQgetvalue(res, row, 1));
    r->grade = (int32_t)strtol(PQgetvalue(res, row, 2), NULL, 10);
    snprintf(r->comment, sizeof r->comment, "%s", PQgetvalue(res, row, 3));
    snprintf(r->channel, sizeof r->channel, "%s", PQgetvalue(res, row, 4));
    r->rated_at_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    r->is_bad = PQgetvalue(res, row, 6)[0] == 't';
    snprintf(r->department_code, sizeof r->department_code, "%s", PQgetvalue(res, row, 7));
    snprintf(r->item_code, sizeof r->item_code, "%s", PQgetvalue(res, row, 8));
    snprintf(r->centre_id, sizeof r->centre_id, "%s", PQgetvalue(res, row, 9));
}

void ratings_fill_message(const rating_t *r, Onewindow__V1__Rating *msg)
{
    /* protobuf-c takes non-const strings but only reads them while packing. */
    msg->rating_id = (char *)r->rating_id;
    msg->case_no = (char *)r->case_no;
    msg->grade = r->grade;
    msg->comment = (char *)r->comment;
    msg->channel = (char *)r->channel;
    msg->rated_at_us = r->rated_at_us;
    msg->is_bad = r->is_bad;
    msg->department_code = (char *)r->department_code;
    msg->item_code = (char *)r->item_code;
}

/* Queues rating.recorded. The payload is the Rating alone: it has no field for the rater,
 * and none is added (DOMAIN.md §6: the rater's identity is protected). */
static int s_emit(ow_db_t *db, const rating_t *r, int64_t now_us, ow_error_t *err)
{
    Onewindow__V1__Rating msg = ONEWINDOW__V1__RATING__INIT;
    ratings_fill_message(r, &msg);
    size_t len = onewindow__v1__rating__get_packed_size(&msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the rating of %s", r->case_no);
        return -1;
    }
    onewindow__v1__rating__pack(&msg, buf);
    int rc = ow_outbox_add(db, "rating.recorded", r->case_no, r->centre_id, now_us, buf, len, err);
    free(buf);
    return rc;
}

int ratings_record(ow_db_t *db, const char *case_no, int32_t grade, const char *comment,
                   const char *channel, int64_t now_us, rating_t *out, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    if (rating_check_request(case_no, grade, comment, channel, err) != 0)
        goto cleanup;

    const char *case_params[] = {case_no};
    res = ow_db_exec(db, "evaluation_case_for_rating", 1, case_params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0 || PQgetvalue(res, 0, 0)[0] != 't') {
        ow_error_set(err, OW_NOT_FOUND,
                     "case %s is not known to evaluation: only accepted cases can be rated",
                     case_no);
        goto cleanup;
    }
    /* A service is rated once it is done (DOMAIN.md §6: one rating per service). */
    if (PQgetvalue(res, 0, 1)[0] != 't') {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "case %s is not decided yet: it can be rated once it is decided", case_no);
        goto cleanup;
    }
    if (PQgetvalue(res, 0, 5)[0] == 't') {
        ow_error_set(err, OW_ALREADY_EXISTS, "case %s is already rated: one rating per service",
                     case_no);
        goto cleanup;
    }
    char grade_text[8], rated_at[24];
    snprintf(grade_text, sizeof grade_text, "%d", (int)grade);
    snprintf(rated_at, sizeof rated_at, "%" PRId64, now_us);
    const char *params[] = {case_no,
                            grade_text,
                            rating_is_bad(grade) ? "true" : "false",
                            comment ? comment : "",
                            channel,
                            rated_at,
                            PQgetvalue(res, 0, 2),
                            PQgetvalue(res, 0, 3),
                            PQgetvalue(res, 0, 4)};
    PGresult *inserted = ow_db_exec(db, "evaluation_rating_insert", 9, params, err);
    if (!inserted) {
        if (err->code == OW_ALREADY_EXISTS) /* UNIQUE (case_no), should a check be bypassed */
            ow_error_set(err, OW_ALREADY_EXISTS, "case %s is already rated: one rating per service",
                         case_no);
        goto cleanup;
    }
    PQclear(res);
    res = inserted;
    s_rating_from_row(res, 0, out);
    if (s_emit(db, out, now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int ratings_get(ow_db_t *db, const char *case_no, rating_t *out, ow_error_t *err)
{
    int rc = -1;
    const char *params[] = {case_no};
    PGresult *res = ow_db_exec(db, "evaluation_rating_get", 1, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_NOT_FOUND, "case %s has no rating", case_no);
        goto cleanup;
    }
    s_rating_from_row(res, 0, out);
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}
