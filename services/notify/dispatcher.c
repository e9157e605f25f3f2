/* dispatcher — see dispatcher.h. */
#include "dispatcher.h"

#include <stdio.h>
#include <stdlib.h>

#include "deliveries.h"
#include "file_sink.h"
#include "ow_clock.h"
#include "ow_log.h"

#define S_BATCH       100 /* deliveries per transaction and per fdatasync */
#define S_BATCHES_MAX 50  /* per run: a backlog drains over several ticks */

struct dispatcher {
    ow_db_t *db;
    file_sink_t *sink;
    ow_timer_t *timer;        /* the loop's until we destroy it */
    int64_t failing_since_us; /* log a failing sink once, not every tick */
};

dispatcher_t *dispatcher_new(ow_db_t *db, const char *sink_path, ow_error_t *err)
{
    dispatcher_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->db = db;
    self->sink = file_sink_new(sink_path, err);
    if (!self->sink) {
        free(self);
        return NULL;
    }
    return self;
}

void dispatcher_destroy(dispatcher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dispatcher_t *self = *self_p;
    ow_timer_destroy(&self->timer);
    file_sink_destroy(&self->sink);
    free(self);
    *self_p = NULL;
}

static void s_on_tick(void *arg)
{
    dispatcher_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    int n = dispatcher_run(self, ow_clock_now_us(), &err);
    if (n < 0) {
        if (!self->failing_since_us) {
            self->failing_since_us = ow_clock_mono_us();
            ow_log_kv(OW_LOG_ERROR, "deliveries not sent; retrying", "code",
                      ow_status_name(err.code), "error", err.message, NULL);
        }
        return;
    }
    if (self->failing_since_us) {
        self->failing_since_us = 0;
        ow_log_kv(OW_LOG_INFO, "deliveries flowing again", NULL);
    }
    if (n > 0) {
        char count[16];
        snprintf(count, sizeof count, "%d", n);
        ow_log_kv(OW_LOG_INFO, "deliveries sent", "count", count, "channel", DELIVERY_CHANNEL_FILE,
                  NULL);
    }
}

int dispatcher_start(dispatcher_t *self, ow_loop_t *loop, double interval_s, ow_error_t *err)
{
    self->timer = ow_loop_timer(loop, interval_s, true, s_on_tick, self);
    if (!self->timer) {
        ow_error_set(err, OW_INTERNAL, "cannot create the dispatcher's timer");
        return -1;
    }
    return 0;
}

/* One batch in one transaction. Returns the number sent, or -1 with err. */
static int s_batch(dispatcher_t *self, int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    sink_line_t *lines = NULL;
    const char **ids = NULL;
    if (ow_db_begin(self->db, err) != 0)
        return -1;
    res = deliveries_claim(self->db, DELIVERY_CHANNEL_FILE, S_BATCH, err);
    if (!res)
        goto cleanup;
    int n = PQntuples(res);
    if (n == 0) {
        ow_db_rollback(self->db);
        rc = 0;
        goto cleanup;
    }
    lines = calloc((size_t)n, sizeof *lines);
    ids = calloc((size_t)n, sizeof *ids);
    if (!lines || !ids) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        ids[i] = PQgetvalue(res, i, DELIVERY_COL_ID);
        lines[i] = (sink_line_t){
            .delivery_id = ids[i],
            .event_id = PQgetvalue(res, i, DELIVERY_COL_EVENT_ID),
            .case_no = PQgetvalue(res, i, DELIVERY_COL_CASE_NO),
            .kind = PQgetvalue(res, i, DELIVERY_COL_KIND),
            .channel = PQgetvalue(res, i, DELIVERY_COL_CHANNEL),
            .recipient = PQgetvalue(res, i, DELIVERY_COL_RECIPIENT),
            .text = PQgetvalue(res, i, DELIVERY_COL_TEXT),
            .sent_at_us = now_us,
        };
    }
    if (file_sink_write(self->sink, lines, (size_t)n, err) != 0) {
        /* Keep the reason on the rows for an operator; they stay queued for the next run. */
        ow_error_t note;
        ow_error_clear(&note);
        if (deliveries_mark_failed(self->db, ids, (size_t)n, err->message, &note) == 0)
            ow_db_commit(self->db, &note);
        goto cleanup;
    }
    /* The sink holds them durably: only now are they acknowledged. */
    if (deliveries_mark_sent(self->db, ids, (size_t)n, now_us, err) != 0 ||
        ow_db_commit(self->db, err) != 0)
        goto cleanup;
    rc = n;
cleanup:
    if (ow_db_in_transaction(self->db))
        ow_db_rollback(self->db);
    free(lines);
    free(ids);
    PQclear(res);
    return rc;
}

int dispatcher_run(dispatcher_t *self, int64_t now_us, ow_error_t *err)
{
    /* Single-threaded: an open transaction belongs to a step not finished yet. */
    if (ow_db_in_transaction(self->db))
        return 0;
    int total = 0;
    for (int i = 0; i < S_BATCHES_MAX; i++) {
        int n = s_batch(self, now_us, err);
        if (n < 0)
            return -1;
        total += n;
        if (n < S_BATCH)
            break;
    }
    return total;
}
