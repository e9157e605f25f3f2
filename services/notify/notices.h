/* notices — what notifyd tells an applicant about a case (DOMAIN.md §8): the facts of a case
 * turned into the values of a template kind, and the recipient. Pure: no I/O. */
#ifndef NOTIFY_NOTICES_H
#define NOTIFY_NOTICES_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_envelope.h"
#include "ow_status.h"
#include "templates.h"

/* Delivery kinds (docs/contract.md, notifications). */
#define NOTICE_CASE_ACCEPTED     "case_accepted"
#define NOTICE_CASE_DECIDED      "case_decided"
#define NOTICE_RATING_INVITATION "rating_invitation"

#define NOTICE_NAME_MAX    400 /* bytes */
#define NOTICE_PHONE_MAX   32
#define NOTICE_EMAIL_MAX   254
#define NOTICE_CODE_MAX    64
#define NOTICE_COMMENT_MAX 2000

/* notifyd's copy of one case, as kept in case_contacts. */
typedef struct {
    char case_no[OW_CASE_NO_MAX + 1];
    char applicant_name[NOTICE_NAME_MAX + 1];
    char phone[NOTICE_PHONE_MAX + 1];
    char email[NOTICE_EMAIL_MAX + 1];
    char item_code[NOTICE_CODE_MAX + 1];
    char item_name[NOTICE_NAME_MAX + 1];
    char centre_id[OW_CENTRE_ID_MAX + 1];
    int32_t promised_limit;
    char limit_unit[16];
    bool accepted; /* case.accepted applied */
    int64_t accepted_at_us;
    char accepted_event_id[37];
    bool decided; /* case.decided applied */
    char outcome[33];
    int64_t decided_at_us;
    char decision_comment[NOTICE_COMMENT_MAX + 1];
    char decided_event_id[37];
} case_contact_t;

/* Who receives the notice over the file sink: the phone number, else the name (contract:
 * "<phone or name>"). "" when the case has neither: nothing can be delivered. */
const char *notices_recipient(const case_contact_t *c);

/* The template kind for a delivery kind: case_decided picks the approved or refused wording
 * from the outcome. NULL for an unknown kind or outcome. */
const char *notices_template_kind(const char *kind, const case_contact_t *c);

/* Renders the notice `kind` for c with the set's template. Returns a new string the caller
 * frees and sets *template_kind (static) and *template_version; or NULL with err:
 * INVALID_ARGUMENT for an unknown kind or outcome, as templates_render otherwise. */
char *notices_render(const templates_t *set, const char *kind, const case_contact_t *c,
                     const char **template_kind, int *template_version, ow_error_t *err);

/* As notices_render, with the template named `name` (a channel's own text "kind@sms", or an
 * e-mail subject kind) instead of the kind's general one. Returns a new string the caller
 * frees, or NULL with err. */
char *notices_render_as(const templates_t *set, const char *kind, const char *name,
                        const case_contact_t *c, ow_error_t *err);

#endif
