#include "token.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static void s_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

int token_generate(char *text, char *id, ow_error_t *err)
{
    unsigned char secret[32];
    unsigned char idbytes[8];
    int rc = -1;

    text[0] = id[0] = '\0';
    if (RAND_bytes(secret, sizeof secret) != 1 || RAND_bytes(idbytes, sizeof idbytes) != 1) {
        ow_error_set(err, OW_INTERNAL, "the random source failed: no token issued");
        goto done;
    }
    memcpy(text, TOKEN_PREFIX, 4);
    s_hex(secret, sizeof secret, text + 4);
    memcpy(id, "tk_", 3);
    s_hex(idbytes, sizeof idbytes, id + 3);
    rc = 0;
done:
    /* The secret lives on only in the caller's buffer. */
    memset(secret, 0, sizeof secret);
    return rc;
}

int token_hash(const char *data, size_t len, char *hash)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    hash[0] = '\0';
    if (EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    s_hex(digest, n, hash);
    return 0;
}

bool token_hash_valid(const char *hash)
{
    if (!hash || strlen(hash) != TOKEN_HASH_LEN)
        return false;
    for (const char *p = hash; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *token_from_authorization(const char *header, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *p = header + 7;
    while (*p == ' ')
        p++;
    size_t n = 0;
    for (; p[n]; n++)
        if (p[n] < 0x21 || p[n] > 0x7e)
            return NULL;
    if (n == 0 || n > 256)
        return NULL;
    *len = n;
    return p;
}
