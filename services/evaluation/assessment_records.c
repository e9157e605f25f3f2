/* assessment_records — see assessment_records.h. */
#include "assessment_records.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onewindow/v1/evaluation.pb-c.h"
#include "ow_clock.h"
#include "ow_idem.h"
#include "ow_outbox.h"
#include "ow_text.h"
#include "rectification_store.h"

#define S_METHOD_RECORD "evaluation.record_assessment"
#define S_KEY_MAX       200
#define S_STAFF_MAX     10000 /* staff in one month's table */
#define S_NOTE_CHARS    1000
#define S_AUTO_RULE     "unsatisfied_rating"

static const ow_db_statement_t s_statements[] = {
    /* §7 "each 不满意 rating −2": a rating the rater made (not a default) of grade 1–2 that
     * names the staff member, in the China-time month it was made. */
    {"evaluation_assess_from_ratings",
     "INSERT INTO assessment_records (staff_id, month, rule_code, quantity, source, rating_id,"
     " entered_at_us) SELECT staff_id, date_trunc('month', (to_timestamp(rated_at_us /"
     " 1000000.0) AT TIME ZONE 'Asia/Shanghai'))::date, '" S_AUTO_RULE "', 1, 'rating',"
     " rating_id, $2::bigint FROM ratings WHERE case_no = ANY ($1::text[]) AND grade <= 2"
     " AND NOT is_default AND NOT excluded AND staff_id <> '' ORDER BY rating_id"
     " ON CONFLICT (rating_id) DO NOTHING"},
    {"evaluation_assess_withdraw",
     "UPDATE assessment_records SET withdrawn = true WHERE rating_id = $1::uuid"},
    {"evaluation_assess_insert",
     "INSERT INTO assessment_records (staff_id, month, rule_code, quantity, source, note,"
     " entered_by, entered_at_us) VALUES ($1, $2::date, $3, $4::int, 'supervisor', $5, $6,"
     " $7::bigint) RETURNING record_id"},
    /* Everyone rated that month (the staff roll-up, not raw ratings) or with a record. */
    {"evaluation_assess_staff",
     "SELECT u.s FROM (SELECT key FROM rollups WHERE dimension = 'staff' AND period = 'month'"
     " AND period_start = $1::date UNION SELECT staff_id FROM assessment_records"
     " WHERE month = $1::date AND NOT withdrawn) u(s) ORDER BY u.s COLLATE \"C\" LIMIT 10001"},
    {"evaluation_assess_sums",
     "SELECT staff_id, rule_code, sum(quantity), sum(quantity) FILTER (WHERE source ="
     " 'rating'), count(*) FROM assessment_records WHERE month = $1::date AND NOT withdrawn"
     " GROUP BY 1, 2 ORDER BY staff_id COLLATE \"C\", rule_code"},
};

static assessment_rules_t s_rules;
static bool s_rules_set;

void assessment_records_set_rules(const assessment_rules_t *rules)
{
    s_rules = *rules;
    s_rules_set = true;
}

static const assessment_rules_t *s_current(void)
{
    if (!s_rules_set) {
        s_rules = assessment_rules_defaults();
        s_rules_set = true;
    }
    return &s_rules;
}

int assessment_records_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

static int s_exec(ow_db_t *db, const char *name, int n, const char *const *params, ow_error_t *err)
{
    PGresult *res = ow_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int assessment_records_from_ratings(ow_db_t *db, const char *case_nos_literal, int64_t now_us,
                                    ow_error_t *err)
{
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {case_nos_literal, now};
    return s_exec(db, "evaluation_assess_from_ratings", 2, params, err);
}

int assessment_records_withdraw_rating(ow_db_t *db, const char *rating_id, ow_error_t *err)
{
    const char *params[] = {rating_id};
    return s_exec(db, "evaluation_assess_withdraw", 1, params, err);
}

int assessment_records_month_start(const char *month, char out[11])
{
    if (!month || strlen(month) != 7 || month[4] != '-')
        return -1;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (month[i] < '0' || month[i] > '9'))
            return -1;
    int y = atoi(month), m = atoi(month + 5);
    if (y < 2000 || y > 2099 || m < 1 || m > 12)
        return -1;
    snprintf(out, 11, "%04d-%02d-01", y, m);
    return 0;
}

