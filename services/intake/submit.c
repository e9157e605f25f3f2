#include "submit.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "applicant.h"
#include "batch.h"
#include "case_number.h"
#include "case_state.h"
#include "case_store.h"
#include "catalogue.h"
#include "completeness.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "ow_pack.h"
#include "ow_rpc.h"
#include "ow_text.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_METHOD "intake.submit"

int intake_submit_prepare(ow_db_t *db, ow_error_t *err)
{
    if (intake_catalogue_prepare(db, err) < 0 || intake_case_number_prepare(db, err) < 0 ||
        intake_case_store_prepare(db, err) < 0)
        return -1;
    return 0;
}

static bool s_centre_valid(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The checks that need no database, added to err as violations. Returns the count. */
static int s_check_fields(const Onewindow__V1__SubmitApplication *req, const char *channel,
                          const char *centre_id, ow_error_t *err)
{
    int added = 0;
    const Onewindow__V1__Applicant *pa = req->applicant;
    intake_applicant_t a = {0};
    if (pa) {
        a.name = pa->name;
        a.id_type = pa->id_type;
        a.id_number = pa->id_number;
        a.phone = pa->phone;
        a.email = pa->email;
    }
    added += intake_check_applicant(pa ? &a : NULL, err);
    if (intake_channel_digit(channel) < 0) {
        /* Echo the value only when it is plain ASCII: error text must stay valid UTF-8. */
        if (ow_text_code(channel, INTAKE_CODE_MAX))
            ow_error_add_violation(err, "channel", "'%s' is not a channel: one of %s", channel,
                                   intake_channel_names());
        else
            ow_error_add_violation(err, "channel", "must be one of %s", intake_channel_names());
        added++;
    }
    if (!s_centre_valid(centre_id)) {
        ow_error_add_violation(err, "centre_id",
                               "must be the receiving centre's 12-digit area code (区划代码), or "
                               "empty for the county centre");
        added++;
    }
    if (req->n_material_codes > INTAKE_SUBMIT_MAX_MATERIALS) {
        ow_error_add_violation(err, "materials", "at most %d material codes may be handed in",
                               INTAKE_SUBMIT_MAX_MATERIALS);
        added++;
    } else {
        for (size_t i = 0; i < req->n_material_codes; i++) {
            if (!ow_text_code(req->material_codes[i], INTAKE_CODE_MAX)) {
                ow_error_add_violation(err, "materials",
                                       "code #%zu is not a material code (1-%d letters, digits, "
                                       "'-', '_' or '.')",
                                       i + 1, INTAKE_CODE_MAX);
                added++;
            }
        }
    }
    return added;
}

/* Packs message into a new OK Reply (caller frees *out). */
static int s_pack_ok(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (ow_pack(msg, &buf, &len, err) < 0)
        return -1;
    int rc = ow_rpc_pack_reply(NULL, buf, len, out, out_len);
    free(buf);
    if (rc < 0)
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
    return rc < 0 ? -1 : 0;
}

Onewindow__V1__SubmitApplication *intake_submit_decode(const char *idempotency_key,
                                                       const uint8_t *request, size_t len,
                                                       ow_error_t *err)
{
    if (!ow_text_graphic(idempotency_key, INTAKE_IDEM_KEY_MAX)) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "intake.submit needs an idempotency key (1-%d printable characters)",
                     INTAKE_IDEM_KEY_MAX);
        return NULL;
    }
    if (len > INTAKE_SUBMIT_MAX_BYTES) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "application of %zu bytes exceeds the %d-byte limit",
                     len, INTAKE_SUBMIT_MAX_BYTES);
        return NULL;
    }
    Onewindow__V1__SubmitApplication *req =
        onewindow__v1__submit_application__unpack(NULL, len, request);
    if (!req)
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.SubmitApplication");
    return req;
}

const char *intake_submit_channel(const Onewindow__V1__SubmitApplication *req)
{
    return req->channel[0] ? req->channel : INTAKE_DEFAULT_CHANNEL;
}

