/* subscription_rules — see subscription_rules.h. */
#include "subscription_rules.h"

#include <stdio.h>
#include <string.h>

static bool s_type_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

/* "*", or [a-z0-9._]+ not starting or ending with '.', optionally followed by ".*". */
static bool s_valid_pattern(const char *p)
{
    if (strcmp(p, "*") == 0)
        return true;
    size_t n = strlen(p);
    if (n >= 2 && strcmp(p + n - 2, ".*") == 0)
        n -= 2;
    if (n == 0 || n > 64 || p[0] == '.' || p[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_type_char(p[i]))
            return false;
    return true;
}

int subscription_check(const char *name, const char *url, const char *const *types, size_t count,
                       const char *secret, ow_error_t *err)
{
    int problems = 0;
    if (name && strlen(name) > SUBSCRIPTION_NAME_MAX) {
        ow_error_add_violation(err, "name", "is longer than %d bytes", SUBSCRIPTION_NAME_MAX);
        problems++;
    }
    const char *host = NULL;
    if (url && strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (url && strncmp(url, "https://", 8) == 0)
        host = url + 8;
    if (!host || !*host || *host == '/' || *host == ':') {
        ow_error_add_violation(err, "url", "must be an http:// or https:// URL with a host");
        problems++;
    } else if (strlen(url) > SUBSCRIPTION_URL_MAX) {
        ow_error_add_violation(err, "url", "is longer than %d bytes", SUBSCRIPTION_URL_MAX);
        problems++;
    } else {
        const char *end = host + strcspn(host, "/?#");
        if (memchr(host, '@', (size_t)(end - host))) {
            ow_error_add_violation(err, "url", "must not carry credentials (user@host)");
            problems++;
        }
        for (const char *p = url; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
                ow_error_add_violation(err, "url", "must be plain ASCII without spaces");
                problems++;
                break;
            }
    }
    if (count == 0 || count > SUBSCRIPTION_TYPES_MAX) {
        ow_error_add_violation(err, "event_types", "must list 1 to %d event types",
                               SUBSCRIPTION_TYPES_MAX);
        problems++;
    }
    for (size_t i = 0; i < count && i < SUBSCRIPTION_TYPES_MAX; i++) {
        if (!types[i] || !s_valid_pattern(types[i])) {
            char field[32];
            snprintf(field, sizeof field, "event_types[%zu]", i);
            ow_error_add_violation(err, field,
                                   "must be an event type (case.accepted), a prefix (case.*) "
                                   "or *");
            problems++;
        }
    }
    size_t slen = secret ? strlen(secret) : 0;
    bool printable = true;
    for (size_t i = 0; i < slen; i++)
        if (secret[i] < 0x21 || secret[i] > 0x7e)
            printable = false;
    if (slen < SUBSCRIPTION_SECRET_MIN || slen > SUBSCRIPTION_SECRET_MAX || !printable) {
        ow_error_add_violation(err, "secret", "must be %d to %d printable ASCII characters",
                               SUBSCRIPTION_SECRET_MIN, SUBSCRIPTION_SECRET_MAX);
        problems++;
    }
    return problems;
}

bool subscription_type_matches(const char *pattern, const char *type)
{
    if (strcmp(pattern, "*") == 0)
        return true;
    size_t n = strlen(pattern);
    if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        return strncmp(type, pattern, n - 1) == 0; /* "case." prefix */
    return strcmp(pattern, type) == 0;
}

bool subscription_list_matches(const char *patterns, const char *type)
{
    char one[80];
    const char *p = patterns;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n < sizeof one) {
            memcpy(one, p, n);
            one[n] = '\0';
            if (subscription_type_matches(one, type))
                return true;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}
