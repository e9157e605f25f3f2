/* batch — group commit (ARCHITECTURE "Inside a daemon": drain what is ready, apply it in one
 * Postgres transaction, then reply and publish).
 *
 * The intake.submit and intake.receive requests that arrived together are applied in ONE
 * transaction, each at its own SAVEPOINT: a bad one rolls back to its savepoint and gets its
 * own answer while the others proceed, and one COMMIT — one WAL flush — makes all of them
 * durable. The caller replies to each only after intake_batch_run returns (nothing is
 * answered OK before it is committed) and then kicks the relay once.
 *
 * Exactly once holds per request, not per batch: the idempotency record is written at the
 * request's savepoint in the same transaction, so a key is remembered if and only if its
 * effect committed, and a second request with the same key in the same batch finds the
 * first's answer (ow_idem reads the open transaction; its advisory lock is re-entrant within
 * a session). Case serials are taken at each savepoint: a rolled-back request gives its serial
 * back to the next one, so committed numbers stay gapless (case_number.h).
 *
 * Knows nothing of sockets; tests run batches directly on a real database. */
#ifndef INTAKE_BATCH_H
#define INTAKE_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "ow_outbox.h"
#include "ow_status.h"
#include "submit.h"

/* At most this many requests per transaction: the loop drains 256 messages per turn
 * (ow_loop.c), and a bound keeps locks (the day's counter row) short. */
#define INTAKE_BATCH_MAX 256

typedef enum { INTAKE_JOB_SUBMIT, INTAKE_JOB_RECEIVE } intake_job_kind_t;

typedef struct {
    /* In: borrowed, valid during intake_batch_run. */
    intake_job_kind_t kind;
    const char *key;        /* idempotency key */
    const uint8_t *request; /* packed SubmitApplication or ReceiveApplication */
    size_t len;
    int64_t now_us;          /* time of receipt */
    int64_t promised_due_us; /* receive only: deadline.compute_due's answer, 0 = unknown */
    /* Out: rc 0 → reply (a packed Reply, owned by the job: the caller frees it); rc -1 →
     * err. */
    int rc;
    uint8_t *reply;
    size_t reply_len;
    ow_error_t err;
} intake_job_t;

/* Runs jobs[0..n) (n ≤ INTAKE_BATCH_MAX) in one transaction on db and fills every job's
 * rc, reply and err. Returns how many succeeded. When the transaction as a whole fails
 * (BEGIN, a SAVEPOINT statement, COMMIT — the connection lost, a commit refused) nothing is
 * written: every job that had succeeded, or had not run, fails with that error
 * (UNAVAILABLE or INTERNAL); jobs refused on their own merits keep their own answer. */
size_t intake_batch_run(ow_db_t *db, const intake_settings_t *settings, intake_job_t *const *jobs,
                        size_t n);

/* intake_batch_run that also numbers the batch's events inside its transaction and publishes
 * them after COMMIT: one transaction and one WAL flush per batch instead of two. The relay's
 * lock is taken with the batch's first statements (ow_relay_lock_ahead), and the set path's
 * writes travel with COMMIT; when they are refused there (another instance on the same number
 * or key), nothing was written and the batch runs again with every request alone at its
 * savepoint. relay must work on db; NULL is intake_batch_run. */
size_t intake_batch_run_numbered(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                 intake_job_t *const *jobs, size_t n);

/* What the daemon remembers of the database between batches: the items a batch read (their
 * current versions) and where this daemon's last batch left the case counter. With it a batch
 * of new submits is sent whole, in one round trip, its guesses checked by the database in the
 * same transaction (the predicted path, batch.c). Owned by the caller. */
typedef struct intake_batch_memory intake_batch_memory_t;

/* An empty memory (caller frees with intake_batch_memory_destroy), or NULL when out of memory. */
intake_batch_memory_t *intake_batch_memory_new(void);
void intake_batch_memory_destroy(intake_batch_memory_t **self_p);

/* How many batches committed on the predicted path, and how many were refused there (and then
 * read), since the memory was made. */
void intake_batch_memory_counts(const intake_batch_memory_t *self, uint64_t *predicted,
                                uint64_t *refused);

/* intake_batch_run_numbered that first tries the predicted path when memory knows enough (new
 * submits only, items and counter known, no refusal among them): ONE round trip. When it does
 * not apply, or a guess was wrong (nothing was written; the memory forgets, and backs off when
 * that keeps happening), the batch runs as intake_batch_run_numbered, and what it reads is
 * remembered. relay is required for the predicted path. */
size_t intake_batch_run_predicted(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                  intake_batch_memory_t *memory, intake_job_t *const *jobs,
                                  size_t n);

#endif
