/* extension — the ceilings of an extension of the decision period (行政许可法 art. 42,
 * DOMAIN.md §5), as a plain function. No I/O.
 *
 * A decision is due within 20 working days of acceptance; a department head may add at most
 * 10. Joint or centralised handling (联合办理/集中办理): 45, extendable by at most 15. The
 * extra days already granted to a case count against the same ceiling, so a second
 * extension can only use what the first left. The applicant is told why, so a reason is
 * required. */
#ifndef ROUTING_EXTENSION_H
#define ROUTING_EXTENSION_H

#include <stdbool.h>
#include "ow_status.h"

#define ROUTING_EXTENSION_MAX_DAYS       10 /* art. 42 ¶1 */
#define ROUTING_JOINT_EXTENSION_MAX_DAYS 15 /* art. 42 ¶2 */
#define ROUTING_REASON_MAX               2000

/* The ceiling of extra working days for a case: 10, or 15 under joint handling. */
int routing_extension_ceiling(bool joint_handling);

/* Checks a request for extra_days more working days on a case that already has
 * granted_days. Adds one violation per problem to err (fields "extra_working_days",
 * "reason"): extra_days ≥ 1 and granted_days + extra_days within the ceiling (the message
 * says how many remain); a non-empty reason. Returns the number of violations added. */
int routing_extension_check(bool joint_handling, int granted_days, int extra_days,
                            const char *reason, ow_error_t *err);

#endif
