/* evaluationd — ratings (好差评). Wiring only: the rules are in rating_rules.c and
 * rating_window.c, the tables in served_cases.c and ratings.c, the event handlers in
 * case_events.c and rating_timeouts.c, the requests in rating_requests.c (batched by
 * rating_batch.c), the reports in reports.c, deadlined's timers in timer_commands.c, the
 * bad-review tickets in rectification.c / rectification_store.c, the staff assessment in
 * assessment.c / assessment_records.c, the provincial push in provincial_push.c, the roll-ups
 * folded by rollup_applier.c. See
 * README.md. */
#include "assessment_records.h"
#include "case_events.h"
#include "evaluation_policy.h"
#include "rating_requests.h"
#include "rating_timeouts.h"
#include "ratings.h"
#include "rectification_store.h"
#include "reports.h"
#include "rollup_applier.h"
#include "served_cases.h"
#include "timer_commands.h"
#include "ow_service.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

/* What the handlers borrow; lives as long as main. */
typedef struct {
    rating_requests_t requests;
    rectification_requests_t tickets;
    ow_rpc_client_t *deadline; /* deadlined's request socket: timers */
    ow_timer_sender_t *timers;
    rollup_applier_t *applier;
} s_daemon_t;

static void s_kick_timers(void *arg)
{
    ow_timer_sender_kick(((s_daemon_t *)arg)->timers);
}

/* The client first: its pending calls are answered CANCELLED while the sender still exists. */
static void s_on_shutdown(void *arg)
{
    s_daemon_t *d = arg;
    ow_rpc_client_destroy(&d->deadline);
    ow_timer_sender_destroy(&d->timers);
    /* Hooks run last-registered first: the batch answered by rating_requests' hook has
     * queued its ratings by now; fold them before the loop closes. */
    rollup_applier_drain(d->applier);
    d->requests.applier = NULL;
    rollup_applier_destroy(&d->applier);
}

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    s_daemon_t *d = arg;
    ow_db_t *db = ow_service_db(svc);
    ow_inbox_t *inbox = ow_service_inbox(svc);
    ow_loop_t *loop = ow_service_loop(svc);
    /* DOMAIN.md §6–7 values: a bad one stops start-up rather than run with half a rule. */
    evaluation_policy_t policy;
    if (evaluation_policy_load(ow_service_config(svc), &policy, err) != 0)
        return -1;
    ratings_set_window(&policy.window);
    rectification_set_policy(policy.rectify_working_days, policy.administrators);
    assessment_records_set_rules(&policy.assessment);
    if (served_cases_prepare(db, err) != 0 || ratings_prepare(db, err) != 0 ||
        rating_timeouts_prepare(db, err) != 0)
        return -1;
    if (ow_service_follow(svc, "intake", err) != 0 || ow_service_follow(svc, "routing", err) != 0 ||
        ow_service_follow(svc, "deadline", err) != 0)
        return -1;
    ow_inbox_on(inbox, "case.accepted", evaluation_on_case_accepted, NULL);
    ow_inbox_on(inbox, "case.decided", evaluation_on_case_decided, NULL);
    ow_inbox_on(inbox, "timer.fired", evaluation_on_timer_fired, NULL);
    d->deadline = ow_rpc_client_new(loop, ow_service_endpoint(svc, "deadline"), err);
    if (!d->deadline)
        return -1;
    d->timers = ow_timer_sender_new(loop, db, d->deadline, TIMER_OWNER, err);
    ow_loop_on_shutdown(loop, s_on_shutdown, d);
    if (!d->timers)
        return -1;
    ow_inbox_on_commit(inbox, s_kick_timers, d);
    d->requests.db = db;
    d->requests.relay = ow_service_relay(svc);
    d->requests.loop = loop;
    d->requests.timers = d->timers;
    if (rating_requests_start(&d->requests, err) != 0)
        return -1;
    /* Roll-ups out of the ratings' transactions, folded in passes (rollup_applier.h). */
    if (!(d->applier = d->requests.applier = rollup_applier_new(loop, db, err)))
        return -1;
    rollup_applier_set_interval(d->applier, (double)policy.rollup_interval_ms / 1000.0);
    ow_rpc_server_t *rpc = ow_service_rpc(svc);
    ow_rpc_server_handle(rpc, "evaluation.rate", rating_requests_on_rate, &d->requests);
    ow_rpc_server_handle(rpc, "evaluation.get_rating", rating_requests_on_get, &d->requests);
    ow_rpc_server_handle(rpc, "evaluation.report", reports_on_report, db);
    d->tickets.db = db;
    d->tickets.relay = ow_service_relay(svc);
    d->tickets.timers = d->timers;
    ow_rpc_server_handle(rpc, "evaluation.act_on_ticket", rectification_on_act, &d->tickets);
    ow_rpc_server_handle(rpc, "evaluation.get_ticket", rectification_on_get, &d->tickets);
    ow_rpc_server_handle(rpc, "evaluation.put_staff_roles", rectification_on_put_roles,
                         &d->tickets);
    ow_rpc_server_handle(rpc, "evaluation.record_assessment", assessment_records_on_record,
                         &d->tickets);
    ow_rpc_server_handle(rpc, "evaluation.assessment_month", assessment_records_on_month,
                         &d->tickets);
    ow_rpc_server_handle(rpc, "evaluation.assessment_year", assessment_records_on_year,
                         &d->tickets);
    return 0;
}

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "evaluationd",
        .source = "evaluation",
        .migrations = evaluation_core_migrations,
        .migration_count = evaluation_core_migrations_count,
    };
    s_daemon_t daemon = {0};
    return ow_service_main(&spec, argc, argv, s_setup, &daemon);
}
