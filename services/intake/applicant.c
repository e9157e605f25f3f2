#include "applicant.h"
#include "ow_text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* GB 11643-1999: weights 2^(17-i) mod 11 for the 17 body digits; the check character is
 * "10X98765432"[sum mod 11]. */
static const int s_resident_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char s_resident_check[] = "10X98765432";

/* GB 32100-2015: 31 characters (no I O Z S V), weights 3^(i) mod 31, check = 31 - sum mod 31
 * (31 becomes 0). */
static const char s_uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int s_uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

static void s_why(char *why, size_t size, const char *text)
{
    if (why && size)
        snprintf(why, size, "%s", text);
}

static bool s_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool s_date_valid(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return false;
    int last = days[m - 1] + (m == 2 && s_is_leap(y) ? 1 : 0);
    return d <= last;
}

bool intake_resident_id_valid(const char *id, char *why, size_t size)
{
    if (!id || strlen(id) != 18) {
        s_why(why, size, "must be 18 characters (17 digits and a check character)");
        return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!isdigit((unsigned char)id[i])) {
            s_why(why, size, "the first 17 characters must be digits");
            return false;
        }
        sum += (id[i] - '0') * s_resident_weights[i];
    }
    int y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
    int m = (id[10] - '0') * 10 + (id[11] - '0');
    int d = (id[12] - '0') * 10 + (id[13] - '0');
    if (!s_date_valid(y, m, d)) {
        s_why(why, size, "characters 7-14 must be a real birth date (yyyymmdd)");
        return false;
    }
    char given = (char)toupper((unsigned char)id[17]);
    if (!isdigit((unsigned char)given) && given != 'X') {
        s_why(why, size, "the last character must be a digit or X");
        return false;
    }
    char expected = s_resident_check[sum % 11];
    if (given != expected) {
        if (why && size)
            snprintf(why, size, "check character is '%c' but the first 17 digits give '%c'", id[17],
                     expected);
        return false;
    }
    return true;
}

bool intake_uscc_valid(const char *code, char *why, size_t size)
{
    if (!code || strlen(code) != 18) {
        s_why(why, size, "must be 18 characters");
        return false;
    }
    int values[18];
    for (int i = 0; i < 18; i++) {
        const char *p = code[i] ? strchr(s_uscc_alphabet, code[i]) : NULL;
        if (!p) {
            s_why(why, size,
                  "may only use digits and the capital letters A-Y except I, O, S, V, Z");
            return false;
        }
        values[i] = (int)(p - s_uscc_alphabet);
    }
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += values[i] * s_uscc_weights[i];
    int check = (31 - sum % 31) % 31;
    if (values[17] != check) {
        if (why && size)
            snprintf(why, size, "check character is '%c' but the first 17 characters give '%c'",
                     code[17], s_uscc_alphabet[check]);
        return false;
    }
    return true;
}

bool intake_text_valid(const char *s, size_t max)
{
    return ow_text_valid(s, max);
}

static bool s_empty(const char *s)
{
    return !s || !*s;
}

/* A phone number the centre can dial: an optional '+', then digits with '-' or ' ' between
 * groups, 7 to 15 digits in all (E.164 allows at most 15). */
static bool s_phone_valid(const char *phone)
{
    size_t len = strlen(phone);
    if (len > INTAKE_PHONE_MAX)
        return false;
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)phone[i];
        if (isdigit(c))
            digits++;
        else if (c == '+' && i == 0)
            continue;
        else if ((c == '-' || c == ' ') && i > 0 && isdigit((unsigned char)phone[i - 1]))
            continue;
        else
            return false;
    }
    return digits >= 7 && digits <= 15 && isdigit((unsigned char)phone[len - 1]);
}

/* Enough to catch a mistyped address: one '@' with text on both sides and a dot in the
 * domain; delivery proves the rest. */
static bool s_email_valid(const char *email)
{
    if (strlen(email) > INTAKE_EMAIL_MAX || !intake_text_valid(email, INTAKE_EMAIL_MAX))
        return false;
    const char *at = strchr(email, '@');
    if (!at || at == email || strchr(at + 1, '@') || strchr(email, ' '))
        return false;
    const char *dot = strrchr(at + 1, '.');
    return dot && dot > at + 1 && dot[1] != '\0';
}

int intake_check_applicant(const intake_applicant_t *a, ow_error_t *err)
{
    static const intake_applicant_t none = {0};
    if (!a)
        a = &none;
    int added = 0;
    char why[160];

    if (s_empty(a->name)) {
        ow_error_add_violation(err, "applicant.name",
                               "is missing: the applicant's name is required");
        added++;
    } else if (!intake_text_valid(a->name, INTAKE_NAME_MAX)) {
        ow_error_add_violation(err, "applicant.name",
                               "must be UTF-8 text of at most %d bytes without control characters",
                               INTAKE_NAME_MAX);
        added++;
    }

    bool type_known = false;
    if (s_empty(a->id_type)) {
        ow_error_add_violation(err, "applicant.id_type",
                               "is missing: resident_id (a person) or uscc (an organisation)");
        added++;
    } else if (strcmp(a->id_type, "resident_id") != 0 && strcmp(a->id_type, "uscc") != 0) {
        ow_error_add_violation(err, "applicant.id_type",
                               "must be resident_id (a person) or uscc (an organisation)");
        added++;
    } else {
        type_known = true;
    }

    if (s_empty(a->id_number)) {
        ow_error_add_violation(err, "applicant.id_number",
                               "is missing: the resident ID or unified social credit code");
        added++;
    } else if (type_known && strcmp(a->id_type, "resident_id") == 0 &&
               !intake_resident_id_valid(a->id_number, why, sizeof why)) {
        ow_error_add_violation(err, "applicant.id_number", "is not a valid resident ID: %s", why);
        added++;
    } else if (type_known && strcmp(a->id_type, "uscc") == 0 &&
               !intake_uscc_valid(a->id_number, why, sizeof why)) {
        ow_error_add_violation(err, "applicant.id_number",
                               "is not a valid unified social credit code: %s", why);
        added++;
    }

    if (s_empty(a->phone)) {
        ow_error_add_violation(err, "applicant.phone",
                               "is missing: a phone number to reach the applicant is required");
        added++;
    } else if (!s_phone_valid(a->phone)) {
        ow_error_add_violation(err, "applicant.phone",
                               "must be 7 to 15 digits, optionally with a leading '+' and '-' "
                               "between groups");
        added++;
    }

    if (!s_empty(a->email) && !s_email_valid(a->email)) {
        ow_error_add_violation(err, "applicant.email", "is not an e-mail address");
        added++;
    }
    return added;
}

void intake_applicant_normalise_id(const char *id_number, char *out, size_t size)
{
    if (!out || !size)
        return;
    snprintf(out, size, "%s", id_number ? id_number : "");
    for (char *p = out; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}
