/* rating_timeouts — see rating_timeouts.h. */
#include "rating_timeouts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_log.h"
#include "ow_outbox.h"
#include "ratings.h"
#include "rectification_store.h"
#include "timer_commands.h"

int rating_timeouts_prepare(ow_db_t *db, ow_error_t *err)
{
    if (rectification_store_prepare(db, err) != 0)
        return -1;
    /* FOR UPDATE: a rating of the same case waits for this transaction, or this one sees it. */
    return ow_db_prepare(db, "evaluation_case_unrated",
                         "SELECT centre_id, item_code, decided_at_us FROM served_cases s"
                         " WHERE case_no = $1 AND rateable AND NOT EXISTS"
                         " (SELECT 1 FROM ratings r WHERE r.case_no = s.case_no) FOR UPDATE",
                         err);
}

/* §6: "an invitation goes out after 3 days without a rating" — to notifyd, as an event. */
static int s_invite(ow_db_t *db, const Onewindow__V1__Timer *t, int64_t now_us, ow_error_t *err)
{
    int rc = -1;
    uint8_t *buf = NULL;
    const char *params[] = {t->case_no};
    PGresult *res = ow_db_exec(db, "evaluation_case_unrated", 1, params, err);
    if (!res)
        goto cleanup;
    if (PQntuples(res) == 0) { /* rated meanwhile (or unknown): no invitation */
        rc = 0;
        goto cleanup;
    }
    const rating_window_t *w = ratings_window();
    int64_t decided = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    Onewindow__V1__RatingInvitation m = ONEWINDOW__V1__RATING_INVITATION__INIT;
    m.case_no = t->case_no;
    m.centre_id = PQgetvalue(res, 0, 0);
    m.item_code = PQgetvalue(res, 0, 1);
    m.decided_at_us = decided;
    m.rate_until_us = rating_window_closes_at(w, decided);
    m.default_at_us = w->default_enabled ? rating_window_default_at(w, decided) : 0;
    size_t len = onewindow__v1__rating_invitation__get_packed_size(&m);
    buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the invitation of %s", t->case_no);
        goto cleanup;
    }
    onewindow__v1__rating_invitation__pack(&m, buf);
    rc = ow_outbox_add(db, "rating.invitation_due", t->case_no, m.centre_id, now_us, buf, len, err);
cleanup:
    free(buf);
    PQclear(res);
    return rc;
}

int evaluation_on_timer_fired(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__Timer *t = onewindow__v1__timer__unpack(NULL, ev->payload_len, ev->payload);
    if (!t) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer.fired %s: the payload is not a Timer",
                     ev->event_id);
        goto cleanup;
    }
    /* Every owner's timers travel on deadline's stream: ours only (docs/contract.md). */
    if (strcmp(t->owner, TIMER_OWNER) != 0) {
        rc = 0;
        goto cleanup;
    }
    /* The rectification deadline (DOMAIN.md §6: 5 working days): an overdue ticket. */
    if (strcmp(t->kind, TIMER_RECTIFY_DUE) == 0) {
        rc = rectification_on_deadline(db, t, ev->time_us, err);
        goto cleanup;
    }
    bool ours =
        strcmp(t->kind, TIMER_RATING_INVITE) == 0 || strcmp(t->kind, TIMER_RATING_DEFAULT) == 0;
    if (ours && (strlen(t->case_no) == 0 || strlen(t->case_no) > RATING_CASE_NO_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "timer %s names no valid case", t->timer_key);
        goto cleanup;
    }
    if (!ours) {
        ow_log_kv(OW_LOG_WARN, "timer of an unknown kind ignored", "timer_key", t->timer_key,
                  "kind", t->kind, NULL);
        rc = 0;
    } else if (strcmp(t->kind, TIMER_RATING_INVITE) == 0)
        rc = s_invite(db, t, ev->time_us, err);
    else if (strcmp(t->kind, TIMER_RATING_DEFAULT) == 0) {
        /* §6: no rating within the window — the service counts as 基本满意, marked as a
         * default, at the instant the window closed. */
        rating_t r;
        int64_t at = t->due_at_us > 0 ? t->due_at_us : ev->time_us;
        rc = ratings_record_default(db, t->case_no, at, &r, err) < 0 ? -1 : 0;
    }
cleanup:
    if (t)
        onewindow__v1__timer__free_unpacked(t, NULL);
    return rc;
}
