#include "requests.h"

#include <stdio.h>
#include <string.h>

int requests_path_segment(const char *segment, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)segment; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        size_t need = plain ? 1 : 3;
        if (o + need >= size)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 0x0F];
        }
    }
    out[o] = '\0';
    return 0;
}

/* Sets key to a JSON string of value; a word from the command line need not be UTF-8. */
static int s_set_text(json_t *obj, const char *key, const char *value, const char *option,
                      char *msg, size_t size)
{
    json_t *s = json_string(value);
    if (!s) {
        snprintf(msg, size, "%s is not valid UTF-8 text", option);
        return -1;
    }
    return json_object_set_new(obj, key, s);
}

static json_t *s_submit_body(const owctl_command_t *cmd, char *msg, size_t size)
{
    json_t *body = json_object();
    json_t *applicant = json_object();
    json_t *materials = json_array();

    if (!body || !applicant || !materials) {
        snprintf(msg, size, "out of memory");
        goto fail;
    }
    if (s_set_text(applicant, "name", cmd->name, "--name", msg, size) ||
        s_set_text(applicant, "id_number", cmd->id_number, "--id-number", msg, size) ||
        s_set_text(applicant, "phone", cmd->phone, "--phone", msg, size) ||
        s_set_text(applicant, "id_type", cmd->id_type ? cmd->id_type : "resident_id", "--id-type",
                   msg, size) ||
        (cmd->email && s_set_text(applicant, "email", cmd->email, "--email", msg, size)))
        goto fail;
    for (size_t i = 0; i < cmd->material_count; i++) {
        json_t *code = json_string(cmd->materials[i]);
        if (!code) {
            snprintf(msg, size, "--material %zu is not valid UTF-8 text", i + 1);
            goto fail;
        }
        json_array_append_new(materials, code);
    }
    if (s_set_text(body, "item_code", cmd->item, "--item", msg, size) ||
        s_set_text(body, "channel", cmd->channel ? cmd->channel : "window", "--channel", msg,
                   size) ||
        (cmd->centre && s_set_text(body, "centre_id", cmd->centre, "--centre", msg, size)))
        goto fail;
    json_object_set_new(body, "applicant", applicant);
    json_object_set_new(body, "materials", materials);
    return body;
fail:
    json_decref(body);
    json_decref(applicant);
    json_decref(materials);
    return NULL;
}

/* case accept: the DecideReceipt body of POST /v1/cases/{case_no}/acceptance. */
static json_t *s_accept_body(const owctl_command_t *cmd, char *msg, size_t size)
{
    json_t *body = json_object();
    json_t *defects = json_array();
    if (!body || !defects)
        goto oom;
    for (size_t i = 0; i < cmd->defect_count; i++) {
        const char *eq = strchr(cmd->defects[i], '=');
        json_t *d = json_object();
        json_t *code = eq ? json_stringn(cmd->defects[i], (size_t)(eq - cmd->defects[i])) : NULL;
        if (!d || !code || json_object_set_new(d, "code", code) != 0 ||
            s_set_text(d, "reason", eq + 1, "--defect", msg, size) != 0) {
            json_decref(d);
            if (!msg[0])
                snprintf(msg, size, "--defect %zu is not CODE=REASON in UTF-8", i + 1);
            goto fail;
        }
        json_array_append_new(defects, d);
    }
    if (cmd->defect_count)
        json_object_set(body, "defects", defects);
    if (cmd->rongque)
        json_object_set_new(body, "rongque_requested", json_true());
    if (cmd->commitment)
        json_object_set_new(body, "commitment_signed", json_true());
    if (cmd->not_a_matter)
        json_object_set_new(body, "not_a_matter", json_true());
    if ((cmd->supply_due &&
         s_set_text(body, "supply_due", cmd->supply_due, "--supply-due", msg, size) != 0) ||
        (cmd->refer_to && s_set_text(body, "refer_to", cmd->refer_to, "--refer-to", msg, size)))
        goto fail;
    json_decref(defects);
    return body;
oom:
    snprintf(msg, size, "out of memory");
fail:
    json_decref(defects);
    json_decref(body);
    return NULL;
}

/* A query parameter of a GET; a NULL value is left out. */
typedef struct {
    const char *name;
    const char *value;
} s_param_t;

/* base?name=value&…: every value percent-encoded. Returns 0, or -1 when the path does not fit
 * in size bytes. */
static int s_query(const char *base, const s_param_t *params, size_t n, char *path, size_t size)
{
    char value[200];
    char sep = '?';
    int head = snprintf(path, size, "%s", base);
    if (head < 0 || (size_t)head >= size)
        return -1;
    size_t used = (size_t)head;
    for (size_t i = 0; i < n; i++) {
        if (!params[i].value)
            continue;
        if (requests_path_segment(params[i].value, value, sizeof value) != 0)
            return -1;
        int k = snprintf(path + used, size - used, "%c%s=%s", sep, params[i].name, value);
        sep = '&';
        if (k < 0 || (size_t)k >= size - used)
            return -1;
        used += (size_t)k;
    }
    return 0;
}

