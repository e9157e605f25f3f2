/* busd — the event bus: every event passes through here (README.md). Configuration, log
 * and ops port come from ow_service (no source: no database, no request socket). */
#include "forwarder.h"
#include "ow_service.h"

/* The same defaults ow_service gives relays (bus.publish) and inboxes (bus.subscribe). */
#define BUSD_PUBLISH_DEFAULT   "tcp://127.0.0.1:7100"
#define BUSD_SUBSCRIBE_DEFAULT "tcp://127.0.0.1:7101"

static void s_forwarder_free(void *arg)
{
    bus_forwarder_t *forwarder = arg;
    bus_forwarder_destroy(&forwarder);
}

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    (void)arg;
    ow_config_t *config = ow_service_config(svc);
    ow_loop_t *loop = ow_service_loop(svc);
    /* Others connect to bus.publish / bus.subscribe; across hosts busd binds elsewhere
     * (e.g. tcp://0.0.0.0:7100 behind the name others use), hence the separate *.bind keys. */
    const char *publish = ow_config_get(config, "bus.publish", BUSD_PUBLISH_DEFAULT);
    const char *subscribe = ow_config_get(config, "bus.subscribe", BUSD_SUBSCRIBE_DEFAULT);
    bus_forwarder_t *forwarder = bus_forwarder_new(
        loop, ow_config_get(config, "bus.publish_bind", publish),
        ow_config_get(config, "bus.subscribe_bind", subscribe), ow_service_metrics(svc), err);
    if (!forwarder)
        return -1;
    /* The loop runs its shutdown hooks before closing the ZeroMQ context, which waits for
     * every socket to be closed. */
    ow_loop_on_shutdown(loop, s_forwarder_free, forwarder);
    ow_service_set_ready(svc, bus_forwarder_ready, forwarder);
    ow_log_kv(OW_LOG_INFO, "bus bound", "publish", bus_forwarder_publish_endpoint(forwarder),
              "subscribe", bus_forwarder_subscribe_endpoint(forwarder), NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const ow_service_spec_t spec = {.name = "busd", .source = NULL};
    return ow_service_main(&spec, argc, argv, s_setup, NULL);
}
