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

/* What one batch fired, and whether more may be due. */
typedef struct {
    int timers, cards;
    bool more;
} s_fired_t;

/* True when the timer (due_us) or card (at_us, clock_id) may fire in this batch: it comes no
 * later than anything a full side left unclaimed. At one instant timers fire before cards,
 * cards by clock id. */
static bool s_timer_in_batch(const clocks_batch_t *cards, bool cards_full, int64_t due_us)
{
    return !cards_full || due_us <= cards->last_fire_us;
}

static bool s_card_in_batch(const clocks_batch_t *cards, bool cards_full, bool timers_full,
                            int64_t last_timer_us, const clocks_card_t *card)
{
    if (timers_full && card->at_us >= last_timer_us)
        return false;
    return !cards_full || card->at_us < cards->last_fire_us ||
           (card->at_us == cards->last_fire_us && card->clock_id <= cards->last_clock_id);
}

/* One transaction: claims due timers and clocks (FOR UPDATE SKIP LOCKED) and fires them in one
 * order across both kinds — due time, timers before cards, then key — up to the first thing
 * a full side may have left behind; the rest stays due for the next batch. Every fired timer
 * and card changes state in the transaction that queues its event: each fires once. */
static int s_fire_batch(expiry_scan_t *self, int64_t now_us, s_fired_t *fired, ow_error_t *err)
{
    ow_db_t *db = self->ctx->db;
    int rc = -1, ntimers = 0;
    Onewindow__V1__Timer **timers = NULL;
    clocks_batch_t cards = {0};
    *fired = (s_fired_t){0};
    if (ow_db_begin(db, err) != 0)
        return -1;
    if (timers_claim_due(db, now_us, S_BATCH, &timers, &ntimers, err) != 0 ||
        clocks_claim_cards(self->ctx, now_us, S_BATCH, &cards, err) != 0)
        goto cleanup;
    bool timers_full = ntimers == S_BATCH, cards_full = cards.n == S_BATCH;
    int64_t last_timer_us = ntimers ? timers[ntimers - 1]->due_at_us : 0;
    int t = 0, c = 0;
    for (;;) {
        bool timer_next =
            t < ntimers && (c == cards.ncards || timers[t]->due_at_us <= cards.cards[c].at_us);
        if (timer_next && s_timer_in_batch(&cards, cards_full, timers[t]->due_at_us)) {
            if (timers_queue_fired(db, timers[t], now_us, err) != 0)
                goto cleanup;
            t++;
        } else if (!timer_next && c < cards.ncards &&
                   s_card_in_batch(&cards, cards_full, timers_full, last_timer_us,
                                   &cards.cards[c])) {
            if (clocks_raise_card(self->ctx, &cards, &cards.cards[c], now_us, err) != 0)
                goto cleanup;
            c++;
        } else
            break; /* all fired, or the rest comes after what a full side left unclaimed */
    }
    if (timers_mark_fired(db, timers, t, now_us, err) != 0 ||
        clocks_store_cards(self->ctx, &cards, now_us, err) != 0 || ow_db_commit(db, err) != 0)
        goto cleanup;
    *fired = (s_fired_t){t, c, timers_full || cards_full};
    rc = 0;
cleanup:
    timers_free_all(&timers, ntimers);
    clocks_batch_free(&cards);
    if (rc < 0 && ow_db_in_transaction(db))
        ow_db_rollback(db);
    return rc;
}

/* Fires in batches until nothing due is left or S_BATCHES_MAX ran; adds to *timers and
 * *cards. Returns 0, or -1 when the database failed before anything fired. */
static int s_drain(expiry_scan_t *self, int64_t now_us, int *timers, int *cards)
{
    for (int i = 0; i < S_BATCHES_MAX; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        s_fired_t fired;
        if (s_fire_batch(self, now_us, &fired, &err) != 0) {
            if (!self->failing)
                ow_log_kv(OW_LOG_WARN, "expiry scan failed; retrying every tick", "code",
                          ow_status_name(err.code), "error", err.message, NULL);
            self->failing = true;
            return *timers + *cards ? 0 : -1;
        }
        if (self->failing) {
            self->failing = false;
            ow_log_kv(OW_LOG_INFO, "expiry scan working again", NULL);
        }
        *timers += fired.timers;
        *cards += fired.cards;
        if (!fired.more)
            break;
    }
    return 0;
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
    int timers = 0, clocks = 0;
    if (s_drain(self, now_us, &timers, &clocks) != 0)
        return -1;
    int total = timers + clocks;
    if (total > 0) {
        char t[16], c[16];
        snprintf(t, sizeof t, "%d", timers);
        snprintf(c, sizeof c, "%d", clocks);
        ow_log_kv(OW_LOG_INFO, "scan fired timers and cards", "timers", t, "cards", c, NULL);
        if (self->ctx->relay)
            ow_relay_kick(self->ctx->relay);
    }
    return total;
}
