/* evaluationd — ratings (好差评). Wiring only: the rules are in rating_rules.c, the tables in
 * served_cases.c and ratings.c, the event handlers in case_events.c and the requests in
 * rating_requests.c (batched by rating_batch.c), the reports in reports.c. See README.md. */
#include "case_events.h"
#include "evaluation_policy.h"
#include "rating_requests.h"
#include "ratings.h"
#include "reports.h"
#include "served_cases.h"
#include "ow_service.h"

extern const ow_migration_t evaluation_core_migrations[];
extern const size_t evaluation_core_migrations_count;

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    rating_requests_t *requests = arg;
    ow_db_t *db = ow_service_db(svc);
    ow_inbox_t *inbox = ow_service_inbox(svc);
    /* DOMAIN.md §6–7 values: a bad one stops start-up rather than run with half a rule. */
    evaluation_policy_t policy;
    if (evaluation_policy_load(ow_service_config(svc), &policy, err) != 0)
        return -1;
    if (served_cases_prepare(db, err) != 0 || ratings_prepare(db, err) != 0)
        return -1;
    if (ow_service_follow(svc, "intake", err) != 0 || ow_service_follow(svc, "routing", err) != 0)
        return -1;
    ow_inbox_on(inbox, "case.accepted", evaluation_on_case_accepted, NULL);
    ow_inbox_on(inbox, "case.decided", evaluation_on_case_decided, NULL);
    requests->db = db;
    requests->relay = ow_service_relay(svc);
    requests->loop = ow_service_loop(svc);
    if (rating_requests_start(requests, err) != 0)
        return -1;
    ow_rpc_server_t *rpc = ow_service_rpc(svc);
    ow_rpc_server_handle(rpc, "evaluation.rate", rating_requests_on_rate, requests);
    ow_rpc_server_handle(rpc, "evaluation.get_rating", rating_requests_on_get, requests);
    ow_rpc_server_handle(rpc, "evaluation.report", reports_on_report, db);
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
    /* Lives as long as main: the handlers borrow it until the service is destroyed. */
    rating_requests_t requests = {0};
    return ow_service_main(&spec, argc, argv, s_setup, &requests);
}
