/* serve_events — setting up the integrators' event log (see serve_events.c). */
#ifndef GATEWAY_SERVE_EVENTS_H
#define GATEWAY_SERVE_EVENTS_H

#include "route.h"
#include "ow_status.h"

/* The sources the gateway follows for integrators (NULL-terminated). */
extern const char *const serve_events_sources[];

/* Prepares the statements and follows every source through the service's inbox, each event
 * stored in gateway.events in the inbox's transaction. Call before the service runs.
 * -1 with err when the database refuses a statement. */
int serve_events_setup(api_t *self, ow_error_t *err);

/* Ends every open event stream and frees the feed; call before the HTTP server is freed. */
void serve_events_teardown(api_t *self);

#endif
