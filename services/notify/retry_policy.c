/* retry_policy — see retry_policy.h. */
#include "retry_policy.h"

bool retry_policy_gives_up(const retry_policy_t *p, int attempts)
{
    return attempts >= p->max_attempts;
}

int64_t retry_policy_delay_us(const retry_policy_t *p, int attempts, double draw)
{
    int64_t backoff = p->base_delay_us > 0 ? p->base_delay_us : 0;
    /* Doubling stops at the ceiling, so no shift overflows however many attempts. */
    for (int i = 1; i < attempts && backoff < p->max_delay_us; i++)
        backoff *= 2;
    if (backoff > p->max_delay_us)
        backoff = p->max_delay_us;
    if (draw < 0)
        draw = 0;
    if (draw >= 1)
        draw = 0.999999;
    return backoff / 2 + (int64_t)((double)(backoff - backoff / 2) * draw);
}
