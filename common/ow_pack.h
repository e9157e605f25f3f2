/* ow_pack — a protobuf-c message packed into a buffer of its own, for a request, a reply's
 * payload or an event's. */
#ifndef OW_PACK_H
#define OW_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "ow_status.h"

/* Packs msg into a new buffer: *out (caller frees; not NULL even for an empty message) and
 * *out_len. Returns 0, or -1 with err (INTERNAL) when out of memory, *out untouched. */
int ow_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len, ow_error_t *err);

#endif
