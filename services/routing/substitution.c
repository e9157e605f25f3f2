#include "substitution.h"

#include <stdio.h>
#include <string.h>

static bool s_someone(const char *id)
{
    return id && *id;
}

static bool s_same(const char *a, const char *b)
{
    return s_someone(a) && s_someone(b) && strcmp(a, b) == 0;
}

const char *routing_held_by_name(routing_held_by_t held_by)
{
    switch (held_by) {
    case ROUTING_HELD_BY_A:
        return "a";
    case ROUTING_HELD_BY_B:
        return "b";
    case ROUTING_HELD_BY_CHIEF:
        return "chief_representative";
    case ROUTING_HELD_BY_SUPERVISOR:
        return "supervisor";
    }
    return "a";
}

static void s_set(routing_holder_t *out, const char *holder, const char *on_behalf_of,
                  routing_held_by_t held_by)
{
    snprintf(out->holder, sizeof out->holder, "%s", holder);
    /* Someone acting in their own post acts for nobody else. */
    snprintf(out->on_behalf_of, sizeof out->on_behalf_of, "%s",
             s_same(holder, on_behalf_of) ? "" : (on_behalf_of ? on_behalf_of : ""));
    out->held_by = held_by;
}

int routing_post_holder(const routing_post_view_t *post, routing_holder_t *out, ow_error_t *err)
{
    const char *a = post->a_holder;
    if (s_someone(a) && !post->a_away) {
        s_set(out, a, "", ROUTING_HELD_BY_A);
        return 0;
    }
    /* DOMAIN §4: B acts on A's behalf and the record shows both; so do the fallbacks. */
    if (s_someone(post->b_holder) && !post->b_away) {
        s_set(out, post->b_holder, a, ROUTING_HELD_BY_B);
        return 0;
    }
    if (s_someone(post->chief) && !post->chief_away) {
        s_set(out, post->chief, a, ROUTING_HELD_BY_CHIEF);
        return 0;
    }
    if (s_someone(post->supervisor) && !post->supervisor_away) {
        s_set(out, post->supervisor, a, ROUTING_HELD_BY_SUPERVISOR);
        return 0;
    }
    ow_error_set(err, OW_FAILED_PRECONDITION,
                 "the post of %s has nobody to take its work: its A and B holders, the chief "
                 "representative and the supervisor are all away",
                 s_someone(a) ? a : "(no A holder)");
    return -1;
}

/* Is id one of the people the post view knows, and present? */
static bool s_present(const routing_post_view_t *post, const char *id)
{
    if (!s_someone(id))
        return false;
    if (s_same(id, post->a_holder))
        return !post->a_away;
    if (s_same(id, post->b_holder))
        return !post->b_away;
    if (s_same(id, post->chief))
        return !post->chief_away;
    if (s_same(id, post->supervisor))
        return !post->supervisor_away;
    return false; /* a stranger to the post (transferred away, left) never keeps its work */
}

int routing_post_rehold(const routing_post_view_t *post, const char *current, bool keep_until_done,
                        routing_holder_t *out, bool *moved, ow_error_t *err)
{
    *moved = false;
    routing_holder_t target;
    if (routing_post_holder(post, &target, err) < 0)
        return -1;
    if (s_same(target.holder, current)) {
        *out = target;
        return 0;
    }
    /* The configurable rule: a substitute who is still there finishes what they hold
     * instead of handing it back when A (or an earlier link of the chain) returns. */
    if (keep_until_done && s_present(post, current)) {
        routing_held_by_t by = s_same(current, post->a_holder)   ? ROUTING_HELD_BY_A
                               : s_same(current, post->b_holder) ? ROUTING_HELD_BY_B
                               : s_same(current, post->chief)    ? ROUTING_HELD_BY_CHIEF
                                                                 : ROUTING_HELD_BY_SUPERVISOR;
        s_set(out, current, post->a_holder, by);
        return 0;
    }
    *out = target;
    *moved = true;
    return 0;
}

int routing_absence_check_fields(const routing_absence_t *absence, ow_error_t *err)
{
    int added = 0;
    if (!s_someone(absence->staff_id)) {
        ow_error_add_violation(err, "staff_id", "is missing");
        added++;
    }
    if (absence->end_us <= absence->start_us) {
        ow_error_add_violation(err, "end", "must be after the start");
        added++;
    }
    return added;
}

/* Is id there at moment t (someone, and no absence in others[] covers t)? */
static bool s_there_at(const char *id, int64_t t, const routing_absence_t *others, size_t n)
{
    if (!s_someone(id))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s_same(others[i].staff_id, id) && others[i].start_us <= t && others[i].end_us > t)
            return false;
    return true;
}

/* Is one of fallbacks[] there at every moment of [from, to)? Nobody is there only from
 * `from` or from the start of some fallback's absence: those moments are enough to check. */
static bool s_covered(const char *const *fallbacks, size_t n_fallbacks, int64_t from, int64_t to,
                      const routing_absence_t *others, size_t n)
{
    for (size_t k = 0; k <= n; k++) {
        int64_t t = from;
        if (k < n) {
            bool theirs = false;
            for (size_t f = 0; f < n_fallbacks && !theirs; f++)
                theirs = s_someone(fallbacks[f]) && s_same(others[k].staff_id, fallbacks[f]);
            if (!theirs || others[k].start_us <= from || others[k].start_us >= to)
                continue;
            t = others[k].start_us;
        }
        bool someone = false;
        for (size_t f = 0; f < n_fallbacks && !someone; f++)
            someone = s_there_at(fallbacks[f], t, others, n);
        if (!someone)
            return false;
    }
    return true;
}

int routing_absence_allowed(const routing_absence_t *absence, const char *post_code,
                            const char *a_holder, const char *b_holder,
                            const char *const *fallbacks, size_t n_fallbacks,
                            const routing_absence_t *others, size_t n, bool supervisor_override,
                            ow_error_t *err)
{
    const char *other;
    if (s_same(absence->staff_id, a_holder))
        other = b_holder;
    else if (s_same(absence->staff_id, b_holder))
        other = a_holder;
    else
        return 0;

    /* The stretch of the new absence during which the other holder is away too. */
    int64_t from = INT64_MAX, to = INT64_MIN;
    if (!s_someone(other) || s_same(other, absence->staff_id)) {
        from = absence->start_us;
        to = absence->end_us;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!s_same(others[i].staff_id, other))
                continue;
            int64_t s =
                others[i].start_us > absence->start_us ? others[i].start_us : absence->start_us;
            int64_t e = others[i].end_us < absence->end_us ? others[i].end_us : absence->end_us;
            if (s < e) {
                if (s < from)
                    from = s;
                if (e > to)
                    to = e;
            }
        }
    }
    if (from >= to)
        return 0; /* the other holder covers the whole absence */

    /* DOMAIN §4: a post is never left without someone. */
    if (!supervisor_override) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "post %s would have neither its A nor its B holder present: the absence "
                     "needs a supervisor's override",
                     post_code);
        return -1;
    }
    /* Every chief representative and every supervisor counts, not only the first of each. */
    if (!s_covered(fallbacks, n_fallbacks, from, to, others, n)) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "post %s would be left with nobody: its holders, every chief representative "
                     "and every supervisor are all away at the same time",
                     post_code);
        return -1;
    }
    return 0;
}
