#include "case_decided.h"

#include <ctype.h>
#include <string.h>
#include "case_state.h"
#include "case_store.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_log.h"
#include "onewindow/v1/routing.pb-c.h"

static bool s_case_no_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > OW_CASE_NO_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Unpacks routing's CaseDecided (case.decided, case.awaiting_materials) and checks that it
 * names a case, the envelope's. Returns it (caller frees) or NULL with INVALID_ARGUMENT. */
static Onewindow__V1__CaseDecided *s_unpack(const ow_event_t *ev, ow_error_t *err)
{
    if (ev->payload_len > INTAKE_EVENT_MAX_BYTES) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s payload of %zu bytes is too large", ev->type,
                     ev->payload_len);
        return NULL;
    }
    Onewindow__V1__CaseDecided *d =
        onewindow__v1__case_decided__unpack(NULL, ev->payload_len, ev->payload);
    if (!d) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s payload is not a CaseDecided", ev->type);
        return NULL;
    }
    if (!s_case_no_valid(d->case_no)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s names no valid case number", ev->type);
    } else if (ev->case_no[0] && strcmp(ev->case_no, d->case_no) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s envelope is for case %s but its payload for %s",
                     ev->type, ev->case_no, d->case_no);
    } else {
        return d;
    }
    onewindow__v1__case_decided__free_unpacked(d, NULL);
    return NULL;
}

/* Loads the case locked; an unknown case is poison. */
static intake_case_t *s_load(ow_db_t *db, const char *type, const char *case_no, ow_error_t *err)
{
    ow_error_t lookup;
    ow_error_clear(&lookup);
    intake_case_t *kase = intake_case_load(db, case_no, true, &lookup);
    if (!kase) {
        *err = lookup;
        if (lookup.code == OW_NOT_FOUND)
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s for unknown case %s", type, case_no);
    }
    return kase;
}

/* How many materials of the case's 容缺 supply list are still outstanding; -1 with err. */
static int s_rongque_outstanding(ow_db_t *db, const char *case_no, ow_error_t *err)
{
    const char *p[1] = {case_no};
    PGresult *res = ow_db_exec(db, "intake_rcv_list", 1, p, err);
    if (!res)
        return -1;
    int n = 0;
    for (int i = 0; i < PQntuples(res); i++)
        n += strcmp(PQgetvalue(res, i, 3), "rongque") == 0 && PQgetvalue(res, i, 4)[0] != 't';
    PQclear(res);
    return n;
}

int intake_apply_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    intake_case_t *kase = NULL;
    Onewindow__V1__CaseDecided *d = s_unpack(ev, err);
    if (!d)
        goto done;
    /* routing's decision as it stands: 11, 12 (容缺, after the materials arrived) or 13. */
    int state = intake_case_state_decided(d->outcome, d->state);
    if (state < 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case.decided for %s: outcome '%s' and state %d disagree (approved is 11 or "
                     "12, refused is 13)",
                     d->case_no, d->outcome, d->state);
        goto done;
    }
    int64_t decided_at = d->decided_at_us > 0 ? d->decided_at_us : ev->time_us;
    if (!(kase = s_load(db, "case.decided", d->case_no, err)))
        goto done;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    int current = c->state;
    if (current == state) {
        /* Already closed this way (e.g. the inbox's record was restored from a backup). */
        rc = 0;
        goto done;
    }
    if (!intake_case_state_decidable(current)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case %s is in state %d %s: a decision cannot close it", d->case_no, current,
                     intake_case_state_name(current) ? intake_case_state_name(current) : "");
        goto done;
    }
    if (state == INTAKE_STATE_APPROVED_WITH_GAPS) {
        /* DOMAIN §3: 办结（容缺通过） only for a 容缺 case, and only once every material is in. */
        int left = c->rongque ? s_rongque_outstanding(db, d->case_no, err) : 0;
        if (left < 0)
            goto done;
        if (!c->rongque || left > 0) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "case.decided 12 for %s, which %s", d->case_no,
                         c->rongque ? "still has 容缺 materials outstanding"
                                    : "was not accepted under 容缺");
            goto done;
        }
    }
    if (intake_case_set_decided(db, d->case_no, state, decided_at, ow_clock_now_us(), err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "case decided", "case_no", d->case_no, "outcome", d->outcome, NULL);
    rc = 0;
done:
    intake_case_destroy(&kase);
    if (d)
        onewindow__v1__case_decided__free_unpacked(d, NULL);
    return rc;
}

int intake_apply_case_awaiting(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    intake_case_t *kase = NULL;
    Onewindow__V1__CaseDecided *d = s_unpack(ev, err);
    if (!d)
        goto done;
    if (!(kase = s_load(db, "case.awaiting_materials", d->case_no, err)))
        goto done;
    const Onewindow__V1__CaseSummary *c = intake_case_summary(kase);
    if (!c->rongque) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case.awaiting_materials for %s, which was not accepted under 容缺",
                     d->case_no);
        goto done;
    }
    if (!intake_case_state_decidable(c->state)) {
        /* Closed meanwhile (the supply deadline terminated it, or it was withdrawn): there is
         * nothing left to wait for. */
        rc = 0;
        goto done;
    }
    int64_t since = d->decided_at_us > 0 ? d->decided_at_us : ev->time_us;
    if (intake_case_set_awaiting(db, d->case_no, since, ow_clock_now_us(), err) < 0)
        goto done;
    ow_log_kv(OW_LOG_INFO, "case approved, awaiting 容缺 materials", "case_no", d->case_no, NULL);
    rc = 0;
done:
    intake_case_destroy(&kase);
    if (d)
        onewindow__v1__case_decided__free_unpacked(d, NULL);
    return rc;
}
