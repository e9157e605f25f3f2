#include "batch.h"
#include "batch_memory.h"
#include "batch_set.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "case_number.h"
#include "case_store.h"
#include "ow_clock.h"
#include "ow_db.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "ow_text.h"
#include "receive.h"
#include "submit.h"

/* How a job of the batch is answered. */
typedef enum {
    S_ROUTE_SLOW, /* per request at its own savepoint (s_run_job) */
    S_ROUTE_SET,  /* by the set-based statements, or already answered by them */
} s_route_t;

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

void intake_job_drop_reply(intake_job_t *job)
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
        intake_job_drop_reply(job);
        if (ow_db_run(db, "ROLLBACK TO SAVEPOINT intake_job", err) < 0)
            return -1;
        if (job->err.code != OW_ALREADY_EXISTS)
            return 0;
    }
    /* Not the applicant's doing: a number or key clashed twice. */
    job->err.code = OW_INTERNAL;
    return 0;
}

void intake_set_job_clear(intake_set_job_t *sj)
{
    if (sj->req)
        onewindow__v1__submit_application__free_unpacked(sj->req, NULL);
    intake_case_destroy(&sj->kase);
    free(sj->event);
    memset(sj, 0, sizeof *sj);
}

bool intake_job_key_seen_before(intake_job_t *const *jobs, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (jobs[j]->key && jobs[i]->key && strcmp(jobs[j]->key, jobs[i]->key) == 0)
            return true;
    return false;
}

/* batch_set.h */
size_t intake_set_days(const intake_set_job_t *set, size_t n, int *days, long *counts)
{
    size_t n_days = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = 0;
        while (d < n_days && days[d] != set[i].day)
            d++;
        if (d == n_days) {
            days[n_days] = set[i].day;
            counts[n_days++] = 0;
        }
        counts[d]++;
    }
    for (size_t a = 1; a < n_days; a++)
        for (size_t b = a; b > 0 && days[b - 1] > days[b]; b--) {
            int td = days[b];
            days[b] = days[b - 1];
            days[b - 1] = td;
            long tc = counts[b];
            counts[b] = counts[b - 1];
            counts[b - 1] = tc;
        }
    return n_days;
}

/* batch_set.h; with the relay and not ahead, the lock was taken with the batch's first
 * statements (s_run_once). */
