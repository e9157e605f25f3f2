#include "access.h"

#include <stdio.h>
#include <string.h>

access_role_t access_role_parse(const char *name)
{
    if (!name)
        return ACCESS_ROLE_NONE;
    if (strcmp(name, "integrator") == 0)
        return ACCESS_ROLE_INTEGRATOR;
    if (strcmp(name, "clerk") == 0)
        return ACCESS_ROLE_CLERK;
    if (strcmp(name, "supervisor") == 0)
        return ACCESS_ROLE_SUPERVISOR;
    if (strcmp(name, "admin") == 0)
        return ACCESS_ROLE_ADMIN;
    return ACCESS_ROLE_NONE;
}

const char *access_role_name(access_role_t role)
{
    switch (role) {
    case ACCESS_ROLE_INTEGRATOR:
        return "integrator";
    case ACCESS_ROLE_CLERK:
        return "clerk";
    case ACCESS_ROLE_SUPERVISOR:
        return "supervisor";
    case ACCESS_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

bool access_centre_valid(const char *text)
{
    if (!text || strlen(text) != ACCESS_CENTRE_LEN)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* How many leading digits name the centre: the level ends where only zeros follow, at the
 * level boundaries 2, 4, 6, 9, 12 (a township code 330122101000 keeps 9, not 10). */
static size_t s_significant(const char *code)
{
    static const size_t bounds[] = {2, 4, 6, 9, 12};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        bool rest_zero = true;
        for (size_t j = bounds[i]; j < ACCESS_CENTRE_LEN; j++)
            if (code[j] != '0') {
                rest_zero = false;
                break;
            }
        if (rest_zero)
            return bounds[i];
    }
    return ACCESS_CENTRE_LEN;
}

bool access_centre_covers(const char *over, const char *target)
{
    if (!access_centre_valid(over) || !access_centre_valid(target))
        return false;
    return strncmp(over, target, s_significant(over)) == 0;
}

static const char *s_effective(const char *centre, const char *default_centre)
{
    return centre && *centre ? centre : default_centre;
}

bool access_may_touch_case(const access_principal_t *who, const char *case_centre,
                           const char *default_centre)
{
    const char *c = s_effective(case_centre, default_centre);
    switch (who->role) {
    case ACCESS_ROLE_ADMIN:
        return true;
    case ACCESS_ROLE_SUPERVISOR:
        return access_centre_covers(who->centre, c);
    case ACCESS_ROLE_CLERK:
        return access_centre_valid(c) && strcmp(who->centre, c) == 0;
    default:
        return false;
    }
}

bool access_may_read_event(const access_principal_t *who, const char *type,
                           const char *event_centre, const char *default_centre)
{
    switch (who->role) {
    case ACCESS_ROLE_ADMIN:
        return true;
    case ACCESS_ROLE_SUPERVISOR:
        return access_centre_covers(who->centre, s_effective(event_centre, default_centre));
    case ACCESS_ROLE_INTEGRATOR:
        break;
    default:
        return false;
    }
    const char *p = who->subscriptions;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 1 && p[0] == '*')
            return true;
        if (n > 0 && strncmp(type, p, n) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

bool access_subscriptions_valid(const char *text)
{
    if (!text || strlen(text) > ACCESS_SUBS_MAX)
        return false;
    size_t run = 0;
    for (const char *p = text;; p++) {
        if (*p == ',' || *p == '\0') {
            if (run == 0 && !(*p == '\0' && p == text))
                return false; /* an empty entry: "a,,b" or a trailing comma */
            if (run > 64)
                return false;
            if (*p == '\0')
                return true;
            run = 0;
            continue;
        }
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '*'))
            return false;
        run++;
    }
}

bool access_centre_scope(const access_principal_t *who, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    switch (who->role) {
    case ACCESS_ROLE_ADMIN:
        return true;
    case ACCESS_ROLE_SUPERVISOR:
        if (!access_centre_valid(who->centre))
            return false;
        snprintf(out, size, "%.*s", (int)s_significant(who->centre), who->centre);
        return true;
    case ACCESS_ROLE_CLERK:
        if (!access_centre_valid(who->centre))
            return false;
        snprintf(out, size, "%s", who->centre);
        return true;
    default:
        return false;
    }
}
