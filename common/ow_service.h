/* ow_service — what every daemon's main.c would otherwise repeat: configuration, logging,
 * the loop, the database (connect, migrate), the request socket, the outbox relay, the
 * inbox, the test clock, and the operations HTTP port. main.c creates a service, registers
 * its handlers and event subscriptions, and runs it.
 *
 * Configuration keys read here (defaults are for one machine; see docs/configuration.md):
 *   mode               development | production  (production refuses test_clock = true)
 *   test_clock         false
 *   log.level          info
 *   database.url       postgresql:///onewindow   (libpq URL; DATABASE_URL is also honoured)
 *   database.role      ow_<source>               database.password  (empty)
 *   database.connect_timeout_s  30               (how long start-up waits for Postgres)
 *   bus.publish        tcp://127.0.0.1:7100      (busd XSUB: relays connect here)
 *   bus.subscribe      tcp://127.0.0.1:7101      (busd XPUB: inboxes connect here)
 *   endpoint.<source>  tcp://127.0.0.1:71x0      (each service's ROUTER: intake 7110,
 *                      routing 7120, deadline 7130, evaluation 7140, notify 7150,
 *                      gateway 7160); a service binds its own endpoint.<source>
 *   http.bind          127.0.0.1:81x0            (ops port: busd 8100, intaked 8110, …)
 *
 * Every service with a database follows the gateway's "clock.advanced" events (the test
 * clock) and answers "_clock" with its view of the system time. */
#ifndef OW_SERVICE_H
#define OW_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_config.h"
#include "ow_db.h"
#include "ow_inbox.h"
#include "ow_log.h"
#include "ow_loop.h"
#include "ow_migrate.h"
#include "ow_ops_http.h"
#include "ow_outbox.h"
#include "ow_rpc.h"
#include "ow_status.h"
#include "ow_clock.h"

typedef struct ow_service ow_service_t;

typedef struct {
    const char *name;   /* daemon name: "intaked" (config section, log field, metrics) */
    const char *source; /* event source, schema and endpoint name: "intake"; NULL = no db,
                           no rpc, no relay, no inbox (busd) */
    const ow_migration_t *migrations; /* the service's own, after the common ones */
    size_t migration_count;
} ow_service_spec_t;

/* Builds the service from the command line (see ow_config_from_args). Waits up to
 * database.connect_timeout_s for Postgres, applies migrations, binds sockets. On failure
 * returns NULL with err saying what to fix; on `--help` returns NULL with err->code OW_OK.
 * Caller owns it. */
ow_service_t *ow_service_new(const ow_service_spec_t *spec, int argc, char **argv, ow_error_t *err);

/* Stops everything and frees it. Sets *self_p to NULL. */
void ow_service_destroy(ow_service_t **self_p);

ow_config_t *ow_service_config(ow_service_t *self);
ow_loop_t *ow_service_loop(ow_service_t *self);
ow_db_t *ow_service_db(ow_service_t *self);          /* NULL without a source */
ow_rpc_server_t *ow_service_rpc(ow_service_t *self); /* NULL without a source */
ow_relay_t *ow_service_relay(ow_service_t *self);    /* NULL without a source */
ow_inbox_t *ow_service_inbox(ow_service_t *self);    /* NULL without a source */
ow_metrics_t *ow_service_metrics(ow_service_t *self);

/* Address of another service's request socket: config endpoint.<source>, with the default
 * above. The returned string is owned by the configuration. */
const char *ow_service_endpoint(ow_service_t *self, const char *source);

/* The default request endpoint of a source, e.g. "tcp://127.0.0.1:7110" for "intake". */
const char *ow_service_default_endpoint(const char *source);

/* Follows another source's events (ow_inbox_follow with its endpoint). */
int ow_service_follow(ow_service_t *self, const char *source, ow_error_t *err);

/* Sets the readiness check beyond "database reachable" (e.g. busd's sockets). */
void ow_service_set_ready(ow_service_t *self, ow_ready_fn *fn, void *arg);

/* Starts the inbox (replaying what was missed), logs "started", runs the loop until a stop
 * signal, and returns the process exit code (0 on a clean stop). */
int ow_service_run(ow_service_t *self);

/* main() in one call for daemons: new + run + destroy, printing err on failure. A helper
 * so each main.c stays a list of registrations:
 *   int main(int argc, char **argv) { return ow_service_main(&spec, argc, argv, setup, NULL); }
 * setup(svc, arg) registers handlers; returning -1 with err aborts start-up. */
int ow_service_main(const ow_service_spec_t *spec, int argc, char **argv,
                    int (*setup)(ow_service_t *svc, void *arg, ow_error_t *err), void *arg);

#endif
