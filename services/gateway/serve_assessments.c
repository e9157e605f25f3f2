/* Staff assessment records, owned by evaluationd (docs/contract.md "Evaluation additions,
 * part 6"), for supervisors and administrators:
 *   POST /v1/assessments          evaluation.record_assessment
 *   GET  /v1/assessments/{month}  evaluation.assessment_month (rows paged by staff_id)
 *   GET  /v1/assessments/years/{year}  evaluation.assessment_year (rows paged by staff_id)
 * evaluationd checks that the caller (the token's subject) is a supervisor in its
 * staff_roles table. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/evaluation.pb-c.h"

static const forward_spec_t s_record_assessment = {API_EVALUATION,
                                                   "evaluation.record_assessment",
                                                   &onewindow__v1__record_assessment__descriptor,
                                                   &onewindow__v1__assessment_record__descriptor,
                                                   NULL,
                                                   FORWARD_STATE_CHANGE,
                                                   201,
                                                   NULL,
                                                   NULL,
                                                   NULL,
                                                   NULL};

static const forward_spec_t s_assessment_month = {
    API_EVALUATION,
    "evaluation.assessment_month",
    &onewindow__v1__assessment_month__descriptor,
    &onewindow__v1__assessment_month_reply__descriptor,
    "month",
    0,
    200,
    "rows",
    "staff_id",
    NULL,
    NULL};

static const forward_spec_t s_assessment_year = {API_EVALUATION,
                                                 "evaluation.assessment_year",
                                                 &onewindow__v1__assessment_year__descriptor,
                                                 &onewindow__v1__assessment_year_reply__descriptor,
                                                 "year",
                                                 0,
                                                 200,
                                                 "rows",
                                                 "staff_id",
                                                 NULL,
                                                 NULL};

void serve_record_assessment(api_t *self, exchange_t *ex, const char *param,
                             const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_record_assessment);
}

void serve_assessment_month(api_t *self, exchange_t *ex, const char *param,
                            const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_assessment_month);
}

void serve_assessment_year(api_t *self, exchange_t *ex, const char *param,
                           const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_assessment_year);
}
