#include "ow_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ow_status_name(int code)
{
    switch (code) {
    case OW_OK:
        return "OK";
    case OW_CANCELLED:
        return "CANCELLED";
    case OW_INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case OW_DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
    case OW_NOT_FOUND:
        return "NOT_FOUND";
    case OW_ALREADY_EXISTS:
        return "ALREADY_EXISTS";
    case OW_PERMISSION_DENIED:
        return "PERMISSION_DENIED";
    case OW_RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
    case OW_FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
    case OW_ABORTED:
        return "ABORTED";
    case OW_UNIMPLEMENTED:
        return "UNIMPLEMENTED";
    case OW_INTERNAL:
        return "INTERNAL";
    case OW_UNAVAILABLE:
        return "UNAVAILABLE";
    case OW_UNAUTHENTICATED:
        return "UNAUTHENTICATED";
    default:
        return "UNKNOWN";
    }
}

/* The mapping gRPC's HTTP gateways use, so integrators see familiar answers. */
int ow_status_http(int code)
{
    switch (code) {
    case OW_OK:
        return 200;
    case OW_CANCELLED:
        return 499;
    case OW_INVALID_ARGUMENT:
        return 400;
    case OW_DEADLINE_EXCEEDED:
        return 504;
    case OW_NOT_FOUND:
        return 404;
    case OW_ALREADY_EXISTS:
        return 409;
    case OW_PERMISSION_DENIED:
        return 403;
    case OW_RESOURCE_EXHAUSTED:
        return 429;
    case OW_FAILED_PRECONDITION:
        return 412;
    case OW_ABORTED:
        return 409;
    case OW_UNIMPLEMENTED:
        return 501;
    case OW_UNAVAILABLE:
        return 503;
    case OW_UNAUTHENTICATED:
        return 401;
    default:
        return 500;
    }
}

void ow_error_clear(ow_error_t *err)
{
    if (!err)
        return;
    err->code = OW_OK;
    err->message[0] = '\0';
    err->violation_count = 0;
}

void ow_error_set(ow_error_t *err, ow_status_t code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void ow_error_add_violation(ow_error_t *err, const char *field, const char *fmt, ...)
{
    if (!err)
        return;
    if (err->code == OW_OK)
        err->code = OW_INVALID_ARGUMENT;
    if (err->violation_count >= OW_ERROR_VIOLATION_MAX)
        return;
    ow_violation_t *v = &err->violations[err->violation_count++];
    snprintf(v->field, sizeof v->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->description, sizeof v->description, fmt, ap);
    va_end(ap);
}

int ow_error_finish_violations(ow_error_t *err)
{
    if (!err || err->violation_count == 0)
        return 0;
    if (err->message[0] == '\0') {
        size_t off = (size_t)snprintf(err->message, sizeof err->message,
                                      "%zu problem%s: ", err->violation_count,
                                      err->violation_count == 1 ? "" : "s");
        for (size_t i = 0; i < err->violation_count && off < sizeof err->message; i++) {
            const ow_violation_t *v = &err->violations[i];
            off += (size_t)snprintf(err->message + off, sizeof err->message - off, "%s%s: %s",
                                    i ? "; " : "", v->field, v->description);
        }
    }
    return -1;
}
