/* tasks — approval tasks in the HTTP API: the GET /v1/tasks query to routing's ListTasks,
 * the POST /v1/tasks/{task_id}/decision body to DecideTask, and Task / TaskList back to
 * JSON (the TASK object of docs/contract.md). Plain functions: no evhttp. */
#ifndef GATEWAY_TASKS_H
#define GATEWAY_TASKS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_status.h"
#include "onewindow/v1/routing.pb-c.h"

#define TASKS_ID_MAX      64   /* task ids, staff ids */
#define TASKS_COMMENT_MAX 2000 /* a refusal must say why; leave room */
#define TASKS_LIMIT_MAX   500  /* one page of a work list */

/* Decodes the query of GET /v1/tasks (an object of strings, see route_parse_query):
 * assignee (required), state ("open" | "done"), limit (1–500), after (a task id). Packs
 * ListTasks into *out (caller frees). Violations already in err count: returns -1 with err
 * INVALID_ARGUMENT naming every bad parameter. */
int tasks_pack_list(const json_t *query, uint8_t **out, size_t *out_len, ow_error_t *err);

/* Decodes a decision body {"decision":"approve"|"refuse","comment":"…","actor":"STAFF_ID"}
 * for task_id and packs DecideTask into *out (caller frees). The actor is copied into
 * actor (TASKS_ID_MAX + 1 bytes): it is the RPC caller, whom routing checks against the
 * assignee. Violations already in err count; returns -1 with err INVALID_ARGUMENT. */
int tasks_pack_decide(const json_t *body, const char *task_id, uint8_t **out, size_t *out_len,
                      char actor[TASKS_ID_MAX + 1], ow_error_t *err);

/* The TASK object. New reference; NULL only when out of memory. */
json_t *tasks_task_json(const Onewindow__V1__Task *task);

/* A packed TaskReply as {"task": TASK}; NULL with err INTERNAL when malformed. */
json_t *tasks_task_reply_json(const uint8_t *payload, size_t len, ow_error_t *err);

/* A packed TaskList as {"tasks":[TASK…],"next_after":"…"} (next_after "" on the last
 * page); NULL with err INTERNAL when malformed. */
json_t *tasks_task_list_json(const uint8_t *payload, size_t len, ow_error_t *err);

/* Just the array of TASK objects of a packed TaskList (for the case view); NULL with err
 * INTERNAL when malformed. */
json_t *tasks_task_array_json(const uint8_t *payload, size_t len, ow_error_t *err);

#endif
