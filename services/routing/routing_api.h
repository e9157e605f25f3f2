/* routing_api — what routingd serves and consumes, registered on an ow_service:
 *   routing.list_tasks  ListTasks → TaskList   (ordered by created time, then id)
 *   routing.case_tasks  CaseTasks → TaskList   (every task of a case)
 *   routing.decide      DecideTask → TaskReply (decide.h)
 *   routing.work_list   WorkList → TaskList    (work order: green, love, earliest due)
 *   routing.case_history CaseHistory → CaseHistoryReply (audit_history.h)
 *   routing.put_workflow / get_workflow, routing.deliver (workflow_store.h, delivery.h)
 *   consumes intake's case.accepted (first_task.h), deadline's timer.fired (delivery.h)
 * The handlers only move bytes between the request socket and the domain modules. */
#ifndef ROUTING_API_H
#define ROUTING_API_H

#include "ow_migrate.h"
#include "ow_status.h"

typedef struct ow_service ow_service_t;

/* The routing schema's migrations, embedded by ow_embed_migrations(routing_core …). */
extern const ow_migration_t routing_core_migrations[];
extern const size_t routing_core_migrations_count;

/* Prepares the statements, registers the methods and the case.accepted consumer (the
 * service kicks the relay after each inbox commit, publishing task.created). The handlers'
 * state is freed when the service's loop shuts down. Returns 0, or -1 with err. */
int routing_api_attach(ow_service_t *svc, ow_error_t *err);

#endif
