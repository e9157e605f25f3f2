/* deadline_context — what deadlined's handlers share: the database, the calendar in force and
 * the yellow thresholds. main.c owns it; handlers borrow it as their `arg`. The calendar
 * pointer is replaced (never edited in place) when calendars are reloaded, so a handler
 * reads self->cal afresh on every call. */
#ifndef DEADLINE_CONTEXT_H
#define DEADLINE_CONTEXT_H

#include "calendar.h"
#include "limits.h"
#include "ow_db.h"
#include "ow_outbox.h"

typedef struct {
    ow_db_t *db;
    ow_relay_t *relay;        /* may be NULL (tests) */
    deadline_calendar_t *cal; /* owned by the calendar store */
    deadline_thresholds_t thresholds;
    int64_t calendar_version; /* of calendars table, last loaded */
} deadline_context_t;

#endif