/* Packs body (a protobuf message) into a Reply (caller frees). Returns 0 or -1 with err. */
static int s_reply(const ProtobufCMessage *body, uint8_t **reply, size_t *reply_len,
                   ow_error_t *err)
{
    size_t len = protobuf_c_message_get_packed_size(body);
    uint8_t *buf = malloc(len ? len : 1);
    int rc = -1;
    if (buf) {
        protobuf_c_message_pack(body, buf);
        rc = ow_rpc_pack_reply(NULL, buf, len, reply, reply_len);
    }
    free(buf);
    if (rc != 0)
        ow_error_set(err, OW_INTERNAL, "out of memory packing the reply");
    return rc;
}

int assessment_records_record(ow_db_t *db, const char *idempotency_key, const char *caller,
                              const uint8_t *payload, size_t len, int64_t now_us, uint8_t **reply,
                              size_t *reply_len, int *fresh, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    uint8_t *event = NULL;
    *fresh = 0;
    Onewindow__V1__RecordAssessment *req =
        onewindow__v1__record_assessment__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     S_METHOD_RECORD ": payload is not a RecordAssessment");
        goto cleanup;
    }
    if (!idempotency_key || !*idempotency_key || strlen(idempotency_key) > S_KEY_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     S_METHOD_RECORD " needs an idempotency key of 1..%d bytes", S_KEY_MAX);
        goto cleanup;
    }
    if (ow_db_begin(db, err) != 0)
        goto cleanup;
    int found =
        ow_idem_find(db, idempotency_key, S_METHOD_RECORD, payload, len, reply, reply_len, err);
    if (found != 0) {
        ow_db_rollback(db);
        rc = found > 0 ? 0 : -1;
        goto cleanup;
    }
    rect_role_t role;
    char dept[65];
    if (rectification_role_of(db, caller, &role, dept, sizeof dept, err) != 0)
        goto cleanup;
    /* §7: supervisors' inspection records; PERMISSION_DENIED before anything is looked at. */
    if (role != RECT_ROLE_SUPERVISOR) {
        ow_error_set(err, OW_PERMISSION_DENIED,
                     "only a supervisor enters assessment records (%s is not one)",
                     caller && *caller ? caller : "an anonymous caller");
        goto cleanup;
    }
    char month[11];
    const assessment_rule_t *rule = assessment_rule_find(s_current(), req->rule_code);
    int quantity = req->quantity == 0 ? 1 : req->quantity;
    if (!ow_text_code(req->staff_id, 64))
        ow_error_add_violation(err, "staff_id", "must be 1..64 of [A-Za-z0-9._-]");
    if (assessment_records_month_start(req->month, month) != 0)
        ow_error_add_violation(err, "month", "must be YYYY-MM (2000-01..2099-12)");
    if (!rule)
        ow_error_add_violation(err, "rule_code",
                               "is not a deduction or bonus of the assessment (assessment.c)");
    else if (strcmp(rule->code, S_AUTO_RULE) == 0)
        ow_error_add_violation(err, "rule_code",
                               S_AUTO_RULE " is recorded from the ratings themselves");
    if (quantity < 1 || quantity > 1000)
        ow_error_add_violation(err, "quantity", "%d is not 1..1000", (int)req->quantity);
    if (!ow_text_valid_lines(req->note, S_NOTE_CHARS * 4) ||
        ow_text_utf8_chars(req->note) > S_NOTE_CHARS)
        ow_error_add_violation(err, "note", "must be text of at most %d characters", S_NOTE_CHARS);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;
    char qty[16], now[24];
    snprintf(qty, sizeof qty, "%d", quantity);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {req->staff_id, month, rule->code, qty, req->note, caller, now};
    if (!(res = ow_db_exec(db, "evaluation_assess_insert", 7, params, err)))
        goto cleanup;
    Onewindow__V1__AssessmentRecord r = ONEWINDOW__V1__ASSESSMENT_RECORD__INIT;
    r.record_id = PQgetvalue(res, 0, 0);
    r.staff_id = req->staff_id;
    r.month = req->month;
    r.rule_code = (char *)rule->code; /* protobuf-c only reads it while packing */
    r.quantity = quantity;
    r.source = "supervisor";
    r.note = req->note;
    r.entered_by = (char *)caller;
    r.entered_at_us = now_us;
    r.points = (rule->group == ASSESSMENT_BONUS ? 1 : -1) * rule->points * quantity;
    size_t elen = onewindow__v1__assessment_record__get_packed_size(&r);
    event = malloc(elen ? elen : 1);
    if (!event) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing the record");
        goto cleanup;
    }
    onewindow__v1__assessment_record__pack(&r, event);
    Onewindow__V1__AssessmentRecord *rp = &r;
    if (ow_outbox_add(db, "assessment.recorded", "", "", now_us, event, elen, err) != 0 ||
        s_reply(&rp->base, reply, reply_len, err) != 0)
        goto cleanup;
    if (ow_idem_save(db, idempotency_key, S_METHOD_RECORD, payload, len, *reply, *reply_len, err) !=
            0 ||
        ow_db_commit(db, err) != 0)
        goto cleanup;
    *fresh = 1;
    rc = 0;
