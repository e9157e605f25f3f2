/* admin_clock — the test clock in the HTTP API (POST and GET /v1/admin/clock).
 *
 * System time = real time + offset (ow_clock.h). An administrator moves it forward by
 * {"advance_seconds":N} or to {"set":"RFC 3339 time"}; never backwards, because every daemon
 * has already acted on the time it saw (a clock that started, a warning that fired). The
 * gateway emits clock.advanced with the new offset and every daemon applies it. Plain
 * functions: no evhttp, no database. */
#ifndef GATEWAY_ADMIN_CLOCK_H
#define GATEWAY_ADMIN_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_status.h"

/* The furthest one request may move the clock: 100 years, far beyond any legal time limit,
 * and far from overflowing microseconds in 64 bits. */
#define ADMIN_CLOCK_ADVANCE_MAX_S (100LL * 366 * 24 * 3600)

/* Computes the new offset from a POST body, given the real time now and the offset in force.
 * Exactly one of advance_seconds (an integer, 0 to ADMIN_CLOCK_ADVANCE_MAX_S) or set (an
 * RFC 3339 time not before the current system time; the offset is rounded up to whole
 * seconds) must be given. Violations already in err
 * count: on any problem returns -1 with err INVALID_ARGUMENT naming the field (moving time
 * backwards is such a problem); else 0 and *new_offset_us. */
int admin_clock_decode(const json_t *body, int64_t real_now_us, int64_t current_offset_us,
                       int64_t *new_offset_us, ow_error_t *err);

/* {"now": RFC 3339, "offset_seconds": N} for a system time and offset (N is an integer when
 * the offset is whole seconds, else a fraction). New reference; NULL when out of memory. */
json_t *admin_clock_json(int64_t now_us, int64_t offset_us);

/* Packs the clock.advanced payload (ClockAdvanced) into *out (caller frees). */
int admin_clock_pack_advanced(int64_t offset_us, const char *set_by, uint8_t **out, size_t *out_len,
                              ow_error_t *err);

/* Packs a "_clock"-style ClockReply (now, offset, test clock on) into *out (caller frees):
 * the answer the gateway stores under the request's idempotency key. */
int admin_clock_pack_reply(int64_t now_us, int64_t offset_us, uint8_t **out, size_t *out_len,
                           ow_error_t *err);

/* A packed ClockReply (a daemon's "_clock" answer, or a stored one) as admin_clock_json.
 * NULL with err INTERNAL when the bytes are not a ClockReply. */
json_t *admin_clock_reply_json(const uint8_t *payload, size_t len, ow_error_t *err);

/* A stored idempotent answer (a packed onewindow.v1.Reply whose payload is a ClockReply) as
 * admin_clock_json. NULL with err INTERNAL when it does not decode. */
json_t *admin_clock_stored_reply_json(const uint8_t *reply, size_t len, ow_error_t *err);

#endif
