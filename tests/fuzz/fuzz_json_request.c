/* fuzz_json_request — libFuzzer target for the gateway's JSON request decoding (issue 8,
 * "Quality bar"): the bytes an HTTP client sends, through every decoder an endpoint uses.
 *
 * Each input is read two ways, as the gateway reads it: as a request body
 * (json_fields_parse_object, then the hand-written decoders of POST /v1/applications,
 * /v1/tasks/{id}/decision, /v1/ratings, /v1/admin/clock and pb_json_pack for every message a
 * forwarded endpoint takes) and as a query string (route_parse_query, then the same messages
 * with PB_JSON_QUERY and GET /v1/tasks). Whatever packs is unpacked and rendered back, so the
 * renderer sees every message the decoder can produce. A crash, a sanitizer report or a leak
 * is the failure; a refusal is the expected answer to most inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin_clock.h"
#include "applications.h"
#include "json_fields.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/notify.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "pb_json.h"
#include "ratings.h"
#include "route.h"
#include "tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The request messages of the forwarded endpoints (forward_spec_t.request in serve_*.c). */
static const ProtobufCMessageDescriptor *const s_requests[] = {
    &onewindow__v1__receive_application__descriptor,
    &onewindow__v1__correct_case__descriptor,
    &onewindow__v1__withdraw_case__descriptor,
    &onewindow__v1__list_documents__descriptor,
    &onewindow__v1__compute_due__descriptor,
    &onewindow__v1__schedule_timer__descriptor,
    &onewindow__v1__get_report__descriptor,
    &onewindow__v1__notify_case_deliveries__descriptor,
    &onewindow__v1__notify_list_dead__descriptor,
    &onewindow__v1__notify_list_subscriptions__descriptor,
    &onewindow__v1__notify_resend__descriptor,
    &onewindow__v1__notify_set_preference__descriptor,
    &onewindow__v1__notify_subscribe__descriptor,
    &onewindow__v1__notify_unsubscribe__descriptor,
    &onewindow__v1__task_action__descriptor,
    &onewindow__v1__work_list__descriptor,
};
#define S_REQUESTS (sizeof s_requests / sizeof s_requests[0])

/* Unpacks what a decoder packed (it must unpack: the decoder built it) and renders it. */
static void s_round_trip(const ProtobufCMessageDescriptor *desc, uint8_t *packed, size_t len)
{
    ow_error_t err;
    ow_error_clear(&err);
    json_t *back = pb_json_render_packed(desc, packed, len, "fuzz", &err);
    if (!back)
        abort(); /* the gateway packed bytes it cannot read back */
    json_decref(back);
    free(packed);
}

static void s_pack_each(const json_t *input, unsigned flags)
{
    const pb_json_fixed_t fixed[] = {{"case_no", "3301222026000001"}, {NULL, NULL}};
    for (size_t i = 0; i < S_REQUESTS; i++) {
        uint8_t *packed = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        /* case_no is a path parameter only for the messages that have it. */
        const pb_json_fixed_t *f =
            protobuf_c_message_descriptor_get_field_by_name(s_requests[i], "case_no") ? fixed
                                                                                      : NULL;
        if (pb_json_pack(s_requests[i], input, f, flags, &packed, &len, &err) == 0)
            s_round_trip(s_requests[i], packed, len);
    }
}

static void s_body(const uint8_t *data, size_t size)
{
    ow_error_t err;
    ow_error_clear(&err);
    json_t *body = json_fields_parse_object((const char *)data, size, &err);
    if (!body)
        return;
    uint8_t *packed = NULL;
    size_t len = 0;

    ow_error_clear(&err);
    if (applications_pack_submit(body, &packed, &len, &err) == 0)
        s_round_trip(&onewindow__v1__submit_application__descriptor, packed, len);
    ow_error_clear(&err);
    char actor[TASKS_ID_MAX + 1];
    if (tasks_pack_decide(body, "T-1", &packed, &len, actor, &err) == 0)
        s_round_trip(&onewindow__v1__decide_task__descriptor, packed, len);
    ow_error_clear(&err);
    if (ratings_pack_rate(body, &packed, &len, &err) == 0)
        s_round_trip(&onewindow__v1__rate_case__descriptor, packed, len);
    ow_error_clear(&err);
    int64_t offset_us = 0;
    (void)admin_clock_decode(body, 1700000000000000, 0, &offset_us, &err);
    s_pack_each(body, 0);
    json_decref(body);
}

static void s_query(const uint8_t *data, size_t size)
{
    /* evhttp hands the handler a NUL-terminated query; an embedded NUL ends it there. */
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    ow_error_t err;
    ow_error_clear(&err);
    json_t *query = route_parse_query(text, &err);
    free(text);
    if (!query)
        return;
    uint8_t *packed = NULL;
    size_t len = 0;
    ow_error_clear(&err);
    if (tasks_pack_list(query, &packed, &len, &err) == 0)
        s_round_trip(&onewindow__v1__list_tasks__descriptor, packed, len);
    s_pack_each(query, PB_JSON_QUERY);
    json_decref(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_body(data, size);
    s_query(data, size);
    return 0;
}
