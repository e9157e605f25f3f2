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
 * PERMISSION_DENIED (authority.h: the actor is neither the task's holder nor the department's
 * chief representative, or is not active staff), FAILED_PRECONDITION (already decided, or
 * the key was used for another request), UNAVAILABLE/INTERNAL (database). */
int routing_decide(ow_db_t *db, const char *idempotency_key, const char *actor,
                   const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err);

/* One decision of a batch: the inputs are borrowed; the outputs are filled by
 * routing_decide_batch. */
typedef struct {
    const char *idempotency_key;
    const char *actor;
    const uint8_t *request;
    size_t len;
    int rc;         /* 0: *reply holds the packed OK Reply; -1: err says why */
    uint8_t *reply; /* caller frees */
    size_t reply_len;
    ow_error_t err;
} routing_decide_item_t;

/* Runs items[0..n) as routing_decide would, in ONE durable commit (ARCHITECTURE "Inside a
 * daemon": drain, apply, commit, reply). A refused one changes nothing and the others go on.
 * Set-based first: the batch's keys, tasks, actors and workflow cases are read with one
 * statement each, the rules applied in C, and its writes made with one multi-row statement
 * each (docs/routing.md). A batch naming a key, task or case twice, touching a workflow case, or
 * meeting a failed statement is rolled back and run per decision instead: refusals are found
 * before a decision writes, so no savepoint is taken; when a decision fails after writing, the
 * whole transaction is rolled back and rerun with a savepoint each. Every item
 * gets its own rc / reply / err; when the commit itself fails, every item that had succeeded fails
 * with the commit's error (nothing was written; the clients' retries carry the same keys). A
 * decision that met another instance's concurrent use of its key is run once more on its own. */
void routing_decide_batch(ow_db_t *db, routing_decide_item_t *items, size_t n);

#endif
