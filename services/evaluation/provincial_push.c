/* provincial_push — see provincial_push.h. */
#include "provincial_push.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "sql_arrays.h"

static const ow_db_statement_t s_statements[] = {
    {"evaluation_push_ratings",
     "SELECT r.rating_id, r.case_no, r.item_code, s.item_name, s.item_version, r.centre_id,"
     " r.level, r.department_code, s.department_name, coalesce(s.outcome, ''), r.channel,"
     " r.staff_id, r.window_id, r.grade, r.rated_at_us, r.is_default, r.anonymous"
     " FROM ratings r JOIN served_cases s ON s.case_no = r.case_no"
     " WHERE r.case_no = ANY ($1::text[]) AND NOT r.excluded ORDER BY r.case_no COLLATE \"C\""},
    /* The logged read (migration 0006): real-name ratings only. */
    {"evaluation_push_identities",
     "SELECT o_case_no, o_name, o_id_type, o_id_number FROM read_applicants($1::text[], $2)"
     " ORDER BY o_case_no COLLATE \"C\""},
};

int provincial_push_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

const char *provincial_push_applicant_type(const char *id_type)
{
    if (id_type && strcmp(id_type, "resident_id") == 0)
        return "natural_person";
    if (id_type && strcmp(id_type, "uscc") == 0)
        return "legal_person";
    return "";
}

struct provincial_pushes {
    PGresult *ratings;              /* provincial_push_build: the rows its messages borrow */
    Onewindow__V1__RatingPush *own; /* provincial_push_build: those messages */
    ow_outbox_event_t *events;
    uint8_t **payloads; /* one packed RatingPushBatch per event, owned */
    size_t n;
};

void provincial_pushes_destroy(provincial_pushes_t **pushes_p)
{
    provincial_pushes_t *p = pushes_p ? *pushes_p : NULL;
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->payloads[i]);
    free(p->payloads);
    free(p->events);
    free(p->own);
    PQclear(p->ratings);
    free(p);
    *pushes_p = NULL;
}

const ow_outbox_event_t *provincial_pushes_events(const provincial_pushes_t *pushes, size_t *n)
{
    *n = pushes ? pushes->n : 0;
    return pushes ? pushes->events : NULL;
}

/* The row of ids (sorted by case number in byte order) for case_no, or -1. */
static int s_identity_row(const PGresult *ids, const char *case_no)
{
    int lo = 0, hi = PQntuples(ids);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(PQgetvalue(ids, mid, 0), case_no);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Bytes one push adds to a packed RatingPushBatch: field 1's tag, the length varint, the push. */
static size_t s_batch_share(const Onewindow__V1__RatingPush *msg)
{
    size_t len = onewindow__v1__rating_push__get_packed_size(msg), varint = 1;
    for (size_t v = len; v >= 0x80; v >>= 7)
        varint++;
    return 1 + varint + len;
}

/* Packs msgs[0..count) (their pointers in ptrs) as the next event of p. */
static int s_add_event(provincial_pushes_t *p, Onewindow__V1__RatingPush **ptrs, size_t count,
                       int64_t now_us, ow_error_t *err)
{
    Onewindow__V1__RatingPushBatch batch = ONEWINDOW__V1__RATING_PUSH_BATCH__INIT;
    batch.n_pushes = count;
    batch.pushes = ptrs;
    size_t len = onewindow__v1__rating_push_batch__get_packed_size(&batch);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing %zu pushes", count);
        return -1;
    }
    onewindow__v1__rating_push_batch__pack(&batch, buf);
    /* Consumers that file events by case (none needs it of this one) see the case of a push
     * alone; a batch names none. */
    bool one = count == 1;
    p->payloads[p->n] = buf;
    p->events[p->n++] = (ow_outbox_event_t){.type = PROVINCIAL_PUSH_EVENT,
                                            .case_no = one ? ptrs[0]->case_no : "",
                                            .centre_id = one ? ptrs[0]->area_code : "",
                                            .time_us = now_us,
                                            .payload = buf,
                                            .len = len};
    return 0;
}

