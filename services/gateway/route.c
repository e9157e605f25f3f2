#include "route.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fields.h"
#include "ow_text.h"

/* Percent-decodes in[0..len) into out (out_size bytes, NUL-terminated). plus_is_space for
 * query strings (application/x-www-form-urlencoded). Returns the decoded length, or -1 for a
 * broken escape, an embedded NUL, or an output that does not fit. */
static long s_percent_decode(const char *in, size_t len, bool plus_is_space, char *out,
                             size_t out_size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (len - i < 3)
                return -1;
            int hi = ow_text_hex_digit(in[i + 1]);
            int lo = ow_text_hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
            if (c == '\0')
                return -1;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o + 1 >= out_size)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

/* A path parameter is an identifier we hand to a service: letters, digits, '-', '_', '.'.
 * Anything else cannot name a case or task, and refusing it here keeps odd bytes out of
 * logs and requests. */
static bool s_param_valid(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* Matches the segments of rest against pattern. On a match copies the raw "*" segment into
 * raw_param (raw_size bytes); a segment too long for it still matches but sets *too_long,
 * so the client hears that the parameter is malformed rather than that the path is unknown. */
static bool s_pattern_match(const char *pattern, const char *rest, char *raw_param, size_t raw_size,
                            bool *too_long)
{
    const char *p = pattern;
    const char *r = rest;
    raw_param[0] = '\0';
    *too_long = false;
    while (*p) {
        const char *p_end = strchr(p, '/');
        size_t p_len = p_end ? (size_t)(p_end - p) : strlen(p);
        const char *r_end = strchr(r, '/');
        size_t r_len = r_end ? (size_t)(r_end - r) : strlen(r);
        if (p_len == 1 && p[0] == '*') {
            if (r_len == 0)
                return false;
            if (r_len >= raw_size) {
                *too_long = true;
            } else {
                memcpy(raw_param, r, r_len);
                raw_param[r_len] = '\0';
            }
        } else if (p_len != r_len || memcmp(p, r, p_len) != 0) {
            return false;
        }
        p += p_len;
        r += r_len;
        if (*p == '/') {
            if (*r != '/')
                return false;
            p++;
            r++;
        } else if (*r != '\0') {
            return false; /* the path has more segments than the pattern */
        }
    }
    return *r == '\0';
}

int route_match(const route_def_t *table, size_t count, const char *method, const char *path,
                route_t *out, ow_error_t *err)
{
    static const char prefix[] = "/v1/";
    char raw[ROUTE_QUERY_MAX];
    const route_def_t *path_match = NULL;
    bool too_long = false;

    memset(out, 0, sizeof *out);
    out->name = "unmatched";
    ow_error_clear(err);

    if (!path || strncmp(path, prefix, sizeof prefix - 1) != 0)
        goto not_found;
    const char *rest = path + sizeof prefix - 1;

    for (size_t i = 0; i < count; i++) {
        const route_def_t *def = &table[i];
        if (!s_pattern_match(def->pattern, rest, raw, sizeof raw, &too_long))
            continue;
        if (strcmp(def->method, method) != 0) {
            /* Several endpoints may share a path (GET and POST /v1/admin/clock). */
            size_t n = strlen(out->allow);
            snprintf(out->allow + n, sizeof out->allow - n, "%s%s", n ? ", " : "", def->method);
            continue;
        }
        path_match = def;
        break;
    }
    if (!path_match) {
        if (out->allow[0]) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "method %s is not allowed here; use %s", method,
                         out->allow);
            return 405;
        }
        goto not_found;
    }

    out->def = path_match;
    out->name = path_match->name;
    out->allow[0] = '\0';
    if (path_match->param_name) {
        long n = too_long
                     ? -1
                     : s_percent_decode(raw, strlen(raw), false, out->param, sizeof out->param);
        if (n < 0 || !s_param_valid(out->param)) {
            out->param[0] = '\0';
            out->def = NULL;
            ow_error_add_violation(err, path_match->param_name,
                                   "must be 1 to %d letters, digits, '-', '_' or '.'",
                                   ROUTE_PARAM_MAX);
            ow_error_finish_violations(err);
            return 400;
        }
    }
    return 0;

not_found:
    ow_error_set(err, OW_NOT_FOUND, "no such resource: %s %.200s", method, path ? path : "");
    return 404;
}

json_t *route_parse_query(const char *query, ow_error_t *err)
{
    json_t *params = json_object();
    char *name = NULL;
    char *value = NULL;

    if (!params) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (!query || !*query)
        return params;
    size_t qlen = strlen(query);
    if (qlen > ROUTE_QUERY_MAX) {
        ow_error_add_violation(err, "query", "must be at most %d bytes", ROUTE_QUERY_MAX);
        goto fail;
    }
    name = malloc(qlen + 1);
    value = malloc(qlen + 1);
    if (!name || !value) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }

    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > 0) { /* "a=1&&b=2": an empty pair carries nothing */
            const char *eq = memchr(p, '=', plen);
            size_t nlen = eq ? (size_t)(eq - p) : plen;
            const char *v = eq ? eq + 1 : p + plen;
            size_t vlen = eq ? plen - nlen - 1 : 0;
            if (s_percent_decode(p, nlen, true, name, qlen + 1) < 0 ||
                s_percent_decode(v, vlen, true, value, qlen + 1) < 0) {
                ow_error_add_violation(err, "query", "has a broken %%-escape or an encoded NUL");
                goto fail;
            }
            if (!name[0]) {
                ow_error_add_violation(err, "query", "has a parameter without a name");
                goto fail;
            }
            if (!json_fields_utf8_valid(name) || !json_fields_utf8_valid(value)) {
                ow_error_add_violation(err, "query", "is not valid UTF-8 once decoded");
                goto fail;
            }
            if (json_object_get(params, name)) {
                char shown[40];
                snprintf(shown, sizeof shown, "%s", name);
                ow_error_add_violation(err, shown, "is given more than once");
                goto fail;
            }
            if (json_object_set_new(params, name, json_string(value)) != 0) {
                ow_error_set(err, OW_INTERNAL, "out of memory");
                goto fail;
            }
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    free(name);
    free(value);
    return params;
fail:
    free(name);
    free(value);
    json_decref(params);
    ow_error_finish_violations(err);
    return NULL;
}
