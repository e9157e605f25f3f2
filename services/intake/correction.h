/* correction — 补正 after a one-time notice, and the acceptance date the law gives it
 * (行政许可法 art. 32, DOMAIN.md §3):
 *   - a correction may supply only what the notice listed: nothing may be asked for later
 *     that the notice did not list, so anything else is refused;
 *   - after a correction the acceptance date is the day the materials became complete;
 *   - the notice must be given on the spot or within 5 (working) days of receipt; when that
 *     duty lapsed, the application counts as accepted on the day the materials were
 *     received.
 * The same rule covers 容缺 supplies (only what the supply list named).
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_CORRECTION_H
#define INTAKE_CORRECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define INTAKE_NOTICE_DUTY_DAYS 5 /* art. 32: "五日内一次告知" — working days (art. 82) */

/* Checks supplied[0..n_supplied) against outstanding[0..n_outstanding) (the codes the notice
 * listed and not yet supplied; already_supplied[0..n_already) were supplied earlier). Adds a
 * "materials" violation per code that the notice did not list, and per code supplied twice in
 * this request; a code supplied in an earlier correction is accepted again (a replacement
 * copy) without effect. Returns the number of violations added. */
int intake_correction_check(const char *const *outstanding, size_t n_outstanding,
                            const char *const *already_supplied, size_t n_already,
                            const char *const *supplied, size_t n_supplied, ow_error_t *err);

/* How many of outstanding[] are still not in supplied[] after this correction (0 = complete). */
size_t intake_correction_remaining(const char *const *outstanding, size_t n_outstanding,
                                   const char *const *supplied, size_t n_supplied);

/* The acceptance time per art. 32:
 *   - notice_at_us == 0 (no notice given) or notice_at_us > notice_due_us (given late): the
 *     duty lapsed, the application is accepted as of received_at_us;
 *   - otherwise the day the materials became complete: complete_at_us.
 * Returns the acceptance time (µs), never earlier than received_at_us. */
int64_t intake_art32_accepted_at(int64_t received_at_us, int64_t notice_at_us,
                                 int64_t notice_due_us, int64_t complete_at_us);

/* True when the notice duty has lapsed at now_us with no notice given in time. */
bool intake_art32_lapsed(int64_t notice_at_us, int64_t notice_due_us, int64_t now_us);

/* What the notice-duty timer does when it fires for a case in `state` (art. 32): true when
 * the case is still 1 已接件 — no decision and no notice within the 5 days — so it is deemed
 * accepted as of its receipt; false when the window decided in time (or it was withdrawn). */
bool intake_notice_duty_deems_accepted(int state);

/* What the 容缺 supply timer does when it fires (DOMAIN §3: "a missed deadline terminates the
 * case"): true when the case was accepted under 容缺, may still close as 13 办结（不通过）
 * (accepted, not decided, withdrawn or closed) and `unsupplied` materials of its supply list
 * are still missing. The case is then closed as 13 with a termination notice. */
bool intake_rongque_supply_missed(bool rongque, int state, size_t unsupplied);

#endif
