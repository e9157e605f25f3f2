/* intaked — applications, the service-item catalogue and case numbers (README.md). */
#include "intake_api.h"
#include "ow_service.h"

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    (void)arg;
    return intake_api_attach(svc, err);
}

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "intaked",
        .source = "intake",
        .migrations = intake_core_migrations,
        .migration_count = intake_core_migrations_count,
    };
    return ow_service_main(&spec, argc, argv, s_setup, NULL);
}
