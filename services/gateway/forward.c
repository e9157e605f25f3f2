#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_pack.h"
#include "problem.h"
#include "ticket_access.h"
#include "token_store.h"

/* One request between its decoding and the service's answer. */
typedef struct {
    api_t *api;
    exchange_t *ex;
    const forward_spec_t *spec;
    access_principal_t who;
    char caller[FORWARD_ID_MAX + 1];
    char param[ROUTE_PARAM_MAX + 1];
    char *key; /* Idempotency-Key, copied: the request may be gone when the answer comes */
    char *after;
    size_t limit;
    uint8_t *payload;
    size_t len;
} s_call_t;

static void s_call_destroy(void *arg)
{
    s_call_t *c = arg;
    if (!c)
        return;
    free(c->key);
    free(c->after);
    free(c->payload);
    free(c);
}

json_t *forward_page(const json_t *items, const char *key, const char *after, size_t limit,
                     char **next)
{
    json_t *page = json_array();
    size_t i = 0, count = json_array_size(items);
    char text[64];

    *next = NULL;
    if (!page)
        return NULL;
    /* The list is in the service's order; the cursor is the key of the last item seen. */
    if (after && *after) {
        for (; i < count; i++) {
            const json_t *k = json_object_get(json_array_get(items, i), key);
            const char *s = json_string_value(k);
            if (json_is_integer(k)) {
                snprintf(text, sizeof text, "%lld", (long long)json_integer_value(k));
                s = text;
            }
            if (s && strcmp(s, after) == 0) {
                i++;
                break;
            }
        }
    }
    for (; i < count && json_array_size(page) < limit; i++)
        if (json_array_append(page, json_array_get(items, i)) != 0)
            goto oom;
    text[0] = '\0';
    if (i < count && json_array_size(page) > 0) {
        const json_t *k = json_object_get(json_array_get(page, json_array_size(page) - 1), key);
        if (json_is_integer(k))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(k));
        else
            snprintf(text, sizeof text, "%s", json_string_value(k) ? json_string_value(k) : "");
    }
    *next = strdup(text);
    if (!*next)
        goto oom;
    return page;
oom:
    json_decref(page);
    return NULL;
}

/* Replaces the page_array member of body by one page and adds next_after. */
static int s_page(s_call_t *c, json_t *body)
{
    char *next = NULL;
    json_t *page = forward_page(json_object_get(body, c->spec->page_array), c->spec->page_key,
                                c->after, c->limit, &next);
    if (!page || json_object_set_new(body, c->spec->page_array, page) != 0 ||
        json_object_set_new(body, "next_after", json_string(next)) != 0) {
        free(next);
        return -1;
    }
    free(next);
    return 0;
}

