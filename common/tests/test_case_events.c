/* test_case_events — ow_case_events: CaseAccepted and CaseDecided unpacked from an event and
 * checked (decodes, has its case, case number agrees with the envelope, each consumer's
 * rules in its order), and the INVALID_ARGUMENT that names the event and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ow_case_events.h"

/* An event of type carrying payload (borrowed). */
static ow_event_t s_event(const char *type, const char *case_no, uint8_t *payload, size_t len)
{
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001");
    snprintf(ev.source, sizeof ev.source, "intake");
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.seq = 7;
    ev.payload = payload;
    ev.payload_len = len;
    return ev;
}

/* A packed CaseAccepted (caller frees); applicant may be NULL. */
static uint8_t *s_accepted(const char *case_no, const char *item_code,
                           Onewindow__V1__Applicant *applicant, size_t *len)
{
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = (char *)item_code;
    c.applicant = applicant;
    Onewindow__V1__CaseAccepted a = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    a.case_ = &c;
    *len = onewindow__v1__case_accepted__get_packed_size(&a);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__case_accepted__pack(&a, buf);
    return buf;
}

static uint8_t *s_decided(const char *case_no, const char *outcome, const char *comment,
                          size_t *len)
{
    Onewindow__V1__CaseDecided d = ONEWINDOW__V1__CASE_DECIDED__INIT;
    d.case_no = (char *)case_no;
    d.outcome = (char *)outcome;
    d.comment = (char *)comment;
    *len = onewindow__v1__case_decided__get_packed_size(&d);
    uint8_t *buf = malloc(*len + 1);
    onewindow__v1__case_decided__pack(&d, buf);
    return buf;
}

static const ow_case_rule_t s_rules[] = {
    {.field = "case.item_code", .max = 4},
    {.field = "case.applicant.phone", .max = 3},
    {0},
};

static void test_accepted(void **state)
{
    (void)state;
    ow_error_t err;
    size_t len;

    ow_error_clear(&err);
    uint8_t *p = s_accepted("3301222026112210001", "ABCD", NULL, &len);
    ow_event_t ev = s_event("case.accepted", "3301222026112210001", p, len);
    Onewindow__V1__CaseAccepted *msg = ow_case_accepted_unpack(&ev, s_rules, &err);
    assert_non_null(msg);
    assert_string_equal(msg->case_->item_code, "ABCD");
    onewindow__v1__case_accepted__free_unpacked(msg, NULL);
    free(p);

    /* Every problem at once, in the order of the rules, under the event's name. */
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.phone = "13800000000";
    ow_error_clear(&err);
    p = s_accepted("C-2", "ABCDE", &a, &len);
    ev = s_event("case.accepted", "C-1", p, len);
    assert_null(ow_case_accepted_unpack(&ev, s_rules, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(err.violation_count, 3);
    assert_string_equal(err.violations[0].field, "case_no");
    assert_string_equal(err.violations[1].field, "case.item_code");
    assert_string_equal(err.violations[2].field, "case.applicant.phone");
    assert_string_equal(err.message,
                        "case.accepted 6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001 (seq 7): 3 problems: "
                        "case_no: 'C-2' differs from the envelope's 'C-1'; case.item_code: is 5 "
                        "bytes long, more than 4; case.applicant.phone: is 11 bytes long, more "
                        "than 3");
    free(p);

    /* Not a CaseAccepted; one without its case; an empty case number. */
    ow_error_clear(&err);
    uint8_t junk[] = {0xff, 0xff, 0xff};
    ev = s_event("case.accepted", "", junk, sizeof junk);
    assert_null(ow_case_accepted_unpack(&ev, NULL, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "(seq 7): payload is not a CaseAccepted"));

    ow_error_clear(&err);
    ev = s_event("case.accepted", "", NULL, 0);
    assert_null(ow_case_accepted_unpack(&ev, NULL, &err));
    assert_non_null(strstr(err.message, "CaseAccepted has no case"));

    ow_error_clear(&err);
    p = s_accepted("", "A", NULL, &len);
    ev = s_event("case.accepted", "", p, len);
    assert_null(ow_case_accepted_unpack(&ev, NULL, &err));
    assert_non_null(strstr(err.message, "case_no: is empty"));
    free(p);

    /* A rule naming no field is the programmer's mistake, not poison. */
    const ow_case_rule_t typo[] = {{.field = "case.item"}, {0}};
    ow_error_clear(&err);
    p = s_accepted("C-1", "A", NULL, &len);
    ev = s_event("case.accepted", "C-1", p, len);
    assert_null(ow_case_accepted_unpack(&ev, typo, &err));
    assert_int_equal(err.code, OW_INTERNAL);
    free(p);
}

static void test_decided(void **state)
{
    (void)state;
    static const char *const outcomes[] = {"approved", "refused", NULL};
    const ow_case_rule_t rules[] = {
        {.field = "outcome", .required = true, .one_of = outcomes},
        {.field = "comment", .max = 8},
        {0},
    };
    ow_error_t err;
    size_t len;

    ow_error_clear(&err);
    uint8_t *p = s_decided("C-1", "refused", "不全", &len);
    ow_event_t ev = s_event("case.decided", "", p, len);
    Onewindow__V1__CaseDecided *msg = ow_case_decided_unpack(&ev, rules, &err);
    assert_non_null(msg);
    assert_string_equal(msg->outcome, "refused");
    onewindow__v1__case_decided__free_unpacked(msg, NULL);
    free(p);

    ow_error_clear(&err);
    p = s_decided("C-1", "maybe\x01", "too long a comment", &len);
    ev = s_event("case.decided", "", p, len);
    assert_null(ow_case_decided_unpack(&ev, rules, &err));
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "outcome: '(unprintable)' is neither approved nor "
                                        "refused; comment: is 18 bytes long, more than 8"));
    free(p);

    ow_error_clear(&err);
    p = s_decided("C-1", "", "", &len);
    ev = s_event("case.decided", "", p, len);
    assert_null(ow_case_decided_unpack(&ev, rules, &err));
    assert_string_equal(err.violations[0].description, "is empty");
    free(p);

    ow_error_clear(&err);
    uint8_t junk[] = {0x0a};
    ev = s_event("case.decided", "", junk, sizeof junk);
    assert_null(ow_case_decided_unpack(&ev, NULL, &err));
    assert_non_null(strstr(err.message, "payload is not a CaseDecided"));
}

static void test_finish(void **state)
{
    (void)state;
    ow_error_t err;
    ow_error_clear(&err);
    ow_event_t ev = s_event("case.accepted", "", NULL, 0);
    assert_int_equal(ow_case_event_finish(&err, &ev), 0);
    assert_int_equal(err.code, OW_OK);
    ow_error_add_violation(&err, "case.limit_unit", "is not a unit");
    assert_int_equal(ow_case_event_finish(&err, &ev), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_string_equal(err.message, "case.accepted 6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001 (seq 7): "
                                     "1 problem: case.limit_unit: is not a unit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_decided),
        cmocka_unit_test(test_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
