#include "intake_api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "case_decided.h"
#include "case_number.h"
#include "case_store.h"
#include "ow_service.h"
#include "submit.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_GET_CASE_MAX_BYTES 1024

typedef struct {
    ow_db_t *db;
    ow_relay_t *relay;
    intake_settings_t settings;
    uint64_t *submit_ok;
    uint64_t *submit_invalid;
    uint64_t *submit_failed;
} intake_api_t;

static void s_free(void *arg)
{
    free(arg);
}

static void s_on_submit(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (intake_submit(self->db, &self->settings, ow_rpc_call_idempotency_key(call), payload, len,
                      &reply, &reply_len, &err) == 0) {
        ow_relay_kick(self->relay);
        (*self->submit_ok)++;
        ow_rpc_reply_packed(call, reply, reply_len);
    } else {
        if (err.code == OW_INVALID_ARGUMENT || err.code == OW_FAILED_PRECONDITION) {
            (*self->submit_invalid)++;
        } else {
            (*self->submit_failed)++;
            ow_log_kv(OW_LOG_ERROR, "intake.submit failed", "code", ow_status_name(err.code),
                      "error", err.message, NULL);
        }
        ow_rpc_reply_error(call, &err);
    }
    free(reply);
}

static bool s_case_no_printable(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > OW_CASE_NO_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)s[i]))
            return false;
    return true;
}

static void s_on_get_case(ow_rpc_call_t *call, void *arg)
{
    intake_api_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    Onewindow__V1__GetCase *req = NULL;
    intake_case_t *kase = NULL;
    uint8_t *out = NULL;

    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    if (len > S_GET_CASE_MAX_BYTES ||
        !(req = onewindow__v1__get_case__unpack(NULL, len, payload))) {
        ow_error_set(&err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.GetCase");
        goto fail;
    }
    /* Any printable number is looked up (an unknown one is NOT_FOUND, per the contract);
     * only text that cannot be a number at all is refused. */
    if (!s_case_no_printable(req->case_no)) {
        ow_error_add_violation(&err, "case_no", "must be 1-%d printable ASCII characters",
                               OW_CASE_NO_MAX);
        ow_error_finish_violations(&err);
        goto fail;
    }
    kase = intake_case_load(self->db, req->case_no, false, &err);
    if (!kase)
        goto fail;
    Onewindow__V1__CaseReply reply = ONEWINDOW__V1__CASE_REPLY__INIT;
    reply.case_ = (Onewindow__V1__CaseSummary *)intake_case_summary(kase);
    size_t out_len = onewindow__v1__case_reply__get_packed_size(&reply);
    out = malloc(out_len ? out_len : 1);
    if (!out) {
        ow_error_set(&err, OW_INTERNAL, "out of memory packing case %s", req->case_no);
        goto fail;
    }
    onewindow__v1__case_reply__pack(&reply, out);
    ow_rpc_reply(call, out, out_len);
    goto done;
fail:
    ow_rpc_reply_error(call, &err);
done:
    free(out);
    intake_case_destroy(&kase);
    if (req)
        onewindow__v1__get_case__free_unpacked(req, NULL);
}

static bool s_digits(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

int intake_api_attach(ow_service_t *svc, ow_error_t *err)
{
    ow_config_t *config = ow_service_config(svc);
    const char *county = ow_config_get(config, "county_code", "330122");
    const char *centre = ow_config_get(config, "centre_id", "330122000000");
    if (!s_digits(county, 6)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "county_code '%s' must be 6 digits", county);
        return -1;
    }
    if (!s_digits(centre, 12)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "centre_id '%s' must be a 12-digit area code (区划代码)", centre);
        return -1;
    }
    if (intake_submit_prepare(ow_service_db(svc), err) < 0)
        return -1;
    if (ow_service_follow(svc, "routing", err) < 0)
        return -1;

    intake_api_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    self->db = ow_service_db(svc);
    self->relay = ow_service_relay(svc);
    self->settings.county_code = county;
    self->settings.centre_id = centre;
    ow_metrics_t *m = ow_service_metrics(svc);
    static const char help[] = "intake.submit requests by result";
    self->submit_ok = ow_metrics_counter(m, "intake_submits_total", "result=\"ok\"", help);
    self->submit_invalid =
        ow_metrics_counter(m, "intake_submits_total", "result=\"refused\"", help);
    self->submit_failed = ow_metrics_counter(m, "intake_submits_total", "result=\"error\"", help);
    if (!self->submit_ok || !self->submit_invalid || !self->submit_failed) {
        free(self);
        ow_error_set(err, OW_INTERNAL, "out of memory registering metrics");
        return -1;
    }
    ow_loop_on_shutdown(ow_service_loop(svc), s_free, self);

    ow_rpc_server_handle(ow_service_rpc(svc), "intake.submit", s_on_submit, self);
    ow_rpc_server_handle(ow_service_rpc(svc), "intake.get_case", s_on_get_case, self);
    ow_inbox_on(ow_service_inbox(svc), "case.decided", intake_apply_case_decided, NULL);
    return 0;
}
