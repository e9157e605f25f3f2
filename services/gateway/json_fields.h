/* json_fields — strict, bounded reading of JSON request bodies and query parameters.
 *
 * Every reader names the field it checks by its full path ("applicant.id_number",
 * "materials[2]") and adds a violation to err instead of stopping, so a client learns every
 * problem of a request at once. Strings are bounded in characters (UTF-8 code points: a
 * Chinese name is as long as it looks), numbers must be integers in range: a value that does
 * not fit the protobuf field never reaches it. No evhttp here: these are plain functions. */
#ifndef GATEWAY_JSON_FIELDS_H
#define GATEWAY_JSON_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_status.h"

/* Longest field path we build ("applicant.id_number", "materials[99]"). */
#define JSON_FIELDS_PATH_MAX 64

/* Parses a request body of len bytes. Duplicate keys are refused (which one would win is
 * ambiguous), as are NUL characters and invalid UTF-8 (jansson checks). Returns the object
 * (caller json_decref()s) or NULL with err INVALID_ARGUMENT naming the line and column of
 * the first syntax error, or saying the body is not a JSON object. */
json_t *json_fields_parse_object(const char *text, size_t len, ow_error_t *err);

/* Adds a violation "unknown field" for every member of obj whose name is not in allowed
 * (a NULL-terminated list). prefix ("applicant.", or "" at top level) starts each path.
 * Unknown fields are refused rather than ignored so that a typo ("item_cod") is an error
 * the client sees, not a field silently missing. */
void json_fields_reject_unknown(const json_t *obj, const char *prefix, const char *const *allowed,
                                ow_error_t *err);

/* Member `name` of obj as a string of at most max_chars characters. Absent or null: when
 * required adds "is required" and returns NULL, else returns "". An empty string counts as
 * absent for a required field. A value of another type, or a longer one, adds a violation
 * and returns NULL. The returned string is owned by obj. */
const char *json_fields_string(const json_t *obj, const char *prefix, const char *name,
                               size_t max_chars, bool required, ow_error_t *err);

/* Member `name` of obj as an integer in [min, max]. Returns 1 and sets *out when present
 * and valid, 0 when absent or null (a violation when required), -1 after adding a violation
 * (not an integer — 5.0 and "5" are refused — or out of range). */
int json_fields_int(const json_t *obj, const char *prefix, const char *name, int64_t min,
                    int64_t max, bool required, int64_t *out, ow_error_t *err);

/* Checks that the string value itself (not a member) has at most max_chars characters and is
 * not empty; adds a violation naming path otherwise. Returns the string or NULL. */
const char *json_fields_string_value(const json_t *value, const char *path, size_t max_chars,
                                     ow_error_t *err);

/* Number of UTF-8 code points in s (s is valid UTF-8, as jansson guarantees). */
size_t json_fields_utf8_length(const char *s);

/* True when s is valid UTF-8 (RFC 3629: no overlong forms, no surrogates). */
bool json_fields_utf8_valid(const char *s);

/* A JSON string of s, which may be invalid UTF-8 (a message cut at a buffer's end, bytes
 * from a peer): each byte that does not start a valid sequence becomes U+FFFD. Returns a new
 * reference, NULL only when out of memory (json_pack's "o" then fails cleanly). */
json_t *json_fields_text(const char *s);

/* Adds "<name>" to prefix in out (JSON_FIELDS_PATH_MAX bytes), truncating when too long. */
void json_fields_path(char *out, const char *prefix, const char *name);

#endif
