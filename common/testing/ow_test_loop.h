/* ow_test_loop — turning a daemon's loop (ow_loop.h) in a test until something has happened.
 * Part of ow_testing, which only tests link. */
#ifndef OW_TEST_LOOP_H
#define OW_TEST_LOOP_H

#include <stdbool.h>
#include "ow_loop.h"

/* Turns loop until pred(arg) holds (checked every 10 ms) or timeout_s seconds pass; a NULL
 * pred just turns it for timeout_s. Returns whether pred held. */
bool ow_test_loop_until(ow_loop_t *loop, bool (*pred)(void *arg), void *arg, double timeout_s);

#endif
