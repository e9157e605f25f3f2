/* provincial_push — the rating.pushes_requested events (payload RatingPushBatch of RatingPush)
 * that carry each recorded rating to the provincial 好差评 system through notifyd (DOMAIN.md
 * §6: "case number, item code and implementation code, area code, department, applicant
 * identity and type, case status, channel, the staff member rated, grade and time"). The only
 * event with the rater's identity: it is read through read_applicants (migration 0006), which
 * logs every read with the purpose "provincial_push"; anonymous ratings carry none and read none.
 *
 * One event per transaction, not one per rating (issue 6, 20,000 ratings/s): every outbox row
 * costs PostgreSQL ~9 µs of CPU, and a batch of ~1,800 ratings wrote ~1,800 push rows beside
 * its ~1,800 rating.recorded. The pushes of a call travel as one RatingPushBatch; notifyd still
 * makes one webhook delivery, one POST to the province, per rating. A batch is split only when
 * one event would pass PROVINCIAL_PUSH_EVENT_MAX bytes (the outbox's payload limit). The
 * event's case_no and centre_id are its push's when it holds exactly one, "" otherwise. */
#ifndef EVALUATION_PROVINCIAL_PUSH_H
#define EVALUATION_PROVINCIAL_PUSH_H

#include <stdint.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_outbox.h"
#include "ow_status.h"

#define PROVINCIAL_PUSH_PURPOSE "provincial_push"
#define PROVINCIAL_PUSH_EVENT   "rating.pushes_requested"
/* The largest payload of one event: ow_outbox's limit (half a frame, so that a replay's reply
 * around it still fits OW_FRAME_MAX). ~2,048 pushes of ordinary size take ~1 MiB. */
#define PROVINCIAL_PUSH_EVENT_MAX (OW_FRAME_MAX / 2)

/* Registers the prepared statements. Returns 0 or -1 with err. */
int provincial_push_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: queues one rating.pushes_requested holding the pushes of the
 * valid ratings of the cases listed (a PostgreSQL text[] literal; none when there is no valid
 * rating) — one statement to read them, one logged identity read for the real-name ones, one
 * outbox insert. Returns 0 or -1 with err (the caller rolls back). */
int provincial_push_queue(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          ow_error_t *err);

/* The events provincial_push_queue writes, built but not written, for a caller that writes
 * them together with its own (rating_batch.c numbers them at insert, ow_relay_add_numbered). */
typedef struct provincial_pushes provincial_pushes_t;

/* Inside the caller's transaction: reads the ratings and (logged) identities as
 * provincial_push_queue and packs every valid rating's push into one event (none without a
 * valid rating; more only past PROVINCIAL_PUSH_EVENT_MAX) in a new *out (the caller destroys
 * it). Returns 0 or -1 with err. */
int provincial_push_build(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          provincial_pushes_t **out, ow_error_t *err);

/* As provincial_push_build, from messages the caller filled (every field but the identity,
 * strings borrowed) instead of reading the ratings back: reads the (logged) identities of the
 * real-name ones (none read when all are anonymous: db is then not used) and packs them all
 * into one event. msgs come back without the identity. An event borrows its one push's case
 * number and area code: msgs must outlive *out. Returns 0 or -1 with err. */
int provincial_push_build_from(ow_db_t *db, Onewindow__V1__RatingPush *msgs, size_t n,
                               int64_t now_us, provincial_pushes_t **out, ow_error_t *err);

/* The events of pushes (*n of them: 0 when there was no valid rating, else 1 but for a batch
 * past PROVINCIAL_PUSH_EVENT_MAX; NULL pushes: none), owned by pushes. */
const ow_outbox_event_t *provincial_pushes_events(const provincial_pushes_t *pushes, size_t *n);

void provincial_pushes_destroy(provincial_pushes_t **pushes_p);

/* "natural_person" for resident_id, "legal_person" for uscc, "" otherwise. */
const char *provincial_push_applicant_type(const char *id_type);

#endif