cleanup:
    if (rc != 0) {
        if (ow_db_in_transaction(db))
            ow_db_rollback(db);
        free(*reply);
        *reply = NULL;
    }
    free(event);
    PQclear(res);
    if (req)
        onewindow__v1__record_assessment__free_unpacked(req, NULL);
    return rc;
}

/* One staff member's records, as entries for assessment_score_month. */
typedef struct {
    assessment_entry_t *entries;
    size_t count, cap;
    int unsatisfied;
    int records;
} s_staff_t;

static int s_add_entry(s_staff_t *s, const char *code, long quantity)
{
    /* assessment_score_month takes 1..1000 per entry: a larger sum becomes several. */
    while (quantity > 0) {
        if (s->count == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            assessment_entry_t *e = realloc(s->entries, cap * sizeof *e);
            if (!e)
                return -1;
            s->entries = e;
            s->cap = cap;
        }
        int q = quantity > 1000 ? 1000 : (int)quantity;
        s->entries[s->count++] = (assessment_entry_t){.code = code, .quantity = q};
        quantity -= q;
    }
    return 0;
}

/* One month's table: every staff member rated that month or with a record, scored and graded
 * (rows in rank order). Strings borrow `staff`. */
typedef struct {
    size_t n;
    PGresult *staff, *sums;
    s_staff_t *per;               /* staff order */
    assessment_score_t *scores;   /* staff order */
    assessment_month_row_t *rows; /* rank order after grading */
} s_month_t;

static void s_month_free(s_month_t *m)
{
    for (size_t i = 0; m->per && i < m->n; i++)
        free(m->per[i].entries);
    free(m->per);
    free(m->scores);
    free(m->rows);
    PQclear(m->staff);
    PQclear(m->sums);
    memset(m, 0, sizeof *m);
}

/* The staff index (staff order) of a graded row: its id is borrowed from `staff`. */
static size_t s_month_index(const s_month_t *m, const assessment_month_row_t *row)
{
    size_t i = 0;
    while (i < m->n && PQgetvalue(m->staff, (int)i, 0) != row->staff_id)
        i++;
    return i;
}

/* Loads, scores and grades the month starting on month_start (YYYY-MM-01); label names it in
 * errors. Returns 0, or -1 with err (*m freed). */
