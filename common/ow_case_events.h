/* ow_case_events — the case events that deadlined, evaluationd and notifyd all consume,
 * unpacked and checked one way: case.accepted (intake's CaseAccepted) and case.decided
 * (routing's CaseDecided).
 *
 * Every payload must decode (protobuf-c, bounded by the envelope's OW_FRAME_MAX), name its
 * case, and carry a case number of at most OW_CASE_NO_MAX bytes that agrees with the
 * envelope's when the envelope names one. Beyond that each consumer lists rules for the
 * strings it will store, in the order it wants them reported. A payload that breaks any of
 * it is INVALID_ARGUMENT, "<type> <event_id> (seq N): <what>", with one violation per
 * problem naming the field: the inbox skips it as poison. What a consumer then does with the
 * case is its own domain and stays in its own folder. */
#ifndef OW_CASE_EVENTS_H
#define OW_CASE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include "ow_envelope.h"
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"

/* One rule a consumer puts on a string of the payload; a list of them ends with {NULL}. */
typedef struct {
    /* The field as messages name it. CaseAccepted: "case." followed by item_code,
     * item_name, department_code, department_name, centre_id, channel, limit_unit or
     * state_name, or "case.applicant." followed by name, id_type, id_number, phone or email
     * (checked only when the case has an applicant). CaseDecided: outcome, decided_by,
     * task_id or comment. */
    const char *field;
    size_t max;                /* at most this many bytes; 0: no bound */
    bool required;             /* empty is a violation ("is empty") */
    const char *const *one_of; /* the only values allowed (NULL-terminated), or NULL */
} ow_case_rule_t;

/* Unpacks ev's payload as a CaseAccepted and checks it as above with rules (may be NULL).
 * Returns the message, which the caller frees with
 * onewindow__v1__case_accepted__free_unpacked, or NULL with err: INVALID_ARGUMENT for a
 * payload that fails, INTERNAL for a rule naming a field there is not (a programming
 * error). */
Onewindow__V1__CaseAccepted *ow_case_accepted_unpack(const ow_event_t *ev,
                                                     const ow_case_rule_t *rules, ow_error_t *err);

/* As ow_case_accepted_unpack for a CaseDecided; the caller frees the result with
 * onewindow__v1__case_decided__free_unpacked. */
Onewindow__V1__CaseDecided *ow_case_decided_unpack(const ow_event_t *ev,
                                                   const ow_case_rule_t *rules, ow_error_t *err);

/* Turns the violations collected in err (by a consumer's own checks after unpacking) into
 * one INVALID_ARGUMENT naming the event, as the unpack functions do. Returns 0 when there
 * were none (err untouched), -1 otherwise. */
int ow_case_event_finish(ow_error_t *err, const ow_event_t *ev);

#endif
