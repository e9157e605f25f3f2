/* pb_json — a protobuf-c message to and from JSON by its descriptor, so that exposing a
 * service's method over HTTP is a table row, not a hand-written mapper per message.
 *
 * The JSON shape follows the proto: a field's JSON name is its proto name, except that an
 * int64 field named "*_us" (a time in microseconds) is "*" and an RFC 3339 string (null for
 * 0), as in every hand-written resource of the API (CASE's received_at). bytes are base64;
 * repeated fields are arrays; nested messages objects.
 *
 * Decoding is strict and bounded, as json_fields: unknown fields, wrong types, integers that
 * do not fit, strings over PB_JSON_STRING_MAX characters, arrays over PB_JSON_ARRAY_MAX
 * entries and nesting deeper than PB_JSON_DEPTH_MAX are violations, every one named by its
 * full path ("application.applicant.phone", "defects[2].code"), all reported at once.
 * Query strings (every value a string) are decoded with PB_JSON_QUERY: numbers and booleans
 * are then read from their text, and only scalar fields are accepted.
 *
 * Plain functions: no evhttp, no ZeroMQ. */
#ifndef GATEWAY_PB_JSON_H
#define GATEWAY_PB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include "ow_status.h"

#define PB_JSON_STRING_MAX 4000 /* characters; a reason, a comment, a URL */
#define PB_JSON_ARRAY_MAX  1000
#define PB_JSON_DEPTH_MAX  8
#define PB_JSON_BYTES_MAX  (64 * 1024) /* decoded */

/* Decoding flags. */
#define PB_JSON_QUERY 1u /* values are the strings of a query (route_parse_query) */

/* A top-level string field the gateway sets itself (from the path, or the caller): it is
 * refused in the JSON like any unknown field and set to value. */
typedef struct {
    const char *field; /* proto field name */
    const char *value;
} pb_json_fixed_t;

/* Decodes obj (a JSON object) into a desc message and packs it into *out (caller frees) and
 * *out_len. fixed (terminated by a NULL field; NULL for none) is applied after decoding.
 * Violations already in err count: returns -1 with err INVALID_ARGUMENT listing every bad
 * field (nothing allocated), or INTERNAL when out of memory; 0 on success. */
int pb_json_pack(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                 const pb_json_fixed_t *fixed, unsigned flags, uint8_t **out, size_t *out_len,
                 ow_error_t *err);

/* The JSON object of msg (a new reference; NULL only when out of memory). */
json_t *pb_json_render(const ProtobufCMessage *msg);

/* Unpacks len bytes as a desc message and renders it; NULL with err INTERNAL naming service
 * when the bytes are not such a message. */
json_t *pb_json_render_packed(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                              size_t len, const char *service, ow_error_t *err);

#endif
