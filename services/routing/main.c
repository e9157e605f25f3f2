/* routingd — departments, staff, approval tasks and decisions (README.md). */
#include "ow_service.h"
#include "routing_api.h"

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    (void)arg;
    return routing_api_attach(svc, err);
}

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "routingd",
        .source = "routing",
        .migrations = routing_core_migrations,
        .migration_count = routing_core_migrations_count,
    };
    return ow_service_main(&spec, argc, argv, s_setup, NULL);
}
