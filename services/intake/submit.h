/* submit — the intake.submit command (docs/contract.md): one application becomes one
 * accepted case (state 3 已受理) with its number and a case.accepted event, or nothing at all.
 *
 * Knows nothing of sockets: it takes the request bytes and returns the packed Reply, so
 * the RPC adapter (intake_api.c) only moves bytes, and tests call it directly on a real
 * database. */
#ifndef INTAKE_SUBMIT_H
#define INTAKE_SUBMIT_H

#include <stddef.h>
#include <stdint.h>
#include "catalogue.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define INTAKE_SUBMIT_MAX_BYTES     (64 * 1024) /* a SubmitApplication larger than this is refused */
#define INTAKE_SUBMIT_MAX_MATERIALS 64
#define INTAKE_CODE_MAX             64 /* item and material codes */
#define INTAKE_IDEM_KEY_MAX         200

typedef struct {
    const char *county_code; /* 6 digits: config county_code */
    const char *centre_id;   /* 12 digits: config centre_id, the default receiving centre */
} intake_settings_t;

/* Registers every statement submit needs (catalogue, counter, cases) on db. Returns 0, or
 * -1 with err. */
int intake_submit_prepare(ow_db_t *db, ow_error_t *err);

/* Runs intake.submit for the packed SubmitApplication request[0..len).
 *
 * Checks the whole body and reports every problem at once as violations (unknown item,
 * applicant name / id type / id number / phone, channel, centre, each missing required
 * material named with the item). Then, in ONE transaction: the idempotency check (a repeat
 * of idempotency_key returns the first answer and writes nothing), the case number, the case
 * row, the case.accepted event in the outbox, the idempotency record; commit.
 *
 * On success returns 0 and a packed onewindow.v1.Reply (status OK, payload CaseReply) in
 * *reply, which the caller frees and sends with ow_rpc_reply_packed; the caller then kicks
 * the relay. On failure returns -1 with err (INVALID_ARGUMENT with violations; FAILED_
 * PRECONDITION for a key reused with another body; UNAVAILABLE/INTERNAL when the database
 * failed) and nothing was written. */
/* intake.submit's work inside the caller's open transaction, for the group commit
 * (batch.h): the same checks and writes as intake_submit without BEGIN and COMMIT, the time
 * of receipt now_us given, the item read through the batch's cache items. Returns 0 with *reply
 * (new, or the first answer to a repeated key; caller frees), or -1 with err; on -1 the caller
 * rolls back to its savepoint. */
int intake_submit_apply(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                        const char *idempotency_key, const uint8_t *request, size_t len,
                        int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err);

int intake_submit(ow_db_t *db, const intake_settings_t *settings, const char *idempotency_key,
                  const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                  ow_error_t *err);

#endif
