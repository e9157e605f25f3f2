/* sender — see sender.h. */
#include "sender.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliveries.h"
#include "ow_clock.h"
#include "ow_log.h"
#include "provincial_push.h"
#include "transfers.h"

/* Lease beyond the attempt's own time-out before a claimed delivery counts as abandoned. */
#define S_LEASE_MARGIN_US (5LL * 1000000)
#define S_CLAIM_MAX       500 /* rows per claiming statement */

/* One delivery on the wire. */
typedef struct s_flight {
    sender_t *owner;
    outbound_t *out;
    char delivery_id[37];
    char channel[16];
    int attempts; /* including this one */
    bool urgent;
    bool push; /* a provincial push: its own attempt budget */
    struct s_flight *prev, *next;
} s_flight_t;

struct sender {
    ow_loop_t *loop;
    ow_db_t *db;
    sender_config_t cfg;
    transfers_t *transfers;
    ow_timer_t *poll;  /* repeating: due retries, and recovery after errors */
    ow_timer_t *flush; /* one-shot: record outcomes, then claim more */
    bool flush_armed;
    s_flight_t *flights;
    delivery_outcome_t *pending; /* outcomes not yet recorded */
    size_t pending_count, pending_cap;
    sender_stats_t stats;
    bool db_failing;
};

static void s_arm_flush(sender_t *self, double seconds)
{
    if (!self->flush_armed) {
        ow_timer_arm(self->flush, seconds);
        self->flush_armed = true;
    }
}

void sender_kick(sender_t *self)
{
    if (self)
        s_arm_flush(self, 0);
}

sender_stats_t sender_stats(const sender_t *self)
{
    sender_stats_t s = self->stats;
    s.in_flight = transfers_running(self->transfers);
    return s;
}

/* Adds the outcome of one attempt to the batch to record. */
static void s_outcome(sender_t *self, const char *id, const char *channel, int attempts,
                      bool urgent, bool push, bool ok, const char *error)
{
    if (self->pending_count == self->pending_cap) {
        size_t cap = self->pending_cap ? self->pending_cap * 2 : 256;
        delivery_outcome_t *grown = realloc(self->pending, cap * sizeof *grown);
        if (!grown) {
            /* Not recorded: the lease runs out and the delivery is attempted again (at most
             * one repeat), which is what a crash here would do too. */
            ow_log_kv(OW_LOG_ERROR, "out of memory recording a delivery outcome", "delivery_id", id,
                      NULL);
            return;
        }
        self->pending = grown;
        self->pending_cap = cap;
    }
    delivery_outcome_t *o = &self->pending[self->pending_count++];
    memset(o, 0, sizeof *o);
    snprintf(o->delivery_id, sizeof o->delivery_id, "%s", id);
    int64_t now = ow_clock_now_us();
    /* Issue 6: the provincial push is "retried until accepted" — a far larger budget. */
    retry_policy_t policy = self->cfg.retry;
    if (push)
        policy.max_attempts = self->cfg.push_max_attempts;
    if (ok) {
        o->state = DELIVERY_SENT;
        o->next_attempt_at_us = now;
        self->stats.sent++;
    } else if (retry_policy_gives_up(&policy, attempts)) {
        o->state = DELIVERY_DEAD;
        o->next_attempt_at_us = now;
        self->stats.dead++;
    } else {
        o->state = DELIVERY_FAILED;
        int64_t next = now + retry_policy_delay_us(&self->cfg.retry, attempts, drand48());
        /* A retry of an SMS waits out the night like a first attempt would. */
        if (strcmp(channel, DELIVERY_CHANNEL_SMS) == 0)
            next = quiet_hours_next_allowed(&self->cfg.quiet, next, urgent);
        o->next_attempt_at_us = next;
        self->stats.failed++;
    }
    /* The error is stored and shown to operators: keep it printable. */
    snprintf(o->error, sizeof o->error, "%s", ok ? "" : error);
    for (char *p = o->error; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    s_arm_flush(self, 0);
}

static void s_unlink(sender_t *self, s_flight_t *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        self->flights = f->next;
    if (f->next)
        f->next->prev = f->prev;
}

static void s_on_done(CURL *easy, CURLcode result, long code, const char *error, void *arg)
{
    (void)easy;
    s_flight_t *f = arg;
    sender_t *self = f->owner;
    bool ok = outbound_succeeded(f->out, result, code);
    char why[256];
    if (ok)
        why[0] = '\0';
    else if (result != CURLE_OK)
        snprintf(why, sizeof why, "%s", error);
    else
        snprintf(why, sizeof why, "answered %ld", code);
    s_outcome(self, f->delivery_id, f->channel, f->attempts, f->urgent, f->push, ok, why);
    s_unlink(self, f);
    outbound_destroy(&f->out);
    free(f);
}

/* Claims what is due, up to the free slots, and starts it. */
static void s_pump(sender_t *self)
{
    if (ow_loop_stopping(self->loop) || ow_db_in_transaction(self->db))
        return;
    int free_slots = self->cfg.max_in_flight - transfers_running(self->transfers);
    while (free_slots > 0) {
        int want = free_slots < S_CLAIM_MAX ? free_slots : S_CLAIM_MAX;
        int64_t now = ow_clock_now_us();
        int64_t lease = (int64_t)self->cfg.outbound.timeout_ms * 1000 + S_LEASE_MARGIN_US;
        ow_error_t err;
        ow_error_clear(&err);
        PGresult *res = deliveries_claim_due(self->db, now, lease, want, &err);
        if (!res) {
            if (!self->db_failing)
                ow_log_kv(OW_LOG_ERROR, "cannot claim due deliveries; retrying", "error",
                          err.message, NULL);
            self->db_failing = true;
            return;
        }
        self->db_failing = false;
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            const char *id = PQgetvalue(res, i, DUE_COL_ID);
            const char *channel = PQgetvalue(res, i, DUE_COL_CHANNEL);
            int attempts = atoi(PQgetvalue(res, i, DUE_COL_ATTEMPTS));
            bool urgent = PQgetvalue(res, i, DUE_COL_URGENT)[0] == 't';
            const char *event_type = PQgetvalue(res, i, DUE_COL_EVENT_TYPE);
            bool subscribed = !PQgetisnull(res, i, DUE_COL_SECRET);
            bool push = strcmp(channel, DELIVERY_CHANNEL_WEBHOOK) == 0 &&
                        provincial_push_is_push(event_type, subscribed);
            self->stats.attempts++;
            outbound_message_t m = {
                .delivery_id = id,
                .channel = channel,
                .target = PQgetvalue(res, i, DUE_COL_TARGET),
                .subject = PQgetvalue(res, i, DUE_COL_SUBJECT),
                .text = PQgetvalue(res, i, DUE_COL_TEXT),
                .event_type = event_type,
                .secret = push         ? self->cfg.push_secret
                          : subscribed ? PQgetvalue(res, i, DUE_COL_SECRET)
                                       : NULL,
            };
            ow_error_t why;
            ow_error_clear(&why);
            s_flight_t *f = calloc(1, sizeof *f);
            if (!f) {
                s_outcome(self, id, channel, attempts, urgent, push, false, "out of memory");
                continue;
            }
            f->owner = self;
            f->attempts = attempts;
            f->urgent = urgent;
            f->push = push;
            snprintf(f->delivery_id, sizeof f->delivery_id, "%s", id);
            snprintf(f->channel, sizeof f->channel, "%s", channel);
            f->out = outbound_new(&self->cfg.outbound, &m, now / 1000000, &why);
            if (!f->out ||
                transfers_start(self->transfers, outbound_easy(f->out), s_on_done, f, &why) != 0) {
                /* Cannot even be attempted (channel off, subscription gone): counts as a
                 * failed attempt, so it ends as a dead letter an operator sees. */
                s_outcome(self, id, channel, attempts, urgent, push, false, why.message);
                outbound_destroy(&f->out);
                free(f);
                continue;
            }
            f->next = self->flights;
            if (self->flights)
                self->flights->prev = f;
            self->flights = f;
        }
        PQclear(res);
        if (n < want)
            break;
        free_slots -= n;
    }
}

