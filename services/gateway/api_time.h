/* api_time — times in the HTTP API: RFC 3339 in China time ("2026-11-22T21:00:00+08:00"),
 * and null for a time that has not happened (0 µs in the protobuf messages). */
#ifndef GATEWAY_API_TIME_H
#define GATEWAY_API_TIME_H

#include <stdint.h>
#include <jansson.h>

/* A new JSON string for time_us, or JSON null when time_us is 0. NULL only when out of
 * memory. */
json_t *api_time_json(int64_t time_us);

#endif
