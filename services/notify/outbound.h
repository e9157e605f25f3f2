/* outbound — one delivery put on the wire of its channel, as a libcurl easy handle ready for
 * transfers_start (issue 7, "Channels"):
 *   webhook  HTTP POST of the stored JSON to the subscription's URL, signed
 *            (webhook_signature.h) with the timestamp of this attempt;
 *   sms      HTTP POST {"to","text","delivery_id"} to the configured SMS gateway, with an
 *            Idempotency-Key header (the delivery id) for gateways that deduplicate;
 *   email    SMTP (smtp:// or smtps://) to the configured relay: a UTF-8 text/plain message,
 *            base64-encoded, Subject in RFC 2047, Message-ID <delivery id@onewindow>.
 * An outbound owns everything the transfer reads (headers, body) until it is destroyed. */
#ifndef NOTIFY_OUTBOUND_H
#define NOTIFY_OUTBOUND_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include "ow_status.h"

/* Where the channels go (notify.* configuration keys, docs/configuration.md). */
typedef struct {
    const char *sms_url;   /* "" = SMS channel off */
    const char *sms_token; /* sent as Authorization: Bearer when not "" */
    const char *smtp_url;  /* "" = e-mail channel off; smtp://host:port */
    const char *smtp_from; /* envelope and header sender */
    long timeout_ms;       /* whole attempt */
    long connect_timeout_ms;
} outbound_config_t;

/* What is sent: borrowed strings, copied as needed. */
typedef struct {
    const char *delivery_id;
    const char *channel;    /* webhook, sms, email */
    const char *target;     /* URL, phone number, e-mail address */
    const char *subject;    /* e-mail */
    const char *text;       /* webhook: the JSON body; else the message text */
    const char *event_type; /* webhook header */
    const char *secret;     /* webhook signing secret */
} outbound_message_t;

typedef struct outbound outbound_t;

/* Builds the request for m, signed at unix second now_s. Returns NULL with err:
 * INVALID_ARGUMENT for an unknown or unconfigured channel or a webhook without a secret
 * (the delivery cannot succeed: the caller fails the attempt with this message), INTERNAL
 * when out of memory. Caller owns it. */
outbound_t *outbound_new(const outbound_config_t *cfg, const outbound_message_t *m, int64_t now_s,
                         ow_error_t *err);

/* The easy handle, owned by the outbound until outbound_take_easy. */
CURL *outbound_easy(outbound_t *self);

/* True when an attempt that finished with result/response_code delivered the message:
 * HTTP channels need a 2xx answer; SMTP needs libcurl's CURLE_OK (the relay accepted it). */
bool outbound_succeeded(const outbound_t *self, CURLcode result, long response_code);

/* Frees the outbound and its easy handle. Sets *self_p to NULL; harmless when NULL. */
void outbound_destroy(outbound_t **self_p);

/* Base64 of data (no line breaks) into a new string the caller frees; NULL when out of
 * memory. Exposed for tests. */
char *outbound_base64(const void *data, size_t len);

#endif
