/* rating_rules — the rules of a rating (政务服务"好差评", DOMAIN.md §6), with no I/O.
 *
 * Five grades: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; the bottom two are bad
 * reviews (差评). Channels: window device, QR code, web, app, mini-program, SMS, hotline,
 * paper form. */
#ifndef EVALUATION_RATING_RULES_H
#define EVALUATION_RATING_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define RATING_GRADE_MIN         1
#define RATING_GRADE_MAX         5
#define RATING_COMMENT_MAX_CHARS 1000 /* characters (code points), not bytes */
#define RATING_CASE_NO_MAX       47   /* as OW_CASE_NO_MAX */

/* True for 1..5. */
bool rating_grade_valid(int32_t grade);

/* True for a bad review (差评): 不满意 (2) or 非常不满意 (1). False for anything else,
 * including grades out of range. */
bool rating_is_bad(int32_t grade);

/* "非常满意" … "非常不满意"; "" for a grade out of range. Never NULL. */
const char *rating_grade_name(int32_t grade);

/* True for window_device, qr, web, app, mini_program, sms, hotline, paper. */
bool rating_channel_valid(const char *channel);

/* The number of code points in a well-formed UTF-8 string, or -1 when text is not
 * well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF are refused). */
long rating_utf8_chars(const char *text);

/* Checks a rating request. Every problem is added to err as a violation (field names as in
 * RateCase: case_no, grade, comment, channel) and the call returns -1 with err
 * INVALID_ARGUMENT; 0 when all is well. NULL strings count as empty. */
int rating_check_request(const char *case_no, int32_t grade, const char *comment,
                         const char *channel, ow_error_t *err);

/* What a rating is about besides the case and its item and department (DOMAIN.md §6:
 * "per department, item, window, staff member, channel, level"): the window, the staff member
 * rated, the centre (12-digit area code) and the level of the site. Empty window or staff means
 * not known (an online service has no window). */
#define RATING_SUBJECT_ID_MAX 64
#define RATING_CENTRE_ID_LEN  12

/* True for "county", "township", "village" (县 / 镇街道 / 村社区, DOMAIN.md §1). */
bool rating_level_valid(const char *level);

/* The level of a centre from its 12-digit area code: digits 7–9 "000" is the county, digits
 * 10–12 "000" a township/street, anything else a village/community; NULL for a code that is
 * not 12 digits. */
const char *rating_level_of_centre(const char *centre_id);

/* Adds a violation per bad subject field (window_id, staff_id: printable ASCII, at most 64
 * bytes; level: empty or a level) and returns -1, or 0; does not finish the violations. */
int rating_check_subject(const char *window_id, const char *staff_id, const char *level,
                         ow_error_t *err);

#endif
