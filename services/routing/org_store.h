/* org_store — the organisation in the database (migrations 0001, 0003, 0005): centres,
 * departments, staff and A/B posts, written by routing.put_org (one row or a bulk import,
 * all or nothing) and read by routing.get_org. */
#ifndef ROUTING_ORG_STORE_H
#define ROUTING_ORG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define ROUTING_ORG_MAX_BYTES (4 * 1024 * 1024)

int routing_org_store_prepare(ow_db_t *db, ow_error_t *err);

/* routing.put_org: the packed Organisation request, by actor (an administrator:
 * organisation.h). Every row is checked (organisation.h) and then written in one
 * transaction (centres parents first, then departments, staff, posts), each row created or
 * replaced; a row the database refuses (an unknown department, a holder of another
 * department, a second default post) is reported with its row and field, and when any row
 * is bad nothing is written: INVALID_ARGUMENT listing them all. Posts given, and posts of
 * staff given, have their open work moved to whoever should hold it now
 * (absence_store.h). Emits organisation.changed. Returns 0 with *reply (caller frees; OK
 * Reply with OrganisationChanged), or -1 with err. */
int routing_org_put(ow_db_t *db, const char *key, const char *actor, const uint8_t *request,
                    size_t len, bool keep_until_done, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err);

/* routing.get_org: the packed GetOrganisation request. Returns a packed Organisation (caller
 * frees) or NULL with err (INVALID_ARGUMENT for a malformed request). At most 10,000 rows of
 * each kind. */
uint8_t *routing_org_get(ow_db_t *db, const uint8_t *request, size_t len, size_t *out_len,
                         ow_error_t *err);

#endif
