/* GET and POST /v1/admin/clock: the test clock (docs/api.md). Setting it is an
 * administrator's action, audited with the token that did it. */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_clock.h"
#include "api_internal.h"
#include "ow_idem.h"
#include "token_store.h"

/* GET /v1/admin/clock: every daemon's view of the system time, asked at once. */
typedef struct s_clock_survey s_clock_survey_t;
typedef struct {
    s_clock_survey_t *survey;
    api_service_t svc;
} s_clock_ask_t;

struct s_clock_survey {
    exchange_t *ex;
    json_t *body;     /* {"now","offset_seconds","services":{…},"degraded":[…]} */
    json_t *services; /* borrowed from body */
    json_t *degraded; /* borrowed from body */
    int pending;
    s_clock_ask_t asks[API_SERVICE_COUNT];
};

static void s_clock_answer(const ow_rpc_result_t *result, void *arg)
{
    s_clock_ask_t *ask = arg;
    s_clock_survey_t *survey = ask->survey;
    const char *name = api_service_names[ask->svc];
    json_t *reading = NULL;
    ow_error_t err;

    ow_error_clear(&err);
    if (result->status == OW_OK)
        reading = admin_clock_reply_json(result->payload, result->payload_len, &err);
    if (reading)
        json_object_set_new(survey->services, name, reading);
    else
        json_array_append_new(survey->degraded, json_string(name));

    if (--survey->pending > 0)
        return;
    exchange_reply_json(survey->ex, 200, survey->body);
    free(survey);
}

void serve_get_clock(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    s_clock_survey_t *survey = calloc(1, sizeof *survey);
    int64_t offset = ow_clock_offset_us();

    if (!survey)
        goto oom;
    survey->ex = ex;
    survey->body = admin_clock_json(ow_clock_now_us(), offset);
    survey->services = json_object();
    survey->degraded = json_array();
    json_t *mine = admin_clock_json(ow_clock_now_us(), offset);
    if (!survey->body || !survey->services || !survey->degraded || !mine ||
        json_object_set_new(survey->services, "gateway", mine) != 0 ||
        json_object_set_new(survey->body, "test_clock", json_boolean(ow_clock_test_enabled())) ||
        json_object_set(survey->body, "services", survey->services) != 0 ||
        json_object_set(survey->body, "degraded", survey->degraded) != 0) {
        json_decref(survey->services);
        json_decref(survey->degraded);
        json_decref(survey->body);
        free(survey);
        goto oom;
    }
    /* body holds its own references now. */
    json_decref(survey->services);
    json_decref(survey->degraded);

    survey->pending = API_SERVICE_COUNT;
    for (int i = 0; i < API_SERVICE_COUNT; i++) {
        survey->asks[i] = (s_clock_ask_t){survey, (api_service_t)i};
        ow_rpc_call(self->clients[i], "_clock", NULL, NULL, NULL, 0, API_RPC_TIMEOUT_MS,
                    s_clock_answer, &survey->asks[i]);
    }
    return;
oom:
    exchange_reply_json(ex, 500, NULL);
}

/* POST /v1/admin/clock: one transaction on the gateway's own schema writes the
 * clock.advanced event and the answer under the idempotency key; the relay publishes it and
 * every daemon (this one included) applies it through its inbox. */
void serve_set_clock(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    static const char method[] = "gateway.set_clock";
    ow_db_t *db = ow_service_db(self->svc);
    ow_error_t err;
    const char *key = NULL;
    json_t *body = NULL;
    char *canonical = NULL;
    uint8_t *stored = NULL, *event = NULL, *answer = NULL, *reply = NULL;
    size_t stored_len = 0, event_len = 0, answer_len = 0, reply_len = 0;
    int64_t new_offset = 0;

    ow_error_clear(&err);
    if (!ow_clock_test_enabled()) {
        ow_error_set(&err, OW_FAILED_PRECONDITION,
                     "the test clock is off: start every daemon with test_clock = true "
                     "(refused in production mode)");
        goto fail;
    }
    body = api_read_post(ex, &key, &err);
    int64_t current = ow_clock_offset_us();
    if (self->issued_offset_us > current)
        current = self->issued_offset_us;
    int64_t real_now = ow_clock_real_us();
    if (!body || admin_clock_decode(body, real_now, current, &new_offset, &err) != 0)
        goto fail;

    /* The key's request hash covers the body's meaning, not its spacing or key order. */
    canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canonical) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (ow_db_begin(db, &err) != 0)
        goto fail;
    int found = ow_idem_find(db, key, method, (const uint8_t *)canonical, strlen(canonical),
                             &stored, &stored_len, &err);
    if (found != 0) {
        ow_db_rollback(db); /* nothing to write: the key was seen */
        if (found < 0)
            goto fail;
        json_t *first = admin_clock_stored_reply_json(stored, stored_len, &err);
        if (!first)
            goto fail;
        exchange_reply_json(ex, 200, first);
        goto done;
    }

    char set_by[ACCESS_TOKEN_ID_MAX + ACCESS_SUBJECT_MAX + 2];
    snprintf(set_by, sizeof set_by, "%s/%s", who->token_id, who->subject);
    if (admin_clock_pack_advanced(new_offset, set_by, &event, &event_len, &err) != 0 ||
        ow_outbox_add(db, "clock.advanced", NULL, NULL, ow_clock_now_us(), event, event_len,
                      &err) != 0 ||
        admin_clock_pack_reply(real_now + new_offset, new_offset, &answer, &answer_len, &err) !=
            0 ||
        ow_rpc_pack_reply(NULL, answer, answer_len, &reply, &reply_len) != 0 ||
        ow_idem_save(db, key, method, (const uint8_t *)canonical, strlen(canonical), reply,
                     reply_len, &err) != 0 ||
        token_store_audit(db, who, "clock.set", "test_clock", canonical, &err) != 0) {
        if (err.code == OW_OK)
            ow_error_set(&err, OW_INTERNAL, "could not pack the answer");
        goto fail;
    }
    if (ow_db_commit(db, &err) != 0)
        goto fail;
    self->issued_offset_us = new_offset;
    ow_relay_kick(ow_service_relay(self->svc));

    char offset_text[32];
    snprintf(offset_text, sizeof offset_text, "%lld", (long long)(new_offset / 1000000));
    ow_log_kv(OW_LOG_INFO, "test clock moved", "offset_seconds", offset_text, "by", set_by, NULL);
    exchange_reply_json(ex, 200, admin_clock_json(real_now + new_offset, new_offset));
    goto done;
fail:
    if (ow_db_in_transaction(db))
        ow_db_rollback(db);
    exchange_reply_error(ex, &err);
done:
    json_decref(body);
    free(canonical);
    free(stored);
    free(event);
    free(answer);
    free(reply);
}
