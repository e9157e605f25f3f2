#include "assignment.h"

#include <stdio.h>
#include <string.h>
#include "ow_db.h"
#include "post_store.h"

int routing_assignment_prepare(ow_db_t *db, ow_error_t *err)
{
    if (routing_post_store_prepare(db, err) < 0)
        return -1;
    return ow_db_prepare(db, "routing_assign_first",
                         "SELECT d.name, a.staff_id, s.active"
                         "  FROM departments d"
                         "  LEFT JOIN department_approvers a ON a.department_code = d.code"
                         "  LEFT JOIN staff s ON s.staff_id = a.staff_id"
                         " WHERE d.code = $1",
                         err);
}

int routing_assign_first(ow_db_t *db, const char *department_code, int64_t at_us,
                         routing_assignment_t *out, ow_error_t *err)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    routing_holder_t holder;
    int posted =
        routing_post_default_holder(db, department_code, at_us, &holder, out->post_code, err);
    if (posted < 0) {
        /* Nobody in the chain can never apply later by itself: an operator must act. */
        if (err->code == OW_FAILED_PRECONDITION)
            err->code = OW_INVALID_ARGUMENT;
        return -1;
    }
    if (posted == 1) {
        snprintf(out->assignee, sizeof out->assignee, "%s", holder.holder);
        snprintf(out->on_behalf_of, sizeof out->on_behalf_of, "%s", holder.on_behalf_of);
        return 0;
    }
    const char *params[1] = {department_code};
    PGresult *res = ow_db_exec(db, "routing_assign_first", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "department %s is not known to routing",
                     department_code);
        goto done;
    }
    if (PQgetisnull(res, 0, 1)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "department %s (%s) has no approver",
                     department_code, PQgetvalue(res, 0, 0));
        goto done;
    }
    if (PQgetvalue(res, 0, 2)[0] != 't') {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "the approver %s of department %s (%s) is no longer active",
                     PQgetvalue(res, 0, 1), department_code, PQgetvalue(res, 0, 0));
        goto done;
    }
    snprintf(out->assignee, sizeof out->assignee, "%s", PQgetvalue(res, 0, 1));
    rc = 0;
done:
    PQclear(res);
    return rc;
}
