/* ratings — see ratings.h. */
#include "ratings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicator_sets.h"
#include "ow_outbox.h"
#include "assessment_records.h"
#include "provincial_push.h"
#include "rectification_store.h"
#include "rollup_applier.h"
#include "rollups.h"
#include "sql_arrays.h"
#include "timer_commands.h"

#define S_RATING_COLUMNS                                                                           \
    "rating_id, case_no, grade, comment, channel, rated_at_us, is_bad, department_code,"           \
    " item_code, centre_id, is_default"

static const ow_db_statement_t s_statements[] = {
    /* FOR UPDATE: two ratings of one case racing (two instances, two keys) queue here, and
     * the second then sees the first. */
    {"evaluation_case_for_rating",
     "SELECT accepted_at_us IS NOT NULL, decided_at_us IS NOT NULL, department_code,"
     " item_code, centre_id, EXISTS (SELECT 1 FROM ratings r WHERE r.case_no = $1),"
     " decided_at_us FROM served_cases WHERE case_no = $1 FOR UPDATE"},
    {"evaluation_rating_insert_default",
     "INSERT INTO ratings (case_no, grade, is_bad, channel, rated_at_us, department_code,"
     " item_code, centre_id, level, is_default) VALUES ($1, $2::smallint, $2::smallint <= 2, '', "
     "$3, $4, $5, $6,"
     " $7, true) RETURNING " S_RATING_COLUMNS},
    {"evaluation_rating_insert",
     "INSERT INTO ratings (case_no, grade, is_bad, comment, channel, rated_at_us,"
     " department_code, item_code, centre_id, indicator_set, window_id, staff_id, level,"
     " anonymous, scores) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
     " $15::smallint[])"
     " RETURNING " S_RATING_COLUMNS},
    {"evaluation_rating_exclude",
     "UPDATE ratings SET excluded = true, excluded_reason = $2 WHERE rating_id = $1::uuid"
     " AND NOT excluded RETURNING rating_id"},
    {"evaluation_rating_get", "SELECT " S_RATING_COLUMNS " FROM ratings WHERE case_no = $1"},
};

static rating_window_t s_window;
static bool s_window_set;

void ratings_set_window(const rating_window_t *w)
{
    /* A zeroed policy stands for "not configured": the shipped defaults. */
    s_window = w->late_window_days > 0 ? *w : rating_window_defaults();
    s_window_set = true;
}

const rating_window_t *ratings_window(void)
{
    if (!s_window_set)
        ratings_set_window(&(rating_window_t){0});
    return &s_window;
}

