/* ow_ops_http — the metrics registry and each daemon's operations HTTP port.
 *
 * Metrics are kept as families (one name, one help text, one type) holding series (one
 * label set each). Every slot is its own allocation so the pointers handed out stay valid
 * however many metrics are added later. Rendering follows the Prometheus text exposition
 * format 0.0.4: one HELP and one TYPE line per family, then its series; every name gets
 * the "onewindow_" prefix and every series the label service="<daemon>".
 *
 * The HTTP port is libevent's evhttp on the daemon's loop. evhttp has no limits by default
 * (ARCHITECTURE "Known pitfalls"), so headers, bodies and idle connections are bounded
 * here: the ops port only ever answers small GETs. */
#include "ow_ops_http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ow_log.h"

#define OW_METRICS_PREFIX "onewindow_"

/* The ops port answers three tiny GETs: anything bigger is not for us. */
#define S_MAX_HEADERS_SIZE 8192
#define S_MAX_BODY_SIZE    1024
#define S_TIMEOUT_S        10
#define S_WHY_MAX          512

typedef enum { S_COUNTER, S_GAUGE } s_kind_t;

typedef struct s_series {
    char *labels; /* `key="value",…` without braces, or NULL */
    union {
        uint64_t counter;
        double gauge;
    } value;
    struct s_series *next;
} s_series_t;

typedef struct s_family {
    char *name; /* without the prefix */
    char *help;
    s_kind_t kind;
    s_series_t *series; /* in registration order */
    s_series_t *last;
    struct s_family *next;
} s_family_t;

typedef struct s_scrape_hook {
    void (*fn)(ow_metrics_t *m, void *arg);
    void *arg;
    struct s_scrape_hook *next;
} s_scrape_hook_t;

struct ow_metrics {
    char *service;
    s_family_t *families; /* in registration order */
    s_family_t *last;
    s_scrape_hook_t *hooks;
    s_scrape_hook_t *last_hook;
};

struct ow_ops_http {
    struct evhttp *http;
    ow_metrics_t *metrics; /* borrowed: the daemon owns it */
    ow_ready_fn *ready;
    void *ready_arg;
    int port;
};

/* ---- metrics registry ---- */

/* Creates an empty registry labelling every series with service. Returns NULL when out of
 * memory. Caller owns it. */
ow_metrics_t *ow_metrics_new(const char *service)
{
    ow_metrics_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = strdup(service ? service : "");
    if (!self->service) {
        free(self);
        return NULL;
    }
    return self;
}

