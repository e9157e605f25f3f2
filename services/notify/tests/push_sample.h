/* push_sample — a provincial 好差评 push with every field DOMAIN.md §6 lists set, for the
 * notify tests (the JSON, and the queueing against PostgreSQL). */
#ifndef NOTIFY_PUSH_SAMPLE_H
#define NOTIFY_PUSH_SAMPLE_H

#include <stdint.h>
#include "onewindow/v1/evaluation.pb-c.h"

/* The push of one rating; the strings are borrowed (they must outlive the push). */
Onewindow__V1__RatingPush push_sample(const char *rating_id, const char *case_no, int grade,
                                      int64_t rated_at_us);

#endif
