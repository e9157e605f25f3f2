/* applications — POST /v1/applications: the JSON body to intake's SubmitApplication, and a
 * case (CaseSummary) back to JSON (the CASE object of docs/contract.md).
 *
 * The gateway checks shape only (types, required fields, lengths); what an ID number or a
 * material code must be is intake's rule, and intake answers with one violation per
 * problem. */
#ifndef GATEWAY_APPLICATIONS_H
#define GATEWAY_APPLICATIONS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "onewindow/v1/intake.pb-c.h"
#include "ow_status.h"

/* Bounds on what a client may send (characters). */
#define APPLICATIONS_CODE_MAX      64  /* item and material codes */
#define APPLICATIONS_NAME_MAX      100 /* applicant name (a company's full name can be long) */
#define APPLICATIONS_ID_NUMBER_MAX 32
#define APPLICATIONS_PHONE_MAX     32
#define APPLICATIONS_EMAIL_MAX     254 /* RFC 5321 path limit */
#define APPLICATIONS_CHANNEL_MAX   32
#define APPLICATIONS_MATERIALS_MAX 100

/* Decodes a submit body and packs the SubmitApplication it describes into a new buffer
 * (*out, caller frees; *out_len bytes). Violations already in err count: on any violation
 * returns -1 with err INVALID_ARGUMENT listing every invalid field (and *out untouched). */
int applications_pack_submit(const json_t *body, uint8_t **out, size_t *out_len, ow_error_t *err);

/* The CASE object for a case. Returns a new object (caller json_decref()s), NULL when out of
 * memory. Times of 0 (not yet happened) are null. */
json_t *applications_case_json(const Onewindow__V1__CaseSummary *summary);

/* Unpacks a packed CaseReply (from intake.submit or intake.get_case) into {"case": CASE}.
 * Returns a new object, or NULL with err INTERNAL when the bytes are not a CaseReply with a
 * case (a service is never trusted to send well-formed bytes). */
json_t *applications_case_reply_json(const uint8_t *payload, size_t len, ow_error_t *err);

#endif