/* Frees the registry and every slot it handed out. Sets *self_p to NULL. */
void ow_metrics_destroy(ow_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_metrics_t *self = *self_p;
    s_family_t *f = self->families;
    while (f) {
        s_family_t *next_f = f->next;
        s_series_t *s = f->series;
        while (s) {
            s_series_t *next_s = s->next;
            free(s->labels);
            free(s);
            s = next_s;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = next_f;
    }
    s_scrape_hook_t *h = self->hooks;
    while (h) {
        s_scrape_hook_t *next_h = h->next;
        free(h);
        h = next_h;
    }
    free(self->service);
    free(self);
    *self_p = NULL;
}

/* True when name is a valid Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static bool s_name_valid(const char *name)
{
    if (!name || !*name)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (p != name && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static bool s_str_eq(const char *a, const char *b)
{
    if (!a || !*a)
        return !b || !*b;
    return b && strcmp(a, b) == 0;
}

/* Finds or creates the series (name, labels) of the given kind. Returns NULL when out of
 * memory, when name is not a valid metric name or was already registered as the other kind
 * (a programmer's mistake, caught by the assert in debug builds and logged otherwise). */
static s_series_t *s_slot(ow_metrics_t *self, s_kind_t kind, const char *name, const char *labels,
                          const char *help)
{
    if (!s_name_valid(name)) {
        assert(!"invalid metric name");
        ow_error("metric name '%s' is not a valid Prometheus name", name ? name : "");
        return NULL;
    }
    s_family_t *f = self->families;
    while (f && strcmp(f->name, name) != 0)
        f = f->next;
    if (f && f->kind != kind) {
        assert(!"metric registered as both counter and gauge");
        ow_error("metric %s registered as both counter and gauge", name);
        return NULL;
    }
    if (!f) {
        f = calloc(1, sizeof *f);
        if (!f)
            return NULL;
        f->name = strdup(name);
        f->help = strdup(help ? help : "");
        f->kind = kind;
        if (!f->name || !f->help) {
            free(f->name);
            free(f->help);
            free(f);
            return NULL;
        }
        if (self->last)
            self->last->next = f;
        else
            self->families = f;
        self->last = f;
    }
    for (s_series_t *s = f->series; s; s = s->next)
        if (s_str_eq(s->labels, labels))
            return s;
    s_series_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (labels && *labels) {
        s->labels = strdup(labels);
        if (!s->labels) {
            free(s);
            return NULL;
        }
    }
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
    return s;
}

/* Returns the counter slot for (name, labels), created at 0 on first use. The registry
 * owns it. NULL only when out of memory or name is invalid or already a gauge. */
uint64_t *ow_metrics_counter(ow_metrics_t *self, const char *name, const char *labels,
                             const char *help)
{
    s_series_t *s = s_slot(self, S_COUNTER, name, labels, help);
    return s ? &s->value.counter : NULL;
}

/* Returns the gauge slot for (name, labels), created at 0 on first use. The registry owns
 * it. NULL only when out of memory or name is invalid or already a counter. */
double *ow_metrics_gauge(ow_metrics_t *self, const char *name, const char *labels, const char *help)
{
    s_series_t *s = s_slot(self, S_GAUGE, name, labels, help);
    return s ? &s->value.gauge : NULL;
}

/* Adds fn to the hooks run, in registration order, before every render. Out of memory
 * leaves the hook unregistered (logged): the scrape then shows older values. */
void ow_metrics_on_scrape(ow_metrics_t *self, void (*fn)(ow_metrics_t *m, void *arg), void *arg)
{
    s_scrape_hook_t *h = calloc(1, sizeof *h);
    if (!h) {
        ow_error("out of memory registering a metrics scrape hook");
        return;
    }
    h->fn = fn;
    h->arg = arg;
    if (self->last_hook)
        self->last_hook->next = h;
    else
        self->hooks = h;
    self->last_hook = h;
}

/* A growing text buffer; on out of memory it records the failure and ignores more text,
 * so rendering has one check at the end. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} s_text_t;

static void s_text_add(s_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_text_add(s_text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2;
        while (cap - t->len <= (size_t)n)
            cap *= 2;
        char *data = realloc(t->data, cap);
        if (!data) {
            t->failed = true;
            return;
        }
        t->data = data;
        t->cap = cap;
    }
}

/* Appends text escaped for a HELP line (\\ and \n) or, with quote, a label value (also \"). */
static void s_text_escaped(s_text_t *t, const char *text, bool quote)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            s_text_add(t, "\\\\");
        else if (*p == '\n')
            s_text_add(t, "\\n");
        else if (quote && *p == '"')
            s_text_add(t, "\\\"");
        else
            s_text_add(t, "%c", *p);
    }
}

/* Formats a gauge the way Prometheus parses it: NaN, +Inf, -Inf, else the shortest of
 * %.15g / %.17g that reads back as the same double. */
