/* remote_client — owctl as a township centre (issue 8, "Remote township centres"): one
 * request at a time over the gateway's CURVE endpoint (docs/integration.md, "Township
 * centres"), authenticated by the centre's key file from `owctl centre keygen`.
 *
 * A frame each way: a packed onewindow.v1.Request answered by a onewindow.v1.Reply with the
 * same request id. Blocking, plain libzmq: owctl runs one command and exits, it has no
 * event loop to share. */
#ifndef OWCTL_REMOTE_CLIENT_H
#define OWCTL_REMOTE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define REMOTE_CLIENT_TIMEOUT_MS 10000 /* in all, resends included */
#define REMOTE_CLIENT_RESEND_MS  2500

typedef struct remote_client remote_client_t;

/* Reads the key file at key_path (curve_key_read: mode 0600, a secret key matching its public
 * key, and the gateway's server-key) and connects a CURVE DEALER to endpoint
 * ("tcp://host:port"). Nothing is sent yet. Returns the client (caller owns), or NULL with
 * err: the key file's problem (NOT_FOUND, INVALID_ARGUMENT, naming the file), or INTERNAL
 * when libzmq refuses the socket or the endpoint. */
remote_client_t *remote_client_new(const char *endpoint, const char *key_path, ow_error_t *err);

/* Closes the socket without lingering and frees; sets *self_p to NULL. Safe on NULL. */
void remote_client_destroy(remote_client_t **self_p);

/* The centre named in the key file ("" when the file names none). */
const char *remote_client_centre(const remote_client_t *self);

/* Sends method with payload (len bytes) and idempotency_key ("" for a read), and waits for
 * its Reply, sending the very same frame again every REMOTE_CLIENT_RESEND_MS: a lost link
 * costs nothing, since a state change carries the centre's idempotency key and is answered
 * with its first answer. Returns 0 when the gateway answered: err holds the reply's status
 * (OK, or the refusal with its message and every violation) and *reply_payload its payload
 * (caller frees; NULL when empty). Returns -1 with err UNAVAILABLE naming the endpoint when
 * no answer came within REMOTE_CLIENT_TIMEOUT_MS (an unregistered key is never answered:
 * the gateway refuses its handshake), or INTERNAL when out of memory. */
int remote_client_call(remote_client_t *self, const char *method, const char *idempotency_key,
                       const uint8_t *payload, size_t len, uint8_t **reply_payload,
                       size_t *reply_len, ow_error_t *err);

#endif
