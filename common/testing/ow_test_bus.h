/* ow_test_bus — the event bus for a test: an XSUB/XPUB forwarder, as busd runs, on a thread of
 * its own and on ipc:// endpoints in a directory the test owns. Publishers (relays, a test's
 * own PUB) connect to ow_test_bus_pub; subscribers (inboxes) to ow_test_bus_sub. Part of
 * ow_testing, which only tests link. */
#ifndef OW_TEST_BUS_H
#define OW_TEST_BUS_H

#include "ow_status.h"

typedef struct ow_test_bus ow_test_bus_t;

/* Binds ipc://<dir>/pub (XSUB) and ipc://<dir>/sub (XPUB) and starts forwarding. dir must
 * exist (e.g. from mkdtemp). Returns NULL with err when a socket cannot be bound or the
 * thread cannot start. Caller owns the result. */
ow_test_bus_t *ow_test_bus_new(const char *dir, ow_error_t *err);

/* Stops the forwarder, closes its sockets and removes the two ipc files (the directory is
 * the caller's). Sets *self_p to NULL; harmless when already NULL. */
void ow_test_bus_destroy(ow_test_bus_t **self_p);

/* Where publishers connect: "ipc://<dir>/pub" (owned by the bus). */
const char *ow_test_bus_pub(const ow_test_bus_t *self);

/* Where subscribers connect: "ipc://<dir>/sub" (owned by the bus). */
const char *ow_test_bus_sub(const ow_test_bus_t *self);

#endif
