/* ow_provision — prepares a database for OneWindow (`owctl db init --database-url URL`).
 *
 * For each source (intake, routing, deadline, evaluation, notify, gateway): a LOGIN role
 * ow_<source> (password from the environment variable OW_<SOURCE>_DB_PASSWORD when set,
 * otherwise left as it is), CONNECT on the database, and a schema <source> owned by that
 * role, so each service can touch only its own schema. CREATE on schema public is revoked
 * from PUBLIC. The daemons create their tables themselves (migrations at start-up), except
 * routing's audit trail: schema routing_audit and its table audit_trail belong to a NOLOGIN
 * role ow_routing_audit, which grants ow_routing INSERT and SELECT only, so routing's own role
 * cannot update or delete what it recorded (an append-only trigger refuses it to anyone).
 * Likewise the rater's identity (evaluation, issue 6): schema evaluation_identity belongs to the
 * NOLOGIN role ow_evaluation_identity; ow_evaluation may INSERT into its applicants but not
 * SELECT, and reads only through the SECURITY DEFINER function read_applicants(case_nos,
 * purpose), which logs every row it returns in the append-only evaluation_identity.reads.
 *
 * Idempotent, and safe when several run at once against the same cluster: roles are
 * cluster-wide, so a concurrent creator's duplicate_object / unique_violation (and
 * PostgreSQL's "tuple concurrently updated") is caught and the step retried. */
#ifndef OW_PROVISION_H
#define OW_PROVISION_H

#include "ow_status.h"

/* The sources provisioned, in order, ending with NULL. */
extern const char *const ow_provision_sources[];

/* Connects to admin_url (a libpq URL or key=value string naming the target database, as a
 * role allowed to create roles and schemas) and provisions it. Returns 0, or -1 with err:
 * UNAVAILABLE when the server cannot be reached, PERMISSION_DENIED when the role lacks the
 * rights, INTERNAL otherwise; the message carries the server's. Nothing is left half done
 * for one source: each source is provisioned in its own transaction. */
int ow_provision(const char *admin_url, ow_error_t *err);

#endif
