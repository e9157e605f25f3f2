/* fuzz_remote_frame — libFuzzer target for the ZeroMQ frames the gateway decodes (issue 8,
 * "Quality bar"): a township centre's request frame on the CURVE endpoint
 * (remote_request_decode), and the same bytes as the rpc Request and Reply a service
 * exchanges and as an event Envelope from the bus (ow_envelope_unpack). Whatever decodes is
 * rendered as the gateway would render it (pb_json_render), so a string or a repeated field
 * a decoder let through is read to its end. A crash, a sanitizer report or a leak is the
 * failure; a refusal is the expected answer to most inputs. */
#include <stdint.h>
#include <stdlib.h>

#include "ow_envelope.h"
#include "onewindow/v1/envelope.pb-c.h"
#include "pb_json.h"
#include "remote_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_render(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
    ow_error_t err;
    ow_error_clear(&err);
    json_t *out = pb_json_render_packed(desc, data, size, "fuzz", &err);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ow_error_t err;
    remote_request_t req = {0};
    ow_error_clear(&err);
    if (remote_request_decode(data, size, &req, &err) == 0) {
        json_t *payload = pb_json_render(req.payload);
        json_decref(payload);
        remote_request_clear(&req);
    }
    remote_request_clear(&req); /* harmless twice, as the header promises */

    ow_event_t ev;
    ow_error_clear(&err);
    if (ow_envelope_unpack(data, size, &ev, &err) == 0)
        ow_event_clear(&ev);

    s_render(&onewindow__v1__request__descriptor, data, size);
    s_render(&onewindow__v1__reply__descriptor, data, size);
    s_render(&onewindow__v1__envelope__descriptor, data, size);
    return 0;
}
