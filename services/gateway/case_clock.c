#include "case_clock.h"

#include <stdlib.h>

#include "api_time.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "json_fields.h"

/* One clock as JSON, or NULL when out of memory. stop_reason says why a stopped clock
 * stopped (decided, stage_completed, withdrawn, terminated); card is the one it shows. */
static json_t *s_clock_json(const Onewindow__V1__Clock *c)
{
    json_t *out = json_pack(
        "{s:o, s:o, s:o, s:i, s:o, s:o, s:i}", "state", json_fields_text(c->state ? c->state : ""),
        "started_at", api_time_json(c->started_at_us), "due_at", api_time_json(c->due_at_us),
        "limit", (int)c->limit, "unit", json_fields_text(c->unit ? c->unit : ""), "stopped_at",
        api_time_json(c->stopped_at_us), "remaining_working_days", (int)c->remaining_working_days);
    if (out && (json_object_set_new(out, "stop_reason",
                                    json_fields_text(c->stop_reason ? c->stop_reason : "")) != 0 ||
                json_object_set_new(out, "card", json_fields_text(c->card ? c->card : "")) != 0 ||
                (c->stage && *c->stage &&
                 json_object_set_new(out, "stage", json_fields_text(c->stage)) != 0))) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *case_clock_reply_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__CaseClockReply *reply =
        onewindow__v1__case_clock_reply__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!reply || !reply->clock) {
        ow_error_set(err, OW_INTERNAL, "deadline sent a reply that is not a clock");
        goto done;
    }
    out = s_clock_json(reply->clock);
    /* The stage clocks of the case (a stage can be late while the case is in time). */
    json_t *stages = out ? json_array() : NULL;
    for (size_t i = 0; stages && i < reply->n_stages; i++) {
        json_t *s = reply->stages[i] ? s_clock_json(reply->stages[i]) : NULL;
        if (!s || json_array_append_new(stages, s) != 0) {
            json_decref(stages);
            stages = NULL;
        }
    }
    if (!stages || json_object_set_new(out, "stages", stages) != 0) {
        json_decref(out);
        out = NULL;
    }
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering the clock");
done:
    if (reply)
        onewindow__v1__case_clock_reply__free_unpacked(reply, NULL);
    return out;
}

int case_clock_pack_get(const char *case_no, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__GetClock msg = ONEWINDOW__V1__GET_CLOCK__INIT;
    msg.case_no = (char *)case_no;
    size_t len = onewindow__v1__get_clock__get_packed_size(&msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    onewindow__v1__get_clock__pack(&msg, buf);
    *out = buf;
    *out_len = len;
    return 0;
}
