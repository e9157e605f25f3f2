/* ow_test_error — see ow_test_error.h. */
#include "ow_test_error.h"

#include <string.h>

bool ow_test_error_has(const ow_error_t *err, const char *field, const char *fragment)
{
    for (size_t i = 0; i < err->violation_count; i++)
        if (strcmp(err->violations[i].field, field) == 0 &&
            (!fragment || strstr(err->violations[i].description, fragment)))
            return true;
    return false;
}
