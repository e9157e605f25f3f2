/* clock_requests — the requests deadlined serves on its ROUTER socket (docs/contract.md):
 * deadline.get_clock. The handler only decodes, asks clocks, and encodes. */
#ifndef DEADLINE_CLOCK_REQUESTS_H
#define DEADLINE_CLOCK_REQUESTS_H

#include "ow_rpc.h"

/* ow_rpc_handler_fn for deadline.get_clock; arg is the deadline_context_t. Payload GetClock,
 * reply CaseClockReply with the remaining working days as of now. INVALID_ARGUMENT for a
 * payload that does not decode or an empty or over-long case number; NOT_FOUND when the case
 * has no clock; UNAVAILABLE/INTERNAL on a database error. Always answers exactly once. */
void clock_requests_get_clock(ow_rpc_call_t *call, void *arg);

#endif
