/* lanes — the priority lanes a case travels in (DOMAIN.md §3 "Priority lanes"):
 *   爱心通道 (love): people 60 or older or under 16 — derived from the resident ID's birth
 *     date on the day of receipt — or who declare pregnancy, a disability, or active or
 *     disabled military service (the window checks the certificate; we record the reason);
 *   绿色通道 (green): key projects and urgent livelihood matters, set by a supervisor who is
 *     named, because the lane means tracking by a named person.
 * Lanes travel with the case to routing (case.accepted carries them).
 *
 * Plain functions: no I/O, no allocation. */
#ifndef INTAKE_LANES_H
#define INTAKE_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

#define INTAKE_LOVE_AGE_OLD     60 /* DOMAIN §3: 60 or older */
#define INTAKE_LOVE_AGE_YOUNG   16 /* DOMAIN §3: under 16 */
#define INTAKE_LANE_REASONS_MAX 4

typedef struct {
    const char *id_type;         /* "resident_id" derives age; "uscc" never does */
    const char *id_number;       /* already checked by intake_check_applicant */
    int today_yyyymmdd;          /* local date of receipt */
    const char *const *declared; /* "pregnant", "disabled", "serviceman"; may be NULL */
    size_t declared_count;
    const char *green_by; /* supervisor's staff id granting 绿色通道, or NULL/"" */
    const char *green_reason;
} intake_lane_request_t;

typedef struct {
    bool love;
    bool green;
    /* Why the love lane applies: "age_60_plus", "under_16", then the declared reasons in
     * the order given; strings are static. */
    const char *love_reasons[INTAKE_LANE_REASONS_MAX];
    size_t love_reason_count;
} intake_lanes_t;

/* Full years of age on today (yyyymmdd) of the holder of a valid resident ID (birth date in
 * characters 7-14), or -1 when the ID has no valid birth date or today precedes it. A person
 * born on 29 February comes of age on 1 March in common years. */
int intake_age_on(const char *resident_id, int today_yyyymmdd);

/* Derives the lanes. Adds one violation per problem to err ("lanes.declared" for an unknown
 * or repeated reason, "lanes.green_reason" when green_by is set without a reason) and
 * returns the number added; *out is filled only when none were. */
int intake_lanes_derive(const intake_lane_request_t *req, intake_lanes_t *out, ow_error_t *err);

/* The declared reasons accepted, comma-separated, for messages. */
const char *intake_lane_declared_names(void);

#endif
