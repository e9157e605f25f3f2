/* retry_policy — when a failed delivery is tried again, and when it is given up (DOMAIN.md
 * §8: "a failed delivery is retried, and one that keeps failing is parked for an operator,
 * never dropped"). Exponential back-off with jitter: the n-th failure waits
 * min(base · 2^(n-1), max) scaled into [1/2, 1] by a random draw, so receivers that came back
 * are not hit by every sender at the same instant ("equal jitter"). Pure: the caller supplies
 * the random draw. */
#ifndef NOTIFY_RETRY_POLICY_H
#define NOTIFY_RETRY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int max_attempts; /* attempts in all, the first included; ≥ 1 (config notify.max_attempts) */
    int64_t base_delay_us; /* wait after the first failure (notify.retry_base_ms) */
    int64_t max_delay_us;  /* ceiling of any wait (notify.retry_max_ms) */
} retry_policy_t;

/* True when a delivery that has failed `attempts` times (≥ 1) is to be given up: parked as a
 * dead letter. */
bool retry_policy_gives_up(const retry_policy_t *p, int attempts);

/* The wait before the next attempt after `attempts` failures (≥ 1), with jitter drawn from
 * `draw` in [0, 1): between half the back-off and the whole of it. Never negative, never
 * above max_delay_us. */
int64_t retry_policy_delay_us(const retry_policy_t *p, int attempts, double draw);

#endif
