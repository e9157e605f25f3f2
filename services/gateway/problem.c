#include "problem.h"

#include <stdio.h>
#include <string.h>

#include "json_fields.h"

json_t *problem_new(int http_status, const char *title, const char *detail)
{
    /* Details come from services and may have been cut inside a UTF-8 sequence: json_text
     * repairs what json_pack would refuse. */
    return json_pack("{s:s, s:s, s:i, s:o}", "type", "about:blank", "title", title, "status",
                     http_status, "detail", json_fields_text(detail ? detail : ""));
}

json_t *problem_from_error(const ow_error_t *err, int *http_status)
{
    int status = ow_status_http(err->code);
    json_t *problem = problem_new(status, ow_status_name(err->code), err->message);
    json_t *params = NULL;

    if (!problem)
        goto fail;
    if (err->violation_count > 0) {
        params = json_array();
        if (!params)
            goto fail;
        for (size_t i = 0; i < err->violation_count && i < OW_ERROR_VIOLATION_MAX; i++) {
            const ow_violation_t *v = &err->violations[i];
            if (json_array_append_new(params,
                                      json_pack("{s:o, s:o}", "name", json_fields_text(v->field),
                                                "reason", json_fields_text(v->description))) != 0)
                goto fail;
        }
        if (json_object_set_new(problem, "invalid_params", params) != 0) {
            params = NULL; /* json_object_set_new released it */
            goto fail;
        }
        params = NULL;
    }
    *http_status = status;
    return problem;
fail:
    json_decref(params);
    json_decref(problem);
    *http_status = 500;
    return NULL;
}

void problem_error_from_result(const ow_rpc_result_t *result, const char *service, ow_error_t *err)
{
    const char *message = result->message ? result->message : "";
    ow_status_t code = result->status;

    ow_error_clear(err);
    switch (code) {
    case OW_DEADLINE_EXCEEDED:
        if (message[0])
            ow_error_set(err, code, "%s: %s", service, message);
        else
            ow_error_set(err, code, "%s did not answer in time", service);
        break;
    case OW_CANCELLED:
        /* The only cancellation the gateway sees is its own shutdown. */
        code = OW_UNAVAILABLE;
        ow_error_set(err, code, "the gateway is shutting down; retry the request");
        break;
    case OW_UNAVAILABLE:
        if (message[0])
            ow_error_set(err, code, "%s: %s", service, message);
        else
            ow_error_set(err, code, "%s is unavailable", service);
        break;
    default:
        ow_error_set(err, code, "%s", message[0] ? message : ow_status_name(code));
        break;
    }
    for (size_t i = 0; i < result->violation_count && i < OW_ERROR_VIOLATION_MAX; i++) {
        const ow_violation_t *v = &result->violations[i];
        ow_error_add_violation(err, v->field, "%s", v->description);
    }
    err->code = code; /* add_violation only fills in a code when there was none */
}

json_t *problem_from_result(const ow_rpc_result_t *result, const char *service, int *http_status)
{
    ow_error_t err;
    problem_error_from_result(result, service, &err);
    return problem_from_error(&err, http_status);
}