/* GET /v1/reports/ratings?dimension=…. Returns 0, or -1 when the path does not fit. */
static int s_report_query(const owctl_command_t *cmd, char *path, size_t size)
{
    const s_param_t params[] = {
        {"dimension", cmd->dimension}, {"key", cmd->report_key}, {"period", cmd->period},
        {"from", cmd->from},           {"to", cmd->to},          {"page_size", cmd->limit},
        {"page_token", cmd->after}};
    return s_query("/v1/reports/ratings", params, sizeof params / sizeof params[0], path, size);
}

/* GET /v1/slots?centre_id=…. Returns 0, or -1 when the path does not fit. */
static int s_slots_query(const owctl_command_t *cmd, char *path, size_t size)
{
    const s_param_t params[] = {{"centre_id", cmd->centre},
                                {"item_group", cmd->item_group},
                                {"window", cmd->window},
                                {"limit", cmd->limit}};
    return s_query("/v1/slots", params, sizeof params / sizeof params[0], path, size);
}

/* The POSTs of appointments and the queue: path and body. Returns 0, or -1 with msg. */
static int s_hall(const owctl_command_t *cmd, owctl_request_t *req, char *msg, size_t size)
{
    char segment[200] = "";
    const char *word = cmd->verb == OWCTL_QUEUE_CALL ? cmd->window : cmd->hall_id;
    if (word && requests_path_segment(word, segment, sizeof segment) != 0) {
        snprintf(msg, size, "'%.40s…' is too long", word);
        return -1;
    }
    req->method = "POST";
    req->needs_idempotency_key = true;
    json_t *body = req->body = json_object();
    json_t *applicant = NULL;
    if (!body) {
        snprintf(msg, size, "out of memory");
        return -1;
    }
    switch (cmd->verb) {
    case OWCTL_APPOINTMENT_BOOK:
        snprintf(req->path, sizeof req->path, "/v1/appointments");
        if (!(applicant = json_object()) || json_object_set_new(body, "applicant", applicant) ||
            s_set_text(body, "slot_id", cmd->slot, "--slot", msg, size) ||
            s_set_text(applicant, "name", cmd->name, "--name", msg, size) ||
            s_set_text(applicant, "id_type", cmd->id_type ? cmd->id_type : "resident_id",
                       "--id-type", msg, size) ||
            s_set_text(applicant, "id_number", cmd->id_number, "--id-number", msg, size) ||
            s_set_text(applicant, "phone", cmd->phone, "--phone", msg, size))
            goto fail;
        return 0;
    case OWCTL_APPOINTMENT_CANCEL:
        snprintf(req->path, sizeof req->path, "/v1/appointments/%s/cancel", segment);
        if (cmd->reason && s_set_text(body, "reason", cmd->reason, "--reason", msg, size))
            goto fail;
        return 0;
    case OWCTL_APPOINTMENT_ARRIVE:
        snprintf(req->path, sizeof req->path, "/v1/appointments/%s/arrival", segment);
        return 0;
    case OWCTL_QUEUE_TAKE:
        snprintf(req->path, sizeof req->path, "/v1/queue/tickets");
        if (s_set_text(body, "centre_id", cmd->centre, "--centre", msg, size) ||
            s_set_text(body, "window", cmd->window, "--window", msg, size) ||
            (cmd->id_number &&
             (s_set_text(body, "id_number", cmd->id_number, "--id-number", msg, size) ||
              s_set_text(body, "id_type", cmd->id_type ? cmd->id_type : "resident_id", "--id-type",
                         msg, size))))
            goto fail;
        return 0;
    case OWCTL_QUEUE_CALL:
        snprintf(req->path, sizeof req->path, "/v1/queue/windows/%s/call", segment);
        if (s_set_text(body, "centre_id", cmd->centre, "--centre", msg, size))
            goto fail;
        return 0;
    default:
        snprintf(req->path, sizeof req->path, "/v1/queue/tickets/%s/%s", segment,
                 cmd->verb == OWCTL_QUEUE_MISSED    ? "missed"
                 : cmd->verb == OWCTL_QUEUE_SERVING ? "serving"
                                                    : "done");
        return 0;
    }
fail:
    if (!msg[0])
        snprintf(msg, size, "out of memory");
    return -1;
}

