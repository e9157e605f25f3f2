/* The window's records of a case, owned by intake (docs/intake.md):
 *   POST /v1/receipts                        intake.receive        收件 and the window's decision
 *   POST /v1/cases/{case_no}/corrections     intake.correct        补正 / 容缺 supply
 *   POST /v1/cases/{case_no}/withdrawal      intake.withdraw       撤回
 *   GET  /v1/cases/{case_no}/documents       intake.list_documents the written records, paged
 *   POST /v1/cases/{case_no}/acceptance      intake.decide_receipt the decision on a 收件-only case
 * Staff act on the cases of a centre they may touch (access.h): for a receipt the receiving
 * centre in the body, otherwise the case's own centre, checked with intake first. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/intake.pb-c.h"

/* A receipt is for a centre the caller may act on: a clerk their own, a supervisor theirs
 * or one below; "" is the county centre (as intaked reads it). */
static int s_check_receipt(api_t *api, const access_principal_t *who, json_t *input, char *caller,
                           ow_error_t *err)
{
    (void)caller;
    const char *centre =
        json_string_value(json_object_get(json_object_get(input, "application"), "centre_id"));
    if (access_may_touch_case(who, centre, api->default_centre))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED, "a %s of centre %s may not receive for centre %s",
                 access_role_name(who->role), who->centre,
                 centre && *centre ? centre : api->default_centre);
    return -1;
}

static const forward_spec_t s_receive = {API_INTAKE,
                                         "intake.receive",
                                         &onewindow__v1__receive_application__descriptor,
                                         &onewindow__v1__receive_reply__descriptor,
                                         NULL,
                                         FORWARD_STATE_CHANGE,
                                         201,
                                         NULL,
                                         NULL,
                                         s_check_receipt,
                                         NULL};

static const forward_spec_t s_correct = {API_INTAKE,
                                         "intake.correct",
                                         &onewindow__v1__correct_case__descriptor,
                                         &onewindow__v1__receive_reply__descriptor,
                                         "case_no",
                                         FORWARD_STATE_CHANGE | FORWARD_CASE,
                                         200,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

static const forward_spec_t s_withdraw = {API_INTAKE,
                                          "intake.withdraw",
                                          &onewindow__v1__withdraw_case__descriptor,
                                          &onewindow__v1__receive_reply__descriptor,
                                          "case_no",
                                          FORWARD_STATE_CHANGE | FORWARD_CASE,
                                          200,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};

static const forward_spec_t s_decide_receipt = {API_INTAKE,
                                                "intake.decide_receipt",
                                                &onewindow__v1__decide_receipt__descriptor,
                                                &onewindow__v1__receive_reply__descriptor,
                                                "case_no",
                                                FORWARD_STATE_CHANGE | FORWARD_CASE,
                                                200,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL};

static const forward_spec_t s_documents = {API_INTAKE,
                                           "intake.list_documents",
                                           &onewindow__v1__list_documents__descriptor,
                                           &onewindow__v1__document_list__descriptor,
                                           "case_no",
                                           FORWARD_CASE,
                                           200,
                                           "documents",
                                           "seq",
                                           NULL,
                                           NULL};

void serve_receive_application(api_t *self, exchange_t *ex, const char *param,
                               const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_receive);
}

void serve_correct_case(api_t *self, exchange_t *ex, const char *case_no,
                        const access_principal_t *who)
{
    forward_serve(self, ex, case_no, who, &s_correct);
}

void serve_withdraw_case(api_t *self, exchange_t *ex, const char *case_no,
                         const access_principal_t *who)
{
    forward_serve(self, ex, case_no, who, &s_withdraw);
}

void serve_list_documents(api_t *self, exchange_t *ex, const char *case_no,
                          const access_principal_t *who)
{
    forward_serve(self, ex, case_no, who, &s_documents);
}

void serve_decide_receipt(api_t *self, exchange_t *ex, const char *case_no,
                          const access_principal_t *who)
{
    forward_serve(self, ex, case_no, who, &s_decide_receipt);
}