int intake_set_write(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                     intake_set_job_t *set, size_t n, const long *taken, bool ahead,
                     intake_serials_t *took, ow_error_t *err)
{
    int rc = -1;
    int days[INTAKE_BATCH_MAX] = {0};
    long counts[INTAKE_BATCH_MAX] = {0}, lasts[INTAKE_BATCH_MAX] = {0},
         next[INTAKE_BATCH_MAX] = {0};
    intake_new_case_t cases[INTAKE_BATCH_MAX];
    ow_outbox_event_t events[INTAKE_BATCH_MAX];
    ow_idem_entry_t saves[INTAKE_BATCH_MAX];

    size_t n_days = intake_set_days(set, n, days, counts);
    if (taken)
        memcpy(lasts, taken, n_days * sizeof *lasts);
    else if (intake_case_number_take(db, settings->county_code, days, counts, n_days, lasts, err) <
             0)
        goto done;
    /* The day's serials are handed out in arrival order: gapless, since all of them commit or
     * none. */
    for (size_t d = 0; d < n_days; d++)
        next[d] = lasts[d] - counts[d] + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = 0;
        while (days[d] != set[i].day)
            d++;
        if (intake_case_number_format(settings->county_code, set[i].day, set[i].channel, next[d]++,
                                      set[i].case_no, sizeof set[i].case_no, err) < 0)
            goto done;
        intake_submit_new_case(set[i].req, set[i].item, set[i].channel, set[i].centre_id,
                               set[i].case_no, set[i].job->now_us, set[i].id_number,
                               sizeof set[i].id_number, &cases[i]);
    }
    if (intake_case_insert_many(db, cases, n, err) < 0)
        goto done;
    /* The replies and events from what was written, not read back (intake_case_written). */
    for (size_t i = 0; i < n; i++) {
        intake_job_t *job = set[i].job;
        if (!(set[i].kase = intake_case_written(&cases[i]))) {
            ow_error_set(err, OW_INTERNAL, "out of memory writing case %s", set[i].case_no);
            goto done;
        }
        if (intake_submit_outputs(set[i].kase, &set[i].event, &set[i].event_len, &job->reply,
                                  &job->reply_len, err) < 0)
            goto done;
        events[i] = (ow_outbox_event_t){.type = "case.accepted",
                                        .case_no = set[i].case_no,
                                        .centre_id = set[i].centre_id,
                                        .time_us = job->now_us,
                                        .payload = set[i].event,
                                        .len = set[i].event_len};
        saves[i] = (ow_idem_entry_t){.key = job->key,
                                     .request = job->request,
                                     .request_len = job->len,
                                     .reply = job->reply,
                                     .reply_len = job->reply_len};
    }
    /* The cases and the idempotency records are deferred (ow_db_defer): they travel with the
     * next statement that waits, and a failure of either (another instance on the same number
     * or key) fails it. Without the relay that is the events' insert, and the batch falls back
     * here. With it, the lock was taken ahead (s_run_once) and the events, already numbered
     * (each row written once), are deferred too: all of it travels with COMMIT, one round
     * trip, and a failure there runs the batch again request by request
     * (intake_batch_run_numbered). */
    if (ow_idem_defer_save_many(db, INTAKE_SUBMIT_METHOD, saves, n, err) < 0 ||
        (ahead   ? ow_relay_add_numbered_ahead(relay, events, n, err)
         : relay ? ow_relay_add_numbered(relay, events, n, err)
                 : ow_outbox_add_many(db, events, n, err)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        set[i].job->rc = 0;
    memcpy(took->days, days, n_days * sizeof *days);
    memcpy(took->lasts, lasts, n_days * sizeof *lasts);
    took->n = n_days;
    rc = 0;
done:
    if (rc != 0)
        for (size_t i = 0; i < n; i++)
            intake_job_drop_reply(set[i].job);
    return rc;
}

/* The set-based path (one statement per kind of row for the whole batch, not per request):
 * every intake.submit whose key is new to the batch is decoded and — after ONE idempotency
 * lookup for all of them — checked in C, and the valid ones are written together by
 * s_set_write. Jobs it answers (a repeat of a committed key, a refusal, a written case) get
 * route S_ROUTE_SET; everything else, and everything it could not write, is left to the
 * per-request savepoint path. A statement that fails (another instance saving the same key, a
 * constraint) rolls back to the savepoint intake_set and hands its jobs to that path, which
 * resolves races one request at a time. Returns 0, or -1 with err when the transaction is no
 * longer usable. */
static int s_run_set(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                     intake_item_cache_t *items, intake_job_t *const *jobs, size_t n,
                     s_route_t *route, intake_serials_t *took, ow_error_t *err)
{
    int rc = -1;
    intake_set_job_t *set = calloc(n ? n : 1, sizeof *set);
    ow_idem_entry_t *finds = calloc(n ? n : 1, sizeof *finds);
    size_t n_set = 0, n_valid = 0, n_days = 0;
    int days[INTAKE_BATCH_MAX];
    long counts[INTAKE_BATCH_MAX], lasts[INTAKE_BATCH_MAX];
    PGresult *taken = NULL;
    if (!set || !finds) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        intake_job_t *job = jobs[i];
        route[i] = S_ROUTE_SLOW;
        /* A key met earlier in the batch is resolved against the first at its savepoint
         * (same answer byte for byte, or FAILED_PRECONDITION): ow_idem sees this transaction. */
        if (job->kind != INTAKE_JOB_SUBMIT || intake_job_key_seen_before(jobs, i))
            continue;
        route[i] = S_ROUTE_SET;
        Onewindow__V1__SubmitApplication *req =
            intake_submit_decode(job->key, job->request, job->len, &job->err);
        if (!req)
            continue; /* refused before anything: rc -1 with err */
        set[n_set].job = job;
        set[n_set].req = req;
        set[n_set].channel = intake_submit_channel(req);
        set[n_set].centre_id = intake_submit_centre(req, settings);
        set[n_set].day = ow_clock_local_yyyymmdd(job->now_us);
        finds[n_set] =
            (ow_idem_entry_t){.key = job->key, .request = job->request, .request_len = job->len};
        n_set++;
    }
    if (n_set == 0) {
        rc = 0;
        goto done;
    }
    /* The savepoint intake_set was set with BEGIN (intake_batch_run_numbered). The items named
     * are asked for now, to come back with the idempotency lookup: BEGIN, the items and the
     * lookup in one round trip. A malformed code is reported by the check, not read. */
    for (size_t i = 0; i < n_set; i++)
        if (ow_text_code(set[i].req->item_code, INTAKE_CODE_MAX) &&
            intake_item_cache_prefetch(items, db, set[i].req->item_code, err) < 0)
            goto fallback;
    /* The serials too, one for every decoded submit — in the usual batch all of them are new
     * and valid. When some are not, the savepoint gives every serial back (below) before the
     * valid ones take theirs: the day's numbers stay gapless either way. */
    n_days = intake_set_days(set, n_set, days, counts);
    if (intake_case_number_take_deferred(db, settings->county_code, days, counts, n_days, &taken,
                                         err) < 0)
        goto fallback;
    /* A repeat returns the first answer before anything is re-checked (as in submit.c). */
    if (ow_idem_find_many(db, INTAKE_SUBMIT_METHOD, finds, n_set, err) < 0)
        goto fallback;
    for (size_t i = 0; i < n_set; i++) {
        intake_set_job_t *sj = &set[i];
        if (finds[i].found == 1) {
            sj->job->reply = finds[i].reply;
            sj->job->reply_len = finds[i].reply_len;
            finds[i].reply = NULL;
            sj->job->rc = 0;
            continue;
        }
        if (finds[i].found < 0) {
            sj->job->err = finds[i].err;
            continue;
        }
        ow_error_t check;
        ow_error_clear(&check);
        sj->item = intake_submit_check(db, items, sj->req, sj->channel, sj->centre_id, &check);
        if (!sj->item && check.code != OW_INVALID_ARGUMENT)
            goto fallback; /* the database, not the request: let the slow path see it */
        if (!sj->item) {
            sj->job->err = check;
            continue;
        }
        if (i != n_valid) {
            intake_set_job_t t = set[n_valid];
            set[n_valid] = *sj;
            *sj = t;
            ow_idem_entry_t f = finds[n_valid];
            finds[n_valid] = finds[i];
            finds[i] = f;
        }
        n_valid++;
    }
    if (n_valid == n_set) {
        /* Exactly the serials taken with the lookup, in arrival order (s_days of the same
         * jobs in the same order). */
        if (!taken ||
            intake_case_number_take_read(taken, settings->county_code, days, counts, n_days, lasts,
                                         err) < 0 ||
            intake_set_write(db, relay, settings, set, n_valid, lasts, false, took, err) < 0)
            goto fallback;
    } else {
        /* A repeat or a refusal among them: the serials taken for all go back with the
         * savepoint (nothing else was written since), and the valid ones take theirs. */
        if (ow_db_run(db, "ROLLBACK TO SAVEPOINT intake_set", err) < 0)
            goto done;
        if (n_valid > 0 &&
            intake_set_write(db, relay, settings, set, n_valid, NULL, false, took, err) < 0)
            goto fallback;
    }
    rc = 0;
    goto done;
fallback:
    /* Undo whatever the set-based statements did and let each submit run alone; whatever the
     * relay numbered is undone with them. */
    if (relay)
        ow_relay_after_commit(relay, false);
    if (err->code == OW_UNAVAILABLE || ow_db_run(db, "ROLLBACK TO SAVEPOINT intake_set", err) < 0)
        goto done;
    ow_error_clear(err);
    for (size_t i = 0; i < n; i++)
        if (route[i] == S_ROUTE_SET && jobs[i]->kind == INTAKE_JOB_SUBMIT) {
            intake_job_drop_reply(jobs[i]);
            jobs[i]->rc = -1;
            ow_error_clear(&jobs[i]->err);
            route[i] = S_ROUTE_SLOW;
        }
    rc = 0;
done:
    PQclear(taken);
    for (size_t i = 0; set && i < n_set; i++)
        intake_set_job_clear(&set[i]);
    for (size_t i = 0; finds && i < n_set; i++)
        free(finds[i].reply);
    free(set);
    free(finds);
    return rc;
}

