/* requests — the HTTP request to the gateway that each owctl command stands for
 * (docs/contract.md, "HTTP API"). Plain functions: the command in, method/path/body out. */
#ifndef OWCTL_REQUESTS_H
#define OWCTL_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "command_line.h"

#define REQUESTS_PATH_MAX 256

typedef struct {
    const char *method;           /* "GET" or "POST" (static) */
    char path[REQUESTS_PATH_MAX]; /* e.g. "/v1/cases/330122…", percent-encoded */
    json_t *body;                 /* the JSON body of a POST, owned; NULL for GET */
    bool needs_idempotency_key;   /* POSTs change state: the caller supplies a key */
} owctl_request_t;

/* Builds the request for an HTTP command (submit, case show, clock advance, clock show).
 * Returns 0, or -1 with msg (msg_size bytes) when the command has no HTTP request or an
 * argument cannot travel (not valid UTF-8, a case number too long for a path). Call
 * requests_clear afterwards either way. */
int requests_build(const owctl_command_t *cmd, owctl_request_t *req, char *msg, size_t msg_size);

void requests_clear(owctl_request_t *req);

/* Percent-encodes one path segment (everything but A–Z a–z 0–9 - . _ ~) into out (size
 * bytes). Returns 0, or -1 when it does not fit. */
int requests_path_segment(const char *segment, char *out, size_t size);

#endif
