/* cases — GET /v1/cases/{case_no}: one view of a case assembled from four services asked at
 * once (intake.get_case, routing.case_tasks, deadline.get_clock, evaluation.get_rating).
 *
 * Intake is the authority on whether the case exists: its NOT_FOUND is the answer (404), and
 * any other failure of intake fails the request (no case, nothing to show). For the others
 * NOT_FOUND means "nothing yet" (no tasks, no clock, not rated: [] or null); any other
 * failure leaves that part empty and names the service in "degraded", so a window clerk
 * still sees the case while, say, deadlined restarts. Plain functions: no evhttp. */
#ifndef GATEWAY_CASES_H
#define GATEWAY_CASES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_rpc.h"
#include "ow_status.h"

typedef enum {
    CASES_PART_CASE = 0, /* intake.get_case */
    CASES_PART_TASKS,    /* routing.case_tasks */
    CASES_PART_CLOCK,    /* deadline.get_clock */
    CASES_PART_RATING,   /* evaluation.get_rating */
    CASES_PART_COUNT
} cases_part_t;

typedef struct case_view case_view_t;

/* The service ("intake") and method ("intake.get_case") that answer a part. Static strings. */
const char *cases_part_service(cases_part_t part);
const char *cases_part_method(cases_part_t part);

/* Packs the request for a part of case_no into *out (caller frees). -1 with err when out of
 * memory. */
int cases_pack_request(cases_part_t part, const char *case_no, uint8_t **out, size_t *out_len,
                       ow_error_t *err);

/* An empty view. Caller owns it; NULL when out of memory. */
case_view_t *case_view_new(void);

/* Frees the view and sets *self_p to NULL; harmless when already NULL. */
void case_view_destroy(case_view_t **self_p);

/* Records a part's answer (the result's payload is decoded now: it is only valid during the
 * RPC callback). A payload that does not decode counts as a failure of that service. A part
 * taken twice keeps the first answer. */
void case_view_take(case_view_t *self, cases_part_t part, const ow_rpc_result_t *result);

/* True once every part has been taken. */
bool case_view_complete(const case_view_t *self);

/* Builds the answer. Returns the HTTP status and sets *body to a new object (caller
 * json_decref()s): 200 {"case","tasks","clock","rating","degraded"}, or the case's failure
 * as a problem (404 when intake does not know the case). *body is NULL only when out of
 * memory (then 500). */
int case_view_render(const case_view_t *self, json_t **body);

#endif
