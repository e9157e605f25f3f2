/* The group commit's predicted path (batch.h, intake_batch_run_predicted; docs/intake.md
 * "Eighth pass"). */
#include "batch.h"

#include <stdlib.h>
#include "batch_memory.h"
#include "batch_set.h"
#include "case_number.h"
#include "catalogue.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_text.h"
#include "submit.h"

/* A batch of new submits whose items and counter the memory knows is sent whole, in ONE round
 * trip: [BEGIN, the relay's lock, the serials with the lasts expected, the items still current,
 * the cases, the idempotency records, the events, COMMIT]. Nothing is read first: the case
 * numbers come from the remembered counter, the checks from the remembered items, and a key is
 * taken to be new. Each of those guesses is checked by the database in the same transaction —
 * the counter's end and the items' versions by refused() (migration 0012), a known key by the
 * idempotency record's unique key — and a wrong one fails COMMIT: nothing is written, the
 * memory is forgotten, and the batch runs on the reading path, which reads them. */

typedef enum {
    S_PREDICT_DONE,    /* every job has its answer */
    S_PREDICT_NOT_NOW, /* the path does not apply to this batch: nothing was sent */
    S_PREDICT_REFUSED, /* a guess was wrong, or the connection went: nothing to answer from */
} s_predict_t;

static s_predict_t s_run_predicted(ow_db_t *db, ow_relay_t *relay,
                                   const intake_settings_t *settings, intake_batch_memory_t *memory,
                                   intake_job_t *const *jobs, size_t n)
{
    if (!memory || !relay || n == 0 || n > INTAKE_BATCH_MAX ||
        !intake_batch_memory_may_predict(memory))
        return S_PREDICT_NOT_NOW;
    intake_item_cache_t *items = intake_batch_memory_items(memory);
    /* Receives and repeated keys take savepoints: the reading path's. */
    for (size_t i = 0; i < n; i++)
        if (jobs[i]->kind != INTAKE_JOB_SUBMIT || intake_job_key_seen_before(jobs, i))
            return S_PREDICT_NOT_NOW;
    s_predict_t result = S_PREDICT_NOT_NOW;
    intake_set_job_t *set = calloc(n, sizeof *set);
    const intake_item_t **distinct = calloc(n, sizeof *distinct);
    size_t n_set = 0, n_distinct = 0;
    ow_error_t err;
    ow_error_clear(&err);
    if (!set || !distinct)
        goto done;
    for (size_t i = 0; i < n; i++) {
        intake_job_t *job = jobs[i];
        job->rc = -1;
        job->reply = NULL;
        job->reply_len = 0;
        ow_error_clear(&job->err);
        Onewindow__V1__SubmitApplication *req =
            intake_submit_decode(job->key, job->request, job->len, &job->err);
        if (!req)
            continue; /* refused before anything, as on the reading path */
        intake_set_job_t *sj = &set[n_set++];
        sj->job = job;
        sj->req = req;
        sj->channel = intake_submit_channel(req);
        sj->centre_id = intake_submit_centre(req, settings);
        sj->day = ow_clock_local_yyyymmdd(job->now_us);
        /* An item not known (or not well formed) is for the reading path to look up. */
        if (!ow_text_code(req->item_code, INTAKE_CODE_MAX) ||
            !intake_item_cache_peek(items, req->item_code))
            goto done;
        /* A refusal might be the repeat of a request accepted under an item since edited,
         * whose first answer the reading path would find: it reads. */
        ow_error_t check;
        ow_error_clear(&check);
        sj->item = intake_submit_check(db, items, req, sj->channel, sj->centre_id, &check);
        if (!sj->item)
            goto done;
        size_t d = 0;
        while (d < n_distinct && distinct[d] != sj->item)
            d++;
        if (d == n_distinct)
            distinct[n_distinct++] = sj->item;
    }
    if (n_set == 0) {
        result = S_PREDICT_DONE; /* every one refused before anything */
        goto done;
    }
    int days[INTAKE_BATCH_MAX];
    long counts[INTAKE_BATCH_MAX], lasts[INTAKE_BATCH_MAX];
    size_t n_days = intake_set_days(set, n_set, days, counts);
    for (size_t d = 0; d < n_days; d++) {
        long last = intake_batch_memory_last(memory, days[d]);
        if (last < 0)
            goto done; /* a day not taken from since the daemon started: read it */
        lasts[d] = last + counts[d];
    }
    /* From here the batch is sent: any failure is the transaction's. */
    result = S_PREDICT_REFUSED;
    intake_serials_t took = {.n = 0};
    if (ow_db_begin_deferred(db, NULL, &err) < 0 || ow_relay_lock_deferred(relay, &err) < 0 ||
        intake_case_number_take_expected(db, settings->county_code, days, counts, lasts, n_days,
                                         &err) < 0 ||
        intake_items_current_deferred(db, distinct, n_distinct, &err) < 0 ||
        intake_set_write(db, relay, settings, set, n_set, lasts, true, &took, &err) < 0)
        goto done;
    if (ow_db_commit(db, &err) < 0)
        goto done;
    ow_relay_after_commit(relay, true);
    intake_batch_memory_learn(memory, &took);
    intake_batch_memory_committed(memory);
    result = S_PREDICT_DONE;
done:
    /* The set jobs point at the memory's items: cleared before the memory may forget them. */
    for (size_t i = 0; set && i < n_set; i++)
        intake_set_job_clear(&set[i]);
    if (result == S_PREDICT_REFUSED) {
        /* Whatever it was — a wrong guess, a refused insert, the connection gone with COMMIT's
         * outcome unknown — the reading path settles it: it looks every key up first, so a
         * batch that did commit is answered with what it wrote. */
        ow_db_rollback(db);
        ow_relay_after_commit(relay, false);
        intake_batch_memory_refused(memory, &err);
    }
    if (result != S_PREDICT_DONE)
        /* The reading path answers every job afresh. */
        for (size_t i = 0; i < n; i++) {
            intake_job_drop_reply(jobs[i]);
            jobs[i]->rc = -1;
            ow_error_clear(&jobs[i]->err);
        }
    free(set);
    free(distinct);
    return result;
}

size_t intake_batch_run_predicted(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                  intake_batch_memory_t *memory, intake_job_t *const *jobs,
                                  size_t n)
{
    if (s_run_predicted(db, relay, settings, memory, jobs, n) == S_PREDICT_DONE) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            ok += jobs[i]->rc == 0;
        return ok;
    }
    return intake_batch_run_reading(db, relay, settings, memory, jobs, n);
}
