/* timer_commands — see timer_commands.h. */
#include "timer_commands.h"

#include <stdio.h>

static const ow_db_statement_t s_statements[] = {
    /* $2/$3: days after the decision; a negative $3 means no default (defaults off). */
    {"evaluation_timer_rating_window",
     "INSERT INTO timer_commands (timer_key, case_no, kind, centre_id, due_at_us, op)"
     " SELECT 'evaluation:' || k.kind || ':' || s.case_no, s.case_no, k.kind, s.centre_id,"
     " s.decided_at_us + k.days::bigint * 86400000000, 'schedule'"
     " FROM served_cases s CROSS JOIN (VALUES ('" TIMER_RATING_INVITE "', $2::int),"
     " ('" TIMER_RATING_DEFAULT "', $3::int)) k(kind, days)"
     " WHERE s.case_no = $1 AND s.rateable AND k.days >= 0"
     " AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.case_no = s.case_no)"
     " ON CONFLICT (timer_key) DO NOTHING"},
    {"evaluation_timer_cancel_rating",
     "UPDATE timer_commands SET op = 'cancel', acked = false, attempts = 0, last_error = '',"
     " updated_at = now() WHERE case_no = ANY ($1::text[]) AND op = 'schedule'"
     " AND kind IN ('" TIMER_RATING_INVITE "', '" TIMER_RATING_DEFAULT "')"},
};

int timer_commands_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_timer_client_prepare(db, err) != 0)
        return -1;
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static int s_exec(ow_db_t *db, const char *name, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int timer_commands_rating_window(ow_db_t *db, const char *case_no, const rating_window_t *w,
                                 ow_error_t *err)
{
    char invite[16], deflt[16];
    snprintf(invite, sizeof invite, "%d", w->invite_after_days);
    /* DOMAIN.md §6: the default is configurable; switched off, no default timer at all. */
    snprintf(deflt, sizeof deflt, "%d", w->default_enabled ? w->default_after_days : -1);
    const char *params[] = {case_no, invite, deflt};
    return s_exec(db, "evaluation_timer_rating_window", 3, params, err);
}

int timer_commands_cancel_rating(ow_db_t *db, const char *case_nos_literal, ow_error_t *err)
{
    const char *params[] = {case_nos_literal};
    return s_exec(db, "evaluation_timer_cancel_rating", 1, params, err);
}
