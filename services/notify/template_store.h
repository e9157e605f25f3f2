/* template_store — loads the notification templates from notify.templates: the highest
 * version of each kind, each checked (templates_check) as it is loaded. */
#ifndef NOTIFY_TEMPLATE_STORE_H
#define NOTIFY_TEMPLATE_STORE_H

#include "ow_db.h"
#include "ow_status.h"
#include "templates.h"

/* Returns a new set holding every kind (caller owns it), or NULL with err: INVALID_ARGUMENT
 * naming a template that fails its check or a row of an unknown kind, FAILED_PRECONDITION
 * when a kind has no template, a database error otherwise. */
templates_t *template_store_load(ow_db_t *db, ow_error_t *err);

#endif
