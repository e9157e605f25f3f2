/* supervision — see supervision.h. */
#include "supervision.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "ow_clock.h"

#define S_METHOD     "deadline.statistics"
#define S_FILTER_MAX 64

/* $1 group_by, $2 from, $3 to (0 = unbounded), $4 centre, $5 department, $6 item, $7 now.
 * Months are local (UTC+8) months of the acceptance. */
#define S_FILTER                                                                                   \
    " WHERE scope = 'case' AND started_at_us >= $2::bigint AND ($3::bigint = 0 OR started_at_us "  \
    "< $3::bigint)"                                                                                \
    " AND ($4 = '' OR centre_id = $4) AND ($5 = '' OR department_code = $5)"                       \
    " AND ($6 = '' OR item_code = $6)"

/* A case clock stopped by a decision. One that stopped because the case was withdrawn or
 * terminated (容缺 lapse) was never decided: it counts as ended early, and neither on time nor
 * late (the department did not fail, nor succeed, at deciding it). */
#define S_DECIDED "state = 'stopped' AND stop_reason NOT IN ('withdrawn', 'terminated')"

int supervision_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(
            db, "deadline_statistics",
            "SELECT CASE $1 WHEN 'department' THEN department_code WHEN 'item' THEN item_code"
            " WHEN 'centre' THEN centre_id WHEN 'month' THEN to_char(to_timestamp("
            "started_at_us / 1000000.0 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM') ELSE 'all' END AS k,"
            " count(*),"
            " count(*) FILTER (WHERE " S_DECIDED "),"
            " count(*) FILTER (WHERE " S_DECIDED " AND stopped_at_us <= due_at_us),"
            " count(*) FILTER (WHERE " S_DECIDED " AND stopped_at_us > due_at_us),"
            " count(*) FILTER (WHERE state <> 'stopped' AND due_at_us <= $7::bigint),"
            " COALESCE(avg(used_working_days) FILTER (WHERE " S_DECIDED "), 0),"
            " count(*) FILTER (WHERE " S_DECIDED " AND (legal_due_at_us IS NULL"
            "  OR stopped_at_us <= legal_due_at_us)),"
            " count(*) FILTER (WHERE state = 'stopped' AND stop_reason IN ('withdrawn',"
            "  'terminated'))"
            " FROM clocks" S_FILTER " GROUP BY 1 ORDER BY 1",
            err) != 0)
        return -1;
    return ow_db_prepare(db, "deadline_overdue",
                         "SELECT case_no FROM clocks" S_FILTER
                         " AND $1 = $1 AND state <> 'stopped' AND due_at_us <= $7::bigint"
                         " ORDER BY due_at_us, case_no LIMIT $8",
                         err);
}

int supervision_validate(const Onewindow__V1__Statistics *req, ow_error_t *err)
{
    static const char *const groups[] = {"", "department", "item", "centre", "month", NULL};
    bool known = false;
    for (int i = 0; groups[i]; i++)
        known = known || strcmp(req->group_by, groups[i]) == 0;
    if (!known)
        ow_error_add_violation(err, "group_by", "must be department, item, centre, month or empty");
    if (req->from_us < 0)
        ow_error_add_violation(err, "from_us", "is negative");
    if (req->to_us < 0)
        ow_error_add_violation(err, "to_us", "is negative");
    else if (req->to_us && req->to_us <= req->from_us)
        ow_error_add_violation(err, "to_us", "is not after from_us: the period is empty");
    if (strlen(req->centre_id) > S_FILTER_MAX)
        ow_error_add_violation(err, "centre_id", "is longer than %d bytes", S_FILTER_MAX);
    if (strlen(req->department_code) > S_FILTER_MAX)
        ow_error_add_violation(err, "department_code", "is longer than %d bytes", S_FILTER_MAX);
    if (strlen(req->item_code) > S_FILTER_MAX)
        ow_error_add_violation(err, "item_code", "is longer than %d bytes", S_FILTER_MAX);
    if (req->overdue_limit > SUPERVISION_OVERDUE_MAX)
        ow_error_add_violation(err, "overdue_limit", "%u is above %d", req->overdue_limit,
                               SUPERVISION_OVERDUE_MAX);
    return ow_error_finish_violations(err);
}

static uint64_t s_u64(const PGresult *res, int row, int col)
{
    return strtoull(PQgetvalue(res, row, col), NULL, 10);
}

