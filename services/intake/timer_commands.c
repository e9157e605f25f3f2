/* timer_commands — see timer_commands.h. */
#include "timer_commands.h"

#include "correction.h"
#include "ow_db.h"

int intake_timer_commands_prepare(ow_db_t *db, ow_error_t *err)
{
    return ow_timer_client_prepare(db, err);
}

void intake_timer_key(char *out, size_t size, const char *kind, const char *id)
{
    ow_timer_key(out, size, INTAKE_TIMER_OWNER, kind, id);
}

int intake_timer_notice_duty(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err)
{
    char key[INTAKE_TIMER_KEY_MAX + 1];
    intake_timer_key(key, sizeof key, INTAKE_TIMER_NOTICE_DUTY, c->case_no);
    /* art. 32 "五日内一次告知", counted in working days under the deciding side's calendar
     * (art. 82; DOMAIN §1: the deciding side's clock). */
    return ow_timer_schedule_relative(db, key, INTAKE_TIMER_NOTICE_DUTY, c->case_no,
                                      c->deciding_centre_id, c->received_at_us,
                                      INTAKE_NOTICE_DUTY_DAYS, "working_days", err);
}

int intake_timer_rongque_supply(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err)
{
    char key[INTAKE_TIMER_KEY_MAX + 1];
    intake_timer_key(key, sizeof key, INTAKE_TIMER_RONGQUE_SUPPLY, c->case_no);
    return ow_timer_schedule(db, key, INTAKE_TIMER_RONGQUE_SUPPLY, c->case_no,
                             c->deciding_centre_id, c->supply_due_us, err);
}
