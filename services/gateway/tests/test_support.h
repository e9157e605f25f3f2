/* Shared by the gateway's unit tests: cmocka includes and small checks on errors. */
#ifndef GATEWAY_TEST_SUPPORT_H
#define GATEWAY_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ow_status.h"

/* True when err lists a violation for exactly this field. */
static inline bool test_has_violation(const ow_error_t *err, const char *field)
{
    for (size_t i = 0; i < err->violation_count; i++)
        if (strcmp(err->violations[i].field, field) == 0)
            return true;
    return false;
}

/* Parses JSON text that the test itself wrote (a typo in a test is a test failure). */
static inline json_t *test_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
    return v;
}

#endif
