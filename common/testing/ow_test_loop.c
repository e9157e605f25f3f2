/* ow_test_loop — see ow_test_loop.h. */
#include "ow_test_loop.h"

#include <stdint.h>
#include <event2/event.h>

#include "ow_clock.h"

typedef struct {
    bool (*pred)(void *arg);
    void *arg;
    int64_t deadline;
    bool met;
    struct event_base *base;
} s_wait_t;

static void s_wait_tick(void *arg)
{
    s_wait_t *w = arg;
    if (w->pred && w->pred(w->arg)) {
        w->met = true;
        event_base_loopbreak(w->base);
    } else if (ow_clock_mono_us() >= w->deadline) {
        event_base_loopbreak(w->base);
    }
}

bool ow_test_loop_until(ow_loop_t *loop, bool (*pred)(void *arg), void *arg, double timeout_s)
{
    s_wait_t w = {.pred = pred,
                  .arg = arg,
                  .deadline = ow_clock_mono_us() + (int64_t)(timeout_s * 1e6),
                  .base = ow_loop_base(loop)};
    ow_timer_t *t = ow_loop_timer(loop, 0.01, true, s_wait_tick, &w);
    event_base_dispatch(ow_loop_base(loop));
    ow_timer_destroy(&t);
    return w.met;
}