static int s_month_load(ow_db_t *db, const char *month_start, const char *label, s_month_t *m,
                        ow_error_t *err)
{
    memset(m, 0, sizeof *m);
    const char *params[] = {month_start};
    if (!(m->staff = ow_db_exec(db, "evaluation_assess_staff", 1, params, err)) ||
        !(m->sums = ow_db_exec(db, "evaluation_assess_sums", 1, params, err)))
        goto fail;
    m->n = (size_t)PQntuples(m->staff);
    if (m->n > S_STAFF_MAX) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "more than %d staff in %s: too many for one table", S_STAFF_MAX, label);
        goto fail;
    }
    size_t n = m->n ? m->n : 1;
    m->per = calloc(n, sizeof *m->per);
    m->scores = calloc(n, sizeof *m->scores);
    m->rows = calloc(n, sizeof *m->rows);
    if (!m->per || !m->scores || !m->rows) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu staff", m->n);
        goto fail;
    }
    /* Both results are in staff order (COLLATE "C", as strcmp): walk them together. */
    int j = 0, count = PQntuples(m->sums);
    const assessment_rules_t *rules = s_current();
    for (size_t i = 0; i < m->n; i++) {
        const char *id = PQgetvalue(m->staff, (int)i, 0);
        while (j < count && strcmp(PQgetvalue(m->sums, j, 0), id) < 0)
            j++;
        for (; j < count && strcmp(PQgetvalue(m->sums, j, 0), id) == 0; j++) {
            if (s_add_entry(&m->per[i], PQgetvalue(m->sums, j, 1),
                            strtol(PQgetvalue(m->sums, j, 2), NULL, 10)) != 0) {
                ow_error_set(err, OW_INTERNAL, "out of memory scoring %s", id);
                goto fail;
            }
            m->per[i].unsatisfied += (int)strtol(PQgetvalue(m->sums, j, 3), NULL, 10);
            m->per[i].records += (int)strtol(PQgetvalue(m->sums, j, 4), NULL, 10);
        }
        ow_error_t one;
        ow_error_clear(&one);
        if (assessment_score_month(rules, m->per[i].entries, m->per[i].count, &m->scores[i],
                                   &one) != 0) {
            ow_error_set(err, OW_INTERNAL, "the records of %s in %s do not score: %s", id, label,
                         one.message);
            goto fail;
        }
        m->rows[i] = (assessment_month_row_t){
            .staff_id = id, .score = m->scores[i].score, .deducted = m->scores[i].deducted};
    }
    /* §7: grade, the 30 % cap on 好 (ties: score, fewer points deducted, staff id), bonus. */
    assessment_grade_month(rules, m->rows, m->n);
    return 0;
fail:
    s_month_free(m);
    return -1;
}

