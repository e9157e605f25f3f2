/* deadlined — time limits (限时办结), the working-day calendar and the general timer service.
 * Wiring only: the calendar is calendar.c (stored by calendar_store.c), the arithmetic
 * working_days.c and limits.c, the clock table clocks.c, the timers timers.c, the event
 * handlers case_events.c, the requests clock_requests.c / timer_requests.c / thresholds.c /
 * supervision.c, and the scan expiry_scan.c. See README.md. */
#include <stdlib.h>

#include "calendar_store.h"
#include "case_events.h"
#include "clock_requests.h"
#include "clocks.h"
#include "deadline_context.h"
#include "expiry_scan.h"
#include "supervision.h"
#include "thresholds.h"
#include "ow_service.h"
#include "timer_requests.h"
#include "timers.h"

extern const ow_migration_t deadline_core_migrations[];
extern const size_t deadline_core_migrations_count;

/* DOMAIN.md §5 asks for cards and timers as they fall due: a scan each second. */
#define S_SCAN_INTERVAL_S 1.0

static deadline_context_t s_ctx;

static void s_scan_destroy(void *arg)
{
    expiry_scan_t *scan = arg;
    expiry_scan_destroy(&scan);
    deadline_calendar_destroy(&s_ctx.cal);
}

/* Yellow thresholds (DOMAIN §5, configurable): yellow.days, yellow.hours, yellow.percent. */
static int s_thresholds(ow_config_t *cfg, deadline_thresholds_t *t, ow_error_t *err)
{
    long days, hours, percent;
    if (ow_config_get_int(cfg, "yellow.days", 1, &days, err) != 0 ||
        ow_config_get_int(cfg, "yellow.hours", 1, &hours, err) != 0 ||
        ow_config_get_int(cfg, "yellow.percent", 20, &percent, err) != 0)
        return -1;
    if (days < 0 || days > 60 || hours < 0 || hours > 1000 || percent < 0 || percent > 100) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "yellow.days (0..60), yellow.hours (0..1000) or yellow.percent (0..100) "
                     "out of range");
        return -1;
    }
    t->days = (int32_t)days;
    t->hours = (int32_t)hours;
    t->percent = (int32_t)percent;
    return 0;
}

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    (void)arg;
    s_ctx.db = ow_service_db(svc);
    s_ctx.relay = ow_service_relay(svc);
    if (s_thresholds(ow_service_config(svc), &s_ctx.thresholds, err) != 0)
        return -1;
    if (clocks_prepare(s_ctx.db, err) != 0 || supervision_prepare(s_ctx.db, err) != 0 ||
        timers_prepare(s_ctx.db, err) != 0 || calendar_store_prepare(s_ctx.db, err) != 0 ||
        calendar_store_seed(s_ctx.db, err) != 0 || calendar_store_reload(&s_ctx, err) < 0)
        return -1;
    if (ow_service_follow(svc, "intake", err) != 0 || ow_service_follow(svc, "routing", err) != 0)
        return -1;
    ow_inbox_t *inbox = ow_service_inbox(svc);
    ow_inbox_on(inbox, "case.accepted", deadline_on_case_accepted, &s_ctx);
    ow_inbox_on(inbox, "case.decided", deadline_on_case_decided, &s_ctx);
    ow_inbox_on(inbox, "case.suspended", deadline_on_case_suspended, &s_ctx);
    ow_inbox_on(inbox, "case.resumed", deadline_on_case_resumed, &s_ctx);
    ow_inbox_on(inbox, "case.extended", deadline_on_case_extended, &s_ctx);
    ow_inbox_on(inbox, "stage.started", deadline_on_stage_started, &s_ctx);
    ow_inbox_on(inbox, "stage.completed", deadline_on_stage_completed, &s_ctx);
    /* A case that ends before a decision stops everywhere (DOMAIN §3 撤回; 容缺 lapse). */
    ow_inbox_on(inbox, "case.withdrawn", deadline_on_case_ended, &s_ctx);
    ow_inbox_on(inbox, "case.terminated", deadline_on_case_ended, &s_ctx);
    ow_rpc_server_t *rpc = ow_service_rpc(svc);
    ow_rpc_server_handle(rpc, "deadline.get_clock", clock_requests_get_clock, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.schedule_timer", timer_requests_schedule, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.cancel_timer", timer_requests_cancel, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.compute_due", timer_requests_compute_due, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.load_calendar", calendar_store_handle_load, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.set_thresholds", thresholds_handle_set, &s_ctx);
    ow_rpc_server_handle(rpc, "deadline.statistics", supervision_handle_statistics, &s_ctx);
    expiry_scan_t *scan = expiry_scan_new(ow_service_loop(svc), &s_ctx, ow_service_metrics(svc),
                                          S_SCAN_INTERVAL_S, err);
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
