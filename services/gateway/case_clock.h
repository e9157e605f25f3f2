/* case_clock — a case's legal clock (deadlined's Clock) as the CLOCK object of the HTTP API:
 * {"state","started_at","due_at","limit","unit","stopped_at","remaining_working_days"}.
 * Not to be confused with admin_clock (the test clock every daemon shares). */
#ifndef GATEWAY_CASE_CLOCK_H
#define GATEWAY_CASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_status.h"

/* A packed CaseClockReply (from deadline.get_clock) as CLOCK. Returns a new object, or
 * NULL with err INTERNAL when the bytes are not a CaseClockReply with a clock. */
json_t *case_clock_reply_json(const uint8_t *payload, size_t len, ow_error_t *err);

/* Packs GetClock{case_no} into *out (caller frees). Returns -1 with err when out of memory. */
int case_clock_pack_get(const char *case_no, uint8_t **out, size_t *out_len, ow_error_t *err);

#endif