int assessment_records_month(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **reply,
                             size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    s_month_t m = {0};
    Onewindow__V1__AssessmentMonthRow *out = NULL, **outp = NULL;
    int32_t *groups = NULL;
    Onewindow__V1__AssessmentMonth *req =
        onewindow__v1__assessment_month__unpack(NULL, len, payload);
    char month[11];
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "evaluation.assessment_month: payload is not an AssessmentMonth");
        goto cleanup;
    }
    if (assessment_records_month_start(req->month, month) != 0) {
        ow_error_add_violation(err, "month", "must be YYYY-MM (2000-01..2099-12)");
        ow_error_finish_violations(err);
        goto cleanup;
    }
    if (s_month_load(db, month, req->month, &m, err) != 0)
        goto cleanup;
    size_t n = m.n;
    out = calloc(n ? n : 1, sizeof *out);
    outp = calloc(n ? n : 1, sizeof *outp);
    groups = calloc((n ? n : 1) * ASSESSMENT_GROUP_COUNT, sizeof *groups);
    if (!out || !outp || !groups) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu staff", n);
        goto cleanup;
    }
    for (size_t r = 0; r < n; r++) {
        size_t i = s_month_index(&m, &m.rows[r]);
        const assessment_score_t *score = &m.scores[i];
        onewindow__v1__assessment_month_row__init(&out[r]);
        out[r].staff_id = (char *)m.rows[r].staff_id;
        out[r].deducted = score->deducted;
        out[r].bonus = score->bonus;
        out[r].unsatisfied_ratings = m.per[i].unsatisfied;
        out[r].records = m.per[i].records;
        out[r].group_scores = &groups[r * ASSESSMENT_GROUP_COUNT];
        out[r].n_group_scores = ASSESSMENT_GROUP_COUNT;
        memcpy(out[r].group_scores, score->group_score, sizeof score->group_score);
        out[r].rank = m.rows[r].rank;
        out[r].score = m.rows[r].score;
        out[r].grade = (char *)assessment_month_grade_name(m.rows[r].grade);
        out[r].bonus_fen = m.rows[r].bonus_fen;
        outp[r] = &out[r];
    }
    Onewindow__V1__AssessmentMonthReply body = ONEWINDOW__V1__ASSESSMENT_MONTH_REPLY__INIT;
    body.month = req->month;
    body.rows = outp;
    body.n_rows = n;
    body.good_cap = (int32_t)(n * (size_t)s_current()->good_share_percent / 100);
    if (s_reply(&body.base, reply, reply_len, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    s_month_free(&m);
    free(out);
    free(outp);
    free(groups);
    if (req)
        onewindow__v1__assessment_month__free_unpacked(req, NULL);
    return rc;
}

/* One staff member's months, while the year is gathered. */
typedef struct {
    char staff_id[ASSESSMENT_STAFF_MAX + 1];
    int month;
    month_grade_t grade;
    int score;
} s_year_entry_t;

static int s_year_entry_cmp(const void *a, const void *b)
{
    const s_year_entry_t *x = a, *y = b;
    int c = strcmp(x->staff_id, y->staff_id);
    return c ? c : (x->month > y->month) - (x->month < y->month);
}

int assessment_records_year(ow_db_t *db, const uint8_t *payload, size_t len, uint8_t **reply,
                            size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    s_year_entry_t *entries = NULL;
    size_t count = 0, cap = 0, n = 0;
    assessment_year_row_t *rows = NULL;
    Onewindow__V1__AssessmentYearRow *out = NULL, **outp = NULL;
    char **months = NULL;
    Onewindow__V1__AssessmentYear *req = onewindow__v1__assessment_year__unpack(NULL, len, payload);
    if (!req) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "evaluation.assessment_year: payload is not an AssessmentYear");
        goto cleanup;
    }
    char probe[16], start[11];
    snprintf(probe, sizeof probe, "%.4s-01", req->year);
    if (strlen(req->year) != 4 || assessment_records_month_start(probe, start) != 0) {
        ow_error_add_violation(err, "year", "must be YYYY (2000..2099)");
        ow_error_finish_violations(err);
        goto cleanup;
    }
    /* §7: the annual grade is made from the months, each graded as its own table (with that
     * month's 30 % cap on 好). */
    for (int mo = 1; mo <= 12; mo++) {
        char label[8];
        snprintf(label, sizeof label, "%.4s-%02d", req->year, mo);
        assessment_records_month_start(label, start);
        s_month_t m;
        if (s_month_load(db, start, label, &m, err) != 0)
            goto cleanup;
        if (count + m.n > cap) {
            size_t want = (count + m.n) * 2;
            s_year_entry_t *grown = realloc(entries, (want ? want : 1) * sizeof *grown);
            if (!grown) {
                s_month_free(&m);
                ow_error_set(err, OW_INTERNAL, "out of memory gathering %s", req->year);
                goto cleanup;
            }
            entries = grown, cap = want;
        }
        for (size_t r = 0; r < m.n; r++) {
            s_year_entry_t *e = &entries[count++];
            snprintf(e->staff_id, sizeof e->staff_id, "%s", m.rows[r].staff_id);
            e->month = mo - 1;
            e->grade = m.rows[r].grade;
            e->score = m.rows[r].score;
        }
        s_month_free(&m);
    }
    if (count > 0)
        qsort(entries, count, sizeof *entries, s_year_entry_cmp);
    rows = calloc(count ? count : 1, sizeof *rows);
    if (!rows) {
        ow_error_set(err, OW_INTERNAL, "out of memory for the year %s", req->year);
        goto cleanup;
    }
    for (size_t k = 0; k < count; k++) {
        if (n == 0 || strcmp(rows[n - 1].staff_id, entries[k].staff_id) != 0)
            rows[n++].staff_id = entries[k].staff_id; /* borrowed from entries */
        rows[n - 1].months[entries[k].month] = entries[k].grade;
        rows[n - 1].total_score += entries[k].score;
    }
    if (n > S_STAFF_MAX) {
        ow_error_set(err, OW_FAILED_PRECONDITION,
                     "more than %d staff in %s: too many for one table", S_STAFF_MAX, req->year);
        goto cleanup;
    }
    const assessment_rules_t *rules = s_current();
    assessment_grade_year(rules, rows, n);
    out = calloc(n ? n : 1, sizeof *out);
    outp = calloc(n ? n : 1, sizeof *outp);
    months = calloc((n ? n : 1) * 12, sizeof *months);
    if (!out || !outp || !months) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu staff", n);
        goto cleanup;
    }
    for (size_t r = 0; r < n; r++) {
        onewindow__v1__assessment_year_row__init(&out[r]);
        out[r].staff_id = (char *)rows[r].staff_id;
        out[r].rank = rows[r].rank;
        out[r].grade = (char *)assessment_year_grade_name(rows[r].grade);
        for (int mo = 0; mo < 12; mo++)
            months[r * 12 + (size_t)mo] = (char *)assessment_month_grade_name(rows[r].months[mo]);
        out[r].months = &months[r * 12];
        out[r].n_months = 12;
        out[r].good_months = assessment_year_count(&rows[r], MONTH_GOOD);
        out[r].fair_months = assessment_year_count(&rows[r], MONTH_FAIR);
        out[r].poor_months = assessment_year_count(&rows[r], MONTH_POOR);
        out[r].longest_poor_run = assessment_year_longest_poor_run(&rows[r]);
        out[r].full_year = assessment_year_count(&rows[r], MONTH_NONE) == 0;
        out[r].total_score = rows[r].total_score;
        outp[r] = &out[r];
    }
    Onewindow__V1__AssessmentYearReply body = ONEWINDOW__V1__ASSESSMENT_YEAR_REPLY__INIT;
    body.year = req->year;
    body.rows = outp;
    body.n_rows = n;
    body.excellent_cap = (int32_t)assessment_year_excellent_cap(rules, n);
    if (s_reply(&body.base, reply, reply_len, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(entries);
    free(rows);
    free(out);
    free(outp);
    free(months);
    if (req)
        onewindow__v1__assessment_year__free_unpacked(req, NULL);
    return rc;
}

void assessment_records_on_record(ow_rpc_call_t *call, void *arg)
{
    rectification_requests_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int fresh = 0;
    if (assessment_records_record(self->db, ow_rpc_call_idempotency_key(call),
                                  ow_rpc_call_caller(call), payload, len, ow_clock_now_us(), &reply,
                                  &reply_len, &fresh, &err) != 0) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    ow_rpc_reply_packed(call, reply, reply_len);
    free(reply);
    if (fresh && self->relay)
        ow_relay_kick(self->relay);
}

void assessment_records_on_month(ow_rpc_call_t *call, void *arg)
{
    rectification_requests_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (assessment_records_month(self->db, payload, len, &reply, &reply_len, &err) != 0) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    ow_rpc_reply_packed(call, reply, reply_len);
    free(reply);
}

void assessment_records_on_year(ow_rpc_call_t *call, void *arg)
{
    rectification_requests_t *self = arg;
    ow_error_t err;
    ow_error_clear(&err);
    size_t len = 0;
    const uint8_t *payload = ow_rpc_call_payload(call, &len);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (assessment_records_year(self->db, payload, len, &reply, &reply_len, &err) != 0) {
        ow_rpc_reply_error(call, &err);
        return;
    }
    ow_rpc_reply_packed(call, reply, reply_len);
    free(reply);
}
