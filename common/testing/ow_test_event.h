/* ow_test_event — handing an event to a consumer's handler in a test the way ow_inbox does.
 * Part of ow_testing, which only tests link. */
#ifndef OW_TEST_EVENT_H
#define OW_TEST_EVENT_H

#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_inbox.h"
#include "ow_status.h"

/* Runs fn(db, ev, arg, err) in a transaction of its own, as the inbox does: committed when
 * fn returns 0, rolled back otherwise. Returns fn's result with its err, or -1 with err when
 * the transaction cannot begin or commit. */
int ow_test_event_apply(ow_db_t *db, ow_inbox_apply_fn *fn, void *arg, const ow_event_t *ev,
                        ow_error_t *err);

#endif
