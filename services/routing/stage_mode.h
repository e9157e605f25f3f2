/* stage_mode — how a workflow stage's result follows from its departments' results
 * (并联审批, DOMAIN.md §4), as plain functions. No I/O.
 *
 *   single  one department; its result is the stage's.
 *   all     会签: every department must approve. One refusal refuses the stage at once (the
 *           others' open tasks are withdrawn); all approved approves it. A co-signing
 *           department answers within routing.cosign_working_days (default 7) working days.
 *   any     或签: the first approval approves the stage (the others are withdrawn); the
 *           stage is refused only when every department refused. */
#ifndef ROUTING_STAGE_MODE_H
#define ROUTING_STAGE_MODE_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTING_COSIGN_DAYS_DEFAULT 7 /* DOMAIN §4: co-signing departments, working days */

typedef enum {
    ROUTING_MODE_SINGLE,
    ROUTING_MODE_ALL, /* 会签 */
    ROUTING_MODE_ANY, /* 或签 */
} routing_stage_mode_t;

typedef enum {
    ROUTING_RESULT_PENDING,
    ROUTING_RESULT_APPROVED,
    ROUTING_RESULT_REFUSED,
} routing_result_t;

/* "single", "all", "any". */
const char *routing_stage_mode_name(routing_stage_mode_t mode);

/* Parses a mode name. Returns false (and leaves *out) for anything else. */
bool routing_stage_mode_parse(const char *name, routing_stage_mode_t *out);

/* "pending", "approved", "refused". */
const char *routing_result_name(routing_result_t result);

/* Is n departments a valid count for mode? single needs exactly 1, all and any at least 2
 * (with one department they are single). */
bool routing_stage_mode_fits(routing_stage_mode_t mode, size_t n);

/* The stage's result from its departments' results[0..n). A count that does not fit the
 * mode (routing_stage_mode_fits) is PENDING: such a workflow is refused when stored. */
routing_result_t routing_stage_result(routing_stage_mode_t mode, const routing_result_t *results,
                                      size_t n);

#endif
