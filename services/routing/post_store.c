#include "post_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ow_db.h"

/* One row: post_code, a, b, chief, supervisor, and whether each is away at $2. Inactive
 * staff count as away; the chief is the department's first chief representative who is
 * there, else its named delegate (DOMAIN §4: "or their delegate"); the supervisor the first
 * one who is there. */
#define S_AWAY(who)                                                                                \
    "(NOT EXISTS (SELECT 1 FROM staff x WHERE x.staff_id = " who " AND x.active)"                  \
    " OR EXISTS (SELECT 1 FROM absences ab WHERE ab.staff_id = " who                               \
    " AND ab.start_at <= us_to_ts($2) AND ab.end_at > us_to_ts($2)))"
#define S_PRESENT(who)                                                                             \
    "(x.active AND NOT EXISTS (SELECT 1 FROM absences ab WHERE ab.staff_id = " who                 \
    " AND ab.start_at <= us_to_ts($2) AND ab.end_at > us_to_ts($2)))"
#define S_VIEW_SELECT                                                                              \
    "SELECT p.post_code, p.a_holder, coalesce(p.b_holder, ''), coalesce(c.staff_id, ''),"          \
    "       coalesce(s.staff_id, ''), " S_AWAY("p.a_holder") ", " S_AWAY(                          \
        "p.b_holder") "  FROM posts p"                                                             \
                      "  LEFT JOIN LATERAL (SELECT x.staff_id FROM staff x"                        \
                      "       WHERE x.department_code = p.department_code"                         \
                      "         AND (x.role = 'chief_representative' OR x.chief_delegate)"         \
                      "         AND " S_PRESENT(                                                   \
                          "x.staff_id") " ORDER BY x.role <> 'chief_representative',"              \
                                        "       x.staff_id LIMIT 1) c ON true"                     \
                                        "  LEFT JOIN LATERAL (SELECT x.staff_id FROM staff x "     \
                                        "WHERE x.role = 'supervisor'"                              \
                                        "         AND " S_PRESENT(                                 \
                                            "x.staff_id") " ORDER BY x.staff_id LIMIT 1) s ON "    \
                                                          "true"

int routing_post_store_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(db, "routing_post_default_view",
                      S_VIEW_SELECT " WHERE p.department_code = $1 AND p.is_default", err) < 0)
        return -1;
    return ow_db_prepare(db, "routing_post_view", S_VIEW_SELECT " WHERE p.post_code = $1", err);
}

/* Reads the one row of a view query into *out. Returns 1, 0 when there is no row, -1. */
static int s_view(ow_db_t *db, const char *stmt, const char *key, int64_t at_us,
                  routing_holder_t *out, char *post_code, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *params[2] = {key, at};
    PGresult *res = ow_db_exec(db, stmt, 2, params, err);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 1) {
        /* The chief and supervisor columns already name only people who are there. */
        routing_post_view_t view = {
            .a_holder = PQgetvalue(res, 0, 1),
            .b_holder = PQgetvalue(res, 0, 2),
            .chief = PQgetvalue(res, 0, 3),
            .supervisor = PQgetvalue(res, 0, 4),
            .a_away = PQgetvalue(res, 0, 5)[0] == 't',
            .b_away = PQgetvalue(res, 0, 6)[0] == 't',
        };
        if (post_code)
            snprintf(post_code, ROUTING_STAFF_ID_SIZE, "%s", PQgetvalue(res, 0, 0));
        rc = routing_post_holder(&view, out, err) < 0 ? -1 : 1;
    }
    PQclear(res);
    return rc;
}

int routing_post_default_holder(ow_db_t *db, const char *department_code, int64_t at_us,
                                routing_holder_t *out, char *post_code, ow_error_t *err)
{
    return s_view(db, "routing_post_default_view", department_code, at_us, out, post_code, err);
}

int routing_post_holder_at(ow_db_t *db, const char *post_code, int64_t at_us, routing_holder_t *out,
                           ow_error_t *err)
{
    int rc = s_view(db, "routing_post_view", post_code, at_us, out, NULL, err);
    if (rc == 0) {
        ow_error_set(err, OW_NOT_FOUND, "no post %s", post_code);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}
