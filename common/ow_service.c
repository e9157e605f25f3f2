/* ow_service — the wiring every daemon shares (see ow_service.h for the configuration
 * keys). Start-up is synchronous and ordered so that the first failure stops it with a
 * message naming what to fix: configuration, log, loop, metrics, ops port, then (for a
 * daemon with a source) database, migrations, test clock, request socket, relay, inbox.
 *
 * Test clock: every daemon with a database follows the gateway's events — the gateway
 * included, so its own clock.advanced comes back through the same path and is applied
 * idempotently (offsets only grow). The offset is stored in <schema>.test_clock in the
 * inbox's transaction and applied to ow_clock only after that transaction commits, so the
 * clock never runs ahead of what a restart would load. */
#include "ow_service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onewindow/v1/envelope.pb-c.h"

#define S_FOLLOW_MAX        16
#define S_DEFAULT_DB_URL    "postgresql:///onewindow"
#define S_DEFAULT_PUBLISH   "tcp://127.0.0.1:7100"
#define S_DEFAULT_SUBSCRIBE "tcp://127.0.0.1:7101"
#define S_BUSD_HTTP         "127.0.0.1:8100"
#define S_CLOCK_SOURCE      "gateway"
#define S_CLOCK_EVENT       "clock.advanced"

/* One machine's defaults: the request socket and ops port of every source. */
static const struct {
    const char *source;
    const char *endpoint;
    const char *http;
} s_defaults[] = {
    {"intake", "tcp://127.0.0.1:7110", "127.0.0.1:8110"},
    {"routing", "tcp://127.0.0.1:7120", "127.0.0.1:8120"},
    {"deadline", "tcp://127.0.0.1:7130", "127.0.0.1:8130"},
    {"evaluation", "tcp://127.0.0.1:7140", "127.0.0.1:8140"},
    {"notify", "tcp://127.0.0.1:7150", "127.0.0.1:8150"},
    {"gateway", "tcp://127.0.0.1:7160", "127.0.0.1:8160"},
};
#define S_DEFAULTS_COUNT (sizeof s_defaults / sizeof s_defaults[0])

struct ow_service {
    const char *name;   /* borrowed from the spec (static in main.c) */
    const char *source; /* borrowed; NULL for busd */
    ow_config_t *config;
    ow_loop_t *loop;
    ow_metrics_t *metrics;
    ow_ops_http_t *ops;
    ow_db_t *db;
    ow_rpc_server_t *rpc;
    ow_relay_t *relay;
    ow_inbox_t *inbox;
    ow_ready_fn *ready_fn;
    void *ready_arg;
    bool test_clock;
    int64_t stored_offset_us; /* largest offset written by the inbox transaction */
    char *http_bind;
    char *followed[S_FOLLOW_MAX];
    size_t followed_count;
    /* metric slots, owned by metrics */
    uint64_t *m_rpc_requests;
    uint64_t *m_rpc_malformed;
    uint64_t *m_inbox_applied;
    uint64_t *m_inbox_skipped;
    uint64_t *m_inbox_poison;
    double *m_relay_last_seq;
    uint64_t *m_relay_dropped;
    double *m_clock_offset;
    double *m_test_clock;
    double *m_start_time;
};

/* ---- defaults ---- */

const char *ow_service_default_endpoint(const char *source)
{
    for (size_t i = 0; source && i < S_DEFAULTS_COUNT; i++)
        if (strcmp(s_defaults[i].source, source) == 0)
            return s_defaults[i].endpoint;
    return NULL;
}

static const char *s_default_http(const char *source)
{
    for (size_t i = 0; source && i < S_DEFAULTS_COUNT; i++)
        if (strcmp(s_defaults[i].source, source) == 0)
            return s_defaults[i].http;
    return S_BUSD_HTTP;
}

/* ---- accessors ---- */

ow_config_t *ow_service_config(ow_service_t *self)
{
    return self->config;
}

ow_loop_t *ow_service_loop(ow_service_t *self)
{
    return self->loop;
}

ow_db_t *ow_service_db(ow_service_t *self)
{
    return self->db;
}

