/* provincial_push — the rating.push_requested events (payload RatingPush) that carry each
 * recorded rating to the provincial 好差评 system through notifyd (DOMAIN.md §6: "case number,
 * item code and implementation code, area code, department, applicant identity and type, case
 * status, channel, the staff member rated, grade and time"). The only event with the rater's
 * identity: it is read through read_applicants (migration 0006), which logs every read with
 * the purpose "provincial_push"; anonymous ratings carry none and read none. */
#ifndef EVALUATION_PROVINCIAL_PUSH_H
#define EVALUATION_PROVINCIAL_PUSH_H

#include <stdint.h>
#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_status.h"

#define PROVINCIAL_PUSH_PURPOSE "provincial_push"

/* Registers the prepared statements. Returns 0 or -1 with err. */
int provincial_push_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's transaction: queues rating.push_requested for the valid ratings of the
 * cases listed (a PostgreSQL text[] literal) — one statement to read them, one logged identity
 * read for the real-name ones, one outbox insert. Returns 0 or -1 with err (the caller rolls
 * back). */
int provincial_push_queue(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          ow_error_t *err);

/* The events provincial_push_queue writes, built but not written, for a caller that writes
 * them together with its own (rating_batch.c numbers them at insert, ow_relay_add_numbered). */
typedef struct provincial_pushes provincial_pushes_t;

/* Inside the caller's transaction: reads the ratings and (logged) identities as
 * provincial_push_queue and packs one event per valid rating into a new *out (the caller
 * destroys it). Returns 0 or -1 with err. */
int provincial_push_build(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          provincial_pushes_t **out, ow_error_t *err);

/* As provincial_push_build, from messages the caller filled (every field but the identity,
 * strings borrowed) instead of reading the ratings back: reads the (logged) identities of the
 * real-name ones and packs each. The events borrow msgs' case numbers and area codes: msgs
 * must outlive *out. Returns 0 or -1 with err. */
int provincial_push_build_from(ow_db_t *db, Onewindow__V1__RatingPush *msgs, size_t n,
                               int64_t now_us, provincial_pushes_t **out, ow_error_t *err);

/* The events of pushes (*n of them; NULL pushes: none), owned by pushes. */
const ow_outbox_event_t *provincial_pushes_events(const provincial_pushes_t *pushes, size_t *n);

void provincial_pushes_destroy(provincial_pushes_t **pushes_p);

/* "natural_person" for resident_id, "legal_person" for uscc, "" otherwise. */
const char *provincial_push_applicant_type(const char *id_type);

#endif
