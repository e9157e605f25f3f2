#include "lanes.h"

#include <ctype.h>
#include <string.h>
#include "applicant.h"

static const char *const s_declared[] = {"pregnant", "disabled", "serviceman"};
#define S_DECLARED_COUNT (sizeof s_declared / sizeof s_declared[0])

const char *intake_lane_declared_names(void)
{
    return "pregnant, disabled, serviceman";
}

static int s_num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int intake_age_on(const char *resident_id, int today_yyyymmdd)
{
    if (!intake_resident_id_valid(resident_id, NULL, 0))
        return -1;
    int birth = s_num(resident_id + 6, 8);
    if (today_yyyymmdd < birth)
        return -1;
    /* Whole years: the birthday (mmdd) must have come this year. Comparing mmdd as numbers
     * makes a 29 February birthday come of age on 1 March in common years. */
    int age = today_yyyymmdd / 10000 - birth / 10000;
    if (today_yyyymmdd % 10000 < birth % 10000)
        age--;
    return age;
}

static const char *s_declared_static(const char *reason)
{
    for (size_t i = 0; i < S_DECLARED_COUNT; i++)
        if (reason && strcmp(reason, s_declared[i]) == 0)
            return s_declared[i];
    return NULL;
}

int intake_lanes_derive(const intake_lane_request_t *req, intake_lanes_t *out, ow_error_t *err)
{
    int added = 0;
    intake_lanes_t lanes = {0};
    if (req->id_type && strcmp(req->id_type, "resident_id") == 0) {
        int age = intake_age_on(req->id_number, req->today_yyyymmdd);
        if (age >= INTAKE_LOVE_AGE_OLD)
            lanes.love_reasons[lanes.love_reason_count++] = "age_60_plus";
        else if (age >= 0 && age < INTAKE_LOVE_AGE_YOUNG)
            lanes.love_reasons[lanes.love_reason_count++] = "under_16";
    }
    for (size_t i = 0; i < req->declared_count; i++) {
        const char *r = s_declared_static(req->declared[i]);
        if (!r) {
            ow_error_add_violation(err, "lanes.declared", "reason #%zu is not one of %s", i + 1,
                                   intake_lane_declared_names());
            added++;
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < lanes.love_reason_count; j++)
            seen = seen || lanes.love_reasons[j] == r;
        if (seen) {
            ow_error_add_violation(err, "lanes.declared", "reason '%s' is declared twice", r);
            added++;
        } else if (lanes.love_reason_count < INTAKE_LANE_REASONS_MAX) {
            lanes.love_reasons[lanes.love_reason_count++] = r;
        }
    }
    lanes.love = lanes.love_reason_count > 0;
    if (req->green_by && req->green_by[0]) {
        /* The green lane means tracking by a named person, for a stated project or matter. */
        if (!req->green_reason || !req->green_reason[0]) {
            ow_error_add_violation(err, "lanes.green_reason",
                                   "绿色通道 needs the key project or urgent matter it is for");
            added++;
        }
        lanes.green = true;
    } else if (req->green_reason && req->green_reason[0]) {
        ow_error_add_violation(err, "lanes.green_by",
                               "绿色通道 is set by a supervisor: name the supervisor's staff id");
        added++;
    }
    if (added == 0)
        *out = lanes;
    return added;
}