ow_rpc_server_t *ow_service_rpc(ow_service_t *self)
{
    return self->rpc;
}

ow_relay_t *ow_service_relay(ow_service_t *self)
{
    return self->relay;
}

ow_inbox_t *ow_service_inbox(ow_service_t *self)
{
    return self->inbox;
}

ow_metrics_t *ow_service_metrics(ow_service_t *self)
{
    return self->metrics;
}

/* Config endpoint.<source>, else the one-machine default; NULL for an unknown source with
 * no configured endpoint. The string is owned by the configuration (or is static). */
const char *ow_service_endpoint(ow_service_t *self, const char *source)
{
    if (!source)
        return NULL;
    char key[64];
    snprintf(key, sizeof key, "endpoint.%s", source);
    return ow_config_get(self->config, key, ow_service_default_endpoint(source));
}

void ow_service_set_ready(ow_service_t *self, ow_ready_fn *fn, void *arg)
{
    self->ready_fn = fn;
    self->ready_arg = arg;
}

/* ---- readiness and metrics ---- */

static bool s_ready(void *arg, char *why, size_t size)
{
    ow_service_t *self = arg;
    if (ow_loop_stopping(self->loop)) {
        snprintf(why, size, "shutting down");
        return false;
    }
    if (self->db && !ow_db_ready(self->db)) {
        snprintf(why, size, "database unreachable (reconnecting with back-off)");
        return false;
    }
    if (self->ready_fn)
        return self->ready_fn(self->ready_arg, why, size);
    return true;
}

/* Counters kept by the components are copied into the registry at each scrape, so the
 * components need not know about metrics. */
static void s_on_scrape(ow_metrics_t *m, void *arg)
{
    (void)m;
    ow_service_t *self = arg;
    if (self->rpc) {
        *self->m_rpc_requests = ow_rpc_server_requests(self->rpc);
        *self->m_rpc_malformed = ow_rpc_server_malformed(self->rpc);
    }
    if (self->inbox) {
        *self->m_inbox_applied = ow_inbox_applied(self->inbox);
        *self->m_inbox_skipped = ow_inbox_skipped(self->inbox);
        *self->m_inbox_poison = ow_inbox_poison(self->inbox);
    }
    if (self->relay) {
        *self->m_relay_last_seq = (double)ow_relay_last_seq(self->relay);
        *self->m_relay_dropped = ow_relay_dropped(self->relay);
    }
    *self->m_clock_offset = (double)ow_clock_offset_us() / 1e6;
    *self->m_test_clock = ow_clock_test_enabled() ? 1 : 0;
}

static int s_register_metrics(ow_service_t *self, ow_error_t *err)
{
    ow_metrics_t *m = self->metrics;
    self->m_start_time =
        ow_metrics_gauge(m, "process_start_time_seconds", NULL, "Start time of the daemon.");
    self->m_clock_offset = ow_metrics_gauge(m, "clock_offset_seconds", NULL,
                                            "Test clock offset applied to the system time.");
    self->m_test_clock =
        ow_metrics_gauge(m, "test_clock_enabled", NULL, "1 when the test clock is enabled.");
    if (!self->m_start_time || !self->m_clock_offset || !self->m_test_clock)
        goto oom;
    *self->m_start_time = (double)ow_clock_real_us() / 1e6;
    if (self->source) {
        self->m_rpc_requests = ow_metrics_counter(m, "rpc_requests_total", NULL,
                                                  "Requests received on the request socket.");
        self->m_rpc_malformed =
            ow_metrics_counter(m, "rpc_malformed_total", NULL,
                               "Frames on the request socket that were not a valid Request.");
        self->m_inbox_applied = ow_metrics_counter(m, "inbox_events_applied_total", NULL,
                                                   "Events applied by the inbox.");
        self->m_inbox_skipped =
            ow_metrics_counter(m, "inbox_events_skipped_total", NULL,
                               "Events skipped by the inbox because already applied.");
        self->m_inbox_poison =
            ow_metrics_counter(m, "inbox_events_poison_total", NULL,
                               "Events that could never apply, logged and skipped.");
        self->m_relay_last_seq = ow_metrics_gauge(m, "relay_last_seq", NULL,
                                                  "Highest seq the outbox relay has assigned.");
        self->m_relay_dropped =
            ow_metrics_counter(m, "relay_dropped_total", NULL,
                               "Events the relay could not hand to busd (recovered by replay).");
        if (!self->m_rpc_requests || !self->m_rpc_malformed || !self->m_inbox_applied ||
            !self->m_inbox_skipped || !self->m_inbox_poison || !self->m_relay_last_seq ||
            !self->m_relay_dropped)
            goto oom;
    }
    ow_metrics_on_scrape(m, s_on_scrape, self);
    return 0;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory registering metrics");
    return -1;
}

