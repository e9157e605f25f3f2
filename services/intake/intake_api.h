/* intake_api — what intaked serves and consumes, registered on an ow_service:
 *   intake.submit    SubmitApplication → CaseReply   (submit.h)
 *   intake.get_case  GetCase → CaseReply             (NOT_FOUND for an unknown number)
 *   consumes routing's case.decided                  (case_decided.h)
 * The handlers only move bytes between the request socket and the domain modules. */
#ifndef INTAKE_API_H
#define INTAKE_API_H

#include "ow_migrate.h"
#include "ow_status.h"

typedef struct ow_service ow_service_t;

/* The intake schema's migrations, embedded by ow_embed_migrations(intake_core …). */
extern const ow_migration_t intake_core_migrations[];
extern const size_t intake_core_migrations_count;

/* Reads county_code (default 330122) and centre_id (default 330122000000) from the
 * configuration, prepares the statements, registers the methods and the case.decided
 * consumer. The handlers' state is freed when the service's loop shuts down. Returns 0, or
 * -1 with err (a bad setting names its key) and nothing registered. */
int intake_api_attach(ow_service_t *svc, ow_error_t *err);

#endif
