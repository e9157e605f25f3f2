/* decide — the routing.decide command (docs/contract.md): the assignee approves or refuses
 * a task; the task is closed, the decision written to the audit trail, and task.decided and
 * case.decided (approve → approved, state 11; refuse → refused, state 13) are emitted — all
 * in one transaction.
 *
 * Knows nothing of sockets: it takes the request bytes and returns the packed Reply, so the
 * RPC adapter (routing_api.c) only moves bytes, and tests call it on a real database. */
#ifndef ROUTING_DECIDE_H
#define ROUTING_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_DECIDE_MAX_BYTES (16 * 1024)
#define ROUTING_IDEM_KEY_MAX     200

/* Registers every statement decide needs on db. Returns 0, or -1 with err. */
int routing_decide_prepare(ow_db_t *db, ow_error_t *err);

/* Runs routing.decide for the packed DecideTask request[0..len) on behalf of actor (the
 * caller's staff id). A repeat of idempotency_key returns the first answer and changes
 * nothing. Returns 0 and a packed onewindow.v1.Reply (OK, payload TaskReply) in *reply (the
 * caller frees it, sends it with ow_rpc_reply_packed and kicks the relay); or -1 with err and
 * nothing written: INVALID_ARGUMENT (violations), NOT_FOUND (unknown task),
 * PERMISSION_DENIED (actor is not the assignee), FAILED_PRECONDITION (already decided, or
 * the key was used for another request), UNAVAILABLE/INTERNAL (database). */
int routing_decide(ow_db_t *db, const char *idempotency_key, const char *actor,
                   const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err);

#endif
