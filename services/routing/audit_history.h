/* audit_history — a case's story from routing's audit trail (DOMAIN.md §4: who, on whose
 * behalf, when, what, why, before and after), for GET /v1/cases/{no}/history. Read-only. */
#ifndef ROUTING_AUDIT_HISTORY_H
#define ROUTING_AUDIT_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_HISTORY_MAX 1000 /* entries per reply: far above any real case's */

/* Registers this module's statement on db. Returns 0, or -1 with err. */
int routing_audit_history_prepare(ow_db_t *db, ow_error_t *err);

/* The audit trail of case_no in order (empty for an unknown case), as a packed
 * onewindow.v1.CaseHistoryReply in a new buffer (caller frees). Returns NULL with err on a
 * database error or when out of memory. */
uint8_t *routing_case_history(ow_db_t *db, const char *case_no, size_t *len, ow_error_t *err);

#endif
