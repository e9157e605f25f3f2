/* GET /v1/cases/{case_no}/history?limit&after: the case's whole story (case_history.h),
 * for staff who may touch the case (its centre checked with intake first), paged by position. */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "case_history.h"
#include "forward.h"
#include "json_fields.h"

static const api_service_t s_service[CASE_HISTORY_PART_COUNT] = {
    API_ROUTING, API_INTAKE, API_DEADLINE, API_EVALUATION, API_NOTIFY};

typedef struct s_fetch s_fetch_t;
typedef struct {
    s_fetch_t *fetch;
    case_history_part_t part;
} s_part_t;

struct s_fetch {
    exchange_t *ex;
    case_history_t *history;
    char case_no[ROUTE_PARAM_MAX + 1];
    size_t after, limit;
    int pending;
    s_part_t parts[CASE_HISTORY_PART_COUNT];
};

static void s_fetch_destroy(void *arg)
{
    s_fetch_t *f = arg;
    case_history_destroy(&f->history);
    free(f);
}

static void s_part_done(const ow_rpc_result_t *result, void *arg)
{
    s_part_t *p = arg;
    s_fetch_t *f = p->fetch;
    case_history_take(f->history, p->part, result);
    if (--f->pending > 0)
        return;
    exchange_reply_json(f->ex, 200,
                        case_history_render(f->history, f->case_no, f->after, f->limit));
    s_fetch_destroy(f);
}

static void s_fan_out(api_t *self, exchange_t *ex, void *arg)
{
    s_fetch_t *f = arg;
    (void)ex;
    /* Counted before the first call: a callback may run before the last call is made. */
    f->pending = CASE_HISTORY_PART_COUNT;
    for (int i = 0; i < CASE_HISTORY_PART_COUNT; i++) {
        s_part_t *p = &f->parts[i];
        uint8_t *payload = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        *p = (s_part_t){f, (case_history_part_t)i};
        if (case_history_pack_request(p->part, f->case_no, &payload, &len, &err) != 0) {
            ow_rpc_result_t failed = {.status = err.code, .message = err.message};
            s_part_done(&failed, p);
            continue;
        }
        ow_rpc_call(self->clients[s_service[i]], case_history_method(p->part), NULL, NULL, payload,
                    len, API_RPC_TIMEOUT_MS, s_part_done, p);
        free(payload);
    }
}

/* ?limit (1–500, default 100) and ?after (a position from next_after); violations in err. */
static void s_read_query(const json_t *query, s_fetch_t *f, ow_error_t *err)
{
    static const char *const allowed[] = {"limit", "after", NULL};
    const char *names[2] = {"limit", "after"};
    size_t *vals[2] = {&f->limit, &f->after};
    const long mins[2] = {1, 0}, maxes[2] = {FORWARD_PAGE_MAX, 1000000};

    json_fields_reject_unknown(query, "", allowed, err);
    for (int i = 0; i < 2; i++) {
        const char *t = json_string_value(json_object_get(query, names[i]));
        if (!t || (i == 1 && !*t))
            continue;
        char *end = NULL;
        long v = strtol(t, &end, 10);
        if (!*t || *end || t[0] == '+' || t[0] == '-' || v < mins[i] || v > maxes[i])
            ow_error_add_violation(err, names[i], "must be an integer from %ld to %ld", mins[i],
                                   maxes[i]);
        else
            *vals[i] = (size_t)v;
    }
}

void serve_case_history(api_t *self, exchange_t *ex, const char *case_no,
                        const access_principal_t *who)
{
    ow_error_t err;
    s_fetch_t *f = calloc(1, sizeof *f);
    json_t *query = NULL;

    ow_error_clear(&err);
    if (!f || !(f->history = case_history_new())) {
        free(f);
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    f->ex = ex;
    f->limit = FORWARD_PAGE_DEFAULT;
    snprintf(f->case_no, sizeof f->case_no, "%s", case_no);
    query = route_parse_query(exchange_query(ex), &err);
    if (query)
        s_read_query(query, f, &err);
    if (!query || ow_error_finish_violations(&err) != 0) {
        exchange_reply_error(ex, &err);
        s_fetch_destroy(f);
        goto done;
    }
    api_with_case(self, ex, who, case_no, s_fan_out, s_fetch_destroy, f);
done:
    json_decref(query);
}
