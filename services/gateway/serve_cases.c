/* GET /v1/cases/{case_no}: four calls at once (intake, routing, deadline, evaluation), one
 * answer when the last is back; the case is shown only to whom its centre allows. */
#include "serve.h"

#include <stdlib.h>

#include "api_internal.h"
#include "cases.h"
#include "problem.h"

typedef struct s_case_fetch s_case_fetch_t;
typedef struct {
    s_case_fetch_t *fetch;
    cases_part_t part;
} s_case_part_t;

struct s_case_fetch {
    api_t *api;
    exchange_t *ex;
    case_view_t *view;
    access_principal_t who;
    int pending;
    s_case_part_t parts[CASES_PART_COUNT];
};

static void s_case_part_done(const ow_rpc_result_t *result, void *arg)
{
    s_case_part_t *p = arg;
    s_case_fetch_t *fetch = p->fetch;

    case_view_take(fetch->view, p->part, result);
    if (--fetch->pending > 0)
        return;
    json_t *body = NULL;
    int status = case_view_render(fetch->view, &body);
    const char *centre =
        status == 200
            ? json_string_value(json_object_get(json_object_get(body, "case"), "centre_id"))
            : NULL;
    if (status == 200 && !access_may_touch_case(&fetch->who, centre, fetch->api->default_centre)) {
        json_decref(body);
        api_deny(fetch->ex, "the case belongs to another centre");
    } else {
        exchange_reply_json(fetch->ex, status, body);
    }
    case_view_destroy(&fetch->view);
    free(fetch);
}

void serve_get_case(api_t *self, exchange_t *ex, const char *case_no, const access_principal_t *who)
{
    static const api_service_t part_service[CASES_PART_COUNT] = {API_INTAKE, API_ROUTING,
                                                                 API_DEADLINE, API_EVALUATION};
    s_case_fetch_t *fetch = calloc(1, sizeof *fetch);
    if (!fetch || !(fetch->view = case_view_new())) {
        free(fetch);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    fetch->api = self;
    fetch->ex = ex;
    fetch->who = *who;
    /* Counted before the first call: a callback may run before the last call is made. */
    fetch->pending = CASES_PART_COUNT;
    for (int i = 0; i < CASES_PART_COUNT; i++) {
        s_case_part_t *p = &fetch->parts[i];
        uint8_t *payload = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        *p = (s_case_part_t){fetch, (cases_part_t)i};
        if (cases_pack_request(p->part, case_no, &payload, &len, &err) != 0) {
            ow_rpc_result_t failed = {.status = err.code, .message = err.message};
            s_case_part_done(&failed, p);
            continue;
        }
        ow_rpc_call(self->clients[part_service[i]], cases_part_method(p->part), NULL, NULL, payload,
                    len, API_RPC_TIMEOUT_MS, s_case_part_done, p);
        free(payload);
    }
}
