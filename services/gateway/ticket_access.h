/* ticket_access — whether a principal may see or act on a bad review's rectification ticket
 * (evaluationd's, DOMAIN.md §6): the ticket belongs to the centre of its case, and a
 * centre-scoped token reaches only the tickets of the centres it covers, as for the cases
 * themselves (access_may_touch_case: a clerk its own centre, a supervisor its centre and those
 * below, an administrator everything). evaluationd still decides who may take which step by its
 * staff_roles; this is the gateway's part, the centre. */
#ifndef GATEWAY_TICKET_ACCESS_H
#define GATEWAY_TICKET_ACCESS_H

#include "api_internal.h"

/* Runs next(self, ex, arg) once evaluationd answers that ticket_id exists and its centre is
 * one who may touch; otherwise answers 403 (another centre's ticket: nothing is asked of it),
 * or evaluationd's own refusal (404 unknown, 403 no rectification role, 400 a bad id), and
 * calls release(arg) (may be NULL). who is copied. */
void ticket_access_check(api_t *self, exchange_t *ex, const access_principal_t *who,
                         const char *ticket_id, api_case_next_fn *next, void (*release)(void *),
                         void *arg);

#endif
