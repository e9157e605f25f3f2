/* batch_set — what the group commit's two paths share (batch.c reads first, batch_predicted.c
 * sends a batch whole): a submit of the set-based path while it is worked on, and the
 * set-based writes. Internal to the group commit. */
#ifndef INTAKE_BATCH_SET_H
#define INTAKE_BATCH_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "case_number.h"
#include "case_store.h"
#include "catalogue.h"
#include "ow_outbox.h"
#include "onewindow/v1/intake.pb-c.h"

#define INTAKE_SUBMIT_METHOD "intake.submit"

/* One intake.submit of the set-based path, while it is being worked on. */
typedef struct {
    intake_job_t *job;
    Onewindow__V1__SubmitApplication *req;
    const char *channel;
    const char *centre_id;
    const intake_item_t *item; /* owned by an item cache: the batch's, or the memory's */
    int day;                   /* local yyyymmdd of receipt: the case number's day */
    char case_no[INTAKE_CASE_NO_SIZE];
    char id_number[32];
    intake_case_t *kase;
    uint8_t *event;
    size_t event_len;
} intake_set_job_t;

/* The case counter's last serial of each day a batch numbered in: days[i] ends at lasts[i]. */
typedef struct {
    int days[INTAKE_BATCH_MAX];
    long lasts[INTAKE_BATCH_MAX];
    size_t n;
} intake_serials_t;

/* Frees a job's reply and forgets it. */
void intake_job_drop_reply(intake_job_t *job);

/* Frees what sj holds (the decoded request, the case, the event) and zeroes it. */
void intake_set_job_clear(intake_set_job_t *sj);

/* True when jobs[i]'s key was met earlier in jobs[0..i). */
bool intake_job_key_seen_before(intake_job_t *const *jobs, size_t i);

/* The distinct local days of set[0..n) into days, ascending — as every counter taker locks
 * them (case_number.h) — with how many of set fall on each into counts. Returns how many. */
size_t intake_set_days(const intake_set_job_t *set, size_t n, int *days, long *counts);

/* The writes of the set-based path for the valid new submits set[0..n): n serials per day in
 * one statement (or, with taken, the serials already taken for exactly these: lasts[0..n_days)
 * of intake_set_days — or, ahead, the ones the predicted path expects to take), every case
 * with its materials in one, every case.accepted in one, every idempotency record in one.
 * Ahead, the events are numbered after the relay's lock taken before, without its answer
 * (ow_relay_add_numbered_ahead). Returns 0 with every job's reply and the days' last serials
 * in *took, or -1 with err (the caller rolls back). */
int intake_set_write(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                     intake_set_job_t *set, size_t n, const long *taken, bool ahead,
                     intake_serials_t *took, ow_error_t *err);

/* The reading path: the batch reads what it needs (the counter, the items, the keys) in its
 * first round trip and writes with COMMIT in its second; with memory, what a committed batch
 * read is remembered. As intake_batch_run_numbered otherwise. */
size_t intake_batch_run_reading(ow_db_t *db, ow_relay_t *relay, const intake_settings_t *settings,
                                intake_batch_memory_t *memory, intake_job_t *const *jobs, size_t n);

#endif
