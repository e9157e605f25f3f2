#include "admin_clock.h"

#include <stdlib.h>

#include "onewindow/v1/envelope.pb-c.h"
#include "json_fields.h"
#include "ow_pack.h"
#include "ow_clock.h"

static const char *const s_body_fields[] = {"advance_seconds", "set", NULL};

int admin_clock_decode(const json_t *body, int64_t real_now_us, int64_t current_offset_us,
                       int64_t *new_offset_us, ow_error_t *err)
{
    int64_t advance_s = 0;
    int64_t offset_us = current_offset_us;

    json_fields_reject_unknown(body, "", s_body_fields, err);
    bool has_advance = json_object_get(body, "advance_seconds") != NULL;
    bool has_set = json_object_get(body, "set") != NULL;

    if (has_advance == has_set) {
        ow_error_add_violation(err, has_set ? "set" : "advance_seconds",
                               "give exactly one of advance_seconds and set");
    } else if (has_advance) {
        if (json_fields_int(body, "", "advance_seconds", INT64_MIN, INT64_MAX, true, &advance_s,
                            err) == 1) {
            if (advance_s < 0)
                ow_error_add_violation(err, "advance_seconds",
                                       "must not be negative: the clock never runs backwards");
            else if (advance_s > ADMIN_CLOCK_ADVANCE_MAX_S)
                ow_error_add_violation(err, "advance_seconds", "must be at most %lld (100 years)",
                                       ADMIN_CLOCK_ADVANCE_MAX_S);
            else
                offset_us = current_offset_us + advance_s * 1000000;
        }
    } else {
        const char *text = json_fields_string(body, "", "set", 64, true, err);
        int64_t set_us = 0;
        int64_t now_us = real_now_us + current_offset_us;
        if (text && ow_clock_parse_rfc3339(text, &set_us) != 0) {
            ow_error_add_violation(err, "set",
                                   "must be an RFC 3339 time such as 2026-11-22T21:00:00+08:00");
        } else if (text && set_us < now_us) {
            char now_text[64];
            ow_error_add_violation(err, "set",
                                   "is before the current system time %s: the clock never "
                                   "runs backwards",
                                   ow_clock_format_local(now_us, now_text, sizeof now_text));
        } else if (text && set_us - now_us > ADMIN_CLOCK_ADVANCE_MAX_S * 1000000) {
            ow_error_add_violation(err, "set", "is more than 100 years ahead");
        } else if (text) {
            /* Whole seconds, rounded up: offsets read cleanly everywhere (offset_seconds is
             * an integer), and rounding up keeps "never before the time asked for". */
            int64_t delta_us = set_us - real_now_us; /* >= current offset >= 0 */
            offset_us = (delta_us + 999999) / 1000000 * 1000000;
        }
    }
    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        return -1;
    *new_offset_us = offset_us;
    return 0;
}

json_t *admin_clock_json(int64_t now_us, int64_t offset_us)
{
    char buf[64];
    json_t *offset = offset_us % 1000000 == 0 ? json_integer(offset_us / 1000000)
                                              : json_real((double)offset_us / 1e6);
    return json_pack("{s:s, s:o}", "now", ow_clock_format_local(now_us, buf, sizeof buf),
                     "offset_seconds", offset);
}

int admin_clock_pack_advanced(int64_t offset_us, const char *set_by, uint8_t **out, size_t *out_len,
                              ow_error_t *err)
{
    Onewindow__V1__ClockAdvanced msg = ONEWINDOW__V1__CLOCK_ADVANCED__INIT;
    msg.offset_us = offset_us;
    msg.set_by = (char *)(set_by ? set_by : "");
    return ow_pack(&msg.base, out, out_len, err);
}

int admin_clock_pack_reply(int64_t now_us, int64_t offset_us, uint8_t **out, size_t *out_len,
                           ow_error_t *err)
{
    Onewindow__V1__ClockReply msg = ONEWINDOW__V1__CLOCK_REPLY__INIT;
    msg.now_us = now_us;
    msg.offset_us = offset_us;
    msg.test_clock = 1;
    return ow_pack(&msg.base, out, out_len, err);
}

json_t *admin_clock_reply_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__ClockReply *reply = onewindow__v1__clock_reply__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!reply) {
        ow_error_set(err, OW_INTERNAL, "the reply is not a clock reading");
        return NULL;
    }
    out = admin_clock_json(reply->now_us, reply->offset_us);
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering the clock");
    onewindow__v1__clock_reply__free_unpacked(reply, NULL);
    return out;
}

json_t *admin_clock_stored_reply_json(const uint8_t *stored, size_t len, ow_error_t *err)
{
    Onewindow__V1__Reply *reply = onewindow__v1__reply__unpack(NULL, len, stored);
    json_t *out = NULL;

    if (!reply || reply->status != OW_OK) {
        ow_error_set(err, OW_INTERNAL, "the stored answer for this idempotency key is unreadable");
        goto done;
    }
    out = admin_clock_reply_json(reply->payload.data, reply->payload.len, err);
done:
    if (reply)
        onewindow__v1__reply__free_unpacked(reply, NULL);
    return out;
}
