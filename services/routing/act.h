/* act — the routing.act command (README "Serves"): the decisions on a task beyond approve and
 * refuse — return for correction, special procedures and their end, extension request and a
 * head's grant or refusal, transfer to another post, claim and release (DOMAIN.md §4). Each
 * is checked (task_action.h), authorised (authority.h: PERMISSION_DENIED changes nothing and
 * is checked before the task's state), written with its audit entry (before and after) and
 * its events (task.updated; case.suspended / case.resumed / case.extended as routing.proto
 * defines them) in one transaction, and remembered under its idempotency key.
 *
 * Knows nothing of sockets: it takes the request bytes and returns the packed Reply. */
#ifndef ROUTING_ACT_H
#define ROUTING_ACT_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_ACT_MAX_BYTES (16 * 1024)

/* Registers every statement act needs on db. Returns 0, or -1 with err. */
int routing_act_prepare(ow_db_t *db, ow_error_t *err);

/* Runs routing.act for the packed TaskAction request[0..len) on behalf of actor. A repeat of
 * idempotency_key returns the first answer. Returns 0 with a packed onewindow.v1.Reply (OK,
 * TaskReply) in *reply (caller frees, answers and kicks the relay), or -1 with err and
 * nothing written: INVALID_ARGUMENT (every bad field; an extension beyond the art. 42
 * ceiling), NOT_FOUND (task, or the transfer's post), PERMISSION_DENIED, FAILED_PRECONDITION
 * (the task's state does not allow it; the key used for another request; a transfer to a post
 * nobody holds; releasing a task without a post), UNAVAILABLE/INTERNAL (database). */
int routing_act(ow_db_t *db, const char *idempotency_key, const char *actor, const uint8_t *request,
                size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err);

#endif
