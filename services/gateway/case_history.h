/* case_history — GET /v1/cases/{case_no}/history: the whole story of a case across the
 * services, in time order, from five answers asked at once: routing's audit trail
 * (routing.case_history: who did what to which task), intake's written records
 * (intake.list_documents: receipt, notice, correction, withdrawal…), deadlined's case and
 * stage clocks (deadline.get_clock: started, suspended, cards, stopped), evaluationd's rating
 * (evaluation.get_rating) and notifyd's deliveries (notify.case_deliveries).
 *
 * Each entry is {"at","source","action","actor","on_behalf_of","task_id","detail","before",
 * "after"}; entries at the same instant keep the services' order above and each service's
 * own order. NOT_FOUND from a service means it has nothing to tell; any other failure leaves
 * its part out and names it in "degraded" (as the case view). Plain functions: no evhttp. */
#ifndef GATEWAY_CASE_HISTORY_H
#define GATEWAY_CASE_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ow_rpc.h"
#include "ow_status.h"

typedef enum {
    CASE_HISTORY_ROUTING = 0,
    CASE_HISTORY_INTAKE,
    CASE_HISTORY_DEADLINE,
    CASE_HISTORY_EVALUATION,
    CASE_HISTORY_NOTIFY,
    CASE_HISTORY_PART_COUNT
} case_history_part_t;

typedef struct case_history case_history_t;

/* The service ("routing") and method ("routing.case_history") of a part. Static strings. */
const char *case_history_service(case_history_part_t part);
const char *case_history_method(case_history_part_t part);

/* Packs the request of a part for case_no into *out (caller frees). -1 with err. */
int case_history_pack_request(case_history_part_t part, const char *case_no, uint8_t **out,
                              size_t *out_len, ow_error_t *err);

/* An empty history. Caller owns it; NULL when out of memory. */
case_history_t *case_history_new(void);

/* Frees it and sets *self_p to NULL; harmless when already NULL. */
void case_history_destroy(case_history_t **self_p);

/* Records a part's answer: its entries are decoded now (the payload is only valid during the
 * RPC callback). A reply that does not decode counts as a failure of that service. */
void case_history_take(case_history_t *self, case_history_part_t part,
                       const ow_rpc_result_t *result);

/* {"case_no","entries":[…],"next_after","degraded":[…]}: the entries after position `after`
 * (0 = from the first), at most limit; next_after is the position to ask from next, "" when
 * this page is the last. A new object (caller json_decref()s), NULL when out of memory. */
json_t *case_history_render(case_history_t *self, const char *case_no, size_t after, size_t limit);

#endif
