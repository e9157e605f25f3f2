/* remote — the CURVE-secured ZeroMQ endpoint for township centres (issue 8, "Remote
 * township centres"): a ROUTER socket that is a CURVE server, guarded by the ZAP handler
 * (zap.h), and a check of the sender's key on every message.
 *
 * Order matters and is kept here, not left to callers: the ZAP handler is bound first, the
 * socket sets ZMQ_ZAP_DOMAIN and only then binds. Each message's "User-Id" property (set
 * by our ZAP handler to the client's public key) is looked up again before the message is
 * decoded, so a key revoked while a connection is open stops that connection's very next
 * message; a message without a User-Id (no ZAP handler answered) is never accepted.
 *
 * Frames: [Request] from a DEALER, answered [Reply] with the same request_id
 * (proto/onewindow/v1/gateway.proto lists the methods). Transport only: which services
 * are called and what a centre may touch is serve_remote.c. */
#ifndef GATEWAY_REMOTE_H
#define GATEWAY_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "curve_key.h"
#include "ow_loop.h"
#include "ow_status.h"
#include "remote_frame.h"

#define REMOTE_CENTRE_LEN 12
#define REMOTE_PEER_MAX   255 /* ROUTER routing ids are at most 255 bytes */
#define REMOTE_SUBS_MAX   512 /* an integrator key's event type prefixes (ACCESS_SUBS_MAX) */

/* Looks a Z85 public key up: 1 and centre (REMOTE_CENTRE_LEN + 1 bytes) and subscriptions
 * (REMOTE_SUBS_MAX + 1 bytes) filled when it is registered and not revoked — a centre's key
 * has a centre and no subscriptions, an integrator's key no centre ("") and its event type
 * prefixes; 0 when unknown or revoked; -1 when it cannot tell now. */
typedef int(remote_lookup_fn)(const char *public_key, char *centre, char *subscriptions, void *arg);

typedef struct remote remote_t;

/* One admitted request waiting for its answer. Plain value, copied freely: answering needs
 * only the peer's routing id and the request id. */
typedef struct {
    uint8_t peer[REMOTE_PEER_MAX];
    size_t peer_len;
    char request_id[REMOTE_REQUEST_ID_MAX + 1];
    char centre[REMOTE_CENTRE_LEN + 1];      /* "" for an integrator's key */
    char subscriptions[REMOTE_SUBS_MAX + 1]; /* an integrator's key only */
    char public_key[CURVE_KEY_Z85_LEN + 1];
} remote_call_t;

/* Runs for each admitted, well-formed request; must answer it once with remote_reply (now
 * or later). req and its payload are valid during the call only. */
typedef void(remote_handler_fn)(remote_t *remote, const remote_call_t *call,
                                const remote_request_t *req, void *arg);

/* Starts the ZAP handler for domain, then binds a CURVE-server ROUTER at endpoint
 * ("tcp://127.0.0.1:7170"; "tcp://127.0.0.1:*" picks a port: remote_endpoint says which)
 * with the server's secret key (Z85). NULL with err when anything fails, and nothing is
 * left bound. Caller owns it; destroy it after the RPC clients whose callbacks may answer
 * through it. */
remote_t *remote_new(ow_loop_t *loop, const char *endpoint, const char *server_secret_key,
                     const char *zap_domain, remote_lookup_fn *lookup, remote_handler_fn *handler,
                     void *arg, ow_error_t *err);

void remote_destroy(remote_t **self_p);

/* The endpoint actually bound (with the chosen port). */
const char *remote_endpoint(const remote_t *self);

/* The server's public key (Z85). */
const char *remote_public_key(const remote_t *self);

/* Sends one Reply to call's peer: status and message, err's violations (err may be NULL
 * for OK) and payload (may be NULL). Returns 0, or -1 when the peer is gone (its
 * connection closed: the answer is dropped, which a retry with the same idempotency key
 * recovers). */
int remote_reply(remote_t *self, const remote_call_t *call, const ow_error_t *err,
                 const uint8_t *payload, size_t len);

/* As remote_reply, for a result that a service returned (status, message, violations). */
int remote_reply_status(remote_t *self, const remote_call_t *call, ow_status_t status,
                        const char *message, const ow_violation_t *violations, size_t count,
                        const uint8_t *payload, size_t len);

/* Looks the key of call up again (for pushes to a subscriber long after its request).
 * Same results as remote_lookup_fn. */
int remote_recheck(remote_t *self, const remote_call_t *call);

/* Who sent frame: the ZAP user id (the client's Z85 public key) looked up through lookup.
 * Returns 1 with centre, subscriptions (REMOTE_SUBS_MAX + 1 bytes) and key filled when
 * admitted; 0 with err UNAUTHENTICATED when the
 * message has no user id (no ZAP handler admitted its connection) or the key is unknown or
 * revoked; -1 with err UNAVAILABLE when the lookup cannot tell. centre needs
 * REMOTE_CENTRE_LEN + 1 bytes, key CURVE_KEY_Z85_LEN + 1. */
int remote_admit(zmq_msg_t *frame, remote_lookup_fn *lookup, void *arg, char *centre,
                 char *subscriptions, char *key, ow_error_t *err);

/* Counters: requests admitted and refused at the per-message check. */
uint64_t remote_admitted(const remote_t *self);
uint64_t remote_refused(const remote_t *self);

#endif
