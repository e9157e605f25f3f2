#include "rate_limit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KEY_MAX 48
#define S_PROBE   8

typedef struct {
    char key[S_KEY_MAX];
    double tokens;
    int64_t last_us;
} s_bucket_t;

struct rate_limit {
    double rate;
    double burst;
    s_bucket_t slots[RATE_LIMIT_SLOTS];
};

rate_limit_t *rate_limit_new(double rate, double burst)
{
    rate_limit_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->rate = rate > 0 ? rate : 1;
    self->burst = burst >= 1 ? burst : 1;
    return self;
}

void rate_limit_destroy(rate_limit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static uint32_t s_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int rate_limit_take(rate_limit_t *self, const char *key, int64_t now_us)
{
    uint32_t start = s_hash(key) % RATE_LIMIT_SLOTS;
    s_bucket_t *b = NULL;
    s_bucket_t *oldest = NULL;

    for (int i = 0; i < S_PROBE; i++) {
        s_bucket_t *s = &self->slots[(start + (uint32_t)i) % RATE_LIMIT_SLOTS];
        if (s->key[0] && strncmp(s->key, key, S_KEY_MAX - 1) == 0) {
            b = s;
            break;
        }
        if (!oldest || !s->key[0] || (oldest->key[0] && s->last_us < oldest->last_us))
            oldest = s;
    }
    if (!b) {
        b = oldest;
        snprintf(b->key, sizeof b->key, "%s", key);
        b->tokens = self->burst;
        b->last_us = now_us;
    }
    if (now_us > b->last_us) {
        b->tokens += (double)(now_us - b->last_us) / 1e6 * self->rate;
        if (b->tokens > self->burst)
            b->tokens = self->burst;
        b->last_us = now_us;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    int wait = (int)ceil((1.0 - b->tokens) / self->rate);
    return wait < 1 ? 1 : wait;
}
