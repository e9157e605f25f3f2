#include "endpoints.h"

#include "serve.h"

#define ADMIN ACCESS_ROLE_ADMIN

const route_def_t endpoints[] = {
    /* method, pattern after /v1/, name, path parameter, roles, handler */
    {"POST", "applications", "POST /v1/applications", NULL, ACCESS_STAFF, serve_submit_application},
    {"GET", "cases/*", "GET /v1/cases/{case_no}", "case_no", ACCESS_STAFF, serve_get_case},
    {"GET", "tasks", "GET /v1/tasks", NULL, ACCESS_STAFF, serve_list_tasks},
    {"POST", "tasks/*/decision", "POST /v1/tasks/{task_id}/decision", "task_id", ACCESS_STAFF,
     serve_decide_task},
    {"POST", "ratings", "POST /v1/ratings", NULL, ACCESS_STAFF, serve_rate_case},
    {"GET", "events", "GET /v1/events", NULL, ACCESS_READERS, serve_list_events},
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
