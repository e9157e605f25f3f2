/* reports — evaluation.report: the published figures of DOMAIN.md §6 (totals, active-rating
 * rate, good and bad rates, average per indicator, rectification and revisit rates) for one
 * dimension in one kind of period over a range, read from the roll-ups only (rollups.h) —
 * never from raw ratings, so a report costs the same at 10 million ratings as at ten. */
#ifndef EVALUATION_REPORTS_H
#define EVALUATION_REPORTS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_db.h"
#include "ow_rpc.h"
#include "ow_status.h"

#define REPORTS_PAGE_DEFAULT 100
#define REPORTS_PAGE_MAX     1000

/* evaluation.report as a plain function: decodes a GetReport, checks it (every problem at
 * once: dimension, key, period, from/to dates with from <= to, page_size 0..1000, the page
 * token), reads one page and packs a ReportReply into *out (caller frees). Returns 0, or -1
 * with err (INVALID_ARGUMENT with violations; a database error), *out NULL. */
int reports_read(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **out, size_t *out_len,
                 ow_error_t *err);

/* ow_rpc_handler_fn for evaluation.report; arg is the ow_db_t. */
void reports_on_report(ow_rpc_call_t *call, void *arg);

#endif
