#include "remote_frame.h"

#include <stdio.h>
#include <string.h>

#include "json_fields.h"

const char *const remote_method_names[REMOTE_METHOD_COUNT] = {
    "intake.submit",   "intake.correct", "evaluation.rate",
    "intake.get_case", "remote.events",  "remote.subscribe"};

/* Which methods change state: they need an idempotency key (a centre that retries after a
 * dropped link must not create a case twice). */
static const bool s_changes_state[REMOTE_METHOD_COUNT] = {true, true, true, false, false, false};

static const ProtobufCMessageDescriptor *const s_payload_type[REMOTE_METHOD_COUNT] = {
    &onewindow__v1__submit_application__descriptor,
    &onewindow__v1__correct_case__descriptor,
    &onewindow__v1__rate_case__descriptor,
    &onewindow__v1__get_case__descriptor,
    &onewindow__v1__remote_events_after__descriptor,
    &onewindow__v1__remote_events_after__descriptor};

bool remote_id_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 64;
}

/* 1..max visible ASCII characters: ids and keys are echoed in logs and compared bytewise. */
static bool s_token_valid(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < 0x21 || s[n] > 0x7e)
            return false;
    return n >= 1 && n <= max;
}

/* Every string of a decoded message must be valid UTF-8: protobuf-c does not check, and
 * the services store them as text. Walks the fields of one level of the message and of
 * its sub-messages (our messages are not recursive, so the depth is bounded by the schema). */
static bool s_strings_valid(const ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (depth > 4)
        return false;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)msg + f->offset;
        size_t n = 1;
        const void *const *items = (const void *const *)base;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)((const char *)msg + f->quantifier_offset);
            items = *(const void *const *const *)base;
        }
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        for (size_t k = 0; k < n; k++) {
            const void *v = items[k];
            if (!v)
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING && !json_fields_utf8_valid(v))
                return false;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && !s_strings_valid(v, depth + 1))
                return false;
        }
    }
    return true;
}

int remote_request_decode(const uint8_t *frame, size_t len, remote_request_t *out, ow_error_t *err)
{
    Onewindow__V1__Request *req = NULL;
    int m;

    memset(out, 0, sizeof *out);
    if (len > REMOTE_FRAME_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "frame of %zu bytes: at most %d", len,
                     REMOTE_FRAME_MAX);
        return -1;
    }
    req = onewindow__v1__request__unpack(NULL, len, frame);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "the frame is not an onewindow.v1.Request");
        return -1;
    }
    if (s_token_valid(req->request_id, REMOTE_REQUEST_ID_MAX))
        snprintf(out->request_id, sizeof out->request_id, "%s", req->request_id);
    else
        ow_error_add_violation(err, "request_id", "must be 1 to %d visible ASCII characters",
                               REMOTE_REQUEST_ID_MAX);
    for (m = 0; m < REMOTE_METHOD_COUNT; m++)
        if (strcmp(req->method, remote_method_names[m]) == 0)
            break;
    if (m == REMOTE_METHOD_COUNT) {
        if (err->violation_count == 0) {
            ow_error_set(err, OW_UNIMPLEMENTED,
                         "a township centre may call intake.submit, intake.correct, "
                         "evaluation.rate, intake.get_case, remote.events, remote.subscribe");
            goto fail;
        }
        ow_error_add_violation(err, "method", "is not a method a township centre may call");
        goto finish;
    }
    out->method = (remote_method_t)m;
    if (s_changes_state[m]) {
        if (!s_token_valid(req->idempotency_key, REMOTE_IDEM_KEY_MAX))
            ow_error_add_violation(err, "idempotency_key",
                                   "is required for %s: 1 to %d visible ASCII characters",
                                   remote_method_names[m], REMOTE_IDEM_KEY_MAX);
        else
            snprintf(out->idempotency_key, sizeof out->idempotency_key, "%s", req->idempotency_key);
    }
    out->payload =
        protobuf_c_message_unpack(s_payload_type[m], NULL, req->payload.len, req->payload.data);
    if (!out->payload) {
        ow_error_add_violation(err, "payload", "is not a %s", s_payload_type[m]->name);
        goto finish;
    }
    if (!s_strings_valid(out->payload, 0)) {
        ow_error_add_violation(err, "payload", "has a string that is not valid UTF-8");
        goto finish;
    }
    switch (out->method) {
    case REMOTE_CORRECT:
        out->case_no = ((Onewindow__V1__CorrectCase *)out->payload)->case_no;
        break;
    case REMOTE_RATE:
        out->case_no = ((Onewindow__V1__RateCase *)out->payload)->case_no;
        break;
    case REMOTE_GET_CASE:
        out->case_no = ((Onewindow__V1__GetCase *)out->payload)->case_no;
        break;
    case REMOTE_EVENTS:
    case REMOTE_SUBSCRIBE: {
        Onewindow__V1__RemoteEventsAfter *a = (Onewindow__V1__RemoteEventsAfter *)out->payload;
        out->after = a->after;
        out->limit = a->limit ? a->limit : 100;
        if (a->after > (uint64_t)INT64_MAX)
            ow_error_add_violation(err, "payload.after", "must be below 2^63");
        if (out->limit > REMOTE_EVENTS_LIMIT)
            ow_error_add_violation(err, "payload.limit", "must be 0 (100) to %d",
                                   REMOTE_EVENTS_LIMIT);
        break;
    }
    default:
        break;
    }
    if (out->case_no && !remote_id_valid(out->case_no))
        ow_error_add_violation(err, "payload.case_no", "must be 1 to 64 of [A-Za-z0-9._-]");
finish:
    if (ow_error_finish_violations(err))
        goto fail;
    onewindow__v1__request__free_unpacked(req, NULL);
    return 0;
fail:
    onewindow__v1__request__free_unpacked(req, NULL);
    remote_request_clear(out);
    out->case_no = NULL;
    return -1;
}

void remote_request_clear(remote_request_t *req)
{
    if (req->payload)
        protobuf_c_message_free_unpacked(req->payload, NULL);
    req->payload = NULL;
    req->case_no = NULL;
}
