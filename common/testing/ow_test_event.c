/* ow_test_event — see ow_test_event.h. */
#include "ow_test_event.h"

int ow_test_event_apply(ow_db_t *db, ow_inbox_apply_fn *fn, void *arg, const ow_event_t *ev,
                        ow_error_t *err)
{
    ow_error_clear(err);
    if (ow_db_begin(db, err) != 0)
        return -1;
    if (fn(db, ev, arg, err) != 0) {
        ow_db_rollback(db);
        return -1;
    }
    return ow_db_commit(db, err) == 0 ? 0 : -1;
}