int ratings_prepare(ow_db_t *db, ow_error_t *err)
{
    if (OW_DB_PREPARE_ALL(db, s_statements, err) != 0)
        return -1;
    /* Every rating updates its roll-ups and cancels its timers. */
    if (timer_commands_prepare(db, err) != 0 || rectification_store_prepare(db, err) != 0 ||
        provincial_push_prepare(db, err) != 0 || assessment_records_prepare(db, err) != 0)
        return -1;
    return rollups_prepare(db, err);
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
    r->is_default = PQgetvalue(res, row, 10)[0] == 't';
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
    msg->is_default = r->is_default;
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

int ratings_follow_up(ow_db_t *db, const char *case_nos_literal, int64_t now_us, ow_error_t *err)
{
    if (timer_commands_cancel_rating(db, case_nos_literal, err) != 0 ||
        rectification_open_for_cases(db, case_nos_literal, now_us, err) != 0)
        return -1;
    return assessment_records_from_ratings(db, case_nos_literal, now_us, err);
}

int ratings_after_recorded(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                           ow_error_t *err)
{
    if (ratings_follow_up(db, case_nos_literal, now_us, err) != 0)
        return -1;
    /* §6: each rating goes to the provincial system (the only event with the identity). */
    return provincial_push_queue(db, case_nos_literal, now_us, err);
}

static int s_after_rating(ow_db_t *db, const char *case_no, int64_t now_us, ow_error_t *err)
{
    sql_array_t cases = {0};
    sql_array_add_text(&cases, case_no);
    const char *literal = sql_array_text(&cases);
    int rc = literal ? ratings_after_recorded(db, literal, now_us, err) : -1;
    if (!literal)
        ow_error_set(err, OW_INTERNAL, "out of memory listing case %s", case_no);
    sql_array_clear(&cases);
    return rc;
}

int ratings_record(ow_db_t *db, const char *case_no, int32_t grade, const char *comment,
                   const char *channel, int64_t now_us, rating_t *out, ow_error_t *err)
{
    rating_input_t in = {
        .case_no = case_no, .grade = grade, .comment = comment, .channel = channel};
    return ratings_record_input(db, &in, now_us, out, err);
}

int ratings_check_input(const rating_input_t *in, int32_t scores[INDICATOR_COUNT],
                        const char **set_name, ow_error_t *err)
{
    *set_name = in->indicator_set && *in->indicator_set ? in->indicator_set : "offline.v1";
    const indicator_set_t *set = indicator_set_find(*set_name);
    /* Every problem at once: the rating's fields, what is rated, and the indicator scores. */
    rating_check_subject(in->window_id, in->staff_id, NULL, err);
    if (!set)
        ow_error_add_violation(err, "indicator_set",
                               "is not an indicator set: use offline.v1 "
                               "or online.v1");
    else
        indicator_set_check_scores(set, in->grade, in->score_codes, in->scores, in->score_count,
                                   scores, err);
    return rating_check_request(in->case_no, in->grade, in->comment, in->channel, err);
}

int ratings_record_input(ow_db_t *db, const rating_input_t *in, int64_t now_us, rating_t *out,
                         ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    const char *case_no = in->case_no, *comment = in->comment, *channel = in->channel;
    int32_t grade = in->grade;
    int32_t scores[INDICATOR_COUNT];
    const char *set_name = NULL;
    if (ratings_check_input(in, scores, &set_name, err) != 0)
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
    /* DOMAIN.md §6: late rating is allowed for a period after the service, not for ever. */
    if (rating_window_check(ratings_window(), strtoll(PQgetvalue(res, 0, 6), NULL, 10), now_us,
                            err) != 0)
        goto cleanup;
    char grade_text[8], rated_at[24], scores_text[64];
    snprintf(grade_text, sizeof grade_text, "%d", (int)grade);
    snprintf(scores_text, sizeof scores_text, "{%d,%d,%d,%d,%d,%d,%d}", (int)scores[0],
             (int)scores[1], (int)scores[2], (int)scores[3], (int)scores[4], (int)scores[5],
             (int)scores[6]);
    /* The level of the site, from the centre's area code (DOMAIN.md §1). */
    const char *level = rating_level_of_centre(PQgetvalue(res, 0, 4));
    snprintf(rated_at, sizeof rated_at, "%" PRId64, now_us);
    const char *params[] = {case_no,
                            grade_text,
                            rating_is_bad(grade) ? "true" : "false",
                            comment ? comment : "",
                            channel,
                            rated_at,
                            PQgetvalue(res, 0, 2),
                            PQgetvalue(res, 0, 3),
                            PQgetvalue(res, 0, 4),
                            set_name,
                            in->window_id ? in->window_id : "",
                            in->staff_id ? in->staff_id : "",
                            level ? level : "",
                            in->anonymous ? "true" : "false",
                            scores_text};
    PGresult *inserted = ow_db_exec(db, "evaluation_rating_insert", 15, params, err);
    if (!inserted) {
        if (err->code == OW_ALREADY_EXISTS) /* UNIQUE (case_no), should a check be bypassed */
            ow_error_set(err, OW_ALREADY_EXISTS, "case %s is already rated: one rating per service",
                         case_no);
        goto cleanup;
    }
    PQclear(res);
    res = inserted;
    s_rating_from_row(res, 0, out);
    const char *ids[] = {out->rating_id};
    /* The roll-ups change in the rating's own transaction: a report never disagrees with
     * the ratings it summarises. */
    if (rollups_apply(db, ids, 1, 1, err) != 0 || s_emit(db, out, now_us, err) != 0 ||
        s_after_rating(db, case_no, now_us, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}

int ratings_record_default(ow_db_t *db, const char *case_no, int64_t at_us, rating_t *out,
                           ow_error_t *err)
{
    int rc = -1;
    const rating_window_t *w = ratings_window();
    const char *case_params[] = {case_no};
    PGresult *res = ow_db_exec(db, "evaluation_case_for_rating", 1, case_params, err);
    if (!res)
        goto cleanup;
    /* A rating that came first wins: the default is only for a service nobody rated. */
    if (!w->default_enabled || PQntuples(res) == 0 || PQgetvalue(res, 0, 0)[0] != 't' ||
        PQgetvalue(res, 0, 1)[0] != 't' || PQgetvalue(res, 0, 5)[0] == 't') {
        rc = 0;
        goto cleanup;
    }
    char grade[8], at[24];
    snprintf(grade, sizeof grade, "%d", w->default_grade);
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *level = rating_level_of_centre(PQgetvalue(res, 0, 4));
    const char *params[] = {case_no,
                            grade,
                            at,
                            PQgetvalue(res, 0, 2),
                            PQgetvalue(res, 0, 3),
                            PQgetvalue(res, 0, 4),
                            level ? level : ""};
    PGresult *inserted = ow_db_exec(db, "evaluation_rating_insert_default", 7, params, err);
    if (!inserted)
        goto cleanup;
    PQclear(res);
    res = inserted;
    s_rating_from_row(res, 0, out);
    const char *ids[] = {out->rating_id};
    /* Counted apart as a default by the roll-ups (is_default), in this same transaction. */
    if (rollups_apply(db, ids, 1, 1, err) != 0 || s_emit(db, out, at_us, err) != 0 ||
        s_after_rating(db, case_no, at_us, err) != 0)
        goto cleanup;
    rc = 1;
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

int ratings_exclude(ow_db_t *db, const char *rating_id, const char *reason, ow_error_t *err)
{
    int rc = -1;
    const char *params[] = {rating_id, reason ? reason : ""};
    /* Folded as it stood before the flag changes, then taken out (rollups.h). */
    if (rollup_applier_hold(db, err) != 0)
        return -1;
    PGresult *res = ow_db_exec(db, "evaluation_rating_exclude", 2, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "rating %s is unknown or already excluded from the statistics", rating_id);
        goto cleanup;
    }
    /* DOMAIN.md §6: an upheld appeal keeps the rating but excludes it from statistics — and
     * from the staff member's assessment (§7 deducts for 不满意 ratings that stand). */
    const char *ids[] = {rating_id};
    if (rollups_apply(db, ids, 1, -1, err) != 0 ||
        assessment_records_withdraw_rating(db, rating_id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    PQclear(res);
    return rc;
}