static void s_done(const ow_rpc_result_t *result, void *arg)
{
    s_call_t *c = arg;
    const forward_spec_t *spec = c->spec;
    const char *service = api_service_names[spec->service];
    ow_error_t err;

    ow_error_clear(&err);
    if (result->status != OW_OK) {
        int status = 500;
        json_t *problem = problem_from_result(result, service, &status);
        if (status >= 500)
            ow_log_kv(OW_LOG_WARN, "service call failed", "service", service, "method",
                      spec->method, "status", ow_status_name(result->status), NULL);
        exchange_reply_problem(c->ex, status, problem);
        goto done;
    }
    json_t *body =
        pb_json_render_packed(spec->reply, result->payload, result->payload_len, service, &err);
    if (body && spec->shape)
        body = spec->shape(c->api, &c->who, body);
    if (body && spec->page_array && s_page(c, body) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (!body) {
        if (err.code == OW_OK)
            ow_error_set(&err, OW_INTERNAL, "out of memory rendering %s's reply", service);
        exchange_reply_error(c->ex, &err);
        goto done;
    }
    if (spec->flags & FORWARD_AUDIT) {
        /* The change is made; an audit row that fails is logged, and the answer still goes
         * (a retry with the same key would find the change made and audit it then). */
        ow_error_t aerr;
        ow_error_clear(&aerr);
        if (token_store_audit(ow_service_db(c->api->svc), &c->who, spec->method,
                              *c->param ? c->param : (c->key ? c->key : ""), "", &aerr) != 0)
            ow_log_kv(OW_LOG_ERROR, "audit failed", "method", spec->method, "error", aerr.message,
                      NULL);
    }
    exchange_reply_json(c->ex, spec->ok_status, body);
done:
    s_call_destroy(c);
}

static void s_call(api_t *self, exchange_t *ex, void *arg)
{
    s_call_t *c = arg;
    (void)ex;
    ow_rpc_call(self->clients[c->spec->service], c->spec->method, c->key,
                *c->caller ? c->caller : NULL, c->payload, c->len, API_RPC_TIMEOUT_MS, s_done, c);
}

/* Takes ?limit and ?after out of query into c, adding violations to err. */
static void s_page_query(s_call_t *c, json_t *query, ow_error_t *err)
{
    const char *limit = json_string_value(json_object_get(query, "limit"));
    const char *after = json_string_value(json_object_get(query, "after"));

    c->limit = FORWARD_PAGE_DEFAULT;
    if (limit) {
        char *end = NULL;
        long v = strtol(limit, &end, 10);
        if (!*limit || *end || limit[0] == '+' || v < 1 || v > FORWARD_PAGE_MAX)
            ow_error_add_violation(err, "limit", "must be an integer from 1 to %d",
                                   FORWARD_PAGE_MAX);
        else
            c->limit = (size_t)v;
    }
    if (after && strlen(after) > 128)
        ow_error_add_violation(err, "after", "must be at most 128 characters");
    else if (after && !(c->after = strdup(after)))
        ow_error_set(err, OW_INTERNAL, "out of memory");
    json_object_del(query, "limit");
    json_object_del(query, "after");
}

/* The request of a FORWARD_RAW_BODY spec: its one string field holds the body as sent. */
static int s_pack_raw(const forward_spec_t *spec, exchange_t *ex, uint8_t **out, size_t *len,
                      ow_error_t *err)
{
    size_t n = 0;
    const char *text = exchange_body(ex, &n);
    char *copy = strndup(text, n);
    int rc = -1;
    const ProtobufCFieldDescriptor *f = &spec->request->fields[0];

    if (!copy) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    /* The field is bounded by the service (a calendar is at most 64 KiB): pass it whole. */
    ProtobufCMessage *msg = calloc(1, spec->request->sizeof_message);
    if (!msg) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    spec->request->message_init(msg);
    *(char **)((char *)msg + f->offset) = copy;
    rc = ow_pack(msg, out, len, err);
    free(msg);
done:
    free(copy);
    return rc;
}

void forward_serve(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who,
                   const forward_spec_t *spec)
{
    ow_error_t err;
    json_t *input = NULL;
    const char *key = NULL;
    s_call_t *c = calloc(1, sizeof *c);

    ow_error_clear(&err);
    if (!c) {
        exchange_reply_json(ex, 500, NULL);
        return;
    }
    *c = (s_call_t){.api = self, .ex = ex, .spec = spec, .who = *who};
    snprintf(c->caller, sizeof c->caller, "%s", who->subject);
    snprintf(c->param, sizeof c->param, "%s", param ? param : "");

    if (spec->flags & FORWARD_STATE_CHANGE) {
        input = api_read_post(ex, &key, &err);
        if (!input)
            goto refuse;
        if (!(c->key = strdup(key))) {
            ow_error_set(&err, OW_INTERNAL, "out of memory");
            goto refuse;
        }
    } else {
        input = route_parse_query(exchange_query(ex), &err);
        if (!input)
            goto refuse;
        if (spec->page_array)
            s_page_query(c, input, &err);
    }
    /* Every invalid field first (a malformed request is refused as such), then the caller's
     * rule: a denial waits until the request is known to be well formed. */
    ow_error_t denied;
    ow_error_clear(&denied);
    if (spec->check && spec->check(self, &c->who, input, c->caller, &err) != 0 &&
        err.code != OW_INVALID_ARGUMENT) {
        denied = err;
        ow_error_clear(&err);
    }
    const pb_json_fixed_t fixed[] = {{spec->param_field, c->param}, {NULL, NULL}};
    int rc = (spec->flags & FORWARD_RAW_BODY)
                 ? (ow_error_finish_violations(&err) == 0 && err.code == OW_OK
                        ? s_pack_raw(spec, ex, &c->payload, &c->len, &err)
                        : -1)
                 : pb_json_pack(spec->request, input, fixed,
                                (spec->flags & FORWARD_STATE_CHANGE) ? 0 : PB_JSON_QUERY,
                                &c->payload, &c->len, &err);
    if (rc != 0)
        goto refuse;
    if (denied.code != OW_OK) {
        err = denied;
        goto refuse;
    }
    json_decref(input);
    if (spec->flags & FORWARD_CASE)
        api_with_case(self, ex, &c->who, c->param, s_call, s_call_destroy, c);
    else if (spec->flags & FORWARD_TICKET)
        ticket_access_check(self, ex, &c->who, c->param, s_call, s_call_destroy, c);
    else
        s_call(self, ex, c);
    return;
refuse:
    if (err.code == OW_OK)
        ow_error_set(&err, OW_INTERNAL, "the request could not be prepared");
    exchange_reply_error(ex, &err);
    json_decref(input);
    s_call_destroy(c);
}
