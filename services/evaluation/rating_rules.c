/* rating_rules — see rating_rules.h. */
#include "rating_rules.h"

#include <string.h>

static const char *const s_grade_names[] = {
    [1] = "非常不满意", [2] = "不满意", [3] = "基本满意", [4] = "满意", [5] = "非常满意",
};

static const char *const s_channels[] = {
    "window_device", "qr", "web", "app", "mini_program", "sms", "hotline", "paper",
};

/* Echoing what the client sent helps them, but only text that is safe to put in a message
 * (the gateway turns messages into JSON, which must be valid UTF-8). */
static bool s_printable(const char *text)
{
    size_t n = strlen(text);
    if (n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (text[i] < 0x20 || text[i] > 0x7e)
            return false;
    return true;
}

bool rating_grade_valid(int32_t grade)
{
    return grade >= RATING_GRADE_MIN && grade <= RATING_GRADE_MAX;
}

/* DOMAIN.md §6: "The bottom two are bad reviews (差评)." */
bool rating_is_bad(int32_t grade)
{
    return grade == 1 || grade == 2;
}

const char *rating_grade_name(int32_t grade)
{
    return rating_grade_valid(grade) ? s_grade_names[grade] : "";
}

bool rating_channel_valid(const char *channel)
{
    for (size_t i = 0; channel && i < sizeof s_channels / sizeof s_channels[0]; i++)
        if (strcmp(channel, s_channels[i]) == 0)
            return true;
    return false;
}

long rating_utf8_chars(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    long chars = 0;
    while (*p) {
        unsigned c = *p;
        int extra;
        unsigned cp;
        if (c < 0x80) {
            p++;
            chars++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return -1; /* continuation byte first, overlong 0xc0/0xc1, or past 0xf4 */
        }
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1; /* also stops at the terminating NUL */
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return -1;
        p += extra + 1;
        chars++;
    }
    return chars;
}

int rating_check_request(const char *case_no, int32_t grade, const char *comment,
                         const char *channel, ow_error_t *err)
{
    case_no = case_no ? case_no : "";
    comment = comment ? comment : "";
    channel = channel ? channel : "";
    if (!*case_no)
        ow_error_add_violation(err, "case_no", "is empty: name the case being rated");
    else if (strlen(case_no) > RATING_CASE_NO_MAX)
        ow_error_add_violation(err, "case_no", "is longer than %d bytes", RATING_CASE_NO_MAX);
    if (!rating_grade_valid(grade))
        ow_error_add_violation(err, "grade",
                               "%d is not a grade: use 5 非常满意, 4 满意, 3 基本满意, "
                               "2 不满意 or 1 非常不满意",
                               (int)grade);
    long chars = rating_utf8_chars(comment);
    if (chars < 0)
        ow_error_add_violation(err, "comment", "is not valid UTF-8");
    else if (chars > RATING_COMMENT_MAX_CHARS)
        ow_error_add_violation(err, "comment", "has %ld characters, more than %d", chars,
                               RATING_COMMENT_MAX_CHARS);
    if (!rating_channel_valid(channel))
        ow_error_add_violation(err, "channel",
                               "'%s' is not a rating channel: use window_device, qr, web, "
                               "app, mini_program, sms, hotline or paper",
                               s_printable(channel) ? channel : "(unprintable)");
    return ow_error_finish_violations(err);
}
