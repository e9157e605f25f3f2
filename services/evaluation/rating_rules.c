/* rating_rules — see rating_rules.h. */
#include "rating_rules.h"
#include "ow_text.h"

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
    return ow_text_printable(text, 40);
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
    return ow_text_utf8_chars(text);
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

bool rating_level_valid(const char *level)
{
    return level && (strcmp(level, "county") == 0 || strcmp(level, "township") == 0 ||
                     strcmp(level, "village") == 0);
}

const char *rating_level_of_centre(const char *centre_id)
{
    if (!centre_id || strlen(centre_id) != RATING_CENTRE_ID_LEN)
        return NULL;
    for (int i = 0; i < RATING_CENTRE_ID_LEN; i++)
        if (centre_id[i] < '0' || centre_id[i] > '9')
            return NULL;
    /* 区划代码: 6 digits county, 3 township, 3 village (DOMAIN.md §1). */
    if (strncmp(centre_id + 6, "000000", 6) == 0)
        return "county";
    if (strncmp(centre_id + 9, "000", 3) == 0)
        return "township";
    return "village";
}

static int s_check_id(const char *field, const char *id, ow_error_t *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n > RATING_SUBJECT_ID_MAX) {
        ow_error_add_violation(err, field, "is longer than %d bytes", RATING_SUBJECT_ID_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (id[i] <= 0x20 || id[i] > 0x7e) {
            ow_error_add_violation(err, field, "must be printable ASCII without spaces");
            return -1;
        }
    return 0;
}

int rating_check_subject(const char *window_id, const char *staff_id, const char *level,
                         ow_error_t *err)
{
    int rc = 0;
    rc |= s_check_id("window_id", window_id, err);
    rc |= s_check_id("staff_id", staff_id, err);
    if (level && *level && !rating_level_valid(level)) {
        ow_error_add_violation(err, "level", "'%s' is not a level: use county, township or village",
                               s_printable(level) ? level : "(unprintable)");
        rc = -1;
    }
    return rc;
}
