/* access — who may do what (issue 8, "Who may do what"): the roles a bearer token carries,
 * and whether a principal's centre covers a case's centre.
 *
 * Centres are 12-digit administrative area codes (GB/T 2260 + township extension): province
 * 2 digits, city 2, county 2, township 3, village 3. A centre covers itself and every code
 * below it: the county centre 330122000000 covers the township centre 330122101000, which
 * covers only itself and its villages. A township clerk acts on their own centre's cases
 * only; a supervisor on their centre and those below; an administrator on everything; an
 * integrator reads the events it subscribed to and nothing else.
 *
 * Plain functions over strings: no evhttp, no database. */
#ifndef GATEWAY_ACCESS_H
#define GATEWAY_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#define ACCESS_CENTRE_LEN   12
#define ACCESS_SUBJECT_MAX  64  /* a staff id or a system's name */
#define ACCESS_SUBS_MAX     512 /* comma-separated event type prefixes */
#define ACCESS_TOKEN_ID_MAX 32

typedef enum {
    ACCESS_ROLE_NONE = 0,
    ACCESS_ROLE_INTEGRATOR = 1 << 0,
    ACCESS_ROLE_CLERK = 1 << 1,
    ACCESS_ROLE_SUPERVISOR = 1 << 2,
    ACCESS_ROLE_ADMIN = 1 << 3,
} access_role_t;

/* Role sets for the endpoint table. */
#define ACCESS_PUBLIC 0 /* no token needed */
#define ACCESS_STAFF  (ACCESS_ROLE_CLERK | ACCESS_ROLE_SUPERVISOR | ACCESS_ROLE_ADMIN)
#define ACCESS_READERS                                                                             \
    (ACCESS_ROLE_INTEGRATOR | ACCESS_ROLE_SUPERVISOR | ACCESS_ROLE_ADMIN) /* events */

/* The caller of a request, as its token says. Plain value: copy it freely. */
typedef struct {
    char token_id[ACCESS_TOKEN_ID_MAX + 1];
    char subject[ACCESS_SUBJECT_MAX + 1];
    access_role_t role;
    char centre[ACCESS_CENTRE_LEN + 1];
    char subscriptions[ACCESS_SUBS_MAX + 1]; /* integrators: "case.,rating.recorded"; "" = none */
} access_principal_t;

/* "clerk" → ACCESS_ROLE_CLERK; ACCESS_ROLE_NONE for anything else (names are lower case). */
access_role_t access_role_parse(const char *name);

/* The name of one role ("supervisor"), "none" otherwise. Static string. */
const char *access_role_name(access_role_t role);

/* True when text is a 12-digit centre code. */
bool access_centre_valid(const char *text);

/* True when centre `over` covers centre `target` (itself or a code below it). Both must be
 * valid codes; anything else is false. */
bool access_centre_covers(const char *over, const char *target);

/* True when who may act on a case of centre case_centre ("" = default_centre, the county
 * centre that receives cases without a centre): admin always; supervisor when their centre
 * covers it; clerk when it is their own centre; integrators never. */
bool access_may_touch_case(const access_principal_t *who, const char *case_centre,
                           const char *default_centre);

/* True when who may read an event of this type and centre: admin always; supervisor when
 * their centre covers the event's ("" = default_centre); integrator when a comma-separated
 * prefix of its subscriptions starts the type ("*" subscribes to everything); clerks never
 * (they read cases, not the stream). */
bool access_may_read_event(const access_principal_t *who, const char *type,
                           const char *event_centre, const char *default_centre);

/* True when text is a valid subscription list: comma-separated, each 1–64 characters of
 * [a-z0-9._*], at most ACCESS_SUBS_MAX in all ("" is valid: nothing). */
bool access_subscriptions_valid(const char *text);

/* The centre scope a service applies to a staff request that names no case (appointments and
 * the hall queue): the prefix every centre the caller may act on starts with — a clerk's own
 * 12 digits, a supervisor's significant digits (their centre and those below), "" for an
 * administrator. Writes it into out (ACCESS_CENTRE_LEN + 1 bytes). Returns false (out "")
 * for an integrator or any role without centre rights. */
bool access_centre_scope(const access_principal_t *who, char *out, size_t size);

#endif
