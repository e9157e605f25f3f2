#include "curve_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zmq.h>

bool curve_key_valid(const char *text)
{
    uint8_t bin[32];
    if (!text || strlen(text) != CURVE_KEY_Z85_LEN)
        return false;
    return zmq_z85_decode(bin, text) != NULL;
}

int curve_key_generate(curve_key_file_t *out, ow_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (zmq_curve_keypair(out->public_key, out->secret_key) != 0) {
        ow_error_set(err, OW_INTERNAL,
                     "cannot make a CURVE key pair: %s (libzmq without "
                     "libsodium?)",
                     zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Copies a trimmed value into out (size bytes); false when it does not fit. */
static bool s_copy(char *out, size_t size, const char *value)
{
    size_t n = strlen(value);
    if (n >= size)
        return false;
    memcpy(out, value, n + 1);
    return true;
}

int curve_key_read(const char *path, curve_key_file_t *out, ow_error_t *err)
{
    FILE *f = NULL;
    struct stat st;
    char line[256];
    int lineno = 0, rc = -1;

    memset(out, 0, sizeof *out);
    f = fopen(path, "r");
    if (!f) {
        ow_error_set(err, OW_NOT_FOUND, "cannot open key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "key file %s may be read by others (mode %03o): chmod 600 it, or make a "
                     "new key pair if others may have read it",
                     path, (unsigned)(st.st_mode & 0777));
        goto done;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *nl = strchr(line, '\n');
        if (!nl && !feof(f)) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%d: line too long", path, lineno);
            goto done;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%d: expected 'name = value'", path, lineno);
            goto done;
        }
        char *name_end = eq;
        while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        *name_end = '\0';
        char *value = eq + 1 + strspn(eq + 1, " \t");
        size_t vlen = strlen(value);
        while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
            value[--vlen] = '\0';
        bool ok = true;
        if (strcmp(p, "public-key") == 0)
            ok = s_copy(out->public_key, sizeof out->public_key, value);
        else if (strcmp(p, "secret-key") == 0)
            ok = s_copy(out->secret_key, sizeof out->secret_key, value);
        else if (strcmp(p, "server-key") == 0)
            ok = s_copy(out->server_key, sizeof out->server_key, value);
        else if (strcmp(p, "centre") == 0)
            ok = s_copy(out->centre, sizeof out->centre, value);
        else if (strcmp(p, "key-id") == 0)
            ok = s_copy(out->key_id, sizeof out->key_id, value);
        /* other names are kept for later versions of the file and ignored */
        if (!ok) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%d: %s is too long", path, lineno, p);
            goto done;
        }
    }
    if (!curve_key_valid(out->secret_key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s: secret-key is missing or not a Z85 key", path);
        goto done;
    }
    char derived[CURVE_KEY_Z85_LEN + 1];
    if (zmq_curve_public(derived, out->secret_key) != 0) {
        ow_error_set(err, OW_INTERNAL, "cannot derive a CURVE public key: %s", zmq_strerror(errno));
        goto done;
    }
    if (out->public_key[0] && strcmp(out->public_key, derived) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "%s: public-key does not belong to secret-key (the file was edited?)", path);
        goto done;
    }
    memcpy(out->public_key, derived, sizeof derived);
    if (out->server_key[0] && !curve_key_valid(out->server_key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s: server-key is not a Z85 key", path);
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc != 0)
        memset(out->secret_key, 0, sizeof out->secret_key);
    return rc;
}

int curve_key_write(const char *path, const curve_key_file_t *key, ow_error_t *err)
{
    char text[512];
    int n = snprintf(text, sizeof text,
                     "# OneWindow CURVE key pair: keep this file secret (mode 0600)\n"
                     "public-key = %s\nsecret-key = %s\n",
                     key->public_key, key->secret_key);
    if (key->server_key[0])
        n += snprintf(text + n, sizeof text - (size_t)n, "server-key = %s\n", key->server_key);
    if (key->centre[0])
        n += snprintf(text + n, sizeof text - (size_t)n, "centre = %s\n", key->centre);
    if (key->key_id[0])
        n += snprintf(text + n, sizeof text - (size_t)n, "key-id = %s\n", key->key_id);

    /* O_EXCL: an existing key file (perhaps the only copy of a registered key) is kept. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        ow_error_set(err, errno == EEXIST ? OW_ALREADY_EXISTS : OW_INVALID_ARGUMENT,
                     "cannot create key file %s: %s", path, strerror(errno));
        return -1;
    }
    /* The umask may only take bits away; fchmod makes the mode exact whatever it is. */
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0)
        ok = false;
    if (!ok) {
        unlink(path);
        ow_error_set(err, OW_INTERNAL, "cannot write key file %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}