void supervision_handle_statistics(ow_rpc_call_t *call, void *arg)
{
    deadline_context_t *ctx = arg;
    ow_error_t err;
    ow_error_clear(&err);
    PGresult *res = NULL, *overdue = NULL;
    Onewindow__V1__StatisticsRow *rows = NULL, **row_ptrs = NULL;
    deadline_clock_t *clocks = NULL;
    Onewindow__V1__Clock *msgs = NULL, **msg_ptrs = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    Onewindow__V1__Statistics *req = onewindow__v1__statistics__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(&err, OW_INVALID_ARGUMENT, S_METHOD ": payload is not a Statistics");
        goto cleanup;
    }
    if (supervision_validate(req, &err) != 0)
        goto cleanup;
    int64_t now = ow_clock_now_us();
    char from[24], to[24], now_text[24], limit[16];
    snprintf(from, sizeof from, "%" PRId64, req->from_us);
    snprintf(to, sizeof to, "%" PRId64, req->to_us);
    snprintf(now_text, sizeof now_text, "%" PRId64, now);
    snprintf(limit, sizeof limit, "%u",
             req->overdue_limit ? req->overdue_limit : SUPERVISION_OVERDUE_DEFAULT);
    const char *params[] = {req->group_by,        from,           to,       req->centre_id,
                            req->department_code, req->item_code, now_text, limit};
    res = ow_db_exec(ctx->db, "deadline_statistics", 7, params, &err);
    if (!res)
        goto cleanup;
    overdue = ow_db_exec(ctx->db, "deadline_overdue", 8, params, &err);
    if (!overdue)
        goto cleanup;
    int n = PQntuples(res), m = PQntuples(overdue);
    rows = calloc((size_t)n + 1, sizeof *rows);
    row_ptrs = calloc((size_t)n + 1, sizeof *row_ptrs);
    clocks = calloc((size_t)m + 1, sizeof *clocks);
    msgs = calloc((size_t)m + 1, sizeof *msgs);
    msg_ptrs = calloc((size_t)m + 1, sizeof *msg_ptrs);
    if (!rows || !row_ptrs || !clocks || !msgs || !msg_ptrs) {
        ow_error_set(&err, OW_INTERNAL, "out of memory building the statistics");
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        Onewindow__V1__StatisticsRow *r = &rows[i];
        onewindow__v1__statistics_row__init(r);
        r->key = PQgetvalue(res, i, 0);
        r->accepted = s_u64(res, i, 1);
        r->decided = s_u64(res, i, 2);
        r->on_time = s_u64(res, i, 3);
        r->late = s_u64(res, i, 4);
        r->open_overdue = s_u64(res, i, 5);
        r->on_time_rate = r->decided ? (double)r->on_time / (double)r->decided : 0.0;
        r->avg_working_days_used = strtod(PQgetvalue(res, i, 6), NULL);
        r->within_legal = s_u64(res, i, 7);
        r->ended_early = s_u64(res, i, 8);
        row_ptrs[i] = r;
    }
    for (int i = 0; i < m; i++) {
        if (clocks_get(ctx->db, PQgetvalue(overdue, i, 0), "", &clocks[i], &err) != 0)
            goto cleanup;
        onewindow__v1__clock__init(&msgs[i]);
        clocks_fill_message(ctx->cal, &clocks[i], now, &msgs[i]);
        msg_ptrs[i] = &msgs[i];
    }
    Onewindow__V1__StatisticsReply reply = ONEWINDOW__V1__STATISTICS_REPLY__INIT;
    reply.n_rows = (size_t)n;
    reply.rows = row_ptrs;
    reply.n_overdue = (size_t)m;
    reply.overdue = msg_ptrs;
    len = onewindow__v1__statistics_reply__get_packed_size(&reply);
    out = malloc(len ? len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory packing the statistics");
        goto cleanup;
    }
    onewindow__v1__statistics_reply__pack(&reply, out);
cleanup:
    if (err.code == OW_OK)
        ow_rpc_reply(call, out, len);
    else
        ow_rpc_reply_error(call, &err);
    free(out);
    free(rows);
    free(row_ptrs);
    free(clocks);
    free(msgs);
    free(msg_ptrs);
    PQclear(res);
    PQclear(overdue);
    if (req)
        onewindow__v1__statistics__free_unpacked(req, NULL);
}
