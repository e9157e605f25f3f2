#include "batch_memory.h"

#include <stdlib.h>
#include "ow_log.h"

#define S_DAYS_KNOWN   4    /* days whose counter is remembered: today, and a few around midnight */
#define S_REFUSALS_MAX 10   /* the back-off stops doubling here: 2^10 - 1 batches */
#define S_BACKOFF_MAX  1024 /* at most this many batches read after a run of refusals */

struct intake_batch_memory {
    intake_item_cache_t *items; /* current versions as last read, merged batch by batch */
    /* The case counter's last serial of days[i] is lasts[i], as this daemon's last committed
     * batch left it. */
    int days[S_DAYS_KNOWN];
    long lasts[S_DAYS_KNOWN];
    size_t n_days;
    unsigned skip;      /* batches left to read before predicting again */
    unsigned refusals;  /* refusals in a row: each doubles the back-off */
    uint64_t predicted; /* batches committed on the predicted path */
    uint64_t refused;   /* predicted batches refused (then read) */
};

intake_batch_memory_t *intake_batch_memory_new(void)
{
    intake_batch_memory_t *self = calloc(1, sizeof *self);
    if (self && !(self->items = intake_item_cache_new())) {
        free(self);
        self = NULL;
    }
    return self;
}

void intake_batch_memory_destroy(intake_batch_memory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_item_cache_destroy(&(*self_p)->items);
    free(*self_p);
    *self_p = NULL;
}

void intake_batch_memory_counts(const intake_batch_memory_t *self, uint64_t *predicted,
                                uint64_t *refused)
{
    *predicted = self ? self->predicted : 0;
    *refused = self ? self->refused : 0;
}

intake_item_cache_t *intake_batch_memory_items(intake_batch_memory_t *self)
{
    return self->items;
}

long intake_batch_memory_last(const intake_batch_memory_t *self, int day)
{
    for (size_t i = 0; i < self->n_days; i++)
        if (self->days[i] == day)
            return self->lasts[i];
    return -1;
}

bool intake_batch_memory_may_predict(intake_batch_memory_t *self)
{
    if (self->n_days == 0)
        return false;
    if (self->skip > 0) {
        self->skip--;
        return false;
    }
    return true;
}

void intake_batch_memory_learn(intake_batch_memory_t *self, const intake_serials_t *took)
{
    for (size_t t = 0; t < took->n; t++) {
        size_t i = 0;
        while (i < self->n_days && self->days[i] != took->days[t])
            i++;
        if (i == self->n_days) {
            if (self->n_days == S_DAYS_KNOWN) { /* the oldest day makes room */
                i = 0;
                for (size_t j = 1; j < self->n_days; j++)
                    if (self->days[j] < self->days[i])
                        i = j;
            } else {
                self->n_days++;
            }
        }
        self->days[i] = took->days[t];
        self->lasts[i] = took->lasts[t];
    }
}

void intake_batch_memory_forget_serials(intake_batch_memory_t *self)
{
    self->n_days = 0;
}

void intake_batch_memory_merge_items(intake_batch_memory_t *self, intake_item_cache_t *items)
{
    intake_item_cache_merge(self->items, items);
}

void intake_batch_memory_committed(intake_batch_memory_t *self)
{
    self->refusals = 0;
    self->predicted++;
}

void intake_batch_memory_refused(intake_batch_memory_t *self, const ow_error_t *err)
{
    intake_item_cache_t *fresh = intake_item_cache_new();
    if (fresh) {
        intake_item_cache_destroy(&self->items);
        self->items = fresh;
    }
    self->n_days = 0;
    self->refused++;
    if (self->refusals < S_REFUSALS_MAX)
        self->refusals++;
    self->skip = (1u << self->refusals) - 1;
    if (self->skip > S_BACKOFF_MAX)
        self->skip = S_BACKOFF_MAX;
    ow_log_kv(OW_LOG_INFO, "intake: a predicted batch was refused; reading instead", "error",
              err->message, NULL);
}