/* ---- the test clock ---- */

/* "_clock": this daemon's view of the system time (envelope ClockReply). */
static void s_on_clock_request(ow_rpc_call_t *call, void *arg)
{
    (void)arg;
    Onewindow__V1__ClockReply reply = ONEWINDOW__V1__CLOCK_REPLY__INIT;
    reply.now_us = ow_clock_now_us();
    reply.offset_us = ow_clock_offset_us();
    reply.test_clock = ow_clock_test_enabled();
    uint8_t buf[64]; /* three scalars: at most 3 * 11 bytes */
    size_t len = onewindow__v1__clock_reply__pack(&reply, buf);
    ow_rpc_reply(call, buf, len);
}

/* Inside the inbox transaction: stores the larger offset. The clock itself moves in
 * s_on_inbox_commit, after the commit. A payload that does not decode, or a negative
 * offset, can never apply: INVALID_ARGUMENT makes the inbox skip it as poison. */
static int s_on_clock_advanced(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    ow_service_t *self = arg;
    Onewindow__V1__ClockAdvanced *msg = NULL;
    PGresult *res = NULL;
    int rc = -1;

    if (!self->test_clock) {
        ow_log_kv(OW_LOG_WARN, "clock.advanced ignored: the test clock is off", "event_id",
                  ev->event_id, NULL);
        rc = 0;
        goto done;
    }
    msg = onewindow__v1__clock_advanced__unpack(NULL, ev->payload_len, ev->payload);
    if (!msg) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "clock.advanced %s: payload is not ClockAdvanced",
                     ev->event_id);
        goto done;
    }
    if (msg->offset_us < 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "clock.advanced %s: negative offset %lld would move time backwards",
                     ev->event_id, (long long)msg->offset_us);
        goto done;
    }
    char offset[24];
    snprintf(offset, sizeof offset, "%lld", (long long)msg->offset_us);
    const char *params[] = {offset};
    res = ow_db_exec(db, "ow_service_clock_store", 1, params, err);
    if (!res)
        goto done;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "test_clock has no row (migration common_0001 missing?)");
        goto done;
    }
    int64_t stored = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (stored > self->stored_offset_us)
        self->stored_offset_us = stored;
    ow_log_kv(OW_LOG_INFO, "test clock advance stored", "event_id", ev->event_id, "offset_us",
              offset, "set_by", msg->set_by ? msg->set_by : "", NULL);
    rc = 0;
done:
    if (res)
        PQclear(res);
    if (msg)
        onewindow__v1__clock_advanced__free_unpacked(msg, NULL);
    return rc;
}

/* After an inbox commit: moves the clock to what was stored, and kicks the relay because
 * the service's handlers may have added events in that transaction. */
static void s_on_inbox_commit(void *arg)
{
    ow_service_t *self = arg;
    if (self->test_clock && self->stored_offset_us > ow_clock_offset_us()) {
        ow_clock_set_offset_us(self->stored_offset_us);
        char buf[32];
        ow_log_kv(OW_LOG_INFO, "test clock advanced", "now",
                  ow_clock_format_local(ow_clock_now_us(), buf, sizeof buf), NULL);
    }
    if (self->relay)
        ow_relay_kick(self->relay);
}

