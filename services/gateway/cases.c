#include "cases.h"

#include <stdbool.h>
#include <stdlib.h>

#include "applications.h"
#include "case_clock.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "ow_pack.h"
#include "problem.h"
#include "ratings.h"
#include "onewindow/v1/routing.pb-c.h"
#include "tasks.h"

struct case_view {
    bool taken[CASES_PART_COUNT];
    bool degraded[CASES_PART_COUNT];
    json_t *part[CASES_PART_COUNT]; /* the decoded answer; NULL when none */
    ow_error_t case_error;          /* why the case itself is missing */
};

static const char *const s_services[CASES_PART_COUNT] = {"intake", "routing", "deadline",
                                                         "evaluation"};
static const char *const s_methods[CASES_PART_COUNT] = {
    "intake.get_case", "routing.case_tasks", "deadline.get_clock", "evaluation.get_rating"};

const char *cases_part_service(cases_part_t part)
{
    return part < CASES_PART_COUNT ? s_services[part] : "";
}

const char *cases_part_method(cases_part_t part)
{
    return part < CASES_PART_COUNT ? s_methods[part] : "";
}

int cases_pack_request(cases_part_t part, const char *case_no, uint8_t **out, size_t *out_len,
                       ow_error_t *err)
{
    Onewindow__V1__GetCase get_case = ONEWINDOW__V1__GET_CASE__INIT;
    Onewindow__V1__CaseTasks case_tasks = ONEWINDOW__V1__CASE_TASKS__INIT;
    Onewindow__V1__GetRating get_rating = ONEWINDOW__V1__GET_RATING__INIT;
    const ProtobufCMessage *msg = NULL;

    switch (part) {
    case CASES_PART_CASE:
        get_case.case_no = (char *)case_no;
        msg = &get_case.base;
        break;
    case CASES_PART_TASKS:
        case_tasks.case_no = (char *)case_no;
        msg = &case_tasks.base;
        break;
    case CASES_PART_CLOCK:
        return case_clock_pack_get(case_no, out, out_len, err);
    case CASES_PART_RATING:
        get_rating.case_no = (char *)case_no;
        msg = &get_rating.base;
        break;
    default:
        ow_error_set(err, OW_INTERNAL, "no such case part %d", (int)part);
        return -1;
    }
    return ow_pack(msg, out, out_len, err);
}

case_view_t *case_view_new(void)
{
    case_view_t *self = calloc(1, sizeof *self);
    if (self)
        ow_error_set(&self->case_error, OW_INTERNAL, "intake has not answered");
    return self;
}

void case_view_destroy(case_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    case_view_t *self = *self_p;
    for (int i = 0; i < CASES_PART_COUNT; i++)
        json_decref(self->part[i]);
    free(self);
    *self_p = NULL;
}

/* Decodes an OK answer of a part; NULL with err when it does not decode. */
static json_t *s_decode(cases_part_t part, const ow_rpc_result_t *r, ow_error_t *err)
{
    switch (part) {
    case CASES_PART_CASE: {
        json_t *wrapped = applications_case_reply_json(r->payload, r->payload_len, err);
        json_t *c = wrapped ? json_incref(json_object_get(wrapped, "case")) : NULL;
        json_decref(wrapped);
        return c;
    }
    case CASES_PART_TASKS:
        return tasks_task_array_json(r->payload, r->payload_len, err);
    case CASES_PART_CLOCK:
        return case_clock_reply_json(r->payload, r->payload_len, err);
    case CASES_PART_RATING:
        return ratings_rating_reply_json(r->payload, r->payload_len, err);
    default:
        return NULL;
    }
}

void case_view_take(case_view_t *self, cases_part_t part, const ow_rpc_result_t *r)
{
    ow_error_t err;

    if (part >= CASES_PART_COUNT || self->taken[part])
        return;
    self->taken[part] = true;
    ow_error_clear(&err);

    if (r->status == OW_OK) {
        self->part[part] = s_decode(part, r, &err);
        if (self->part[part])
            return;
    } else if (r->status == OW_NOT_FOUND && part != CASES_PART_CASE) {
        return; /* nothing yet: rendered as [] or null */
    } else {
        problem_error_from_result(r, s_services[part], &err);
    }
    if (part == CASES_PART_CASE)
        self->case_error = err;
    else
        self->degraded[part] = true;
}

bool case_view_complete(const case_view_t *self)
{
    for (int i = 0; i < CASES_PART_COUNT; i++)
        if (!self->taken[i])
            return false;
    return true;
}

int case_view_render(const case_view_t *self, json_t **body)
{
    int status = 500;
    json_t *degraded = NULL;

    *body = NULL;
    if (!self->part[CASES_PART_CASE]) {
        *body = problem_from_error(&self->case_error, &status);
        return *body ? status : 500;
    }
    degraded = json_array();
    for (int i = 0; degraded && i < CASES_PART_COUNT; i++) {
        if (self->degraded[i] && json_array_append_new(degraded, json_string(s_services[i]))) {
            json_decref(degraded);
            degraded = NULL;
        }
    }
    json_t *tasks = self->part[CASES_PART_TASKS];
    json_t *clock = self->part[CASES_PART_CLOCK];
    json_t *rating = self->part[CASES_PART_RATING];
    *body = json_pack("{s:O, s:o, s:o, s:o, s:o}", "case", self->part[CASES_PART_CASE], "tasks",
                      tasks ? json_incref(tasks) : json_array(), "clock",
                      clock ? json_incref(clock) : json_null(), "rating",
                      rating ? json_incref(rating) : json_null(), "degraded", degraded);
    return *body ? 200 : 500;
}
