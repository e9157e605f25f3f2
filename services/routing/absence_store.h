/* absence_store — absences (leave, training, trip) and the open work they move (DOMAIN.md §4,
 * migrations 0003 and 0005): routing.record_absence, routing.end_absence, the sweep that
 * applies absences recorded ahead of time once their start or end has come, and moving a
 * post's open work with substitution.h's routing_post_rehold.
 *
 * The commands take the request bytes and return the packed Reply (as decide.h), each in one
 * transaction with its audit entries and events; a refusal writes nothing. */
#ifndef ROUTING_ABSENCE_STORE_H
#define ROUTING_ABSENCE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_ABSENCE_MAX_BYTES (8 * 1024)

/* Registers the statements of this module (and of post_store, task_store). 0 or -1. */
int routing_absence_store_prepare(ow_db_t *db, ow_error_t *err);

/* Inside an open transaction: moves the open work (open, suspended, awaiting an extension)
 * of post_code to whoever should hold it at now_us (routing_post_rehold; keep_until_done:
 * config routing.return_on_comeback = false). Each moved task is updated, audited as
 * task.reassigned (actor, on behalf of A, reason) and emitted as task.updated. A post whose
 * chain has nobody keeps its work where it is (logged). Adds the tasks moved to *moved.
 * Returns 0 or -1 with err. */
int routing_rehold_post(ow_db_t *db, const char *post_code, int64_t now_us, bool keep_until_done,
                        const char *actor, const char *reason, unsigned *moved, ow_error_t *err);

/* As routing_rehold_post for every post staff_id holds (A or B) or holds work of. */
int routing_rehold_staff(ow_db_t *db, const char *staff_id, int64_t now_us, bool keep_until_done,
                         const char *actor, const char *reason, unsigned *moved, ow_error_t *err);

/* routing.record_absence: the packed Absence request, recorded by actor. INVALID_ARGUMENT
 * (every bad field), NOT_FOUND (unknown staff), PERMISSION_DENIED (organisation.h),
 * FAILED_PRECONDITION (a post would be left without A and B and no supervisor overrides;
 * or, overridden, nobody to fall back on — substitution.h; or the key reused). An absence
 * that has started is applied at once: the post's work moves to the substitute. Returns 0
 * with *reply (caller frees; OK Reply with AbsenceReply) or -1 with err. */
int routing_absence_record(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                           size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                           ow_error_t *err);

/* routing.end_absence: the packed EndAbsence; the absence ends now (A is back early; one not
 * yet started is withdrawn) and the work is handed back. NOT_FOUND, PERMISSION_DENIED,
 * FAILED_PRECONDITION (already over). Returns as routing_absence_record. */
int routing_absence_end(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                        size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                        ow_error_t *err);

/* One transaction: applies up to 100 absences whose start or end has come by now_us and was
 * not applied yet (recorded ahead of time), moving the work and emitting absence.started /
 * absence.ended. Returns the number applied (≥ 0; the caller kicks the relay when > 0), or
 * -1 with err (rolled back; the next sweep retries). */
int routing_absence_sweep(ow_db_t *db, int64_t now_us, bool keep_until_done, ow_error_t *err);

#endif
