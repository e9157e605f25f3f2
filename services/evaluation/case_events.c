/* case_events — see case_events.h. Every payload is decoded with protobuf-c (bounded by the
 * envelope's OW_FRAME_MAX) and every string is checked against its bound before it is
 * stored. */
#include "case_events.h"

#include <string.h>

#include "ow_case_events.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ratings.h"
#include "served_cases.h"
#include "timer_commands.h"

/* What served_cases stores of the case, within its columns' bounds (migrations). */
static const ow_case_rule_t s_accepted_rules[] = {
    {.field = "case.item_code", .max = 64},
    {.field = "case.item_name", .max = 400},
    {.field = "case.department_code", .max = 64},
    {.field = "case.department_name", .max = 400},
    {.field = "case.centre_id", .max = OW_CENTRE_ID_MAX},
    {.field = "case.channel", .max = 32},
    {.field = "case.applicant.name", .max = 400},
    {.field = "case.applicant.id_type", .max = 32},
    {.field = "case.applicant.id_number", .max = 64},
    {.field = "case.applicant.phone", .max = 32},
    {.field = "case.applicant.email", .max = 254},
    {0},
};

static const ow_case_rule_t s_decided_rules[] = {
    {.field = "outcome", .max = 32, .required = true},
    {0},
};

int evaluation_on_case_accepted(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseAccepted *msg = ow_case_accepted_unpack(ev, s_accepted_rules, err);
    if (!msg)
        goto cleanup;
    const Onewindow__V1__CaseSummary *c = msg->case_;
    /* The event time stands in for an acceptance time intake left out. */
    int64_t accepted_at = c->accepted_at_us ? c->accepted_at_us : ev->time_us;
    /* Either event may make the case rateable: then its invitation and default timers are
     * asked for in this transaction (DOMAIN.md §6; timer_commands.h). */
    if (served_cases_accept(db, c, accepted_at, ev->event_id, err) != 0 ||
        timer_commands_rating_window(db, c->case_no, ratings_window(), err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    return rc;
}

int evaluation_on_case_decided(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    (void)arg;
    int rc = -1;
    Onewindow__V1__CaseDecided *msg = ow_case_decided_unpack(ev, s_decided_rules, err);
    if (!msg)
        goto cleanup;
    int64_t decided_at = msg->decided_at_us ? msg->decided_at_us : ev->time_us;
    if (served_cases_decide(db, msg->case_no, msg->outcome, decided_at, ev->event_id, err) != 0 ||
        timer_commands_rating_window(db, msg->case_no, ratings_window(), err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (msg)
        onewindow__v1__case_decided__free_unpacked(msg, NULL);
    return rc;
}