/* Records the batch of outcomes; on failure keeps it for the next try. */
static void s_record(sender_t *self)
{
    if (self->pending_count == 0 || ow_db_in_transaction(self->db))
        return;
    ow_error_t err;
    ow_error_clear(&err);
    if (deliveries_record(self->db, self->pending, self->pending_count, ow_clock_now_us(), &err) !=
        0) {
        if (!self->db_failing)
            ow_log_kv(OW_LOG_ERROR, "cannot record delivery outcomes; retrying", "error",
                      err.message, NULL);
        self->db_failing = true;
        return;
    }
    self->pending_count = 0;
}

static void s_on_flush(void *arg)
{
    sender_t *self = arg;
    self->flush_armed = false;
    s_record(self);
    s_pump(self);
}

static void s_on_poll(void *arg)
{
    sender_t *self = arg;
    s_record(self);
    s_pump(self);
}

sender_t *sender_new(ow_loop_t *loop, ow_db_t *db, const sender_config_t *cfg, ow_error_t *err)
{
    sender_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->db = db;
    self->cfg = *cfg;
    if (self->cfg.max_in_flight < 1)
        self->cfg.max_in_flight = 1;
    self->transfers = transfers_new(ow_loop_base(loop), err);
    if (!self->transfers)
        goto fail;
    self->poll = ow_loop_timer(loop, cfg->poll_s > 0 ? cfg->poll_s : 0.5, true, s_on_poll, self);
    self->flush = ow_loop_timer(loop, -1, false, s_on_flush, self);
    if (!self->poll || !self->flush) {
        ow_error_set(err, OW_INTERNAL, "cannot create the sender's timers");
        goto fail;
    }
    srand48((long)ow_clock_mono_us());
    s_arm_flush(self, 0);
    return self;
fail:
    sender_destroy(&self);
    return NULL;
}

void sender_destroy(sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sender_t *self = *self_p;
    transfers_destroy(&self->transfers);
    while (self->flights) {
        s_flight_t *f = self->flights;
        self->flights = f->next;
        outbound_destroy(&f->out);
        free(f);
    }
    s_record(self);
    ow_timer_destroy(&self->poll);
    ow_timer_destroy(&self->flush);
    free(self->pending);
    free(self);
    *self_p = NULL;
}
