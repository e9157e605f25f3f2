/* endpoints — the API as one table: every method and path the gateway answers, its handler
 * and the roles it admits. Adding an endpoint is one row here and one handler in a
 * serve_<resource>.c; docs/openapi.yaml documents exactly these rows (the system test
 * test_gateway_openapi.py checks both ways). */
#ifndef GATEWAY_ENDPOINTS_H
#define GATEWAY_ENDPOINTS_H

#include <stddef.h>
#include "route.h"

extern const route_def_t endpoints[];
extern const size_t endpoints_count;

#endif
