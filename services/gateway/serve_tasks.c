/* GET /v1/tasks → routing.list_tasks; POST /v1/tasks/{task_id}/decision → routing.decide.
 * Staff act as themselves: a clerk or supervisor lists and decides only their own tasks
 * (routing lets only the assignee decide, and audits who); an administrator may name
 * anyone. */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "tasks.h"

void serve_list_tasks(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    ow_error_t err;
    uint8_t *payload = NULL;
    size_t len = 0;

    ow_error_clear(&err);
    json_t *query = route_parse_query(exchange_query(ex), &err);
    if (!query || tasks_pack_list(query, &payload, &len, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    const char *assignee = json_string_value(json_object_get(query, "assignee"));
    if (who->role != ACCESS_ROLE_ADMIN && (!assignee || strcmp(assignee, who->subject) != 0)) {
        free(payload);
        api_deny(ex, "a %s lists only their own tasks (assignee=%s)", access_role_name(who->role),
                 who->subject);
        goto done;
    }
    api_forward(self, ex, API_ROUTING, "routing.list_tasks", NULL, who->subject, payload, len,
                tasks_task_list_json, 200);
done:
    json_decref(query);
}

void serve_decide_task(api_t *self, exchange_t *ex, const char *task_id,
                       const access_principal_t *who)
{
    ow_error_t err;
    const char *key = NULL;
    uint8_t *payload = NULL;
    size_t len = 0;
    char actor[TASKS_ID_MAX + 1];
    json_t *body = api_read_post(ex, &key, &err);

    if (!body || tasks_pack_decide(body, task_id, &payload, &len, actor, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    if (who->role != ACCESS_ROLE_ADMIN && strcmp(actor, who->subject) != 0) {
        free(payload);
        api_deny(ex, "a %s decides only as themselves (actor must be %s)",
                 access_role_name(who->role), who->subject);
        goto done;
    }
    /* The actor goes as the caller: routing lets only the assignee decide, and audits who. */
    api_forward(self, ex, API_ROUTING, "routing.decide", key, actor, payload, len,
                tasks_task_reply_json, 200);
done:
    json_decref(body);
}
