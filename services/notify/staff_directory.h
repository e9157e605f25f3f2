/* staff_directory — notifyd's own records of staff (issue 7; docs/notify.md "Staff"): the
 * contact directory (notify.set_staff_contact), supervisor registrations per centre
 * (notify.register_supervisor), and who holds each case's tasks (learnt from routing's task
 * events). Plain functions over an ow_db_t, inside the caller's transaction; each returns -1
 * with err on a database error. */
#ifndef NOTIFY_STAFF_DIRECTORY_H
#define NOTIFY_STAFF_DIRECTORY_H

#include <stdint.h>
#include "ow_db.h"
#include "ow_status.h"
#include "staff_rules.h"

/* A directory entry read back, in its own buffers. */
typedef struct {
    char staff_id[STAFF_ID_MAX + 1];
    char name[STAFF_NAME_MAX + 1];
    char phone[STAFF_PHONE_MAX + 1];
    char email[STAFF_EMAIL_MAX + 1];
    char channel[8];
    char centre_id[16];
    char department_code[STAFF_CODE_MAX + 1];
} staff_entry_t;

/* Registers the prepared statements on db. Returns 0 or -1 with err. */
int staff_directory_prepare(ow_db_t *db, ow_error_t *err);

/* Creates or replaces the entry of c->staff_id (checked by the caller). Returns 0 or -1. */
int staff_directory_set(ow_db_t *db, const staff_contact_t *c, int64_t now_us, ow_error_t *err);

/* Reads staff_id's entry into *out. Returns 1, 0 when unknown (out holds the id only), -1. */
int staff_directory_get(ow_db_t *db, const char *staff_id, staff_entry_t *out, ow_error_t *err);

/* Borrowed view of an entry, for staff_channel. */
staff_contact_t staff_entry_view(const staff_entry_t *e);

/* Registers staff_id as a supervisor of centre_id for `kinds` (a Postgres text[] literal);
 * "{}" removes the registration. Returns 0 or -1. */
int staff_supervisors_set(ow_db_t *db, const char *staff_id, const char *centre_id,
                          const char *kinds, int64_t now_us, ow_error_t *err);

/* The staff ids registered for kind at centre_id, ordered. Caller PQclear()s; NULL with err. */
PGresult *staff_supervisors_of(ow_db_t *db, const char *centre_id, const char *kind,
                               ow_error_t *err);

/* Records task t of case_no (department and post as given) and copies the assignee notifyd
 * knew before into previous ("" when the task is new). Returns 0 or -1. */
int staff_tasks_put(ow_db_t *db, const char *case_no, const staff_task_t *t,
                    const char *department_code, const char *post_code, int64_t now_us,
                    char *previous, size_t size, ow_error_t *err);

/* Columns of staff_tasks_of's rows. */
enum {
    STAFF_TASK_COL_ID,
    STAFF_TASK_COL_ASSIGNEE,
    STAFF_TASK_COL_BEHALF,
    STAFF_TASK_COL_STAGE,
    STAFF_TASK_COL_STATE
};

/* Every task of case_no, oldest first. Caller PQclear()s; NULL with err. */
PGresult *staff_tasks_of(ow_db_t *db, const char *case_no, ow_error_t *err);

#endif
