/* timer_commands — the timers intaked asks deadlined to keep, written in the caller's
 * transaction and sent by the common sender (ow_timer_client.h, which also cancels them).
 *
 * Timer keys "intake:<kind>:<case_no or appointment>", owner "intake", kinds (DOMAIN.md §5
 * "other watched periods"):
 *   notice_duty     art. 32: 5 working days from receipt of a case received without a
 *                   decision (state 1) — lapsed, it is deemed accepted on the receipt date
 *   rongque_supply  the 容缺 supply deadline — missed, the case is terminated
 *   no_show         an appointment's slot start + the no-show grace (appointments) */
#ifndef INTAKE_TIMER_COMMANDS_H
#define INTAKE_TIMER_COMMANDS_H

#include <stddef.h>
#include "ow_status.h"
#include "ow_timer_client.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct ow_db ow_db_t;

#define INTAKE_TIMER_OWNER          "intake"
#define INTAKE_TIMER_NOTICE_DUTY    "notice_duty"
#define INTAKE_TIMER_RONGQUE_SUPPLY "rongque_supply"
#define INTAKE_TIMER_NO_SHOW        "no_show"
#define INTAKE_TIMER_KEY_MAX        OW_TIMER_KEY_MAX

/* Registers the prepared statements (the common client's). Returns 0 or -1 with err. */
int intake_timer_commands_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: the art. 32 notice duty of case c (received, no decision):
 * INTAKE_NOTICE_DUTY_DAYS working days from c->received_at_us under the deciding centre's
 * calendar. A repeat is a no-op. Returns 0 or -1 with err (the caller rolls back). */
int intake_timer_notice_duty(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err);

/* Inside the caller's transaction: the 容缺 supply deadline of case c (c->supply_due_us).
 * Returns 0 or -1 with err. */
int intake_timer_rongque_supply(ow_db_t *db, const Onewindow__V1__CaseSummary *c, ow_error_t *err);

/* Writes "intake:<kind>:<id>" into out (INTAKE_TIMER_KEY_MAX + 1 bytes). */
void intake_timer_key(char *out, size_t size, const char *kind, const char *id);

#endif
