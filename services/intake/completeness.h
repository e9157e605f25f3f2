/* completeness — are the materials handed in complete for the item? (DOMAIN.md §3: the
 * one-time notice lists EVERY missing material at once; nothing may be asked for later that
 * the notice did not list.)
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_COMPLETENESS_H
#define INTAKE_COMPLETENESS_H

#include <stddef.h>
#include "catalogue.h"
#include "ow_status.h"

/* Checks handed_in[0..count) (material codes; duplicates allowed) against item's list and
 * adds to err, under the field "materials":
 *   - one violation per required material that is missing, naming the material, its code
 *     and the item — except materials obtained by data sharing, which must never be
 *     demanded from the applicant (DOMAIN §2);
 *   - one violation per code that is not on the item's list (a mistyped code would
 *     otherwise silently count as nothing handed in).
 * Returns the number of violations added (0 = complete). */
int intake_check_materials(const intake_item_t *item, const char *const *handed_in, size_t count,
                           ow_error_t *err);

#endif
