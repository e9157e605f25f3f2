#include "tasks.h"

#include <stdlib.h>
#include <string.h>

#include "api_time.h"
#include "json_fields.h"
#include "ow_pack.h"

static const char *const s_query_fields[] = {"assignee", "state", "limit", "after", NULL};
static const char *const s_decide_fields[] = {"decision", "comment", "actor", NULL};

static json_t *s_text(const char *s)
{
    return json_fields_text(s ? s : "");
}

/* A query value is a string; "limit" must also read as an integer in range. */
static int s_query_limit(const json_t *query, uint32_t *limit, ow_error_t *err)
{
    const char *text = json_fields_string(query, "", "limit", 10, false, err);
    if (!text || !*text)
        return text ? 0 : -1;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (*end != '\0' || end == text || text[0] == '+' || text[0] == '-' || v < 1 ||
        v > TASKS_LIMIT_MAX) {
        ow_error_add_violation(err, "limit", "must be an integer from 1 to %d", TASKS_LIMIT_MAX);
        return -1;
    }
    *limit = (uint32_t)v;
    return 0;
}

int tasks_pack_list(const json_t *query, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__ListTasks msg = ONEWINDOW__V1__LIST_TASKS__INIT;

    json_fields_reject_unknown(query, "", s_query_fields, err);
    msg.assignee = (char *)json_fields_string(query, "", "assignee", TASKS_ID_MAX, true, err);
    msg.state = (char *)json_fields_string(query, "", "state", 8, false, err);
    if (msg.state && *msg.state && strcmp(msg.state, "open") != 0 && strcmp(msg.state, "done") != 0)
        ow_error_add_violation(err, "state", "must be \"open\" or \"done\"");
    msg.after_task_id = (char *)json_fields_string(query, "", "after", TASKS_ID_MAX, false, err);
    s_query_limit(query, &msg.limit, err);

    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        return -1;
    return ow_pack(&msg.base, out, out_len, err);
}

int tasks_pack_decide(const json_t *body, const char *task_id, uint8_t **out, size_t *out_len,
                      char actor[TASKS_ID_MAX + 1], ow_error_t *err)
{
    Onewindow__V1__DecideTask msg = ONEWINDOW__V1__DECIDE_TASK__INIT;

    json_fields_reject_unknown(body, "", s_decide_fields, err);
    msg.task_id = (char *)task_id;
    msg.decision = (char *)json_fields_string(body, "", "decision", 8, true, err);
    if (msg.decision && strcmp(msg.decision, "approve") != 0 && strcmp(msg.decision, "refuse") != 0)
        ow_error_add_violation(err, "decision", "must be \"approve\" or \"refuse\"");
    msg.comment = (char *)json_fields_string(body, "", "comment", TASKS_COMMENT_MAX, false, err);
    const char *who = json_fields_string(body, "", "actor", TASKS_ID_MAX, true, err);

    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        return -1;
    /* who has at most TASKS_ID_MAX characters, but a character may take 4 bytes: staff ids
     * are ASCII in practice, and a longer one is refused rather than cut. */
    if (strlen(who) > TASKS_ID_MAX) {
        ow_error_add_violation(err, "actor", "must be at most %d bytes", TASKS_ID_MAX);
        ow_error_finish_violations(err);
        return -1;
    }
    strcpy(actor, who);
    return ow_pack(&msg.base, out, out_len, err);
}

json_t *tasks_task_json(const Onewindow__V1__Task *t)
{
    json_t *out =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "task_id",
                  s_text(t->task_id), "case_no", s_text(t->case_no), "item_code",
                  s_text(t->item_code), "department_code", s_text(t->department_code), "assignee",
                  s_text(t->assignee), "state", s_text(t->state), "decision", s_text(t->decision),
                  "comment", s_text(t->comment), "created_at", api_time_json(t->created_at_us),
                  "decided_at", api_time_json(t->decided_at_us), "decided_by",
                  s_text(t->decided_by), "stage", s_text(t->stage));
    /* Why a cancelled task was closed (case_withdrawn, case_terminated, stage_decided). */
    if (out && json_object_set_new(out, "closed_reason", s_text(t->closed_reason)) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *tasks_task_reply_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__TaskReply *reply = onewindow__v1__task_reply__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!reply || !reply->task) {
        ow_error_set(err, OW_INTERNAL, "routing sent a reply that is not a task");
        goto done;
    }
    out = json_pack("{s:o}", "task", tasks_task_json(reply->task));
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering the task");
done:
    if (reply)
        onewindow__v1__task_reply__free_unpacked(reply, NULL);
    return out;
}

/* The TASK array of an unpacked list; NULL when out of memory. */
static json_t *s_task_array(const Onewindow__V1__TaskList *list)
{
    json_t *tasks = json_array();
    for (size_t i = 0; tasks && i < list->n_tasks; i++) {
        if (json_array_append_new(tasks, tasks_task_json(list->tasks[i])) != 0) {
            json_decref(tasks);
            tasks = NULL;
        }
    }
    return tasks;
}

json_t *tasks_task_array_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__TaskList *list = onewindow__v1__task_list__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!list) {
        ow_error_set(err, OW_INTERNAL, "routing sent a reply that is not a task list");
        return NULL;
    }
    out = s_task_array(list);
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering tasks");
    onewindow__v1__task_list__free_unpacked(list, NULL);
    return out;
}

json_t *tasks_task_list_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__TaskList *list = onewindow__v1__task_list__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!list) {
        ow_error_set(err, OW_INTERNAL, "routing sent a reply that is not a task list");
        return NULL;
    }
    /* next_after is "" on the last page (docs/api.md): a client loops while it is not. */
    out = json_pack("{s:o, s:o}", "tasks", s_task_array(list), "next_after",
                    s_text(list->next_after));
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering tasks");
    onewindow__v1__task_list__free_unpacked(list, NULL);
    return out;
}
