/* ow_config — configuration: a file plus environment overrides, with a default for every
 * option suitable for one machine.
 *
 * File format: `key = value` lines, `#` comments, `[section]` headers that prefix the keys
 * below them (`[intaked]` + `rpc.bind = …` is the key `intaked.rpc.bind`).
 *
 * Lookup of KEY for service SVC (e.g. "intaked"), first found wins:
 *   1. environment OW_<SVC>_<KEY>   (upper case, '.' and '-' become '_')
 *   2. file        <svc>.<key>
 *   3. environment OW_<KEY>
 *   4. file        <key>
 *   5. the caller's default
 * So OW_DATABASE_URL sets every daemon's database and OW_INTAKED_RPC_BIND one daemon's
 * socket. */
#ifndef OW_CONFIG_H
#define OW_CONFIG_H

#include <stdbool.h>
#include "ow_status.h"

typedef struct ow_config ow_config_t;

/* Returns an empty configuration for the named service, or NULL when out of memory.
 * The caller owns it; free with ow_config_destroy. */
ow_config_t *ow_config_new(const char *service);

/* Frees the configuration and sets *self_p to NULL; harmless when already NULL. */
void ow_config_destroy(ow_config_t **self_p);

/* Reads a file. On error (unreadable file, a line that is not `key = value`) returns -1,
 * fills err naming the file and line, and leaves the configuration as it was. */
int ow_config_load_file(ow_config_t *self, const char *path, ow_error_t *err);

/* Sets a value as if read from the file (used by --set key=value and tests). */
int ow_config_set(ow_config_t *self, const char *key, const char *value);

/* The service name given to ow_config_new. */
const char *ow_config_service(const ow_config_t *self);

/* Looks KEY up as described above. Returned string is owned by the configuration (or is
 * dflt) and stays valid until ow_config_destroy. */
const char *ow_config_get(const ow_config_t *self, const char *key, const char *dflt);

/* Integer value; on a value that is not an integer returns -1 and fills err naming the key
 * (so a daemon refuses to start with a typo rather than silently use a default). */
int ow_config_get_int(const ow_config_t *self, const char *key, long dflt, long *out,
                      ow_error_t *err);

/* Boolean value: true/false/yes/no/on/off/1/0; anything else returns -1 and fills err. */
int ow_config_get_bool(const ow_config_t *self, const char *key, bool dflt, bool *out,
                       ow_error_t *err);

/* Parses the daemon's command line: `--config FILE` (else OW_CONFIG from the environment,
 * if set) and any number of `--set key=value`. Returns -1 and fills err on a bad option.
 * `--help` prints usage and returns 1. */
int ow_config_from_args(ow_config_t *self, int argc, char **argv, ow_error_t *err);

#endif
