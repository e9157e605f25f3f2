/* Staff's work beyond approve/refuse, owned by routing (docs/routing.md):
 *   POST /v1/tasks/{task_id}/actions  routing.act        return, suspend, resume, extensions,
 *                                                        transfer, claim, release
 *   GET  /v1/work-list                routing.work_list  open tasks in work order
 * Staff act as themselves (routing checks authority against the caller and audits it); an
 * administrator may name the acting staff member in "actor". A clerk's work list is their
 * own or a post's queue (to claim from it); supervisors and administrators see any scope. */
#include "serve.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "forward.h"
#include "onewindow/v1/routing.pb-c.h"

static int s_check_act(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                       ow_error_t *err)
{
    (void)api;
    json_t *actor = json_object_get(input, "actor");
    if (!actor)
        return 0;
    /* A copy: the member is taken out of the body (it is the caller, not a field). */
    char name[FORWARD_ID_MAX + 2] = "";
    const char *given = json_string_value(actor);
    bool valid = given && *given && strlen(given) <= FORWARD_ID_MAX;
    snprintf(name, sizeof name, "%s", valid ? given : "");
    json_object_del(input, "actor");
    if (!valid) {
        ow_error_add_violation(err, "actor", "must be a staff id of 1 to %d bytes", FORWARD_ID_MAX);
    } else if (who->role != ACCESS_ROLE_ADMIN && strcmp(name, who->subject) != 0) {
        ow_error_set(err, OW_PERMISSION_DENIED, "a %s acts only as themselves (actor must be %s)",
                     access_role_name(who->role), who->subject);
        return -1;
    } else {
        strcpy(caller, name);
    }
    return err->violation_count ? -1 : 0;
}

static int s_check_work_list(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                             ow_error_t *err)
{
    (void)api;
    (void)caller;
    if (who->role != ACCESS_ROLE_CLERK)
        return 0;
    const char *scope = json_string_value(json_object_get(input, "scope"));
    const char *key = json_string_value(json_object_get(input, "key"));
    if (scope && strcmp(scope, "post") == 0)
        return 0;
    if (scope && strcmp(scope, "mine") == 0 && key && strcmp(key, who->subject) == 0)
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED,
                 "a clerk lists their own tasks (scope=mine&key=%s) or a post's queue "
                 "(scope=post)",
                 who->subject);
    return -1;
}

static const forward_spec_t s_act = {API_ROUTING,
                                     "routing.act",
                                     &onewindow__v1__task_action__descriptor,
                                     &onewindow__v1__task_reply__descriptor,
                                     "task_id",
                                     FORWARD_STATE_CHANGE,
                                     200,
                                     NULL,
                                     NULL,
                                     s_check_act,
                                     NULL};

static const forward_spec_t s_work_list = {API_ROUTING,
                                           "routing.work_list",
                                           &onewindow__v1__work_list__descriptor,
                                           &onewindow__v1__task_list__descriptor,
                                           NULL,
                                           0,
                                           200,
                                           NULL,
                                           NULL,
                                           s_check_work_list,
                                           NULL};

void serve_act_on_task(api_t *self, exchange_t *ex, const char *task_id,
                       const access_principal_t *who)
{
    forward_serve(self, ex, task_id, who, &s_act);
}

void serve_work_list(api_t *self, exchange_t *ex, const char *param, const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_work_list);
}
