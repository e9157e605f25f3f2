#include "case_decided.h"

#include <ctype.h>
#include <string.h>
#include "case_state.h"
#include "case_store.h"
#include "ow_clock.h"
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

int intake_apply_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseDecided *d = NULL;
    intake_case_t *kase = NULL;

    if (ev->payload_len > INTAKE_EVENT_MAX_BYTES) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.decided payload of %zu bytes is too large",
                     ev->payload_len);
        goto done;
    }
    d = onewindow__v1__case_decided__unpack(NULL, ev->payload_len, ev->payload);
    if (!d) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.decided payload is not a CaseDecided");
        goto done;
    }
    if (!s_case_no_valid(d->case_no)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "case.decided names no valid case number");
        goto done;
    }
    if (ev->case_no[0] && strcmp(ev->case_no, d->case_no) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case.decided envelope is for case %s but its payload for %s", ev->case_no,
                     d->case_no);
        goto done;
    }
    int state = intake_case_state_for_outcome(d->outcome);
    if (state < 0 || state != d->state) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "case.decided for %s: outcome and state %d disagree (approved is 11, "
                     "refused is 13)",
                     d->case_no, d->state);
        goto done;
    }
    int64_t decided_at = d->decided_at_us > 0 ? d->decided_at_us : ev->time_us;

    ow_error_t lookup;
    ow_error_clear(&lookup);
    kase = intake_case_load(db, d->case_no, true, &lookup);
    if (!kase) {
        *err = lookup;
        if (lookup.code == OW_NOT_FOUND)
            ow_error_set(err, OW_INVALID_ARGUMENT, "case.decided for unknown case %s", d->case_no);
        goto done;
    }
    int current = intake_case_summary(kase)->state;
    /* DOMAIN §3: a case accepted under 容缺 and approved closes as 12 办结（容缺通过）. */
    if (state == INTAKE_STATE_APPROVED && intake_case_summary(kase)->rongque)
        state = INTAKE_STATE_APPROVED_WITH_GAPS;
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
