/* serve_remote — what a township centre may do through the CURVE endpoint (remote.h is the
 * transport): submit for its own centre, correct and rate its own cases, read them, and
 * read or subscribe to its own cases' events. */
#ifndef GATEWAY_SERVE_REMOTE_H
#define GATEWAY_SERVE_REMOTE_H

#include "route.h"
#include "ow_status.h"

/* Starts the endpoint when config remote.bind is set (remote.secret_key_file names the
 * server's key file, remote.zap_domain the ZAP domain, default "onewindow"); does nothing
 * otherwise. -1 with err when the key file or the bind fails. Call after the database
 * statements of serve_events_setup are prepared. */
int serve_remote_setup(api_t *self, ow_error_t *err);

/* Stops it (subscriptions dropped). Call after the RPC clients are destroyed. */
void serve_remote_teardown(api_t *self);

/* The endpoint and server public key, or NULL when the endpoint is off. */
const char *serve_remote_endpoint(api_t *self);
const char *serve_remote_public_key(api_t *self);

#endif
