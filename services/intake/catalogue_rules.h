/* catalogue_rules — what the law forbids in a catalogue item (DOMAIN.md §2), checked before
 * an item version is written (by hand or by bulk import), every problem listed at once:
 *   - a promised limit above the legal one (承诺时限 ≤ 法定时限);
 *   - a 即办件 with a limit, a 承诺件 without one;
 *   - an item with no responsible department;
 *   - unknown type, level, handling kind or unit; a sub-item without a parent, a main item
 *     with one; a negative fee; a malformed centre; materials with a bad code, form or
 *     copies, or listed twice; a lane other than love or green, or one listed twice.
 *
 * Plain functions: no I/O. */
#ifndef INTAKE_CATALOGUE_RULES_H
#define INTAKE_CATALOGUE_RULES_H

#include <stdbool.h>
#include "catalogue.h"
#include "ow_status.h"

/* Adds one violation per problem of item to err; each field is named `prefix.field`
 * (prefix e.g. "items[3]" or "row 4"; "" gives plain field names). Returns the count. */
int intake_item_validate(const intake_item_t *item, const char *prefix, ow_error_t *err);

/* The parent level a level requires: "sub" → "main", "business" → "sub" or "main" (a main
 * item with no sub-items holds its business items directly); NULL for "main". */
bool intake_item_level_may_parent(const char *parent_level, const char *child_level);

/* True for a 1-64 character code of letters, digits, '-', '_' or '.'. */
bool intake_code_valid(const char *code);

#endif