/* Loads the stored offset at start: a restarted daemon keeps the time it had. */
static int s_clock_load(ow_service_t *self, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = ow_db_exec(self->db, "ow_service_clock_load", 0, NULL, err);
    if (!res)
        goto done;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "%s.test_clock has no row", self->source);
        goto done;
    }
    int64_t offset = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (self->test_clock) {
        self->stored_offset_us = offset;
        if (offset > 0)
            ow_clock_set_offset_us(offset);
    } else if (offset != 0) {
        ow_log_kv(OW_LOG_WARN, "stored test clock offset ignored: the test clock is off",
                  "offset_us", PQgetvalue(res, 0, 0), NULL);
    }
    rc = 0;
done:
    if (res)
        PQclear(res);
    return rc;
}

/* ---- start-up ---- */

static void s_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Connects as the service's role, retrying with back-off until connect_timeout_s passes
 * (Postgres may still be starting when the daemons start). Returns NULL with err. */
static ow_db_t *s_db_connect(ow_service_t *self, ow_error_t *err)
{
    const char *url = ow_config_get(self->config, "database.url", NULL);
    if (!url || !*url)
        url = getenv("DATABASE_URL");
    if (!url || !*url)
        url = S_DEFAULT_DB_URL;
    char role_default[64];
    snprintf(role_default, sizeof role_default, "ow_%s", self->source);
    const char *role = ow_config_get(self->config, "database.role", role_default);
    const char *password = ow_config_get(self->config, "database.password", "");
    /* The same variable `owctl db init` reads to set the role's password, so one
     * environment file can serve both. */
    char pw_env[64];
    snprintf(pw_env, sizeof pw_env, "OW_%s_DB_PASSWORD", self->source);
    for (char *p = pw_env; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    if (!*password && getenv(pw_env))
        password = getenv(pw_env);
    long timeout_s = 30;
    if (ow_config_get_int(self->config, "database.connect_timeout_s", 30, &timeout_s, err) != 0)
        return NULL;

    int64_t deadline = ow_clock_mono_us() + (int64_t)timeout_s * 1000000;
    long backoff_ms = 100;
    int64_t next_log = 0;
    for (;;) {
        ow_error_t attempt;
        ow_error_clear(&attempt);
        ow_db_t *db = ow_db_new(url, role, password, self->source, self->name, &attempt);
        if (db)
            return db;
        int64_t now = ow_clock_mono_us();
        if (now >= deadline || ow_loop_stopping(self->loop)) {
            ow_error_set(err, OW_UNAVAILABLE,
                         "cannot connect to PostgreSQL as %s within %ld s (database.url, "
                         "DATABASE_URL; has `owctl db init` created the role?): %s",
                         role, timeout_s, attempt.message);
            return NULL;
        }
        if (now >= next_log) {
            ow_log_kv(OW_LOG_WARN, "waiting for PostgreSQL", "role", role, "error", attempt.message,
                      NULL);
            next_log = now + 5000000;
        }
        long left_ms = (long)((deadline - now) / 1000);
        s_sleep_ms(backoff_ms < left_ms ? backoff_ms : left_ms);
        backoff_ms = backoff_ms * 2 > 1000 ? 1000 : backoff_ms * 2;
    }
}

/* The database half of start-up: connect, migrate, clock, sockets, relay, inbox. */
static int s_start_source(ow_service_t *self, const ow_service_spec_t *spec, ow_error_t *err)
{
    self->db = s_db_connect(self, err);
    if (!self->db)
        return -1;
    int applied = ow_migrate(self->db, spec->migrations, spec->migration_count, err);
    if (applied < 0)
        return -1;
    if (applied > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", applied);
        ow_log_kv(OW_LOG_INFO, "migrations applied", "count", n, NULL);
    }
    if (ow_db_prepare(self->db, "ow_service_clock_load", "SELECT offset_us FROM test_clock", err) !=
            0 ||
        ow_db_prepare(self->db, "ow_service_clock_store",
                      "UPDATE test_clock SET offset_us = GREATEST(offset_us, $1::bigint) "
                      "RETURNING offset_us",
                      err) != 0)
        return -1;
    if (s_clock_load(self, err) != 0)
        return -1;

    const char *endpoint = ow_service_endpoint(self, self->source);
    if (!endpoint) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "no endpoint.%s configured and no default for source '%s'", self->source,
                     self->source);
        return -1;
    }
    /* Others connect to endpoint.<source>; across hosts this daemon binds elsewhere (e.g.
     * tcp://0.0.0.0:7110 behind the name others use), hence the separate rpc.bind. */
    const char *bind = ow_config_get(self->config, "rpc.bind", endpoint);
    /* Several instances of one service: others deal requests among the listed addresses
     * (ow_rpc_client_new), and each instance must be told which one is its own. */
    if (strchr(bind, ',')) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "endpoint.%s lists several instances (%s): set rpc.bind (or OW_RPC_BIND) to "
                     "this instance's own address",
                     self->source, bind);
        return -1;
    }
    self->rpc = ow_rpc_server_new(self->loop, bind, err);
    if (!self->rpc)
        return -1;
    ow_rpc_server_handle(self->rpc, "_clock", s_on_clock_request, self);

    const char *publish = ow_config_get(self->config, "bus.publish", S_DEFAULT_PUBLISH);
    self->relay = ow_relay_new(self->loop, self->db, self->source, publish, self->rpc, err);
    if (!self->relay)
        return -1;
    long retention_days = 30;
    if (ow_config_get_int(self->config, "outbox.retention_days", 30, &retention_days, err) != 0)
        return -1;
    ow_relay_set_retention_days(self->relay, (int)retention_days);

    const char *subscribe = ow_config_get(self->config, "bus.subscribe", S_DEFAULT_SUBSCRIBE);
    self->inbox = ow_inbox_new(self->loop, self->db, subscribe, err);
    if (!self->inbox)
        return -1;
    if (ow_service_follow(self, S_CLOCK_SOURCE, err) != 0)
        return -1;
    ow_inbox_on(self->inbox, S_CLOCK_EVENT, s_on_clock_advanced, self);
    ow_inbox_on_commit(self->inbox, s_on_inbox_commit, self);
    return 0;
}

