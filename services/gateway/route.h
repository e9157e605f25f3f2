/* route — the request target of an API call: which endpoint of a table a method and path
 * name, the path parameter it carries ({case_no}, {task_id}), and the query parameters.
 *
 * The table is data (endpoints.c: one row per endpoint with its handler and the roles it
 * admits); matching is plain functions over strings (no evhttp), so every path the API
 * answers, and every one it refuses, is tested directly. */
#ifndef GATEWAY_ROUTE_H
#define GATEWAY_ROUTE_H

#include <stddef.h>
#include <jansson.h>
#include "access.h"
#include "ow_status.h"

/* Longest path parameter (case numbers are 47 at most, see OW_CASE_NO_MAX). */
#define ROUTE_PARAM_MAX 64
/* Longest query string we decode; evhttp's 8 KiB header limit is the outer bound. */
#define ROUTE_QUERY_MAX 4096

typedef struct api api_t;
typedef struct exchange exchange_t;

/* Answers one request (exactly one exchange_reply_* call, now or later). param is the
 * decoded path parameter ("" when none); who is the authenticated caller (NULL only on a
 * public endpoint); both are valid during the call only. */
typedef void(route_handler_fn)(api_t *api, exchange_t *ex, const char *param,
                               const access_principal_t *who);

typedef struct {
    const char *method;     /* "GET", "POST" */
    const char *pattern;    /* segments after "/v1/"; "*" is the path parameter */
    const char *name;       /* "GET /v1/cases/{case_no}": metrics label and OpenAPI path */
    const char *param_name; /* for error messages; NULL without a parameter */
    unsigned roles;         /* access_role_t bits admitted; ACCESS_PUBLIC = no token */
    route_handler_fn *handler;
} route_def_t;

typedef struct {
    const route_def_t *def;          /* NULL when nothing matched */
    const char *name;                /* def->name, or "unmatched"; static */
    char allow[32];                  /* on 405: the methods the path accepts ("GET, POST") */
    char param[ROUTE_PARAM_MAX + 1]; /* the decoded path parameter, "" when none */
} route_t;

/* Matches method ("GET", "POST", …) and the raw, still percent-encoded path (no query)
 * against the count rows of table. Returns 0 and fills *out when an endpoint matches.
 * Otherwise returns the HTTP status to answer and fills err: 404 (no such path), 405 (the
 * path exists for other methods: out->allow says which), 400 (the path parameter is
 * malformed: err names it). A trailing slash is a different path (404), as in the contract. */
int route_match(const route_def_t *table, size_t count, const char *method, const char *path,
                route_t *out, ow_error_t *err);

/* Decodes a query string ("assignee=S01&state=open", may be NULL or "") into a new JSON
 * object of string values (caller json_decref()s): '+' is a space, %XX an octet. Refuses
 * with err INVALID_ARGUMENT (returning NULL): a query over ROUTE_QUERY_MAX bytes, a broken
 * %-escape, a NUL or invalid UTF-8 after decoding, a repeated parameter, an empty name. */
json_t *route_parse_query(const char *query, ow_error_t *err);

#endif
