/* serve — the endpoint handlers, one module per resource (serve_<resource>.c); endpoints.c
 * lists which method and path each answers and which roles it admits. Each handler answers
 * its exchange exactly once (see route_handler_fn). The role check is done before a handler
 * runs; handlers check the centre (access.h) against the case they touch. */
#ifndef GATEWAY_SERVE_H
#define GATEWAY_SERVE_H

#include "route.h"

/* serve_applications.c */
route_handler_fn serve_submit_application; /* POST /v1/applications */

/* serve_cases.c */
route_handler_fn serve_get_case; /* GET /v1/cases/{case_no} */

/* serve_tasks.c */
route_handler_fn serve_list_tasks;  /* GET /v1/tasks */
route_handler_fn serve_decide_task; /* POST /v1/tasks/{task_id}/decision */

/* serve_ratings.c */
route_handler_fn serve_rate_case; /* POST /v1/ratings */

/* serve_clock.c */
route_handler_fn serve_set_clock; /* POST /v1/admin/clock */
route_handler_fn serve_get_clock; /* GET /v1/admin/clock */

/* serve_tokens.c */
route_handler_fn serve_issue_token;  /* POST /v1/admin/tokens */
route_handler_fn serve_list_tokens;  /* GET /v1/admin/tokens */
route_handler_fn serve_revoke_token; /* POST /v1/admin/tokens/{token_id}/revoke */
route_handler_fn serve_whoami;       /* GET /v1/me */

/* serve_centre_keys.c */
route_handler_fn serve_register_centre_key; /* POST /v1/admin/centre-keys */
route_handler_fn serve_list_centre_keys;    /* GET /v1/admin/centre-keys */
route_handler_fn serve_revoke_centre_key;   /* POST /v1/admin/centre-keys/{key_id}/revoke */

/* serve_events.c */
route_handler_fn serve_list_events; /* GET /v1/events?after=SEQ */

#endif
