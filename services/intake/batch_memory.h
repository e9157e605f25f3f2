/* batch_memory — what the daemon remembers of the database between batches (batch.h,
 * intake_batch_memory_t): the current items its batches read, the case counter's last serial
 * per day as its last committed batch left it, and the back-off after refused predictions.
 * Plain state: no database here. Internal to the group commit. */
#ifndef INTAKE_BATCH_MEMORY_H
#define INTAKE_BATCH_MEMORY_H

#include <stdbool.h>
#include "batch.h"
#include "batch_set.h"
#include "catalogue.h"
#include "ow_status.h"

/* The remembered items (owned by the memory; an item found there is valid until the memory
 * forgets, at intake_batch_memory_refused). */
intake_item_cache_t *intake_batch_memory_items(intake_batch_memory_t *self);

/* The remembered last serial of day, or -1 when it is not known. */
long intake_batch_memory_last(const intake_batch_memory_t *self, int day);

/* True when the next batch may be predicted: some counter is known and no back-off is running
 * (a batch that may not counts against the back-off). */
bool intake_batch_memory_may_predict(intake_batch_memory_t *self);

/* After a committed batch: where it left the counter (took), or — when some request took its
 * serial alone — that the counter's end is not known; the items it read. */
void intake_batch_memory_learn(intake_batch_memory_t *self, const intake_serials_t *took);
void intake_batch_memory_forget_serials(intake_batch_memory_t *self);
void intake_batch_memory_merge_items(intake_batch_memory_t *self, intake_item_cache_t *items);

/* A predicted batch committed (the back-off starts over), or was refused: everything is
 * forgotten, and after k refusals in a row the next 2^k - 1 batches read (at most 1,024). */
void intake_batch_memory_committed(intake_batch_memory_t *self);
void intake_batch_memory_refused(intake_batch_memory_t *self, const ow_error_t *err);

#endif
