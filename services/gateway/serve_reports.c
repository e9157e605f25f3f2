/* GET /v1/reports/ratings → evaluation.report (the §6 figures of citizens' ratings, paged by
 * the service's page_token). Supervisors and administrators. A supervisor whose centre does
 * not cover the county centre (a township's) sees only dimension=centre for a centre it
 * covers: the county-wide figures are the county's. */
#include "serve.h"

#include <string.h>

#include "forward.h"
#include "onewindow/v1/evaluation.pb-c.h"

static int s_check_report(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                          ow_error_t *err)
{
    (void)caller;
    if (who->role == ACCESS_ROLE_ADMIN || access_centre_covers(who->centre, api->default_centre))
        return 0;
    const char *dimension = json_string_value(json_object_get(input, "dimension"));
    const char *key = json_string_value(json_object_get(input, "key"));
    if (dimension && strcmp(dimension, "centre") == 0 && key &&
        access_centre_covers(who->centre, key))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED,
                 "a supervisor of centre %s reads dimension=centre&key=<a centre it covers>",
                 who->centre);
    return -1;
}

static const forward_spec_t s_report = {API_EVALUATION,
                                        "evaluation.report",
                                        &onewindow__v1__get_report__descriptor,
                                        &onewindow__v1__report_reply__descriptor,
                                        NULL,
                                        0,
                                        200,
                                        NULL,
                                        NULL,
                                        s_check_report,
                                        NULL};

void serve_rating_report(api_t *self, exchange_t *ex, const char *param,
                         const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_report);
}
