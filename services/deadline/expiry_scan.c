/* expiry_scan — see expiry_scan.h. */
#include "expiry_scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "calendar_store.h"
#include "clocks.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "timers.h"
#include "working_days.h"

/* Rows per transaction: bounds the transaction, and the loop yields between ticks. */
#define S_BATCH 500
/* Batches per tick and kind: a backlog (after downtime) drains over a few ticks, never
 * stalling the loop for long. */
#define S_BATCHES_MAX 20

struct expiry_scan {
    deadline_context_t *ctx;
    ow_timer_t *timer; /* owned by the loop until we destroy it */
    double *missing_gauge;
    int32_t warned_on; /* local date of the last missing-calendar warning */
    bool failing;      /* log a failing database once, not every second */
};

static void s_on_tick(void *arg)
{
    expiry_scan_t *self = arg;
    expiry_scan_run(self, ow_clock_now_us());
}

expiry_scan_t *expiry_scan_new(ow_loop_t *loop, deadline_context_t *ctx, ow_metrics_t *metrics,
                               double interval_s, ow_error_t *err)
{
    expiry_scan_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    self->ctx = ctx;
    if (metrics)
        self->missing_gauge = ow_metrics_gauge(metrics, "deadline_calendar_next_year_missing", NULL,
                                               "1 from 1 December while next year's calendar is "
                                               "not loaded");
    self->timer = ow_loop_timer(loop, interval_s, true, s_on_tick, self);
    if (!self->timer)
        goto fail;
    return self;
fail:
    ow_error_set(err, OW_INTERNAL, "out of memory creating the expiry scan");
    free(self);
    return NULL;
}

void expiry_scan_destroy(expiry_scan_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    expiry_scan_t *self = *self_p;
    ow_timer_destroy(&self->timer);
    free(self);
    *self_p = NULL;
}

bool expiry_scan_next_year_missing(const deadline_calendar_t *cal, int64_t now_us)
{
    int32_t today = deadline_local_date(now_us);
    return today % 10000 >= 1201 && !deadline_calendar_has_year(cal, today / 10000 + 1);
}

static void s_check_next_year(expiry_scan_t *self, int64_t now_us)
{
    bool missing = expiry_scan_next_year_missing(self->ctx->cal, now_us);
    if (self->missing_gauge)
        *self->missing_gauge = missing ? 1.0 : 0.0;
    int32_t today = deadline_local_date(now_us);
    if (missing && self->warned_on != today) {
        char year[8];
        snprintf(year, sizeof year, "%d", today / 10000 + 1);
        ow_log_kv(OW_LOG_WARN,
                  "next year's working-day calendar is not loaded: limits running into it are "
                  "computed on weekdays and flagged; load it (owctl calendar load FILE)",
                  "year", year, NULL);
        self->warned_on = today;
    }
}

/* Runs one kind in batches; returns events queued or -1. */
static int s_drain(expiry_scan_t *self, int64_t now_us, bool timers)
{
    int total = 0;
    for (int i = 0; i < S_BATCHES_MAX; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        int claimed = 0;
        int n = timers ? timers_fire_due(self->ctx->db, now_us, S_BATCH, &err)
                       : clocks_fire_cards(self->ctx, now_us, S_BATCH, &claimed, &err);
        if (n < 0) {
            if (!self->failing)
                ow_log_kv(OW_LOG_WARN, "expiry scan failed; retrying every tick", "code",
                          ow_status_name(err.code), "error", err.message, NULL);
            self->failing = true;
            return total ? total : -1;
        }
        if (self->failing) {
            self->failing = false;
            ow_log_kv(OW_LOG_INFO, "expiry scan working again", NULL);
        }
        total += n;
        /* A clock batch may raise two cards per clock: what decides is how many were claimed. */
        if ((timers ? n : claimed) < S_BATCH)
            break;
    }
    return total;
}

int expiry_scan_run(expiry_scan_t *self, int64_t now_us)
{
    /* Single-threaded: a transaction still open here belongs to someone else's unfinished
     * step; the next tick comes soon. */
    if (ow_db_in_transaction(self->ctx->db))
        return 0;
    ow_error_t err;
    ow_error_clear(&err);
    if (calendar_store_reload(self->ctx, &err) < 0 && !self->failing)
        ow_log_kv(OW_LOG_WARN, "calendar reload failed; keeping the one in force", "error",
                  err.message, NULL);
    s_check_next_year(self, now_us);
    int timers = s_drain(self, now_us, true);
    int clocks = s_drain(self, now_us, false);
    if (timers < 0 && clocks < 0)
        return -1;
    int total = (timers > 0 ? timers : 0) + (clocks > 0 ? clocks : 0);
    if (total > 0) {
        char t[16], c[16];
        snprintf(t, sizeof t, "%d", timers > 0 ? timers : 0);
        snprintf(c, sizeof c, "%d", clocks > 0 ? clocks : 0);
        ow_log_kv(OW_LOG_INFO, "scan fired timers and cards", "timers", t, "cards", c, NULL);
        if (self->ctx->relay)
            ow_relay_kick(self->ctx->relay);
    }
    return total;
}
