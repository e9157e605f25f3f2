/* ow_config — a file plus environment overrides (see ow_config.h for the lookup order). */
#include "ow_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest key and longest line we accept: a configuration is written by people, and a
 * megabyte-long "line" is a wrong file, not a setting. */
#define S_KEY_MAX  128
#define S_LINE_MAX 8192

typedef struct s_entry {
    char *key;
    char *value;
    struct s_entry *next;
} s_entry_t;

/* Copies of environment values handed out by ow_config_get: the header promises the string
 * stays valid until ow_config_destroy, which getenv() does not (setenv may free it). */
typedef struct {
    s_entry_t *head;
} s_env_cache_t;

struct ow_config {
    char *service;
    s_entry_t *entries; /* file keys (and --set), newest first */
    s_env_cache_t *env_cache;
};

static void s_entries_free(s_entry_t *e)
{
    while (e) {
        s_entry_t *next = e->next;
        free(e->key);
        free(e->value);
        free(e);
        e = next;
    }
}

static s_entry_t *s_find(s_entry_t *head, const char *key)
{
    for (s_entry_t *e = head; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Sets key in the list *head (replacing an existing value). Returns -1 when out of
 * memory, leaving the list as it was. */
static int s_put(s_entry_t **head, const char *key, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return -1;
    s_entry_t *e = s_find(*head, key);
    if (e) {
        free(e->value);
        e->value = v;
        return 0;
    }
    e = calloc(1, sizeof *e);
    char *k = strdup(key);
    if (!e || !k) {
        free(e);
        free(k);
        free(v);
        return -1;
    }
    e->key = k;
    e->value = v;
    e->next = *head;
    *head = e;
    return 0;
}

ow_config_t *ow_config_new(const char *service)
{
    ow_config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = strdup(service ? service : "");
    self->env_cache = calloc(1, sizeof *self->env_cache);
    if (!self->service || !self->env_cache) {
        ow_config_destroy(&self);
        return NULL;
    }
    return self;
}

void ow_config_destroy(ow_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ow_config_t *self = *self_p;
    s_entries_free(self->entries);
    if (self->env_cache)
        s_entries_free(self->env_cache->head);
    free(self->env_cache);
    free(self->service);
    free(self);
    *self_p = NULL;
}

const char *ow_config_service(const ow_config_t *self)
{
    return self->service;
}

static bool s_key_valid(const char *key, size_t len)
{
    if (len == 0 || len > S_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

int ow_config_set(ow_config_t *self, const char *key, const char *value)
{
    if (!key || !value || !s_key_valid(key, strlen(key)))
        return -1;
    return s_put(&self->entries, key, value);
}

static char *s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Parses one line into *pending (section-prefixed). Returns 0, or -1 with a reason in why. */
static int s_parse_line(char *line, char *section, size_t section_size, s_entry_t **pending,
                        const char **why)
{
    char *s = s_trim(line);
    /* Only whole lines are comments: '#' is allowed inside values (passwords, URLs). */
    if (*s == '\0' || *s == '#')
        return 0;
    if (*s == '[') {
        size_t n = strlen(s);
        if (s[n - 1] != ']') {
            *why = "section header is missing its closing ']'";
            return -1;
        }
        s[n - 1] = '\0';
        char *name = s_trim(s + 1);
        if (!s_key_valid(name, strlen(name)) || strlen(name) >= section_size) {
            *why = "section name must be letters, digits, '.', '_' or '-'";
            return -1;
        }
        snprintf(section, section_size, "%s", name);
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
        *why = "expected `key = value`";
        return -1;
    }
    *eq = '\0';
    char *key = s_trim(s);
    char *value = s_trim(eq + 1);
    if (!s_key_valid(key, strlen(key))) {
        *why = *key ? "key must be letters, digits, '.', '_' or '-'" : "expected `key = value`";
        return -1;
    }
    /* A value in double quotes keeps leading/trailing blanks; the quotes are not part of
     * it. */
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    char full[2 * S_KEY_MAX + 2];
    if (section[0])
        snprintf(full, sizeof full, "%s.%s", section, key);
    else
        snprintf(full, sizeof full, "%s", key);
    if (s_put(pending, full, value) != 0) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int ow_config_load_file(ow_config_t *self, const char *path, ow_error_t *err)
{
    int rc = -1;
    s_entry_t *pending = NULL;
    char *line = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        ow_error_set(err, errno == ENOENT ? OW_NOT_FOUND : OW_FAILED_PRECONDITION,
                     "cannot read configuration file %s: %s", path, strerror(errno));
        goto cleanup;
    }
    char section[S_KEY_MAX + 1] = "";
    long lineno = 0;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > S_LINE_MAX) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%ld: line longer than %d bytes", path,
                         lineno, S_LINE_MAX);
            goto cleanup;
        }
        if (strlen(line) != (size_t)n) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%ld: NUL byte in line", path, lineno);
            goto cleanup;
        }
        const char *why = NULL;
        if (s_parse_line(line, section, sizeof section, &pending, &why) != 0) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s:%ld: %s", path, lineno, why);
            goto cleanup;
        }
    }
    if (ferror(f)) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "cannot read configuration file %s: %s", path,
                     strerror(errno));
        goto cleanup;
    }
    /* All lines parsed: only now merge, so a bad file changes nothing. (A key repeated in
     * the file already kept its last value in pending.) */
    for (s_entry_t *e = pending; e; e = e->next) {
        if (s_put(&self->entries, e->key, e->value) != 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory loading %s", path);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    s_entries_free(pending);
    free(line);
    if (f)
        fclose(f);
    return rc;
}

/* OW_ + upper-cased parts joined by '_', with '.' and '-' becoming '_'. */
static void s_env_name(char *out, size_t size, const char *service, const char *key)
{
    size_t o = 0;
    const char *parts[2] = {service, key};
    o += (size_t)snprintf(out, size, "OW_");
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i];
        if (!p || !*p)
            continue;
        for (; *p && o + 2 < size; p++) {
            char c = *p;
            out[o++] = (c == '.' || c == '-') ? '_' : (char)toupper((unsigned char)c);
        }
        if (i == 0 && o + 2 < size)
            out[o++] = '_';
    }
    out[o] = '\0';
}

