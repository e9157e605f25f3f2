#include "queue_ticket.h"

#include <string.h>

static const char *const s_names[] = {
    [INTAKE_TICKET_WAITING] = "waiting", [INTAKE_TICKET_CALLED] = "called",
    [INTAKE_TICKET_MISSED] = "missed",   [INTAKE_TICKET_SERVING] = "serving",
    [INTAKE_TICKET_DONE] = "done",       [INTAKE_TICKET_VOID] = "void",
};

const char *intake_ticket_state_name(intake_ticket_state_t state)
{
    if (state < INTAKE_TICKET_WAITING || state > INTAKE_TICKET_VOID)
        return NULL;
    return s_names[state];
}

int intake_ticket_state_parse(const char *name)
{
    for (int s = INTAKE_TICKET_WAITING; name && s <= INTAKE_TICKET_VOID; s++)
        if (strcmp(s_names[s], name) == 0)
            return s;
    return -1;
}

bool intake_ticket_can_move(intake_ticket_state_t from, intake_ticket_state_t to)
{
    switch (from) {
    case INTAKE_TICKET_WAITING:
        return to == INTAKE_TICKET_CALLED || to == INTAKE_TICKET_VOID;
    case INTAKE_TICKET_CALLED:
        return to == INTAKE_TICKET_SERVING || to == INTAKE_TICKET_MISSED;
    case INTAKE_TICKET_MISSED:
        return to == INTAKE_TICKET_WAITING || to == INTAKE_TICKET_VOID;
    case INTAKE_TICKET_SERVING:
        return to == INTAKE_TICKET_DONE;
    default:
        return false;
    }
}

bool intake_ticket_may_requeue(const intake_ticket_t *t, int max_requeues)
{
    return t->state == INTAKE_TICKET_MISSED && t->requeues < max_requeues;
}

/* Rank: 0 love, 1 booked within its slot, 2 everyone else; lower goes first. */
static int s_rank(const intake_ticket_t *t, int64_t now_us)
{
    if (t->love)
        return 0;
    if (t->booked && now_us >= t->slot_start_us && now_us < t->slot_end_us)
        return 1;
    return 2;
}

/* The ticket's place in the queue: a requeue sends it to the back. */
static int64_t s_place(const intake_ticket_t *t)
{
    return t->requeued_at_us ? t->requeued_at_us : t->taken_at_us;
}

long intake_ticket_next(const intake_ticket_t *tickets, size_t n, int64_t now_us)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const intake_ticket_t *t = &tickets[i];
        if (t->state != INTAKE_TICKET_WAITING)
            continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        const intake_ticket_t *b = &tickets[best];
        int rt = s_rank(t, now_us), rb = s_rank(b, now_us);
        if (rt < rb || (rt == rb && s_place(t) < s_place(b)))
            best = (long)i;
    }
    return best;
}