int requests_build(const owctl_command_t *cmd, owctl_request_t *req, char *msg, size_t msg_size)
{
    char segment[200];

    memset(req, 0, sizeof *req);
    msg[0] = '\0';
    switch (cmd->verb) {
    case OWCTL_SUBMIT:
        req->method = "POST";
        snprintf(req->path, sizeof req->path, "/v1/applications");
        req->body = s_submit_body(cmd, msg, msg_size);
        req->needs_idempotency_key = true;
        return req->body ? 0 : -1;
    case OWCTL_CASE_SHOW:
        req->method = "GET";
        if (requests_path_segment(cmd->case_no, segment, sizeof segment) != 0) {
            snprintf(msg, msg_size, "case number '%.40s…' is too long", cmd->case_no);
            return -1;
        }
        snprintf(req->path, sizeof req->path, "/v1/cases/%s", segment);
        return 0;
    case OWCTL_CASE_ACCEPT:
        req->method = "POST";
        if (requests_path_segment(cmd->case_no, segment, sizeof segment) != 0) {
            snprintf(msg, msg_size, "case number '%.40s…' is too long", cmd->case_no);
            return -1;
        }
        snprintf(req->path, sizeof req->path, "/v1/cases/%s/acceptance", segment);
        req->body = s_accept_body(cmd, msg, msg_size);
        req->needs_idempotency_key = true;
        return req->body ? 0 : -1;
    case OWCTL_CLOCK_ADVANCE:
        req->method = "POST";
        snprintf(req->path, sizeof req->path, "/v1/admin/clock");
        req->body = json_pack("{s:I}", "advance_seconds", (json_int_t)cmd->seconds);
        req->needs_idempotency_key = true;
        if (!req->body) {
            snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        return 0;
    case OWCTL_CLOCK_SHOW:
        req->method = "GET";
        snprintf(req->path, sizeof req->path, "/v1/admin/clock");
        return 0;
    case OWCTL_TOKEN_ISSUE:
        req->method = "POST";
        snprintf(req->path, sizeof req->path, "/v1/admin/tokens");
        req->needs_idempotency_key = true;
        req->body = json_object();
        if (!req->body ||
            s_set_text(req->body, "subject", cmd->subject, "--subject", msg, msg_size) ||
            s_set_text(req->body, "role", cmd->role, "--role", msg, msg_size) ||
            s_set_text(req->body, "centre_id", cmd->centre, "--centre", msg, msg_size) ||
            (cmd->subscriptions && s_set_text(req->body, "subscriptions", cmd->subscriptions,
                                              "--subscriptions", msg, msg_size)) ||
            (cmd->ttl && json_object_set_new(req->body, "ttl_seconds",
                                             json_integer((json_int_t)cmd->seconds)) != 0)) {
            if (!msg[0])
                snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        return 0;
    case OWCTL_TOKEN_REVOKE:
        req->method = "POST";
        req->needs_idempotency_key = true;
        if (requests_path_segment(cmd->token_id, segment, sizeof segment) != 0) {
            snprintf(msg, msg_size, "token id '%.40s…' is too long", cmd->token_id);
            return -1;
        }
        snprintf(req->path, sizeof req->path, "/v1/admin/tokens/%s/revoke", segment);
        return 0;
    case OWCTL_CENTRE_KEYGEN:
        /* main.c adds "public_key" to the body once the pair exists */
        req->method = "POST";
        req->needs_idempotency_key = true;
        snprintf(req->path, sizeof req->path, "/v1/admin/centre-keys");
        if (!cmd->out || !*cmd->out || !cmd->centre == !cmd->integrator ||
            !cmd->integrator != !cmd->subscriptions) {
            snprintf(msg, msg_size,
                     "centre keygen needs --centre ID and --out FILE, or --integrator NAME "
                     "--subscriptions L --out FILE (or --server --out FILE for the gateway's "
                     "own pair)");
            return -1;
        }
        req->body = json_object();
        if (!req->body ||
            (cmd->centre &&
             s_set_text(req->body, "centre_id", cmd->centre, "--centre", msg, msg_size)) ||
            (cmd->integrator &&
             (s_set_text(req->body, "integrator", cmd->integrator, "--integrator", msg, msg_size) ||
              s_set_text(req->body, "subscriptions", cmd->subscriptions, "--subscriptions", msg,
                         msg_size))) ||
            (cmd->label && s_set_text(req->body, "label", cmd->label, "--label", msg, msg_size))) {
            if (!msg[0])
                snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        return 0;
    case OWCTL_CENTRE_REVOKE:
        req->method = "POST";
        req->needs_idempotency_key = true;
        if (requests_path_segment(cmd->key_id, segment, sizeof segment) != 0) {
            snprintf(msg, msg_size, "key id '%.40s…' is too long", cmd->key_id);
            return -1;
        }
        snprintf(req->path, sizeof req->path, "/v1/admin/centre-keys/%s/revoke", segment);
        return 0;
    case OWCTL_TOKEN_LIST: {
        char after[100] = "";
        char limit[40] = "";
        if ((cmd->after && requests_path_segment(cmd->after, after, sizeof after) != 0) ||
            (cmd->limit && requests_path_segment(cmd->limit, limit, sizeof limit) != 0)) {
            snprintf(msg, msg_size, "--after or --limit is too long");
            return -1;
        }
        req->method = "GET";
        snprintf(req->path, sizeof req->path, "/v1/admin/tokens?after=%s%s%s", after,
                 cmd->limit ? "&limit=" : "", limit);
        return 0;
    }
    case OWCTL_CALENDAR_LOAD:
        /* main.c reads the file into the body: this module does no I/O */
        req->method = "POST";
        req->needs_idempotency_key = true;
        snprintf(req->path, sizeof req->path, "/v1/admin/calendars");
        return 0;
    case OWCTL_NOTIFY_RESEND:
        req->method = "POST";
        req->needs_idempotency_key = true;
        if (requests_path_segment(cmd->delivery_id, segment, sizeof segment) != 0) {
            snprintf(msg, msg_size, "delivery id '%.40s…' is too long", cmd->delivery_id);
            return -1;
        }
        snprintf(req->path, sizeof req->path, "/v1/admin/dead-letters/%s/resend", segment);
        req->body = json_object();
        if (!req->body) {
            snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        return 0;
    case OWCTL_NOTIFY_DEAD: {
        char after[100] = "";
        char limit[40] = "";
        if ((cmd->after && requests_path_segment(cmd->after, after, sizeof after) != 0) ||
            (cmd->limit && requests_path_segment(cmd->limit, limit, sizeof limit) != 0)) {
            snprintf(msg, msg_size, "--after or --limit is too long");
            return -1;
        }
        req->method = "GET";
        snprintf(req->path, sizeof req->path, "/v1/admin/dead-letters?after_delivery_id=%s%s%s",
                 after, cmd->limit ? "&limit=" : "", limit);
        return 0;
    }
    case OWCTL_REPORT:
        req->method = "GET";
        if (s_report_query(cmd, req->path, sizeof req->path) != 0) {
            snprintf(msg, msg_size, "the report's arguments are too long for a request");
            return -1;
        }
        return 0;
    case OWCTL_ASSESSMENT_MONTH: {
        char month[40] = "";
        char after[100] = "";
        char limit[40] = "";
        if (requests_path_segment(cmd->month, month, sizeof month) != 0 ||
            (cmd->after && requests_path_segment(cmd->after, after, sizeof after) != 0) ||
            (cmd->limit && requests_path_segment(cmd->limit, limit, sizeof limit) != 0)) {
            snprintf(msg, msg_size, "the month, --after or --limit is too long");
            return -1;
        }
        req->method = "GET";
        snprintf(req->path, sizeof req->path, "/v1/assessments/%s?limit=%s%s%s", month,
                 cmd->limit ? limit : "500", cmd->after ? "&after=" : "", after);
        return 0;
    }
    case OWCTL_SLOTS:
        req->method = "GET";
        if (s_slots_query(cmd, req->path, sizeof req->path) != 0) {
            snprintf(msg, msg_size, "the arguments are too long for a request");
            return -1;
        }
        return 0;
    case OWCTL_APPOINTMENT_BOOK:
    case OWCTL_APPOINTMENT_CANCEL:
    case OWCTL_APPOINTMENT_ARRIVE:
    case OWCTL_QUEUE_TAKE:
    case OWCTL_QUEUE_CALL:
    case OWCTL_QUEUE_MISSED:
    case OWCTL_QUEUE_SERVING:
    case OWCTL_QUEUE_DONE:
        return s_hall(cmd, req, msg, msg_size);
    case OWCTL_ASSESSMENT_YEAR: {
        char year[40] = "";
        char after[100] = "";
        char limit[40] = "";
        if (requests_path_segment(cmd->year, year, sizeof year) != 0 ||
            (cmd->after && requests_path_segment(cmd->after, after, sizeof after) != 0) ||
            (cmd->limit && requests_path_segment(cmd->limit, limit, sizeof limit) != 0)) {
            snprintf(msg, msg_size, "the year, --after or --limit is too long");
            return -1;
        }
        req->method = "GET";
        snprintf(req->path, sizeof req->path, "/v1/assessments/years/%s?limit=%s%s%s", year,
                 cmd->limit ? limit : "500", cmd->after ? "&after=" : "", after);
        return 0;
    }
    default:
        snprintf(msg, msg_size, "this command does not talk to the gateway");
        return -1;
    }
}

void requests_clear(owctl_request_t *req)
{
    json_decref(req->body);
    req->body = NULL;
}
