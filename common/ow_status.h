/* ow_status — status codes modelled on gRPC's, and the error object every fallible
 * function fills. An error names what is wrong so a person can act on it, and may list
 * every invalid field at once (validation reports all problems, not the first). */
#ifndef OW_STATUS_H
#define OW_STATUS_H

#include <stddef.h>

typedef enum {
    OW_OK = 0,
    OW_CANCELLED = 1,
    OW_UNKNOWN = 2,
    OW_INVALID_ARGUMENT = 3,
    OW_DEADLINE_EXCEEDED = 4,
    OW_NOT_FOUND = 5,
    OW_ALREADY_EXISTS = 6,
    OW_PERMISSION_DENIED = 7,
    OW_RESOURCE_EXHAUSTED = 8,
    OW_FAILED_PRECONDITION = 9,
    OW_ABORTED = 10,
    OW_UNIMPLEMENTED = 12,
    OW_INTERNAL = 13,
    OW_UNAVAILABLE = 14,
    OW_UNAUTHENTICATED = 16,
} ow_status_t;

#define OW_ERROR_MESSAGE_MAX   1024
#define OW_ERROR_VIOLATION_MAX 32

typedef struct {
    char field[64];
    char description[256];
} ow_violation_t;

typedef struct {
    ow_status_t code;
    char message[OW_ERROR_MESSAGE_MAX];
    size_t violation_count;
    ow_violation_t violations[OW_ERROR_VIOLATION_MAX];
} ow_error_t;

/* "OK", "INVALID_ARGUMENT", …; "UNKNOWN" for a value outside the enum. */
const char *ow_status_name(int code);

/* The HTTP status the gateway answers for a code (INVALID_ARGUMENT → 400, …). */
int ow_status_http(int code);

/* Resets err to OW_OK with no message and no violations. err may be NULL. */
void ow_error_clear(ow_error_t *err);

/* Sets code and a printf-formatted message; keeps violations already added. err may be NULL. */
void ow_error_set(ow_error_t *err, ow_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends one invalid field (silently drops past OW_ERROR_VIOLATION_MAX) and sets the code
 * to INVALID_ARGUMENT if it was OK. The message, when empty, becomes a summary of all
 * violations on ow_error_finish_violations(). */
void ow_error_add_violation(ow_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* If violations were added: sets message to "N problems: field: description; …" and
 * returns -1. Returns 0 when there were none. */
int ow_error_finish_violations(ow_error_t *err);

#endif
