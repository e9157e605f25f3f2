/* forwarder — busd's XSUB/XPUB forwarder on the daemon's loop.
 *
 * Relays connect PUB sockets to the XSUB (bus.publish); inboxes connect SUB sockets to the
 * XPUB (bus.subscribe). Messages flow publisher → subscribers, subscriptions flow
 * subscribers → publishers (so a PUB sends only what someone wants). Every published
 * message is checked before it is forwarded: exactly two frames [topic][Envelope], the
 * Envelope valid (ow_envelope_unpack) and its type equal to the topic. A message that fails
 * is logged (rate-limited), counted by reason and dropped; it never reaches a subscriber and
 * never stops the bus. */
#ifndef BUS_FORWARDER_H
#define BUS_FORWARDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_ops_http.h"
#include "ow_status.h"

typedef struct bus_forwarder bus_forwarder_t;

/* Binds the XSUB at publish and the XPUB at subscribe (ZeroMQ endpoints; "tcp://host:*"
 * picks a port) with large high-water marks, and forwards on loop. Counters are registered
 * in metrics (borrowed; must outlive the forwarder). Returns NULL with err (UNAVAILABLE
 * naming the endpoint when a bind fails) and holds nothing. Caller owns the forwarder and
 * destroys it before the loop. */
bus_forwarder_t *bus_forwarder_new(ow_loop_t *loop, const char *publish, const char *subscribe,
                                   ow_metrics_t *metrics, ow_error_t *err);

/* Stops forwarding, closes both sockets, frees. Sets *self_p to NULL. */
void bus_forwarder_destroy(bus_forwarder_t **self_p);

/* The endpoints as bound (with the port chosen for "*"); owned by the forwarder. */
const char *bus_forwarder_publish_endpoint(const bus_forwarder_t *self);
const char *bus_forwarder_subscribe_endpoint(const bus_forwarder_t *self);

/* Messages forwarded to subscribers, and dropped as malformed (any reason). */
uint64_t bus_forwarder_forwarded(const bus_forwarder_t *self);
uint64_t bus_forwarder_dropped(const bus_forwarder_t *self);

/* Readiness for ow_service_set_ready: true while both sockets are bound. arg is the
 * forwarder. */
bool bus_forwarder_ready(void *arg, char *why, size_t size);

#endif
