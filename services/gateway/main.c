/* gatewayd — the HTTP/JSON API of OneWindow (docs/contract.md). main only wires: the common
 * service (configuration, database, outbox relay, inbox with the test clock, ops port), the
 * API on its loop, then the loop. */
#include <stdio.h>

#include "api.h"
#include "ow_service.h"

extern const ow_migration_t gatewayd_migrations[];
extern const size_t gatewayd_migrations_count;

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "gatewayd",
        .source = "gateway",
        .migrations = gatewayd_migrations,
        .migration_count = gatewayd_migrations_count,
    };
    ow_error_t err;
    ow_service_t *svc = NULL;
    api_t *api = NULL;
    int rc = 1;

    ow_error_clear(&err);
    svc = ow_service_new(&spec, argc, argv, &err);
    if (!svc) {
        if (err.code == OW_OK) /* --help */
            return 0;
        fprintf(stderr, "gatewayd: %s\n", err.message);
        return 1;
    }
    api = api_new(svc, &err);
    if (!api) {
        fprintf(stderr, "gatewayd: %s\n", err.message);
        goto done;
    }
    rc = ow_service_run(svc);
done:
    /* The API goes first: it answers requests still waiting on services while the loop and
     * the sockets it uses exist. */
    api_destroy(&api);
    ow_service_destroy(&svc);
    return rc;
}
