/* zap — the gateway's ZAP handler (RFC 27, inproc://zeromq.zap.01): admits a CURVE client
 * only when its public key is registered and not revoked.
 *
 * Why it exists apart from the per-message check: libzmq 4.3 lets any client that knows the
 * server key finish the CURVE handshake when no ZAP handler answers (ARCHITECTURE, "Known
 * pitfalls"). So the handler is bound before any CURVE socket, the socket sets
 * ZMQ_ZAP_DOMAIN, and remote.c still checks the key on every message, because a ZAP
 * decision is made once per connection and a key revoked later must stop at once.
 *
 * The handler answers on the daemon's loop (a REP socket watched like every other), with
 * user id = the client's Z85 public key, which zmq_msg_gets(msg, "User-Id") then gives back
 * on every message of that connection. */
#ifndef GATEWAY_ZAP_H
#define GATEWAY_ZAP_H

#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_status.h"

/* Decides on one Z85 public key: 1 admit, 0 refuse (unknown or revoked), -1 cannot tell
 * (database down: refused too, with status 500 so the client may retry). */
typedef int(zap_check_fn)(const char *public_key_z85, void *arg);

typedef struct zap zap_t;

/* Binds the handler in the loop's ZeroMQ context. Only requests for `domain` with mechanism
 * CURVE can be admitted. Returns NULL with err when the endpoint is taken (another handler
 * in this context). Caller owns it; destroy it after the CURVE sockets it guards. */
zap_t *zap_new(ow_loop_t *loop, const char *domain, zap_check_fn *check, void *arg,
               ow_error_t *err);

void zap_destroy(zap_t **self_p);

/* Counters (metrics and tests). */
uint64_t zap_admitted(const zap_t *self);
uint64_t zap_refused(const zap_t *self);

#endif
