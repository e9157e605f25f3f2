/* expiry_scan — see expiry_scan.h. */
#include "expiry_scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "clocks.h"
#include "ow_clock.h"
#include "ow_log.h"

/* Clocks expired per transaction: bounds the transaction, and the loop yields between ticks. */
#define S_BATCH 500
/* Batches per tick: a backlog (after downtime) drains over a few ticks, never stalling the
 * loop for long. */
#define S_BATCHES_MAX 20

struct expiry_scan {
    ow_db_t *db;
    ow_relay_t *relay;
    ow_timer_t *timer; /* owned by the loop until we destroy it */
    bool failing;      /* log a failing database once, not every second */
};

static void s_on_tick(void *arg)
{
    expiry_scan_t *self = arg;
    expiry_scan_run(self, ow_clock_now_us());
}

expiry_scan_t *expiry_scan_new(ow_loop_t *loop, ow_db_t *db, ow_relay_t *relay, double interval_s,
                               ow_error_t *err)
{
    expiry_scan_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    self->db = db;
    self->relay = relay;
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

int expiry_scan_run(expiry_scan_t *self, int64_t now_us)
{
    /* Single-threaded: a transaction still open here belongs to someone else's unfinished
     * step; the next tick comes soon. */
    if (ow_db_in_transaction(self->db))
        return 0;
    int total = 0;
    for (int i = 0; i < S_BATCHES_MAX; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        int n = clocks_expire_due(self->db, now_us, S_BATCH, &err);
        if (n < 0) {
            if (!self->failing)
                ow_log_kv(OW_LOG_WARN, "expiry scan failed; retrying every tick", "code",
                          ow_status_name(err.code), "error", err.message, NULL);
            self->failing = true;
            total = total ? total : -1;
            break;
        }
        if (self->failing) {
            self->failing = false;
            ow_log_kv(OW_LOG_INFO, "expiry scan working again", NULL);
        }
        total += n;
        if (n < S_BATCH)
            break;
    }
    if (total > 0) {
        char count[16];
        snprintf(count, sizeof count, "%d", total);
        ow_log_kv(OW_LOG_INFO, "clocks expired (red cards raised)", "count", count, NULL);
        if (self->relay)
            ow_relay_kick(self->relay);
    }
    return total;
}
