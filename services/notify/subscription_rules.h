/* subscription_rules — what a webhook subscription may say, and which events it receives
 * (issue 7: integrators subscribe with a URL, event types and a secret). Pure.
 *
 * Event-type patterns: an exact type ("case.accepted"), a prefix ending in ".*" ("case.*"
 * matches "case.accepted" and "case.decided"), or "*" (every event). */
#ifndef NOTIFY_SUBSCRIPTION_RULES_H
#define NOTIFY_SUBSCRIPTION_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_status.h"

#define SUBSCRIPTION_URL_MAX    2000
#define SUBSCRIPTION_NAME_MAX   200
#define SUBSCRIPTION_SECRET_MIN 16 /* bytes: a secret shorter than a 128-bit key is guessable */
#define SUBSCRIPTION_SECRET_MAX 256
#define SUBSCRIPTION_TYPES_MAX  50

/* Adds one violation to err per problem (field names url, event_types, event_types[i],
 * secret, name) and returns the number added: an http(s) URL with a host and no spaces or
 * credentials; 1–50 patterns, each "*", "a.b", or "a.*" of [a-z0-9._]; a secret of 16–256
 * printable ASCII bytes. */
int subscription_check(const char *name, const char *url, const char *const *types, size_t count,
                       const char *secret, ow_error_t *err);

/* True when event type `type` matches pattern. */
bool subscription_type_matches(const char *pattern, const char *type);

/* True when any of the comma-separated patterns in `patterns` matches type. */
bool subscription_list_matches(const char *patterns, const char *type);

#endif