static void s_text_double(s_text_t *t, double v)
{
    if (isnan(v)) {
        s_text_add(t, "NaN");
        return;
    }
    if (isinf(v)) {
        s_text_add(t, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    s_text_add(t, "%s", buf);
}

/* Runs the scrape hooks, then renders every family. Returns a new string the caller frees,
 * or NULL when out of memory. */
char *ow_metrics_render(ow_metrics_t *self)
{
    for (s_scrape_hook_t *h = self->hooks; h; h = h->next)
        h->fn(self, h->arg);

    s_text_t t = {.data = malloc(4096), .len = 0, .cap = 4096, .failed = false};
    if (!t.data)
        return NULL;
    t.data[0] = '\0';
    for (s_family_t *f = self->families; f; f = f->next) {
        if (*f->help) {
            s_text_add(&t, "# HELP " OW_METRICS_PREFIX "%s ", f->name);
            s_text_escaped(&t, f->help, false);
            s_text_add(&t, "\n");
        }
        s_text_add(&t, "# TYPE " OW_METRICS_PREFIX "%s %s\n", f->name,
                   f->kind == S_COUNTER ? "counter" : "gauge");
        for (s_series_t *s = f->series; s; s = s->next) {
            s_text_add(&t, OW_METRICS_PREFIX "%s{service=\"", f->name);
            s_text_escaped(&t, self->service, true);
            s_text_add(&t, "\"%s%s} ", s->labels ? "," : "", s->labels ? s->labels : "");
            if (f->kind == S_COUNTER)
                s_text_add(&t, "%llu", (unsigned long long)s->value.counter);
            else
                s_text_double(&t, s->value.gauge);
            s_text_add(&t, "\n");
        }
    }
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

/* ---- the HTTP port ---- */

static void s_reply_text(struct evhttp_request *req, int code, const char *reason,
                         const char *content_type, const char *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    struct evbuffer *buf = evbuffer_new();
    if (!buf) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evbuffer_add(buf, body, strlen(body));
    evhttp_send_reply(req, code, reason, buf);
    evbuffer_free(buf);
}

static void s_on_request(struct evhttp_request *req, void *arg)
{
    ow_ops_http_t *self = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path)
        path = "/";

    if (strcmp(path, "/healthz") == 0) {
        /* Answering at all proves the loop turns: that is what "alive" means here. */
        s_reply_text(req, HTTP_OK, "OK", "text/plain; charset=utf-8", "ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        char why[S_WHY_MAX] = "";
        if (!self->ready || self->ready(self->ready_arg, why, sizeof why)) {
            s_reply_text(req, HTTP_OK, "OK", "text/plain; charset=utf-8", "ready\n");
        } else {
            char body[S_WHY_MAX + 32];
            snprintf(body, sizeof body, "not ready: %s\n", *why ? why : "unknown reason");
            s_reply_text(req, 503, "Service Unavailable", "text/plain; charset=utf-8", body);
        }
    } else if (strcmp(path, "/metrics") == 0) {
        char *text = ow_metrics_render(self->metrics);
        if (!text) {
            evhttp_send_error(req, HTTP_INTERNAL, "out of memory rendering metrics");
            return;
        }
        s_reply_text(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", text);
        free(text);
    } else {
        s_reply_text(req, HTTP_NOTFOUND, "Not Found", "text/plain; charset=utf-8",
                     "not found: the ops port serves /healthz, /readyz and /metrics\n");
    }
}

/* Splits "host:port" or "[v6]:port" into host (size bytes) and port. Returns -1 when the
 * text is not of that form. */
static int s_parse_bind(const char *bind, char *host, size_t size, int *port)
{
    const char *colon = strrchr(bind, ':');
    if (!colon || colon == bind)
        return -1;
    const char *h = bind;
    size_t hlen = (size_t)(colon - bind);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -1;
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= size)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

/* Binds the ops port on the loop's event_base. metrics and ready/arg are borrowed and must
 * outlive the port. On failure (bad bind text, address in use) returns NULL with err
 * (INVALID_ARGUMENT or UNAVAILABLE) and binds nothing. Caller owns the result. */
ow_ops_http_t *ow_ops_http_new(ow_loop_t *loop, const char *bind, ow_metrics_t *metrics,
                               ow_ready_fn *ready, void *arg, ow_error_t *err)
{
    ow_ops_http_t *self = NULL;
    char host[256];
    int port = 0;
    if (!bind || s_parse_bind(bind, host, sizeof host, &port) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "http.bind '%s' is not host:port (e.g. 127.0.0.1:8110; port 0 picks one)",
                     bind ? bind : "");
        goto fail;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory creating the ops port");
        goto fail;
    }
    self->metrics = metrics;
    self->ready = ready;
    self->ready_arg = arg;
    self->http = evhttp_new(ow_loop_base(loop));
    if (!self->http) {
        ow_error_set(err, OW_INTERNAL, "cannot create the ops HTTP server");
        goto fail;
    }
    evhttp_set_max_headers_size(self->http, S_MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(self->http, S_MAX_BODY_SIZE);
    evhttp_set_timeout(self->http, S_TIMEOUT_S);
    evhttp_set_allowed_methods(self->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(self->http, s_on_request, self);

    struct evhttp_bound_socket *handle =
        evhttp_bind_socket_with_handle(self->http, host, (ev_uint16_t)port);
    if (!handle) {
        ow_error_set(err, OW_UNAVAILABLE,
                     "cannot listen on http.bind %s: %s (is another daemon using the port?)", bind,
                     strerror(errno));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    evutil_socket_t fd = evhttp_bound_socket_get_fd(handle);
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        ow_error_set(err, OW_INTERNAL, "cannot read the ops port address: %s", strerror(errno));
        goto fail;
    }
    if (ss.ss_family == AF_INET6)
        self->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        self->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return self;

fail:
    ow_ops_http_destroy(&self);
    return NULL;
}

/* Closes the port and any open connections. Sets *self_p to NULL. */
void ow_ops_http_destroy(ow_ops_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_ops_http_t *self = *self_p;
    if (self->http)
        evhttp_free(self->http);
    free(self);
    *self_p = NULL;
}

int ow_ops_http_port(const ow_ops_http_t *self)
{
    return self->port;
}
