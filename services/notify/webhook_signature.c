/* webhook_signature — see webhook_signature.h. */
#include "webhook_signature.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int webhook_hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                            char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    out[0] = '\0';
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &mac_len) || mac_len != 32)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < mac_len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

int webhook_sign(const char *secret, int64_t timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_SIZE])
{
    int rc = -1;
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%" PRId64 ".", timestamp);
    char *msg = malloc((size_t)plen + body_len);
    out[0] = '\0';
    if (!msg)
        goto cleanup;
    memcpy(msg, prefix, (size_t)plen);
    memcpy(msg + plen, body, body_len);
    char hex[65];
    if (webhook_hmac_sha256_hex(secret, strlen(secret), msg, (size_t)plen + body_len, hex) != 0)
        goto cleanup;
    snprintf(out, WEBHOOK_SIGNATURE_SIZE, "v1=%s", hex);
    rc = 0;
cleanup:
    free(msg);
    return rc;
}
