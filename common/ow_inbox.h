/* ow_inbox — consuming events exactly once.
 *
 * The inbox subscribes to busd's XPUB and follows whole sources (every event of a followed
 * source, so seq gaps are real gaps). <schema>.inbox keeps (source, last_seq). Each event
 * is applied in one transaction together with the update of last_seq: an event at or below
 * last_seq is skipped, so effects happen once. An event past last_seq + 1, a heartbeat past
 * last_seq, or start-up triggers a "_replay" request to the source for the missing range,
 * applied in order. Events of a followed source with no handler just advance last_seq.
 *
 * A handler returning -1 with a transient code (UNAVAILABLE, INTERNAL, ABORTED) rolls back
 * and is retried after a back-off; with INVALID_ARGUMENT (a poison event that can never
 * apply) the event is logged, counted and skipped, so one bad event cannot stop a stream. */
#ifndef OW_INBOX_H
#define OW_INBOX_H

#include <stdint.h>
#include "ow_envelope.h"
#include "ow_loop.h"
#include "ow_status.h"

typedef struct ow_db ow_db_t;
typedef struct ow_inbox ow_inbox_t;

/* Applies one event inside the inbox's open transaction on db. Return 0, or -1 with err. */
typedef int(ow_inbox_apply_fn)(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err);

/* Runs after each commit that applied events (e.g. to kick the service's own relay). */
typedef void(ow_inbox_committed_fn)(void *arg);

/* Creates an inbox on db connected to busd's XPUB at bus_endpoint. Nothing is received until
 * ow_inbox_start. Returns NULL with err. Caller owns it. */
ow_inbox_t *ow_inbox_new(ow_loop_t *loop, ow_db_t *db, const char *bus_endpoint, ow_error_t *err);

void ow_inbox_destroy(ow_inbox_t **self_p);

/* Follows every event of `source`, replaying gaps from its request socket at
 * replay_endpoint. Call before ow_inbox_start. */
int ow_inbox_follow(ow_inbox_t *self, const char *source, const char *replay_endpoint,
                    ow_error_t *err);

/* Handles events whose type starts with type_prefix ("case.accepted", "case."); the longest
 * matching prefix wins. */
void ow_inbox_on(ow_inbox_t *self, const char *type_prefix, ow_inbox_apply_fn *fn, void *arg);

/* Adds a hook run after each such commit; every hook registered runs, in order (the same
 * fn and arg twice count once). */
void ow_inbox_on_commit(ow_inbox_t *self, ow_inbox_committed_fn *fn, void *arg);

/* Loads last seqs, subscribes, and replays from every followed source. Returns -1 with err
 * when the database cannot be read. */
int ow_inbox_start(ow_inbox_t *self, ow_error_t *err);

/* Last applied seq of a followed source (0 when none), for /metrics and tests. */
uint64_t ow_inbox_last_seq(const ow_inbox_t *self, const char *source);

/* Counters for /metrics. */
uint64_t ow_inbox_applied(const ow_inbox_t *self);
uint64_t ow_inbox_skipped(const ow_inbox_t *self);
uint64_t ow_inbox_poison(const ow_inbox_t *self);
uint64_t ow_inbox_malformed(const ow_inbox_t *self); /* frames that were not events */

#endif
