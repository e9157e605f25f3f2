/* thresholds — when the yellow card falls, per centre and per item (DOMAIN.md §5: "no
 * national threshold exists: default 1 working day or 20 % of the limit left, whichever comes
 * first, configurable per centre or item").
 *
 * The default comes from the configuration (yellow.days, yellow.hours, yellow.percent, in the
 * context); `yellow_thresholds` rows override it for a centre, and for an item (which wins
 * over its centre). Changes apply to clocks started or recomputed afterwards: a card already
 * scheduled keeps its time. */
#ifndef DEADLINE_THRESHOLDS_H
#define DEADLINE_THRESHOLDS_H

#include "deadline_context.h"
#include "limits.h"
#include "ow_db.h"
#include "ow_rpc.h"
#include "ow_status.h"

#define THRESHOLD_KEY_MAX 64

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int thresholds_prepare(ow_db_t *db, ow_error_t *err);

/* The thresholds in force for a clock of centre_id and item_code (either may be "" or NULL):
 * the item's row, else the centre's, else ctx->thresholds. Returns 0 with *out set, or -1
 * with err (database error). */
int thresholds_for(const deadline_context_t *ctx, const char *centre_id, const char *item_code,
                   deadline_thresholds_t *out, ow_error_t *err);

/* Checks a SetThresholds request; every problem at once as INVALID_ARGUMENT violations
 * (scope not centre/item, key empty or longer than THRESHOLD_KEY_MAX, a centre id that is not
 * 12 digits, days outside 0..60, hours 0..1000, percent 0..100). Pure. Returns 0 or -1. */
int thresholds_validate(const char *scope, const char *key, int32_t days, int32_t hours,
                        int32_t percent, ow_error_t *err);

/* ow_rpc_handler_fn for deadline.set_thresholds (payload SetThresholds → SetThresholdsReply);
 * arg is the deadline_context_t. Idempotency key required (ow_idem); validated first, nothing
 * written on INVALID_ARGUMENT; stores or replaces the row. Answers exactly once. */
void thresholds_handle_set(ow_rpc_call_t *call, void *arg);

#endif
