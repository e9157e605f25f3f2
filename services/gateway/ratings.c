#include "ratings.h"

#include <stdlib.h>

#include "api_time.h"
#include "json_fields.h"
#include "ow_envelope.h"

static const char *const s_rate_fields[] = {"case_no", "grade", "comment", "channel", NULL};

int ratings_pack_rate(const json_t *body, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__RateCase msg = ONEWINDOW__V1__RATE_CASE__INIT;
    int64_t grade = 0;

    json_fields_reject_unknown(body, "", s_rate_fields, err);
    msg.case_no = (char *)json_fields_string(body, "", "case_no", OW_CASE_NO_MAX, true, err);
    /* Range is evaluation's rule (1–5); here only that the number fits the int32 field. */
    json_fields_int(body, "", "grade", INT32_MIN, INT32_MAX, true, &grade, err);
    msg.grade = (int32_t)grade;
    msg.comment = (char *)json_fields_string(body, "", "comment", RATINGS_COMMENT_MAX, false, err);
    msg.channel = (char *)json_fields_string(body, "", "channel", RATINGS_CHANNEL_MAX, false, err);

    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        return -1;

    size_t len = onewindow__v1__rate_case__get_packed_size(&msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    onewindow__v1__rate_case__pack(&msg, buf);
    *out = buf;
    *out_len = len;
    return 0;
}

json_t *ratings_rating_json(const Onewindow__V1__Rating *r)
{
    return json_pack("{s:o, s:o, s:i, s:o, s:o, s:o, s:b}", "rating_id",
                     json_fields_text(r->rating_id ? r->rating_id : ""), "case_no",
                     json_fields_text(r->case_no ? r->case_no : ""), "grade", (int)r->grade,
                     "comment", json_fields_text(r->comment ? r->comment : ""), "channel",
                     json_fields_text(r->channel ? r->channel : ""), "rated_at",
                     api_time_json(r->rated_at_us), "is_bad", (int)r->is_bad);
}

json_t *ratings_rating_reply_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__RatingReply *reply = onewindow__v1__rating_reply__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!reply || !reply->rating) {
        ow_error_set(err, OW_INTERNAL, "evaluation sent a reply that is not a rating");
        goto done;
    }
    out = ratings_rating_json(reply->rating);
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering the rating");
done:
    if (reply)
        onewindow__v1__rating_reply__free_unpacked(reply, NULL);
    return out;
}