int provincial_push_build_from(ow_db_t *db, Onewindow__V1__RatingPush *msgs, size_t n,
                               int64_t now_us, provincial_pushes_t **out, ow_error_t *err)
{
    int rc = -1;
    PGresult *ids = NULL;
    sql_array_t named = {0};
    Onewindow__V1__RatingPush **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    provincial_pushes_t *p = calloc(1, sizeof *p);
    *out = NULL;
    /* At most one event per push, however the batch splits. */
    if (p) {
        p->events = calloc(n ? n : 1, sizeof *p->events);
        p->payloads = calloc(n ? n : 1, sizeof *p->payloads);
    }
    if (!ptrs || !p || !p->events || !p->payloads) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu pushes", n);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].anonymous)
            sql_array_add_text(&named, msgs[i].case_no);
    if (named.count > 0) {
        const char *read[] = {sql_array_text(&named), PROVINCIAL_PUSH_PURPOSE};
        if (!read[0]) {
            ow_error_set(err, OW_INTERNAL, "out of memory listing %zu cases", n);
            goto cleanup;
        }
        if (!(ids = ow_db_exec(db, "evaluation_push_identities", 2, read, err)))
            goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        Onewindow__V1__RatingPush *msg = &msgs[i];
        int j = ids && !msg->anonymous ? s_identity_row(ids, msg->case_no) : -1;
        if (j >= 0) {
            msg->applicant_name = PQgetvalue(ids, j, 1);
            msg->applicant_id_type = PQgetvalue(ids, j, 2);
            msg->applicant_id_number = PQgetvalue(ids, j, 3);
            msg->applicant_type = (char *)provincial_push_applicant_type(msg->applicant_id_type);
        }
        ptrs[i] = msg;
    }
    /* Greedy: as many pushes per event as fit the payload limit (in practice all of them). */
    size_t first = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t share = s_batch_share(&msgs[i]);
        if (i > first && bytes + share > PROVINCIAL_PUSH_EVENT_MAX) {
            if (s_add_event(p, ptrs + first, i - first, now_us, err) != 0)
                goto cleanup;
            first = i;
            bytes = 0;
        }
        bytes += share;
    }
    if (n > first && s_add_event(p, ptrs + first, n - first, now_us, err) != 0)
        goto cleanup;
    *out = p;
    p = NULL;
    rc = 0;
cleanup:
    /* The identities live in ids, freed below: no message may keep pointing at them. */
    for (size_t i = 0; i < n; i++) {
        msgs[i].applicant_name = msgs[i].applicant_id_type = (char *)"";
        msgs[i].applicant_id_number = msgs[i].applicant_type = (char *)"";
    }
    provincial_pushes_destroy(&p);
    free(ptrs);
    PQclear(ids);
    sql_array_clear(&named);
    return rc;
}

int provincial_push_build(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          provincial_pushes_t **out, ow_error_t *err)
{
    const char *params[] = {case_nos_literal};
    PGresult *ratings = ow_db_exec(db, "evaluation_push_ratings", 1, params, err);
    *out = NULL;
    if (!ratings)
        return -1;
    int n = PQntuples(ratings);
    Onewindow__V1__RatingPush *msgs = calloc(n ? (size_t)n : 1, sizeof *msgs);
    if (!msgs) {
        PQclear(ratings);
        ow_error_set(err, OW_INTERNAL, "out of memory for %d pushes", n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        Onewindow__V1__RatingPush *msg = &msgs[i];
        onewindow__v1__rating_push__init(msg);
        msg->rating_id = PQgetvalue(ratings, i, 0);
        msg->case_no = PQgetvalue(ratings, i, 1);
        msg->item_code = PQgetvalue(ratings, i, 2);
        msg->item_name = PQgetvalue(ratings, i, 3);
        msg->item_version = (int32_t)strtol(PQgetvalue(ratings, i, 4), NULL, 10);
        msg->area_code = PQgetvalue(ratings, i, 5);
        msg->level = PQgetvalue(ratings, i, 6);
        msg->department_code = PQgetvalue(ratings, i, 7);
        msg->department_name = PQgetvalue(ratings, i, 8);
        msg->case_status = PQgetvalue(ratings, i, 9);
        msg->channel = PQgetvalue(ratings, i, 10);
        msg->staff_id = PQgetvalue(ratings, i, 11);
        msg->window_id = PQgetvalue(ratings, i, 12);
        msg->grade = (int32_t)strtol(PQgetvalue(ratings, i, 13), NULL, 10);
        msg->rated_at_us = strtoll(PQgetvalue(ratings, i, 14), NULL, 10);
        msg->is_default = PQgetvalue(ratings, i, 15)[0] == 't';
        msg->anonymous = PQgetvalue(ratings, i, 16)[0] == 't';
    }
    if (provincial_push_build_from(db, msgs, (size_t)n, now_us, out, err) != 0) {
        free(msgs);
        PQclear(ratings);
        return -1;
    }
    (*out)->ratings = ratings; /* the events borrow the rows' case numbers and area codes */
    (*out)->own = msgs;
    return 0;
}

int provincial_push_queue(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                          ow_error_t *err)
{
    provincial_pushes_t *pushes = NULL;
    if (provincial_push_build(db, case_nos_literal, now_us, &pushes, err) != 0)
        return -1;
    size_t n = 0;
    const ow_outbox_event_t *events = provincial_pushes_events(pushes, &n);
    int rc = n > 0 ? ow_outbox_add_many(db, events, n, err) : 0;
    provincial_pushes_destroy(&pushes);
    return rc;
}