/* Returns a copy of the environment value owned by the configuration, or NULL when unset.
 * Out of memory falls back to the environment's own string (valid until setenv). */
static const char *s_env(const ow_config_t *self, const char *name)
{
    const char *v = getenv(name);
    if (!v)
        return NULL;
    s_entry_t *e = s_find(self->env_cache->head, name);
    if (e && strcmp(e->value, v) == 0)
        return e->value;
    if (e) {
        /* The environment changed since we copied it: keep the old copy alive (a caller may
         * still hold it) and add a fresh one in front. */
        s_entry_t *fresh = calloc(1, sizeof *fresh);
        if (!fresh)
            return v;
        fresh->key = strdup(name);
        fresh->value = strdup(v);
        if (!fresh->key || !fresh->value) {
            free(fresh->key);
            free(fresh->value);
            free(fresh);
            return v;
        }
        fresh->next = self->env_cache->head;
        self->env_cache->head = fresh;
        return fresh->value;
    }
    if (s_put(&self->env_cache->head, name, v) != 0)
        return v;
    return s_find(self->env_cache->head, name)->value;
}

const char *ow_config_get(const ow_config_t *self, const char *key, const char *dflt)
{
    char name[2 * S_KEY_MAX + 8];
    const char *v;
    bool has_service = self->service[0] != '\0';
    if (has_service && strlen(self->service) + strlen(key) < S_KEY_MAX * 2) {
        s_env_name(name, sizeof name, self->service, key);
        if ((v = s_env(self, name)))
            return v;
        char full[2 * S_KEY_MAX + 2];
        snprintf(full, sizeof full, "%s.%s", self->service, key);
        s_entry_t *e = s_find(self->entries, full);
        if (e)
            return e->value;
    }
    s_env_name(name, sizeof name, NULL, key);
    if ((v = s_env(self, name)))
        return v;
    s_entry_t *e = s_find(self->entries, key);
    if (e)
        return e->value;
    return dflt;
}

