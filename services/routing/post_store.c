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

/* Reads the one row of a view query into *row. Returns 1, 0 when there is no row, -1. */
static int s_view_row(ow_db_t *db, const char *stmt, const char *key, int64_t at_us,
                      routing_post_view_row_t *row, ow_error_t *err)
{
    char at[32];
    snprintf(at, sizeof at, "%" PRId64, at_us);
    const char *params[2] = {key, at};
    PGresult *res = ow_db_exec(db, stmt, 2, params, err);
    if (!res)
        return -1;
    memset(row, 0, sizeof *row);
    int rc = 0;
    if (PQntuples(res) == 1) {
        snprintf(row->post_code, sizeof row->post_code, "%s", PQgetvalue(res, 0, 0));
        snprintf(row->a_holder, sizeof row->a_holder, "%s", PQgetvalue(res, 0, 1));
        snprintf(row->b_holder, sizeof row->b_holder, "%s", PQgetvalue(res, 0, 2));
        snprintf(row->chief, sizeof row->chief, "%s", PQgetvalue(res, 0, 3));
        snprintf(row->supervisor, sizeof row->supervisor, "%s", PQgetvalue(res, 0, 4));
        /* The chief and supervisor columns already name only people who are there. */
        row->view = (routing_post_view_t){
            .a_holder = row->a_holder,
            .b_holder = row->b_holder,
            .chief = row->chief,
            .supervisor = row->supervisor,
            .a_away = PQgetvalue(res, 0, 5)[0] == 't',
            .b_away = PQgetvalue(res, 0, 6)[0] == 't',
        };
        rc = 1;
    }
    PQclear(res);
    return rc;
}

/* Reads the view and asks who holds the post. Returns 1, 0 when there is no row, -1. */
static int s_view(ow_db_t *db, const char *stmt, const char *key, int64_t at_us,
                  routing_holder_t *out, char *post_code, ow_error_t *err)
{
    routing_post_view_row_t row;
    int rc = s_view_row(db, stmt, key, at_us, &row, err);
    if (rc <= 0)
        return rc;
    if (post_code)
        snprintf(post_code, ROUTING_STAFF_ID_SIZE, "%s", row.post_code);
    return routing_post_holder(&row.view, out, err) < 0 ? -1 : 1;
}

int routing_post_view_load(ow_db_t *db, const char *post_code, int64_t at_us,
                           routing_post_view_row_t *out, ow_error_t *err)
{
    return s_view_row(db, "routing_post_view", post_code, at_us, out, err);
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