size_t intake_batch_run(ow_db_t *db, const intake_settings_t *settings, intake_job_t *const *jobs,
                        size_t n)
{
    return intake_batch_run_numbered(db, NULL, settings, jobs, n);
}

/* One attempt at the batch's transaction. *again is set when it failed before COMMIT because
 * the connection was lost (nothing was written), so that starting again — which reconnects —
 * is safe. With memory, a committed batch leaves in it what it read. */
static size_t s_run_once(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                         intake_batch_memory_t *memory, intake_job_t *const *jobs, size_t n,
                         bool set_path, bool *again, bool *set_refused)
{
    intake_serials_t took = {.n = 0};
    ow_error_t err;
    ow_error_clear(&err);
    size_t ok = 0;
    intake_item_cache_t *items = NULL;
    s_route_t route[INTAKE_BATCH_MAX];
    bool ran[INTAKE_BATCH_MAX] = {false};
    bool slow = false, committing = false;
    bool set_wrote = false;
    *again = *set_refused = false;
    for (size_t i = 0; i < n; i++) {
        jobs[i]->rc = -1;
        jobs[i]->reply = NULL;
        jobs[i]->reply_len = 0;
        ow_error_clear(&jobs[i]->err);
        if (i < INTAKE_BATCH_MAX)
            route[i] = S_ROUTE_SLOW;
    }
    if (n > INTAKE_BATCH_MAX) {
        ow_error_set(&err, OW_INTERNAL, "batch of %zu requests exceeds %d", n, INTAKE_BATCH_MAX);
        goto fail;
    }
    if (!(items = intake_item_cache_new())) {
        ow_error_set(&err, OW_INTERNAL, "out of memory");
        goto fail;
    }
    /* The set path rolls back to intake_set when it cannot write: set with BEGIN, both
     * deferred to travel with the idempotency lookup (ow_db_begin_deferred). (Not with SET
     * LOCAL plan_cache_mode = force_generic_plan, tried to spare the outbox statement's
     * planning in every small batch: a generic plan made while a table is still empty — a
     * fresh cluster — scans it whole until the next ANALYZE, docs/intake.md.) */
    if (ow_db_begin_deferred(db, NULL, &err) < 0)
        goto fail;
    /* The relay's lock too, before the savepoint (a rollback to it would release the lock).
     * The case-number counter row, taken in the same round trip, already serialises batches
     * of submits from here to COMMIT, so holding the lock from here costs them nothing, and
     * their events then need no round trip of their own (they travel with COMMIT). */
    if ((relay && ow_relay_lock_ahead(relay, &err) < 0) ||
        ow_db_defer_text(db, "SAVEPOINT intake_set", NULL, &err) < 0)
        goto fail;
    int set_rc = set_path ? s_run_set(db, relay, settings, items, jobs, n, route, &took, &err) : 0;
    for (size_t i = 0; i < n; i++) {
        ran[i] = route[i] == S_ROUTE_SET;
        slow = slow || !ran[i];
        set_wrote = set_wrote || (ran[i] && jobs[i]->rc == 0);
    }
    if (set_rc < 0)
        goto fail;
    /* The rest in arrival order, each at its own savepoint, after the set-based writes (so a
     * repeated key finds the first's answer). */
    if (slow && ow_db_run(db, "SAVEPOINT intake_job", &err) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (ran[i])
            continue;
        if (s_run_job(db, settings, items, jobs[i], &err) < 0)
            goto fail;
        ran[i] = true;
    }
    for (size_t i = 0; i < n; i++)
        ok += jobs[i]->rc == 0;
    /* The set path's events went in numbered; what the per-request path added is numbered
     * here, before COMMIT. */
    if (relay && ok > 0 && slow && ow_relay_number_in_transaction(relay, &err) < 0)
        goto fail;
    committing = true;
    if (ow_db_commit(db, &err) < 0)
        goto fail;
    if (relay)
        ow_relay_after_commit(relay, true);
    if (memory) {
        /* A request alone at its savepoint took its serial one by one: the counter's end is
         * then not known here. */
        if (slow)
            intake_batch_memory_forget_serials(memory);
        else
            intake_batch_memory_learn(memory, &took);
        intake_batch_memory_merge_items(memory, items);
    }
    intake_item_cache_destroy(&items);
    return ok;
fail:
    *again = !committing && err.code == OW_UNAVAILABLE;
    /* With the relay, the set path's cases, keys and events are deferred to the next statement
     * that waits — COMMIT, in the usual batch: a race with another instance (the same number
     * or key) or a refused insert is that statement's failure, and nothing was written —
     * unless the connection went (UNAVAILABLE: COMMIT's outcome unknown). */
    *set_refused = set_wrote && err.code != OW_UNAVAILABLE;
    /* Nothing of this transaction survives: what had succeeded is undone, so its answer
     * (and a job never run) becomes the transaction's error; a job refused on its own keeps
     * its answer, which was true of it either way. */
    ow_db_rollback(db);
    if (relay)
        ow_relay_after_commit(relay, false);
    intake_item_cache_destroy(&items);
    for (size_t i = 0; i < n; i++) {
        intake_job_t *job = jobs[i];
        if (job->rc == 0 || i >= INTAKE_BATCH_MAX || !ran[i]) {
            intake_job_drop_reply(job);
            job->rc = -1;
            job->err = err;
        }
    }
    return 0;
}

/* batch_set.h */
size_t intake_batch_run_reading(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                intake_batch_memory_t *memory, intake_job_t *const *jobs, size_t n)
{
    /* A connection found dead at the batch's first statement (the server restarted while the
     * daemon was idle: libpq notices only on use) costs one more attempt, as ow_db_begin's
     * retry did before BEGIN travelled with that statement. */
    bool again = false, set_refused = false;
    size_t ok = s_run_once(db, relay, settings, memory, jobs, n, true, &again, &set_refused);
    if (again)
        ok = s_run_once(db, relay, settings, memory, jobs, n, true, &again, &set_refused);
    /* What the set path wrote was refused at COMMIT (nothing was written): every request again,
     * each alone at its savepoint, which settles races one request at a time. */
    if (set_refused)
        ok = s_run_once(db, relay, settings, memory, jobs, n, false, &again, &set_refused);
    return ok;
}

size_t intake_batch_run_numbered(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                 intake_job_t *const *jobs, size_t n)
{
    return intake_batch_run_reading(db, relay, settings, NULL, jobs, n);
}
