/* transfers — libcurl's multi interface driven by the daemon's libevent loop, so outside
 * calls (webhooks, the SMS gateway, SMTP) never block it (ARCHITECTURE.md, "Inside a
 * daemon"). libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); we turn those into libevent events on the loop's base and
 * hand readiness back with curl_multi_socket_action.
 *
 * The caller bounds how many transfers run at once (transfers_running); every transfer must
 * carry its own time-out (CURLOPT_TIMEOUT_MS) so none is in flight for ever. */
#ifndef NOTIFY_TRANSFERS_H
#define NOTIFY_TRANSFERS_H

#include <curl/curl.h>
#include <event2/event.h>
#include "ow_status.h"

typedef struct transfers transfers_t;

/* Called once per finished transfer with libcurl's result (CURLE_OK when the exchange
 * completed — look at the HTTP status or SMTP reply yourself), the protocol response code
 * (CURLINFO_RESPONSE_CODE) and libcurl's error text ("" when none). The easy handle is no
 * longer attached to the set; the caller (who always owns it) may free it in the callback. */
typedef void(transfers_done_fn)(CURL *easy, CURLcode result, long response_code, const char *error,
                                void *arg);

/* A multi handle on base (borrowed; must outlive the set). Calls curl_global_init once per
 * process. Returns NULL with err. Caller owns it. */
transfers_t *transfers_new(struct event_base *base, ow_error_t *err);

/* Detaches the transfers still running (their callbacks are NOT called: the caller's records
 * keep them as attempted, and their lease makes them due again; the caller still frees their
 * easy handles, after this) and frees the set. Sets *self_p to NULL; harmless when NULL. */
void transfers_destroy(transfers_t **self_p);

/* Starts easy, which the caller keeps owning and must not free before done runs or the set
 * is destroyed. Its CURLOPT_PRIVATE and
 * CURLOPT_ERRORBUFFER are used by the set. Returns 0, or -1 with err — then the caller still
 * owns easy and done is not called. */
int transfers_start(transfers_t *self, CURL *easy, transfers_done_fn *done, void *arg,
                    ow_error_t *err);

/* Transfers started and not yet done. */
int transfers_running(const transfers_t *self);

#endif
