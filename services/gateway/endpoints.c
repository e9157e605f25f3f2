#include "endpoints.h"

#include "serve.h"

#define ADMIN       ACCESS_ROLE_ADMIN
#define WEBHOOKS    (ACCESS_ROLE_INTEGRATOR | ACCESS_ROLE_ADMIN)
#define SUPERVISORS (ACCESS_ROLE_SUPERVISOR | ACCESS_ROLE_ADMIN)

const route_def_t endpoints[] = {
    /* method, pattern after /v1/, name, path parameter, roles, handler */
    {"POST", "applications", "POST /v1/applications", NULL, ACCESS_STAFF, serve_submit_application},
    {"GET", "cases/*", "GET /v1/cases/{case_no}", "case_no", ACCESS_STAFF, serve_get_case},
    {"GET", "tasks", "GET /v1/tasks", NULL, ACCESS_STAFF, serve_list_tasks},
    {"POST", "tasks/*/decision", "POST /v1/tasks/{task_id}/decision", "task_id", ACCESS_STAFF,
     serve_decide_task},
    {"POST", "ratings", "POST /v1/ratings", NULL, ACCESS_STAFF, serve_rate_case},
    {"GET", "events", "GET /v1/events", NULL, ACCESS_READERS, serve_list_events},
    {"GET", "events/stream", "GET /v1/events/stream", NULL, ACCESS_READERS, serve_event_stream},
    {"POST", "receipts", "POST /v1/receipts", NULL, ACCESS_STAFF, serve_receive_application},
    {"POST", "cases/*/corrections", "POST /v1/cases/{case_no}/corrections", "case_no", ACCESS_STAFF,
     serve_correct_case},
    {"POST", "cases/*/withdrawal", "POST /v1/cases/{case_no}/withdrawal", "case_no", ACCESS_STAFF,
     serve_withdraw_case},
    {"GET", "cases/*/documents", "GET /v1/cases/{case_no}/documents", "case_no", ACCESS_STAFF,
     serve_list_documents},
    {"GET", "cases/*/history", "GET /v1/cases/{case_no}/history", "case_no", ACCESS_STAFF,
     serve_case_history},
    {"GET", "cases/*/deliveries", "GET /v1/cases/{case_no}/deliveries", "case_no", ACCESS_STAFF,
     serve_case_deliveries},
    {"POST", "tasks/*/actions", "POST /v1/tasks/{task_id}/actions", "task_id", ACCESS_STAFF,
     serve_act_on_task},
    {"GET", "work-list", "GET /v1/work-list", NULL, ACCESS_STAFF, serve_work_list},
    {"POST", "preferences", "POST /v1/preferences", NULL, ACCESS_STAFF, serve_set_preference},
    {"GET", "subscriptions", "GET /v1/subscriptions", NULL, WEBHOOKS, serve_list_subscriptions},
    {"POST", "subscriptions", "POST /v1/subscriptions", NULL, WEBHOOKS, serve_subscribe},
    {"POST", "subscriptions/*/unsubscribe", "POST /v1/subscriptions/{subscription_id}/unsubscribe",
     "subscription_id", WEBHOOKS, serve_unsubscribe},
    {"GET", "reports/ratings", "GET /v1/reports/ratings", NULL, SUPERVISORS, serve_rating_report},
    {"POST", "admin/calendars", "POST /v1/admin/calendars", NULL, ADMIN, serve_load_calendar},
    {"GET", "admin/due", "GET /v1/admin/due", NULL, ADMIN, serve_compute_due},
    {"POST", "admin/timers", "POST /v1/admin/timers", NULL, ADMIN, serve_schedule_timer},
    {"GET", "admin/dead-letters", "GET /v1/admin/dead-letters", NULL, ADMIN, serve_list_dead},
    {"POST", "admin/dead-letters/*/resend", "POST /v1/admin/dead-letters/{delivery_id}/resend",
     "delivery_id", ADMIN, serve_resend},
    {"GET", "me", "GET /v1/me", NULL, ACCESS_STAFF | ACCESS_READERS, serve_whoami},
    {"GET", "admin/clock", "GET /v1/admin/clock", NULL, ACCESS_STAFF, serve_get_clock},
    {"POST", "admin/clock", "POST /v1/admin/clock", NULL, ADMIN, serve_set_clock},
    {"GET", "admin/tokens", "GET /v1/admin/tokens", NULL, ADMIN, serve_list_tokens},
    {"POST", "admin/tokens", "POST /v1/admin/tokens", NULL, ADMIN, serve_issue_token},
    {"POST", "admin/tokens/*/revoke", "POST /v1/admin/tokens/{token_id}/revoke", "token_id", ADMIN,
     serve_revoke_token},
    {"GET", "admin/centre-keys", "GET /v1/admin/centre-keys", NULL, ADMIN, serve_list_centre_keys},
    {"POST", "admin/centre-keys", "POST /v1/admin/centre-keys", NULL, ADMIN,
     serve_register_centre_key},
    {"POST", "admin/centre-keys/*/revoke", "POST /v1/admin/centre-keys/{key_id}/revoke", "key_id",
     ADMIN, serve_revoke_centre_key},
};

const size_t endpoints_count = sizeof endpoints / sizeof endpoints[0];
