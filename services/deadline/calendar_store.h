/* calendar_store — the calendars as kept in deadline.calendars, and the copy in force in
 * memory (deadline_context_t.cal).
 *
 * The 2025 and 2026 records (calendars/YYYY.json, compiled in) are inserted at start-up when the
 * table lacks them; an operator loads later years and centre overrides with
 * deadline.load_calendar. Every load bumps a sequence; each deadlined instance checks it once
 * a tick and rebuilds its copy, so several instances agree within a second. */
#ifndef DEADLINE_CALENDAR_STORE_H
#define DEADLINE_CALENDAR_STORE_H

#include <stddef.h>
#include "deadline_context.h"
#include "ow_rpc.h"
#include "ow_status.h"

/* Registers the statements. Returns 0 or -1 with err. */
int calendar_store_prepare(ow_db_t *db, ow_error_t *err);

/* In its own transaction: inserts the compiled-in years that are absent. Returns 0 or -1. */
int calendar_store_seed(ow_db_t *db, ow_error_t *err);

/* When the stored calendars changed since ctx->calendar_version (or ctx->cal is NULL):
 * builds a new calendar from every record and swaps it into ctx->cal (the old one freed).
 * Outside a transaction. Returns 1 when reloaded, 0 when unchanged, -1 with err (ctx keeps
 * its calendar). A stored record that no longer parses is skipped and logged. */
int calendar_store_reload(deadline_context_t *ctx, ow_error_t *err);

/* Inside the caller's transaction: validates json (as deadline_calendar_load_json) and
 * stores it as its scope's year, bumping the version. Sets *year and centre (at least
 * CALENDAR_CENTRE_MAX + 1 bytes). Returns 0 or -1 with err (INVALID_ARGUMENT listing every
 * problem; nothing written). */
int calendar_store_save(ow_db_t *db, const char *json, size_t len, const char *loaded_by, int *year,
                        char *centre, ow_error_t *err);

/* ow_rpc_handler_fn for deadline.load_calendar (LoadCalendar → LoadCalendarReply); arg is the
 * deadline_context_t. Idempotency key required (INVALID_ARGUMENT without); a repeat answers
 * the first reply. */
void calendar_store_handle_load(ow_rpc_call_t *call, void *arg);

/* The compiled-in calendar files (generated from calendars/YYYY.json at build time). */
extern const char *const deadline_shipped_calendars[];
extern const size_t deadline_shipped_calendar_count;

#endif
