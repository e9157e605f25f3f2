/* route — the request target of an API call: which operation a method and path name, the
 * path parameter it carries ({case_no}, {task_id}), and the query parameters.
 *
 * Plain functions over strings (no evhttp), so every path the API answers, and every one it
 * refuses, is tested directly. */
#ifndef GATEWAY_ROUTE_H
#define GATEWAY_ROUTE_H

#include <jansson.h>
#include "ow_status.h"

/* Longest path parameter (case numbers are 47 at most, see OW_CASE_NO_MAX). */
#define ROUTE_PARAM_MAX 64
/* Longest query string we decode; evhttp's 8 KiB header limit is the outer bound. */
#define ROUTE_QUERY_MAX 4096

typedef enum {
    ROUTE_NONE = 0,
    ROUTE_SUBMIT_APPLICATION, /* POST /v1/applications */
    ROUTE_GET_CASE,           /* GET  /v1/cases/{case_no} */
    ROUTE_LIST_TASKS,         /* GET  /v1/tasks */
    ROUTE_DECIDE_TASK,        /* POST /v1/tasks/{task_id}/decision */
    ROUTE_RATE_CASE,          /* POST /v1/ratings */
    ROUTE_SET_CLOCK,          /* POST /v1/admin/clock */
    ROUTE_GET_CLOCK,          /* GET  /v1/admin/clock */
} route_id_t;

typedef struct {
    route_id_t id;
    const char *name;  /* "GET /v1/cases/{case_no}": a metrics label; static; "unmatched"
                          when nothing matched */
    const char *allow; /* on 405: the methods the path accepts ("GET" or "POST"); static */
    char param[ROUTE_PARAM_MAX + 1]; /* the decoded path parameter, "" when none */
} route_t;

/* Matches method ("GET", "POST", …) and the raw, still percent-encoded path (no query).
 * Returns 0 and fills *out when an operation matches. Otherwise returns the HTTP status to
 * answer and fills err: 404 (no such path), 405 (the path exists for other methods:
 * out->allow says which), 400 (the path parameter is malformed: err names it). A trailing
 * slash is a different path (404), as in the contract. */
int route_match(const char *method, const char *path, route_t *out, ow_error_t *err);

/* Decodes a query string ("assignee=S01&state=open", may be NULL or "") into a new JSON
 * object of string values (caller json_decref()s): '+' is a space, %XX an octet. Refuses
 * with err INVALID_ARGUMENT (returning NULL): a query over ROUTE_QUERY_MAX bytes, a broken
 * %-escape, a NUL or invalid UTF-8 after decoding, a repeated parameter, an empty name. */
json_t *route_parse_query(const char *query, ow_error_t *err);

#endif
