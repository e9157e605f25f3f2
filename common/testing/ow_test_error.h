/* ow_test_error — assertions on error objects (ow_status.h). Part of ow_testing, which only
 * tests link. */
#ifndef OW_TEST_ERROR_H
#define OW_TEST_ERROR_H

#include <stdbool.h>
#include "ow_status.h"

/* True when err holds a violation of field whose description contains fragment (any
 * description when fragment is NULL). */
bool ow_test_error_has(const ow_error_t *err, const char *field, const char *fragment);

#endif
