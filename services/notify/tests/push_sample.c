/* push_sample — see push_sample.h. */
#include "push_sample.h"

Onewindow__V1__RatingPush push_sample(const char *rating_id, const char *case_no, int grade,
                                      int64_t rated_at_us)
{
    Onewindow__V1__RatingPush p = ONEWINDOW__V1__RATING_PUSH__INIT;
    p.rating_id = (char *)rating_id;
    p.case_no = (char *)case_no;
    p.item_code = "330100-01";
    p.item_name = "食品经营许可";
    p.item_version = 3;
    p.area_code = "330122000000";
    p.level = "county";
    p.department_code = "SCJG";
    p.department_name = "市场监督管理局";
    p.applicant_name = "张\"三\"";
    p.applicant_id_type = "resident_id";
    p.applicant_id_number = "33012219800101001X";
    p.applicant_type = "natural_person";
    p.case_status = "approved";
    p.channel = "web";
    p.staff_id = "TL0101";
    p.window_id = "W03";
    p.grade = grade;
    p.rated_at_us = rated_at_us;
    return p;
}
