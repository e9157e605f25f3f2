/* webhook_signature — how an integrator knows a webhook came from OneWindow and is fresh
 * (docs/integration-webhooks.md). Each attempt carries
 *   X-OneWindow-Timestamp: <unix seconds when sent>
 *   X-OneWindow-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * Signing the timestamp with the body lets the receiver refuse an old request replayed by
 * someone who captured it (a tolerance window), and the delivery id header lets it refuse a
 * repeat of one it already processed. Pure: OpenSSL's HMAC, no I/O. */
#ifndef NOTIFY_WEBHOOK_SIGNATURE_H
#define NOTIFY_WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SIGNATURE_HEADER "X-OneWindow-Signature"
#define WEBHOOK_TIMESTAMP_HEADER "X-OneWindow-Timestamp"
#define WEBHOOK_DELIVERY_HEADER  "X-OneWindow-Delivery"
#define WEBHOOK_EVENT_HEADER     "X-OneWindow-Event"

/* "v1=" + 64 hex digits + NUL */
#define WEBHOOK_SIGNATURE_SIZE 68

/* Writes the header value for body signed with secret at unix second `timestamp` into out
 * (WEBHOOK_SIGNATURE_SIZE bytes). Returns 0, or -1 when OpenSSL fails (out is then ""). */
int webhook_sign(const char *secret, int64_t timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_SIZE]);

/* Lower-case hex HMAC-SHA256 of msg under key into out (65 bytes). Returns 0 or -1. Exposed
 * for the RFC 4231 test vectors. */
int webhook_hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                            char out[65]);

#endif
