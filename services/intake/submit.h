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
#include "case_store.h"
#include "catalogue.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"

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

/* ---- the parts of intake.submit, for the set-based group commit (batch.c) ---- */

/* Checks the idempotency key and the size, and decodes request[0..len). Returns the request
 * (caller frees with onewindow__v1__submit_application__free_unpacked), or NULL with err
 * (INVALID_ARGUMENT). Needs no database. */
Onewindow__V1__SubmitApplication *intake_submit_decode(const char *idempotency_key,
                                                       const uint8_t *request, size_t len,
                                                       ow_error_t *err);

/* The contract's defaults: an empty channel is the window, an empty centre the county
 * centre. Borrowed from req or settings. */
const char *intake_submit_channel(const Onewindow__V1__SubmitApplication *req);
const char *intake_submit_centre(const Onewindow__V1__SubmitApplication *req,
                                 const intake_settings_t *settings);

/* Every check of the body at once (DOMAIN §3): item (read through items on db), applicant,
 * channel, centre, each missing material. Returns the item (owned by items), or NULL with err:
 * INVALID_ARGUMENT with every violation, or the database error reading the item. */
const intake_item_t *intake_submit_check(ow_db_t *db, intake_item_cache_t *items,
                                         const Onewindow__V1__SubmitApplication *req,
                                         const char *channel, const char *centre_id,
                                         ow_error_t *err);

/* The accepted case to write for a checked req (state 3, received = accepted = now_us).
 * Strings are borrowed from the arguments; id_number (≥ 32 bytes) receives the normalised
 * ID. */
void intake_submit_new_case(const Onewindow__V1__SubmitApplication *req, const intake_item_t *item,
                            const char *channel, const char *centre_id, const char *case_no,
                            int64_t now_us, char *id_number, size_t id_size,
                            intake_new_case_t *out);

/* The case.accepted payload and the OK Reply (CaseReply) of a written case, both new (caller
 * frees). Returns 0, or -1 with err (INTERNAL: out of memory). */
int intake_submit_outputs(const intake_case_t *kase, uint8_t **event, size_t *event_len,
                          uint8_t **reply, size_t *reply_len, ow_error_t *err);

#endif