int ow_config_get_int(const ow_config_t *self, const char *key, long dflt, long *out,
                      ow_error_t *err)
{
    const char *v = ow_config_get(self, key, NULL);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (end && (*end == ' ' || *end == '\t'))
        end++;
    if (end == v || !end || *end != '\0' || errno == ERANGE) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "configuration %s = '%s' is not an integer%s", key,
                     v, errno == ERANGE ? " in range" : "");
        return -1;
    }
    *out = n;
    return 0;
}

int ow_config_get_bool(const ow_config_t *self, const char *key, bool dflt, bool *out,
                       ow_error_t *err)
{
    const char *v = ow_config_get(self, key, NULL);
    if (!v) {
        *out = dflt;
        return 0;
    }
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    ow_error_set(err, OW_INVALID_ARGUMENT,
                 "configuration %s = '%s' is not a boolean (true/false/yes/no/on/off/1/0)", key, v);
    return -1;
}

static void s_usage(const char *prog, const char *service)
{
    char prefix[S_KEY_MAX + 8];
    s_env_name(prefix, sizeof prefix, service[0] ? service : "<SERVICE>", NULL);
    printf("usage: %s [--config FILE] [--set key=value]...\n"
           "  --config FILE     read configuration from FILE (default: $OW_CONFIG if set)\n"
           "  --set key=value   set one key, as if written in the file (repeatable)\n"
           "  --help            show this help\n"
           "Environment %s<KEY> and OW_<KEY> override the file; keys are upper-cased with\n"
           "'.' and '-' as '_' (rpc.bind: %sRPC_BIND).\n",
           prog, prefix, prefix);
}

int ow_config_from_args(ow_config_t *self, int argc, char **argv, ow_error_t *err)
{
    int rc = -1;
    const char *path = NULL;
    /* --set values are collected first and applied after the file, so the command line
     * wins over the file whatever the order of the options. */
    s_entry_t *sets = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(argv[0], self->service);
            rc = 1;
            goto cleanup;
        } else if (strcmp(a, "--config") == 0 || strcmp(a, "--set") == 0) {
            if (i + 1 >= argc) {
                ow_error_set(err, OW_INVALID_ARGUMENT, "option %s needs a value", a);
                goto cleanup;
            }
            value = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--set=", 6) == 0) {
            value = strchr(a, '=') + 1;
        } else {
            ow_error_set(err, OW_INVALID_ARGUMENT, "unknown option '%s' (try --help)", a);
            goto cleanup;
        }
        if (strncmp(a, "--config", 8) == 0) {
            path = value;
            continue;
        }
        const char *eq = strchr(value, '=');
        size_t klen = eq ? (size_t)(eq - value) : 0;
        if (!eq || !s_key_valid(value, klen)) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "--set '%s': expected key=value", value);
            goto cleanup;
        }
        char key[S_KEY_MAX + 1];
        memcpy(key, value, klen);
        key[klen] = '\0';
        /* Keep command-line order: a later --set of the same key wins. */
        if (s_put(&sets, key, eq + 1) != 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
    }
    if (!path) {
        const char *env = getenv("OW_CONFIG");
        if (env && *env)
            path = env;
    }
    if (path && ow_config_load_file(self, path, err) != 0)
        goto cleanup;
    for (s_entry_t *e = sets; e; e = e->next) {
        if (ow_config_set(self, e->key, e->value) != 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    s_entries_free(sets);
    return rc;
}
