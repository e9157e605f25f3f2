/* remote_frame — decoding one request frame from a township centre (issue 8, "Remote
 * township centres"; proto/onewindow/v1/gateway.proto lists the methods).
 *
 * The bytes come from outside the service network, so every decode is bounded and checked
 * (ARCHITECTURE, protobuf rules): the frame must be an onewindow.v1.Request of at most
 * REMOTE_FRAME_MAX bytes naming a method a centre may use, with a request id, an
 * idempotency key on every state change, and a payload that decodes as that method's
 * message with the fields the gateway needs (a case number, a limit) in range. What the
 * fields mean (materials, grades) is the owning service's rule. No sockets here: plain
 * functions, fuzzed by tests/fuzz/fuzz_remote_frame.c. */
#ifndef GATEWAY_REMOTE_FRAME_H
#define GATEWAY_REMOTE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onewindow/v1/envelope.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/gateway.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "ow_status.h"

#define REMOTE_FRAME_MAX      (256 * 1024)
#define REMOTE_REQUEST_ID_MAX 64
#define REMOTE_IDEM_KEY_MAX   128
#define REMOTE_EVENTS_LIMIT   500

typedef enum {
    REMOTE_SUBMIT,    /* intake.submit */
    REMOTE_CORRECT,   /* intake.correct */
    REMOTE_RATE,      /* evaluation.rate */
    REMOTE_GET_CASE,  /* intake.get_case */
    REMOTE_EVENTS,    /* remote.events */
    REMOTE_SUBSCRIBE, /* remote.subscribe */
    REMOTE_METHOD_COUNT
} remote_method_t;

/* The method names, in the order of remote_method_t. */
extern const char *const remote_method_names[REMOTE_METHOD_COUNT];

typedef struct {
    remote_method_t method;
    char request_id[REMOTE_REQUEST_ID_MAX + 1];
    char idempotency_key[REMOTE_IDEM_KEY_MAX + 1]; /* "" for reads */
    const char *case_no;                           /* correct, rate, get_case; owned by payload */
    uint64_t after;                                /* events, subscribe */
    uint32_t limit;                                /* events, subscribe: 1..500 */
    /* The decoded payload (SubmitApplication, CorrectCase, RateCase, GetCase or
     * RemoteEventsAfter); owned, freed by remote_request_clear. */
    ProtobufCMessage *payload;
} remote_request_t;

/* Decodes frame (len bytes) into *out. On any problem returns -1 with err
 * (INVALID_ARGUMENT, with one violation per invalid field, or UNIMPLEMENTED for a method a
 * centre may not use) and out->request_id set when the frame had a readable one, so the
 * refusal can be matched by the client; out holds nothing to free then. Returns 0 on
 * success; call remote_request_clear afterwards. */
int remote_request_decode(const uint8_t *frame, size_t len, remote_request_t *out, ow_error_t *err);

/* Frees the payload. Safe on a zeroed or already cleared request. */
void remote_request_clear(remote_request_t *req);

/* True when s is a case number or similar path-safe id: [A-Za-z0-9._-]{1,64}. */
bool remote_id_valid(const char *s);

#endif