const char *intake_submit_centre(const Onewindow__V1__SubmitApplication *req,
                                 const intake_settings_t *settings)
{
    return req->centre_id[0] ? req->centre_id : settings->centre_id;
}

const intake_item_t *intake_submit_check(ow_db_t *db, intake_item_cache_t *items,
                                         const Onewindow__V1__SubmitApplication *req,
                                         const char *channel, const char *centre_id,
                                         ow_error_t *err)
{
    const intake_item_t *item = NULL;
    /* Every problem at once (DOMAIN §3: one-time notice): item, applicant, channel, centre,
     * then each missing material. */
    ow_error_t lookup;
    ow_error_clear(&lookup);
    if (!ow_text_code(req->item_code, INTAKE_CODE_MAX)) {
        ow_error_add_violation(
            err, "item_code", "must be the item's 实施编码 (1-%d letters, digits, '-', '_' or '.')",
            INTAKE_CODE_MAX);
    } else {
        item = intake_item_cache_find(items, db, req->item_code, &lookup);
        if (!item && lookup.code != OW_NOT_FOUND) {
            *err = lookup;
            return NULL;
        }
        if (!item)
            ow_error_add_violation(err, "item_code", "no item with 实施编码 '%s' in the catalogue",
                                   req->item_code);
    }
    s_check_fields(req, channel, centre_id, err);
    if (item) {
        /* Only well-formed codes are compared (and may be echoed in a violation); malformed
         * ones were reported above. */
        const char *codes[INTAKE_SUBMIT_MAX_MATERIALS];
        size_t n = 0;
        for (size_t i = 0; i < req->n_material_codes && n < INTAKE_SUBMIT_MAX_MATERIALS; i++)
            if (ow_text_code(req->material_codes[i], INTAKE_CODE_MAX))
                codes[n++] = req->material_codes[i];
        intake_check_materials(item, codes, n, err);
    }
    if (ow_error_finish_violations(err) < 0)
        return NULL;
    return item;
}

void intake_submit_new_case(const Onewindow__V1__SubmitApplication *req, const intake_item_t *item,
                            const char *channel, const char *centre_id, const char *case_no,
                            int64_t now_us, char *id_number, size_t id_size, intake_new_case_t *out)
{
    intake_applicant_normalise_id(req->applicant->id_number, id_number, id_size);
    intake_new_case_t c = {
        .case_no = case_no,
        .state = INTAKE_STATE_ACCEPTED,
        .item = item,
        .applicant_name = req->applicant->name,
        .applicant_id_type = req->applicant->id_type,
        .applicant_id_number = id_number,
        .applicant_phone = req->applicant->phone,
        .applicant_email = req->applicant->email,
        .channel = channel,
        .centre_id = centre_id,
        /* intake.submit accepts on receipt: materials complete and in form (DOMAIN §3). */
        .received_at_us = now_us,
        .accepted_at_us = now_us,
        .materials = (const char *const *)req->material_codes,
        .material_count = req->n_material_codes,
    };
    *out = c;
}

int intake_submit_outputs(const intake_case_t *kase, uint8_t **event, size_t *event_len,
                          uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    *event = NULL;
    *reply = NULL;
    Onewindow__V1__CaseAccepted accepted = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    accepted.case_ = (Onewindow__V1__CaseSummary *)intake_case_summary(kase);
    size_t len = onewindow__v1__case_accepted__get_packed_size(&accepted);
    *event = malloc(len ? len : 1);
    if (!*event) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing case.accepted");
        return -1;
    }
    onewindow__v1__case_accepted__pack(&accepted, *event);
    *event_len = len;
    Onewindow__V1__CaseReply out = ONEWINDOW__V1__CASE_REPLY__INIT;
    out.case_ = accepted.case_;
    if (s_pack_ok(&out.base, reply, reply_len, err) < 0) {
        free(*event);
        *event = NULL;
        return -1;
    }
    return 0;
}