/* Reads mode and test_clock; refuses the test clock in production. */
static int s_configure_clock(ow_service_t *self, ow_error_t *err)
{
    const char *mode = ow_config_get(self->config, "mode", "development");
    if (strcmp(mode, "development") != 0 && strcmp(mode, "production") != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "mode = %s is not understood: use development or production", mode);
        return -1;
    }
    if (ow_config_get_bool(self->config, "test_clock", false, &self->test_clock, err) != 0)
        return -1;
    if (self->test_clock && strcmp(mode, "production") == 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "test_clock = true is refused with mode = production: a production clock "
                     "must follow real time (legal time limits depend on it); remove test_clock "
                     "or set mode = development");
        return -1;
    }
    ow_clock_enable_test(self->test_clock);
    return 0;
}

/* Registered as the loop's first shutdown hook, so it runs last: the daemon's own hooks
 * (timers, scans, clients) still find the relay, inbox and request socket open, and every
 * socket is closed before the loop closes the ZeroMQ context (which waits for them). */
static void s_close_sockets(void *arg)
{
    ow_service_t *self = arg;
    ow_inbox_destroy(&self->inbox);
    ow_relay_destroy(&self->relay);
    ow_rpc_server_destroy(&self->rpc);
}

/* See ow_service.h. On failure everything built so far is torn down. */
ow_service_t *ow_service_new(const ow_service_spec_t *spec, int argc, char **argv, ow_error_t *err)
{
    ow_service_t *self = NULL;
    ow_error_clear(err);
    ow_log_init(spec->name, NULL);

    self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    self->name = spec->name;
    self->source = spec->source;
    self->config = ow_config_new(spec->name);
    if (!self->config) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    int args = ow_config_from_args(self->config, argc, argv, err);
    if (args == 1) {
        ow_error_clear(err); /* --help: not a failure */
        goto fail;
    }
    if (args != 0)
        goto fail;
    ow_log_init(spec->name, ow_config_get(self->config, "log.level", "info"));
    if (s_configure_clock(self, err) != 0)
        goto fail;

    self->loop = ow_loop_new();
    if (!self->loop) {
        ow_error_set(err, OW_INTERNAL, "cannot create the event loop");
        goto fail;
    }
    ow_loop_on_shutdown(self->loop, s_close_sockets, self);
    self->metrics = ow_metrics_new(spec->name);
    if (!self->metrics) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (s_register_metrics(self, err) != 0)
        goto fail;
    /* The ops port is bound before the database wait so a port clash fails at once. */
    self->http_bind =
        strdup(ow_config_get(self->config, "http.bind", s_default_http(spec->source)));
    if (!self->http_bind) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    self->ops = ow_ops_http_new(self->loop, self->http_bind, self->metrics, s_ready, self, err);
    if (!self->ops)
        goto fail;
    if (self->source && s_start_source(self, spec, err) != 0)
        goto fail;
    return self;

fail:
    ow_service_destroy(&self);
    return NULL;
}

