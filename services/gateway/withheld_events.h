/* withheld_events — the event types the gateway never keeps, streams or forwards to anyone:
 * the provincial push, one rating's (rating.push_requested) or a transaction's
 * (rating.pushes_requested), which carries the rater's identity that no report, event or
 * export may show except the push itself (DOMAIN.md §6). */
#ifndef GATEWAY_WITHHELD_EVENTS_H
#define GATEWAY_WITHHELD_EVENTS_H

#include <stdbool.h>

/* The types, NULL-terminated. */
extern const char *const withheld_events[];

/* True when events of this type are withheld. */
bool withheld_event(const char *type);

#endif
