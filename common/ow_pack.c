/* ow_pack — see ow_pack.h. */
#include "ow_pack.h"

#include <stdlib.h>

int ow_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing a message");
        return -1;
    }
    protobuf_c_message_pack(msg, buf);
    *out = buf;
    *out_len = len;
    return 0;
}
