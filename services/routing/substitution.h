/* substitution — who holds a post's work while people are away (A/B posts, DOMAIN.md §4),
 * as plain functions. No I/O: the caller reads the post, its department's chief
 * representative and supervisor, and their absences, and asks.
 *
 * The rules encoded:
 *   - a post has an A holder (主岗) and a B holder (协岗); while A is away, B takes the post's
 *     new and open work "on behalf of A" (B acts for A and the record shows both);
 *   - if both are away, the department's chief representative (首席代表) takes it, then a
 *     supervisor — always on behalf of A, whose post it is;
 *   - a post is never left with nobody: an absence that would leave both A and B away is
 *     refused unless a supervisor overrides, and even then only if the chief representative
 *     or a supervisor is there to take the work;
 *   - when A returns, unfinished work is handed back (the default) or, configurable
 *     (routing.substitute_keeps_until_done), stays with whoever holds it until done. */
#ifndef ROUTING_SUBSTITUTION_H
#define ROUTING_SUBSTITUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define ROUTING_STAFF_ID_SIZE 65 /* ROUTING_ID_MAX + 1 */

/* Who could hold a post's work, and who is away right now. Strings are borrowed; "" (or
 * NULL) means there is nobody in that place (a post without a B holder, a department
 * without a chief representative). */
typedef struct {
    const char *a_holder;   /* 主岗 */
    const char *b_holder;   /* 协岗 */
    const char *chief;      /* the department's 首席代表 (or the delegate named for it) */
    const char *supervisor; /* 督查 of the centre */
    bool a_away, b_away, chief_away, supervisor_away;
} routing_post_view_t;

/* Which place in the chain holds the work. */
typedef enum {
    ROUTING_HELD_BY_A,
    ROUTING_HELD_BY_B,
    ROUTING_HELD_BY_CHIEF,
    ROUTING_HELD_BY_SUPERVISOR,
} routing_held_by_t;

typedef struct {
    char holder[ROUTING_STAFF_ID_SIZE];       /* who does the work */
    char on_behalf_of[ROUTING_STAFF_ID_SIZE]; /* the A holder when someone else does it; "" */
    routing_held_by_t held_by;
} routing_holder_t;

/* "a", "b", "chief_representative", "supervisor". */
const char *routing_held_by_name(routing_held_by_t held_by);

/* Who takes the post's new work now: A; else B on behalf of A; else the chief representative
 * on behalf of A; else a supervisor on behalf of A. Returns 0 with *out, or -1 with err
 * FAILED_PRECONDITION when nobody in the chain is there (the post was left empty — the
 * absence rules below exist to prevent that; the message names the post's A holder). */
int routing_post_holder(const routing_post_view_t *post, routing_holder_t *out, ow_error_t *err);

/* What happens to an open task of the post when absences change (someone leaves or
 * returns). current is the task's holder. keep_until_done: the configurable rule that a
 * substitute who is still there keeps the work until it is done instead of handing it back.
 * A holder who is away always loses the task (open work follows the post, DOMAIN §4).
 * Returns 0 with *out (equal to current when the task stays), or -1 with err as
 * routing_post_holder. *moved is set when the holder changes. */
int routing_post_rehold(const routing_post_view_t *post, const char *current, bool keep_until_done,
                        routing_holder_t *out, bool *moved, ow_error_t *err);

/* An absence, [start_us, end_us) of system time. */
typedef struct {
    const char *staff_id;
    int64_t start_us;
    int64_t end_us;
} routing_absence_t;

/* Checks an absence's own fields: staff id present, end after start. Adds one violation per
 * problem (fields "staff_id", "end"). Returns the number added. */
int routing_absence_check_fields(const routing_absence_t *absence, ow_error_t *err);

/* May `absence` be recorded for a post whose A and B holders are a_holder and b_holder?
 * others[0..n) are the absences already recorded (of anyone; the function picks the
 * relevant ones). If for some moment of the new absence both A and B would be away (or
 * the post has no other holder), the post would rely on its fallback: refused with
 * FAILED_PRECONDITION unless supervisor_override; with the override still refused when at
 * some moment of that stretch none of the fallbacks — fallbacks[0..n_fallbacks): EVERY chief
 * representative (or delegate) of the department and EVERY supervisor; "" entries are nobody —
 * is present. A staff id that is neither A nor B of the post is no concern of the post: 0.
 * Returns 0 when allowed, or -1 with err naming the post. */
int routing_absence_allowed(const routing_absence_t *absence, const char *post_code,
                            const char *a_holder, const char *b_holder,
                            const char *const *fallbacks, size_t n_fallbacks,
                            const routing_absence_t *others, size_t n, bool supervisor_override,
                            ow_error_t *err);

#endif
