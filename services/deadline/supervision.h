/* supervision — the statistics of electronic supervision (电子监察, DOMAIN.md §5): on-time
 * rate, overdue cases, average working days used — per department, item, centre and period —
 * read from the case clocks. Read-only. */
#ifndef DEADLINE_SUPERVISION_H
#define DEADLINE_SUPERVISION_H

#include <stdint.h>
#include "deadline_context.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "ow_rpc.h"
#include "ow_status.h"

#define SUPERVISION_OVERDUE_DEFAULT 100
#define SUPERVISION_OVERDUE_MAX     1000

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int supervision_prepare(ow_db_t *db, ow_error_t *err);

/* Checks a Statistics request; every problem at once as INVALID_ARGUMENT violations
 * (group_by not one of "", department, item, centre, month; negative times or from after to;
 * filters longer than 64 bytes; overdue_limit above SUPERVISION_OVERDUE_MAX). Pure. */
int supervision_validate(const Onewindow__V1__Statistics *req, ow_error_t *err);

/* ow_rpc_handler_fn for deadline.statistics (Statistics → StatisticsReply); arg is the
 * deadline_context_t. Rows per group in key order; on-time means decided by the promised due
 * time (extensions included), within_legal by the legal one; the overdue list is the open
 * case clocks past due at now, most overdue first. Answers exactly once. */
void supervision_handle_statistics(ow_rpc_call_t *call, void *arg);

#endif