/* The work inside the caller's open transaction (at a savepoint of the batch). Returns 0
 * with *reply, or -1 with err; the caller rolls back what was written. */
static int s_submit_apply(ow_db_t *db, const intake_settings_t *settings,
                          intake_item_cache_t *items, const char *key,
                          const Onewindow__V1__SubmitApplication *req, const char *channel,
                          const char *centre_id, const uint8_t *request, size_t len, int64_t now_us,
                          uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    intake_case_t *kase = NULL;
    uint8_t *event = NULL;
    size_t event_len = 0;
    uint8_t *packed = NULL;
    size_t packed_len = 0;

    /* A repeat returns the first answer before anything is re-checked: the catalogue may
     * have changed since, but the case exists and the applicant holds its receipt. In a
     * batch the first may be an earlier request of the same transaction: ow_idem sees it. */
    int found = ow_idem_find(db, key, S_METHOD, request, len, reply, reply_len, err);
    if (found < 0)
        goto done;
    if (found == 1)
        return 0;
    const intake_item_t *item = intake_submit_check(db, items, req, channel, centre_id, err);
    if (!item)
        goto done;

    /* The number is taken last, so the counter row is locked for the shortest time. */
    long serial = 0;
    char case_no[INTAKE_CASE_NO_SIZE];
    if (intake_case_number_next_serial(db, settings->county_code, ow_clock_local_yyyymmdd(now_us),
                                       &serial, err) < 0 ||
        intake_case_number_format(settings->county_code, ow_clock_local_yyyymmdd(now_us), channel,
                                  serial, case_no, sizeof case_no, err) < 0)
        goto done;
    char id_number[32];
    intake_new_case_t c;
    intake_submit_new_case(req, item, channel, centre_id, case_no, now_us, id_number,
                           sizeof id_number, &c);
    /* Written in one statement; the reply and the event show the case as written
     * (intake_case_written), which a unit test holds equal to intake.get_case. */
    kase = intake_case_insert_returning(db, &c, err);
    if (!kase || intake_submit_outputs(kase, &event, &event_len, &packed, &packed_len, err) < 0)
        goto done;
    if (ow_outbox_add(db, "case.accepted", case_no, centre_id, now_us, event, event_len, err) < 0)
        goto done;
    if (ow_idem_save(db, key, S_METHOD, request, len, packed, packed_len, err) < 0)
        goto done;
    *reply = packed;
    *reply_len = packed_len;
    packed = NULL;
    rc = 0;
done:
    free(packed);
    free(event);
    intake_case_destroy(&kase);
    return rc;
}

int intake_submit_apply(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                        const char *idempotency_key, const uint8_t *request, size_t len,
                        int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    *reply = NULL;
    *reply_len = 0;
    Onewindow__V1__SubmitApplication *req =
        intake_submit_decode(idempotency_key, request, len, err);
    if (!req)
        return -1;
    int rc = s_submit_apply(db, settings, items, idempotency_key, req, intake_submit_channel(req),
                            intake_submit_centre(req, settings), request, len, now_us, reply,
                            reply_len, err);
    onewindow__v1__submit_application__free_unpacked(req, NULL);
    return rc;
}

int intake_submit(ow_db_t *db, const intake_settings_t *settings, const char *idempotency_key,
                  const uint8_t *request, size_t len, uint8_t **reply, size_t *reply_len,
                  ow_error_t *err)
{
    /* A batch of one: the same transaction code as the daemon's group commit. */
    intake_job_t job = {.kind = INTAKE_JOB_SUBMIT,
                        .key = idempotency_key,
                        .request = request,
                        .len = len,
                        .now_us = ow_clock_now_us()};
    intake_job_t *jobs[1] = {&job};
    intake_batch_run(db, settings, jobs, 1);
    *reply = job.reply;
    *reply_len = job.reply_len;
    *err = job.err;
    return job.rc;
}
