/* dispatcher — moves queued deliveries to their channel: takes a batch of queued file
 * deliveries, appends them to the file sink (written and fdatasync'ed), then marks them sent
 * in the same transaction that locked them.
 *
 * Crash behaviour: a delivery is marked sent only after the sink holds it durably, so nothing
 * acknowledged is sent again; a crash between the sink write and the commit leaves that batch
 * queued, and it is written once more at the next run (at start-up at the latest) — at most
 * one repeat of what was in flight. */
#ifndef NOTIFY_DISPATCHER_H
#define NOTIFY_DISPATCHER_H

#include <stdint.h>
#include "ow_db.h"
#include "ow_loop.h"
#include "ow_status.h"

typedef struct dispatcher dispatcher_t;

/* A dispatcher sending db's queued file deliveries to the file at sink_path (checked now:
 * NULL with err when it cannot be opened for appending). db is borrowed. Caller owns it. */
dispatcher_t *dispatcher_new(ow_db_t *db, const char *sink_path, ow_error_t *err);

/* Stops its timer and frees it. Sets *self_p to NULL; harmless when already NULL. */
void dispatcher_destroy(dispatcher_t **self_p);

/* Runs dispatcher_run every interval_s seconds on loop (the timer is the loop's until
 * dispatcher_destroy). Returns 0, or -1 with err when out of memory. */
int dispatcher_start(dispatcher_t *self, ow_loop_t *loop, double interval_s, ow_error_t *err);

/* Sends every queued file delivery now, in batches, stamping them sent at now_us. Returns
 * the number sent; or -1 with err when the database or the sink failed (what was not marked
 * sent stays queued; a sink failure is counted on the deliveries). Returns 0 without doing
 * anything while db is inside another transaction. */
int dispatcher_run(dispatcher_t *self, int64_t now_us, ow_error_t *err);

#endif
