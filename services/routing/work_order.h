/* work_order — the order of a work list (DOMAIN.md §4): green-channel cases (绿色通道) first,
 * then love-channel cases (爱心通道), then the earliest due; ties by created time, then task
 * id, so the order is total and pages are stable. No I/O; the SQL of the lists
 * (task_store.c) orders the same way, and the unit test holds both to this definition. */
#ifndef ROUTING_WORK_ORDER_H
#define ROUTING_WORK_ORDER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    ROUTING_LANE_NORMAL = 0,
    ROUTING_LANE_LOVE = 1,  /* 爱心通道 */
    ROUTING_LANE_GREEN = 2, /* 绿色通道 */
} routing_lane_t;

typedef struct {
    routing_lane_t lane;
    int64_t due_us; /* 0 = no due time known: after every task that has one */
    int64_t created_us;
    const char *task_id;
} routing_work_key_t;

/* The lane of a case from intake's flags (CaseSummary green_lane, love_lane): a case in both
 * goes by the green channel, the faster of the two (DOMAIN §4). */
routing_lane_t routing_lane_of(bool green_lane, bool love_lane);

/* "normal", "love", "green". */
const char *routing_lane_name(routing_lane_t lane);

/* Parses a lane name; "" is normal. Returns false for anything else. */
bool routing_lane_parse(const char *name, routing_lane_t *out);

/* <0 when a comes first, >0 when b does, 0 only for the same task. */
int routing_work_compare(const routing_work_key_t *a, const routing_work_key_t *b);

#endif
