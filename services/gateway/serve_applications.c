/* POST /v1/applications → intake.submit. Staff submit for a centre they may act on: a clerk
 * their own, a supervisor theirs or one below (access.h). */
#include "serve.h"

#include <stdlib.h>

#include "api_internal.h"
#include "applications.h"

void serve_submit_application(api_t *self, exchange_t *ex, const char *param,
                              const access_principal_t *who)
{
    ow_error_t err;
    const char *key = NULL;
    uint8_t *payload = NULL;
    size_t len = 0;
    json_t *body = api_read_post(ex, &key, &err);

    if (!body || applications_pack_submit(body, &payload, &len, &err) != 0) {
        exchange_reply_error(ex, &err);
        goto done;
    }
    const char *centre = json_string_value(json_object_get(body, "centre_id"));
    if (!access_may_touch_case(who, centre, self->default_centre)) {
        free(payload);
        api_deny(ex, "a %s of centre %s may not submit for centre %s", access_role_name(who->role),
                 who->centre, centre && *centre ? centre : self->default_centre);
        goto done;
    }
    api_forward(self, ex, API_INTAKE, "intake.submit", key, who->subject, payload, len,
                applications_case_reply_json, 201);
done:
    json_decref(body);
}
