#include "applications.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "api_time.h"
#include "json_fields.h"
#include "ow_envelope.h"

static const char *const s_body_fields[] = {"item_code", "applicant", "materials",
                                            "channel",   "centre_id", NULL};
static const char *const s_applicant_fields[] = {"name",  "id_type", "id_number",
                                                 "phone", "email",   NULL};

/* Strings from a service are turned into JSON with json_fields_text: a service bug must
 * not make the gateway drop a field or fail the whole answer. */
static json_t *s_text(const char *s)
{
    return json_fields_text(s ? s : "");
}

int applications_pack_submit(const json_t *body, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    Onewindow__V1__SubmitApplication msg = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    Onewindow__V1__Applicant applicant = ONEWINDOW__V1__APPLICANT__INIT;
    char **materials = NULL;
    int rc = -1;

    json_fields_reject_unknown(body, "", s_body_fields, err);
    msg.item_code =
        (char *)json_fields_string(body, "", "item_code", APPLICATIONS_CODE_MAX, true, err);
    msg.channel =
        (char *)json_fields_string(body, "", "channel", APPLICATIONS_CHANNEL_MAX, false, err);
    msg.centre_id = (char *)json_fields_string(body, "", "centre_id", OW_CENTRE_ID_MAX, false, err);

    json_t *a = json_object_get(body, "applicant");
    if (!a || json_is_null(a)) {
        ow_error_add_violation(err, "applicant", "is required");
    } else if (!json_is_object(a)) {
        ow_error_add_violation(err, "applicant", "must be an object");
    } else {
        const char *p = "applicant.";
        json_fields_reject_unknown(a, p, s_applicant_fields, err);
        applicant.name = (char *)json_fields_string(a, p, "name", APPLICATIONS_NAME_MAX, true, err);
        applicant.id_type =
            (char *)json_fields_string(a, p, "id_type", APPLICATIONS_CODE_MAX, false, err);
        applicant.id_number =
            (char *)json_fields_string(a, p, "id_number", APPLICATIONS_ID_NUMBER_MAX, true, err);
        applicant.phone =
            (char *)json_fields_string(a, p, "phone", APPLICATIONS_PHONE_MAX, false, err);
        applicant.email =
            (char *)json_fields_string(a, p, "email", APPLICATIONS_EMAIL_MAX, false, err);
        msg.applicant = &applicant;
    }

    /* materials is required but may be empty: which materials are missing is intake's
     * answer to give (one violation per missing material). */
    json_t *m = json_object_get(body, "materials");
    if (!m || json_is_null(m)) {
        ow_error_add_violation(err, "materials", "is required (an array of material codes)");
    } else if (!json_is_array(m)) {
        ow_error_add_violation(err, "materials", "must be an array of material codes");
    } else if (json_array_size(m) > APPLICATIONS_MATERIALS_MAX) {
        ow_error_add_violation(err, "materials", "must list at most %d materials",
                               APPLICATIONS_MATERIALS_MAX);
    } else if (json_array_size(m) > 0) {
        materials = calloc(json_array_size(m), sizeof *materials);
        if (!materials) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto done;
        }
        size_t i;
        json_t *code;
        json_array_foreach(m, i, code)
        {
            char path[JSON_FIELDS_PATH_MAX];
            snprintf(path, sizeof path, "materials[%zu]", i);
            materials[i] = (char *)json_fields_string_value(code, path, APPLICATIONS_CODE_MAX, err);
        }
        msg.n_material_codes = json_array_size(m);
        msg.material_codes = materials;
    }

    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        goto done;

    size_t len = onewindow__v1__submit_application__get_packed_size(&msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    onewindow__v1__submit_application__pack(&msg, buf);
    *out = buf;
    *out_len = len;
    rc = 0;
done:
    free(materials);
    return rc;
}

json_t *applications_case_json(const Onewindow__V1__CaseSummary *c)
{
    const Onewindow__V1__Applicant *a = c->applicant;
    json_t *applicant =
        a ? json_pack("{s:o, s:o, s:o, s:o, s:o}", "name", s_text(a->name), "id_type",
                      s_text(a->id_type), "id_number", s_text(a->id_number), "phone",
                      s_text(a->phone), "email", s_text(a->email))
          : json_null();
    /* rongque / awaiting_materials (issue 4): a case accepted under 容缺, and one whose stages
     * all approved while its materials are still out (DOMAIN §3: decided 12 once they are in). */
    return json_pack("{s:o, s:i, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                     " s:i, s:o, s:i, s:b, s:b}",
                     "case_no", s_text(c->case_no), "state", (int)c->state, "state_name",
                     s_text(c->state_name), "item_code", s_text(c->item_code), "item_name",
                     s_text(c->item_name), "item_version", (int)c->item_version, "department_code",
                     s_text(c->department_code), "department_name", s_text(c->department_name),
                     "applicant", applicant, "channel", s_text(c->channel), "centre_id",
                     s_text(c->centre_id), "received_at", api_time_json(c->received_at_us),
                     "accepted_at", api_time_json(c->accepted_at_us), "decided_at",
                     api_time_json(c->decided_at_us), "promised_limit", (int)c->promised_limit,
                     "limit_unit", s_text(c->limit_unit), "legal_limit", (int)c->legal_limit,
                     "rongque", (int)c->rongque, "awaiting_materials", (int)c->awaiting_materials);
}

json_t *applications_case_reply_json(const uint8_t *payload, size_t len, ow_error_t *err)
{
    Onewindow__V1__CaseReply *reply = onewindow__v1__case_reply__unpack(NULL, len, payload);
    json_t *out = NULL;

    if (!reply || !reply->case_) {
        ow_error_set(err, OW_INTERNAL, "intake sent a reply that is not a case");
        goto done;
    }
    out = json_pack("{s:o}", "case", applications_case_json(reply->case_));
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering the case");
done:
    if (reply)
        onewindow__v1__case_reply__free_unpacked(reply, NULL);
    return out;
}
