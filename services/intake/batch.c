#include "batch.h"

#include <stdlib.h>
#include "ow_db.h"
#include "receive.h"
#include "submit.h"

static int s_apply(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                   intake_job_t *job)
{
    switch (job->kind) {
    case INTAKE_JOB_SUBMIT:
        return intake_submit_apply(db, settings, items, job->key, job->request, job->len,
                                   job->now_us, &job->reply, &job->reply_len, &job->err);
    case INTAKE_JOB_RECEIVE:
        return intake_receive_apply(db, settings, items, job->key, job->request, job->len,
                                    job->now_us, job->promised_due_us, &job->reply, &job->reply_len,
                                    &job->err);
    }
    ow_error_set(&job->err, OW_INTERNAL, "unknown batch job kind %d", (int)job->kind);
    return -1;
}

static void s_drop_reply(intake_job_t *job)
{
    free(job->reply);
    job->reply = NULL;
    job->reply_len = 0;
}

/* One job at the savepoint "intake_job", which is established when this is called (a
 * ROLLBACK TO keeps a savepoint; RELEASE ends it, so success establishes the next one in the
 * same round trip). Returns 0 when the transaction is still usable (the job succeeded or was
 * rolled back to the savepoint), -1 with err when it is not. */
static int s_run_job(ow_db_t *db, const intake_settings_t *settings, intake_item_cache_t *items,
                     intake_job_t *job, ow_error_t *err)
{
    /* A unique violation is another instance racing on the same key or number: the second
     * attempt, after the other committed, finds its answer or the next serial. */
    for (int attempt = 0; attempt < 2; attempt++) {
        ow_error_clear(&job->err);
        job->rc = s_apply(db, settings, items, job);
        if (job->rc == 0)
            return ow_db_run(db, "RELEASE SAVEPOINT intake_job; SAVEPOINT intake_job", err);
        s_drop_reply(job);
        if (ow_db_run(db, "ROLLBACK TO SAVEPOINT intake_job", err) < 0)
            return -1;
        if (job->err.code != OW_ALREADY_EXISTS)
            return 0;
    }
    /* Not the applicant's doing: a number or key clashed twice. */
    job->err.code = OW_INTERNAL;
    return 0;
}

size_t intake_batch_run(ow_db_t *db, const intake_settings_t *settings, intake_job_t *const *jobs,
                        size_t n)
{
    ow_error_t err;
    ow_error_clear(&err);
    size_t ran = 0;
    size_t ok = 0;
    intake_item_cache_t *items = NULL;
    for (size_t i = 0; i < n; i++) {
        jobs[i]->rc = -1;
        jobs[i]->reply = NULL;
        jobs[i]->reply_len = 0;
        ow_error_clear(&jobs[i]->err);
    }
    if (n > INTAKE_BATCH_MAX) {
        ow_error_set(&err, OW_INTERNAL, "batch of %zu requests exceeds %d", n, INTAKE_BATCH_MAX);
        goto fail;
    }
    if (!(items = intake_item_cache_new())) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    if (ow_db_begin(db, &err) < 0 || ow_db_run(db, "SAVEPOINT intake_job", &err) < 0)
        goto fail;
    for (; ran < n; ran++)
        if (s_run_job(db, settings, items, jobs[ran], &err) < 0)
            goto fail;
    if (ow_db_commit(db, &err) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        ok += jobs[i]->rc == 0;
    intake_item_cache_destroy(&items);
    return ok;
fail:
    /* Nothing of this transaction survives: what had succeeded is undone, so its answer
     * (and a job never run) becomes the transaction's error; a job refused on its own keeps
     * its answer, which was true of it either way. */
    ow_db_rollback(db);
    intake_item_cache_destroy(&items);
    for (size_t i = 0; i < n; i++) {
        intake_job_t *job = jobs[i];
        if (job->rc == 0 || i >= ran) {
            s_drop_reply(job);
            job->rc = -1;
            job->err = err;
        }
    }
    return 0;
}
