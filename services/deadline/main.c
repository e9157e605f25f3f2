/* deadlined — case clocks (限时办结). Wiring only: the rules are in working_days.c, the
 * table in clocks.c, the event handlers in case_events.c, the requests in clock_requests.c
 * and the red-card scan in expiry_scan.c. See README.md. */
#include "case_events.h"
#include "clock_requests.h"
#include "clocks.h"
#include "expiry_scan.h"
#include "ow_service.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

/* DOMAIN.md §5 asks for red cards as a limit passes: a scan each second. */
#define S_SCAN_INTERVAL_S 1.0

static void s_scan_destroy(void *arg)
{
    expiry_scan_t *scan = arg;
    expiry_scan_destroy(&scan);
}

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    (void)arg;
    ow_db_t *db = ow_service_db(svc);
    ow_inbox_t *inbox = ow_service_inbox(svc);
    if (clocks_prepare(db, err) != 0)
        return -1;
    if (ow_service_follow(svc, "intake", err) != 0 || ow_service_follow(svc, "routing", err) != 0)
        return -1;
    ow_inbox_on(inbox, "case.accepted", deadline_on_case_accepted, NULL);
    ow_inbox_on(inbox, "case.decided", deadline_on_case_decided, NULL);
    ow_rpc_server_handle(ow_service_rpc(svc), "deadline.get_clock", clock_requests_get_clock, db);
    expiry_scan_t *scan =
        expiry_scan_new(ow_service_loop(svc), db, ow_service_relay(svc), S_SCAN_INTERVAL_S, err);
    if (!scan)
        return -1;
    ow_loop_on_shutdown(ow_service_loop(svc), s_scan_destroy, scan);
    return 0;
}

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "deadlined",
        .source = "deadline",
        .migrations = deadline_core_migrations,
        .migration_count = deadline_core_migrations_count,
    };
    return ow_service_main(&spec, argc, argv, s_setup, NULL);
}
