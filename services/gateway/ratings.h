/* ratings — POST /v1/ratings: the JSON body to evaluation's RateCase, and Rating back to
 * JSON (the RATING object of docs/contract.md). Whether a grade is 1–5 and a case may be
 * rated is evaluation's rule; the gateway checks shape and that numbers fit. */
#ifndef GATEWAY_RATINGS_H
#define GATEWAY_RATINGS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_status.h"

#define RATINGS_COMMENT_MAX 2000
#define RATINGS_CHANNEL_MAX 32

/* Decodes {"case_no":"…","grade":5,"comment":"…","channel":"web"} and packs RateCase into
 * *out (caller frees). Violations already in err count: returns -1 with err
 * INVALID_ARGUMENT naming every invalid field. */
int ratings_pack_rate(const json_t *body, uint8_t **out, size_t *out_len, ow_error_t *err);

/* The RATING object. New reference; NULL only when out of memory. */
json_t *ratings_rating_json(const Onewindow__V1__Rating *rating);

/* A packed RatingReply as RATING (not wrapped); NULL with err INTERNAL when malformed. */
json_t *ratings_rating_reply_json(const uint8_t *payload, size_t len, ow_error_t *err);

#endif