/* The database goes after the loop so the shutdown hooks can still use it. */
void ow_service_destroy(ow_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_service_t *self = *self_p;
    ow_ops_http_destroy(&self->ops);
    if (self->loop)
        ow_loop_destroy(&self->loop);
    else
        s_close_sockets(self);
    ow_db_destroy(&self->db);
    ow_metrics_destroy(&self->metrics);
    ow_config_destroy(&self->config);
    for (size_t i = 0; i < self->followed_count; i++)
        free(self->followed[i]);
    free(self->http_bind);
    free(self);
    *self_p = NULL;
}

/* Follows source once: a second call for the same source is a no-op (the service already
 * follows the gateway for the test clock). */
int ow_service_follow(ow_service_t *self, const char *source, ow_error_t *err)
{
    if (!self->inbox) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "%s has no inbox: it cannot follow %s",
                     self->name, source);
        return -1;
    }
    for (size_t i = 0; i < self->followed_count; i++)
        if (strcmp(self->followed[i], source) == 0)
            return 0;
    if (self->followed_count == S_FOLLOW_MAX) {
        ow_error_set(err, OW_RESOURCE_EXHAUSTED, "cannot follow more than %d sources",
                     S_FOLLOW_MAX);
        return -1;
    }
    const char *endpoint = ow_service_endpoint(self, source);
    if (!endpoint) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "cannot follow '%s': set endpoint.%s", source,
                     source);
        return -1;
    }
    char *copy = strdup(source);
    if (!copy) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    if (ow_inbox_follow(self->inbox, source, endpoint, err) != 0) {
        free(copy);
        return -1;
    }
    self->followed[self->followed_count++] = copy;
    return 0;
}

/* Starts the inbox, then turns the loop until SIGTERM/SIGINT. Returns 0 on a clean stop,
 * 1 when the inbox could not start (logged). */
int ow_service_run(ow_service_t *self)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (self->inbox && ow_inbox_start(self->inbox, &err) != 0) {
        ow_log_kv(OW_LOG_ERROR, "cannot start the inbox", "error", err.message, NULL);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", ow_ops_http_port(self->ops));
    ow_log_kv(OW_LOG_INFO, "started", "source", self->source ? self->source : "", "ops_port", port,
              "endpoint", self->source ? ow_service_endpoint(self, self->source) : "", "test_clock",
              self->test_clock ? "true" : "false", NULL);
    ow_loop_run(self->loop);
    ow_log_kv(OW_LOG_INFO, "stopping", NULL);
    return 0;
}

/* new + setup + run + destroy. Start-up failures are logged; returns 0 after --help or a
 * clean stop, 1 on any failure. */
int ow_service_main(const ow_service_spec_t *spec, int argc, char **argv,
                    int (*setup)(ow_service_t *svc, void *arg, ow_error_t *err), void *arg)
{
    ow_error_t err;
    int rc = 1;
    ow_service_t *svc = ow_service_new(spec, argc, argv, &err);
    if (!svc) {
        if (err.code == OW_OK)
            rc = 0;
        goto done;
    }
    if (setup && setup(svc, arg, &err) != 0)
        goto done;
    rc = ow_service_run(svc);
done:
    if (rc != 0 && err.code != OW_OK)
        ow_log_kv(OW_LOG_ERROR, "start-up failed", "code", ow_status_name(err.code), "error",
                  err.message, NULL);
    ow_service_destroy(&svc);
    return rc;
}
