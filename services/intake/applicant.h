/* applicant — who applies, checked before a case may exist (DOMAIN.md §3 "Applicant
 * identity"): a person by the 18-digit resident ID (居民身份证号码, GB 11643) or an
 * organisation by the 18-character unified social credit code (统一社会信用代码, GB 32100),
 * each with its check character, plus a name and a phone number to reach them.
 *
 * Plain functions: no I/O, no allocation. */
#ifndef INTAKE_APPLICANT_H
#define INTAKE_APPLICANT_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

#define INTAKE_NAME_MAX  200 /* bytes of UTF-8 */
#define INTAKE_PHONE_MAX 32
#define INTAKE_EMAIL_MAX 254 /* RFC 5321 path limit */

/* The applicant as received; strings are borrowed and may be NULL (treated as empty). */
typedef struct {
    const char *name;
    const char *id_type; /* "resident_id" or "uscc" */
    const char *id_number;
    const char *phone;
    const char *email; /* optional */
} intake_applicant_t;

/* True when id is a well-formed resident ID: 17 digits, a valid birth date, and the
 * ISO 7064 MOD 11-2 check character ('0'–'9' or 'X'; a lower-case 'x' is accepted). On
 * false, writes the reason into why (may be NULL). */
bool intake_resident_id_valid(const char *id, char *why, size_t size);

/* True when code is a well-formed unified social credit code: 18 characters from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" with the GB 32100-2015 check character. On false,
 * writes the reason into why (may be NULL). */
bool intake_uscc_valid(const char *code, char *why, size_t size);

/* True when s is valid UTF-8 of at most max bytes without control characters. */
bool intake_text_valid(const char *s, size_t max);

/* Checks every field of the applicant and adds one violation per problem to err, with the
 * field names of the API ("applicant.name", "applicant.id_type", "applicant.id_number",
 * "applicant.phone", "applicant.email"). a may be NULL (every required field missing).
 * Returns the number of violations added (0 = acceptable). */
int intake_check_applicant(const intake_applicant_t *a, ow_error_t *err);

/* Copies id_number into out (size ≥ 19) in its stored form: a resident ID's check
 * character in upper case. Call only after intake_check_applicant accepted it. */
void intake_applicant_normalise_id(const char *id_number, char *out, size_t size);

#endif
