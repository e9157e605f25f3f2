/* POST /v1/ratings → evaluation.rate, once intake confirms the case is one the caller's
 * centre may act on. */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "ratings.h"

typedef struct {
    char key[API_IDEM_KEY_MAX + 1];
    char caller[ACCESS_SUBJECT_MAX + 1];
    uint8_t *payload;
    size_t len;
} s_rate_t;

static void s_release(void *arg)
{
    s_rate_t *r = arg;
    free(r->payload);
    free(r);
}

static json_t *s_render_rating(const uint8_t *payload, size_t len, ow_error_t *err)
{
    json_t *rating = ratings_rating_reply_json(payload, len, err);
    return rating ? json_pack("{s:o}", "rating", rating) : NULL;
}

static void s_rate(api_t *self, exchange_t *ex, void *arg)
{
    s_rate_t *r = arg;
    api_forward(self, ex, API_EVALUATION, "evaluation.rate", r->key, r->caller, r->payload, r->len,
                s_render_rating, 201);
    free(r); /* api_forward freed the payload */
}

void serve_rate_case(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    ow_error_t err;
    const char *key = NULL;
    s_rate_t *r = NULL;
    json_t *body = api_read_post(ex, &key, &err);

    r = calloc(1, sizeof *r);
    if (!r) {
        exchange_reply_json(ex, 500, NULL);
        goto done;
    }
    if (!body || ratings_pack_rate(body, &r->payload, &r->len, &err) != 0) {
        exchange_reply_error(ex, &err);
        s_release(r);
        goto done;
    }
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->caller, sizeof r->caller, "%s", who->subject);
    api_with_case(self, ex, who, json_string_value(json_object_get(body, "case_no")), s_rate,
                  s_release, r);
done:
    json_decref(body);
}
