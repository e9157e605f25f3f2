/* curve_key — CURVE key pairs of township centres and of the gateway's remote endpoint
 * (issue 8, "Remote township centres"): Z85 text checks, key generation, and the key file
 * that `owctl centre keygen` writes and `owctl --remote … --key FILE` and gatewayd read.
 *
 * A key file is "name = value" lines ('#' starts a comment):
 *   public-key = <Z85, 40 characters>
 *   secret-key = <Z85, 40 characters>
 *   server-key = <Z85>        (a centre's file: the gateway's public key)
 *   centre     = <12 digits>  (a centre's file)
 *   key-id     = ck_…         (a centre's file: the id to revoke it by)
 * The file holds a secret: it is created with mode 0600 and never overwritten.
 * Plain functions over files and strings: no sockets, no database. */
#ifndef GATEWAY_CURVE_KEY_H
#define GATEWAY_CURVE_KEY_H

#include <stdbool.h>
#include "ow_status.h"

#define CURVE_KEY_Z85_LEN 40
#define CURVE_KEY_ID_MAX  32

typedef struct {
    char public_key[CURVE_KEY_Z85_LEN + 1];
    char secret_key[CURVE_KEY_Z85_LEN + 1];
    char server_key[CURVE_KEY_Z85_LEN + 1]; /* "" when absent */
    char centre[16];                        /* "" when absent */
    char key_id[CURVE_KEY_ID_MAX + 1];      /* "" when absent */
} curve_key_file_t;

/* True when text is a Z85-encoded 32-byte key (exactly 40 characters of the Z85 alphabet
 * that decode). */
bool curve_key_valid(const char *text);

/* Makes a fresh key pair into out (public and secret set, the rest ""). -1 with err
 * INTERNAL when libzmq was built without CURVE. */
int curve_key_generate(curve_key_file_t *out, ow_error_t *err);

/* Reads a key file. The secret key must be there and valid, and the public key must match
 * it (it is recomputed: a file edited by hand cannot pair a secret with someone else's
 * public key); the other fields are checked when present. -1 with err naming the file and
 * the problem (NOT_FOUND when it cannot be opened, INVALID_ARGUMENT otherwise). A file that
 * others may read is refused too: a secret key readable by the group is no longer secret. */
int curve_key_read(const char *path, curve_key_file_t *out, ow_error_t *err);

/* Creates path with mode 0600 (refusing an existing file: a key is never overwritten) and
 * writes key into it. On failure nothing is left behind and -1 is returned with err. */
int curve_key_write(const char *path, const curve_key_file_t *key, ow_error_t *err);

#endif
