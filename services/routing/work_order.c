#include "work_order.h"

#include <string.h>

const char *routing_lane_name(routing_lane_t lane)
{
    switch (lane) {
    case ROUTING_LANE_GREEN:
        return "green";
    case ROUTING_LANE_LOVE:
        return "love";
    default:
        return "normal";
    }
}

bool routing_lane_parse(const char *name, routing_lane_t *out)
{
    if (!name || !*name || strcmp(name, "normal") == 0)
        *out = ROUTING_LANE_NORMAL;
    else if (strcmp(name, "love") == 0)
        *out = ROUTING_LANE_LOVE;
    else if (strcmp(name, "green") == 0)
        *out = ROUTING_LANE_GREEN;
    else
        return false;
    return true;
}

routing_lane_t routing_lane_of(bool green_lane, bool love_lane)
{
    return green_lane ? ROUTING_LANE_GREEN : love_lane ? ROUTING_LANE_LOVE : ROUTING_LANE_NORMAL;
}

static int s_cmp64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

int routing_work_compare(const routing_work_key_t *a, const routing_work_key_t *b)
{
    /* DOMAIN §4: green channel, love channel, then the earliest due. */
    if (a->lane != b->lane)
        return a->lane > b->lane ? -1 : 1;
    if (a->due_us != b->due_us) {
        if (a->due_us == 0)
            return 1;
        if (b->due_us == 0)
            return -1;
        return s_cmp64(a->due_us, b->due_us);
    }
    if (a->created_us != b->created_us)
        return s_cmp64(a->created_us, b->created_us);
    return strcmp(a->task_id ? a->task_id : "", b->task_id ? b->task_id : "");
}
