/* rate_limit — requests per token per second (issue 8, "Limits"): a token bucket per token
 * id, refilled at `rate` per second up to `burst`. A request that finds its bucket empty is
 * refused with how long to wait (the gateway answers 429 with Retry-After).
 *
 * In memory and per gateway: a limit to protect the services from one runaway client, not
 * an accounting. At most RATE_LIMIT_SLOTS tokens are tracked at once; past that the bucket
 * idle longest is forgotten (it was full anyway, or nearly). Plain functions: time is given
 * by the caller, so the tests need no clock. */
#ifndef GATEWAY_RATE_LIMIT_H
#define GATEWAY_RATE_LIMIT_H

#include <stdint.h>

#define RATE_LIMIT_SLOTS 1024

typedef struct rate_limit rate_limit_t;

/* rate per second (> 0) and burst (>= 1). Caller owns it; NULL when out of memory. */
rate_limit_t *rate_limit_new(double rate, double burst);

void rate_limit_destroy(rate_limit_t **self_p);

/* Takes one request for key at now_us. Returns 0 when admitted; otherwise the whole seconds
 * to wait (>= 1) before the next one would be. */
int rate_limit_take(rate_limit_t *self, const char *key, int64_t now_us);

#endif
