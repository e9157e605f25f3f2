/* reports — see reports.h. */
#include "reports.h"

#include "ow_clock.h"
#include "rollup_applier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicator_sets.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "rating_tally.h"
#include "rollups.h"

/* A calendar date YYYY-MM-DD (the range and the page token; Postgres checks the day). */
static bool s_date_valid(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* The page token is "<period_start>/<key>" of the last row sent (keyset paging: a page is
 * stable while roll-ups change). Splits it into after_start/after_key; false when bad. */
static bool s_token_parse(const char *token, char after_start[11], char *after_key, size_t key_size)
{
    if (strlen(token) < 11 || token[10] != '/' || strlen(token + 11) >= key_size)
        return false;
    memcpy(after_start, token, 10);
    after_start[10] = '\0';
    snprintf(after_key, key_size, "%s", token + 11);
    return s_date_valid(after_start);
}

static void s_fill_row(const rollup_row_t *in, Onewindow__V1__ReportRow *row, int64_t *grades,
                       Onewindow__V1__IndicatorAverage *avgs,
                       Onewindow__V1__IndicatorAverage **avg_ptrs)
{
    const rating_tally_t *t = &in->tally;
    row->key = (char *)in->key;
    row->period_start = (char *)in->period_start;
    row->total = t->total;
    row->excluded = t->excluded;
    row->valid = rating_tally_valid(t);
    row->active = t->active;
    row->defaults = t->defaults; /* shown apart (issue 6) */
    row->good = t->good;
    row->bad = t->bad;
    for (int g = 1; g <= 5; g++)
        grades[g - 1] = t->grade_n[g];
    row->grade_counts = grades;
    row->n_grade_counts = 5;
    row->active_rate = rating_tally_active_rate(t);
    row->good_rate = rating_tally_good_rate(t);
    row->bad_rate = rating_tally_bad_rate(t);
    size_t n = 0;
    for (int k = 0; k < INDICATOR_COUNT; k++) {
        if (t->ind_n[k] <= 0)
            continue;
        onewindow__v1__indicator_average__init(&avgs[n]);
        avgs[n].indicator = (char *)indicator_code((indicator_t)k);
        avgs[n].sum = t->ind_sum[k];
        avgs[n].count = t->ind_n[k];
        avgs[n].average = rating_tally_average(t, (indicator_t)k);
        avg_ptrs[n] = &avgs[n];
        n++;
    }
    row->averages = avg_ptrs;
    row->n_averages = n;
    row->rectified = t->rectified;
    row->revisited = t->revisited;
    row->rectification_rate = rating_tally_rectification_rate(t);
    row->revisit_rate = rating_tally_revisit_rate(t);
}

int reports_read(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **out, size_t *out_len,
                 ow_error_t *err)
{
    int rc = -1;
    rollup_row_t *rows = NULL;
    size_t count = 0;
    Onewindow__V1__ReportRow *msgs = NULL, **msg_ptrs = NULL;
    int64_t *grades = NULL;
    Onewindow__V1__IndicatorAverage *avgs = NULL, **avg_ptrs = NULL;
    char after_start[11] = "", after_key[ROLLUP_KEY_MAX] = "", next[ROLLUP_KEY_MAX + 12] = "";
    *out = NULL;
    *out_len = 0;
    Onewindow__V1__GetReport *req = onewindow__v1__get_report__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "evaluation.report: payload is not a GetReport");
        goto cleanup;
    }
    /* Every problem at once, nothing read. */
    if (!rollups_dimension_valid(req->dimension))
        ow_error_add_violation(err, "dimension",
                               "'%.64s' is not a dimension: use all, department, item, window, "
                               "staff, channel, centre or level",
                               req->dimension);
    if (strlen(req->key) >= ROLLUP_KEY_MAX)
        ow_error_add_violation(err, "key", "is longer than %d bytes", ROLLUP_KEY_MAX - 1);
    if (!rollups_period_valid(req->period))
        ow_error_add_violation(
            err, "period", "'%.64s' is not a period: use day, month, quarter or year", req->period);
    bool from_ok = s_date_valid(req->from), to_ok = s_date_valid(req->to);
    if (!from_ok)
        ow_error_add_violation(err, "from", "'%.32s' is not a date YYYY-MM-DD", req->from);
    if (!to_ok)
        ow_error_add_violation(err, "to", "'%.32s' is not a date YYYY-MM-DD", req->to);
    if (from_ok && to_ok && strcmp(req->from, req->to) > 0)
        ow_error_add_violation(err, "to", "%s is before from %s", req->to, req->from);
    if (req->page_size < 0 || req->page_size > REPORTS_PAGE_MAX)
        ow_error_add_violation(err, "page_size", "is %d: use 1..%d (0 = %d)", req->page_size,
                               REPORTS_PAGE_MAX, REPORTS_PAGE_DEFAULT);
    if (*req->page_token &&
        !s_token_parse(req->page_token, after_start, after_key, sizeof after_key))
        ow_error_add_violation(err, "page_token",
                               "is not a token this method gave: pass next_page_token back "
                               "unchanged");
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    size_t page = req->page_size ? (size_t)req->page_size : REPORTS_PAGE_DEFAULT;
    /* Read before the roll-ups: a pass in between only makes the figures newer than this. */
    int64_t as_of_us = 0;
    if (rollup_applier_as_of(db, ow_clock_now_us(), &as_of_us, err) != 0)
        goto cleanup;
    /* One row more than the page tells whether another page follows. */
    if (rollups_read(db, req->dimension, req->key, req->period, req->from, req->to,
                     *after_start ? after_start : NULL, after_key, page + 1, &rows, &count,
                     err) != 0)
        goto cleanup;
    bool more = count > page;
    if (more) {
        count = page;
        snprintf(next, sizeof next, "%s/%s", rows[count - 1].period_start, rows[count - 1].key);
    }
    msgs = calloc(count ? count : 1, sizeof *msgs);
    msg_ptrs = calloc(count ? count : 1, sizeof *msg_ptrs);
    grades = calloc(count ? count * 5 : 1, sizeof *grades);
    avgs = calloc(count ? count * INDICATOR_COUNT : 1, sizeof *avgs);
    avg_ptrs = calloc(count ? count * INDICATOR_COUNT : 1, sizeof *avg_ptrs);
    if (!msgs || !msg_ptrs || !grades || !avgs || !avg_ptrs) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu report rows", count);
        goto cleanup;
    }
    for (size_t i = 0; i < count; i++) {
        onewindow__v1__report_row__init(&msgs[i]);
        s_fill_row(&rows[i], &msgs[i], &grades[i * 5], &avgs[i * INDICATOR_COUNT],
                   &avg_ptrs[i * INDICATOR_COUNT]);
        msg_ptrs[i] = &msgs[i];
    }
    Onewindow__V1__ReportReply reply = ONEWINDOW__V1__REPORT_REPLY__INIT;
    reply.rows = msg_ptrs;
    reply.n_rows = count;
    reply.next_page_token = next;
    reply.as_of_us = as_of_us;
    *out_len = onewindow__v1__report_reply__get_packed_size(&reply);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the report");
        goto cleanup;
    }
    onewindow__v1__report_reply__pack(&reply, *out);
    rc = 0;
cleanup:
    free(rows);
    free(msgs);
    free(msg_ptrs);
    free(grades);
    free(avgs);
    free(avg_ptrs);
    if (req)
        onewindow__v1__get_report__free_unpacked(req, NULL);
    return rc;
}

void reports_on_report(ow_rpc_call_t *call, void *arg)
{
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0, out_len = 0;
    uint8_t *out = NULL;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    if (reports_read(arg, payload, len, &out, &out_len, &err) != 0)
        ow_rpc_reply_error(call, &err);
    else
        ow_rpc_reply(call, out, out_len);
    free(out);
}
