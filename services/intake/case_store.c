#include "case_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_state.h"
#include "ow_db.h"
#include "ow_pgarray.h"

struct intake_case {
    PGresult *row; /* owned; NULL for a case built in memory (intake_case_written) */
    char *strings; /* owned: the summary's strings of a case built in memory */
    Onewindow__V1__CaseSummary summary;
    Onewindow__V1__Applicant applicant;
};

/* What every reply and event shows of a case (s_from_row reads these columns). */
static const char select_case[] =
    "SELECT c.case_no, c.state, c.impl_code, i.name, c.item_version, i.department_code,"
    "       i.department_name, c.applicant_name, c.applicant_id_type,"
    "       c.applicant_id_number, c.applicant_phone, c.applicant_email, c.channel,"
    "       c.centre_id, ts_to_us(c.received_at), coalesce(ts_to_us(c.accepted_at), 0),"
    "       coalesce(ts_to_us(c.decided_at), 0), i.promised_limit, i.limit_unit,"
    "       i.legal_limit, coalesce(c.deciding_centre_id, c.centre_id), c.outcome,"
    "       c.love_lane, c.love_reasons, c.green_lane, c.green_by, c.rongque,"
    "       coalesce(ts_to_us(c.supply_due_at), 0), coalesce(ts_to_us(c.promised_due_at), 0),"
    "       c.closed_reason,"
    "       c.awaiting_materials_at IS NOT NULL AND c.state IN (3, 6, 7, 8, 9, 10)"
    "  FROM cases c JOIN items i ON i.impl_code = c.impl_code AND i.version = c.item_version"
    " WHERE c.case_no = $1";

/* The set-based insert (intake_case_insert_many): every column an array, one element per case;
 * a case's materials are one element too, itself a text[] literal (s_materials). Nothing is
 * read back: the replies are built from what was written (intake_case_written). */
static const char insert_many[] =
    "INSERT INTO cases (case_no, state, impl_code, item_version,"
    "  applicant_name, applicant_id_type, applicant_id_number,"
    "  applicant_phone, applicant_email, channel, centre_id,"
    "  received_at, accepted_at, updated_at, materials)"
    " SELECT case_no, state, impl_code, item_version, applicant_name, applicant_id_type,"
    "  applicant_id_number, applicant_phone, applicant_email, channel, centre_id,"
    "  us_to_ts(received), us_to_ts(nullif(accepted, 0)), us_to_ts(received), materials::text[]"
    " FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],"
    "  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[],"
    "  $13::bigint[], $14::text[]) AS v(case_no, state, impl_code, item_version, applicant_name,"
    "  applicant_id_type, applicant_id_number, applicant_phone, applicant_email, channel,"
    "  centre_id, received, accepted, materials)";

/* What a new case holds in the columns the inserts leave to their defaults
 * (migrations/0003_outcomes.sql): intake_case_written shows the same. */
#define S_DEFAULT_OUTCOME "accepted"

int intake_case_store_prepare(ow_db_t *db, ow_error_t *err)
{
    /* Times are µs of system time: us_to_ts/ts_to_us (migrations/0002_cases.sql). */
    /* One case with its materials (migrations/0011) in one round trip. */
    if (ow_db_prepare(db, "intake_case_insert",
                      "INSERT INTO cases (case_no, state, impl_code, item_version,"
                      "  applicant_name, applicant_id_type, applicant_id_number,"
                      "  applicant_phone, applicant_email, channel, centre_id,"
                      "  received_at, accepted_at, updated_at, materials)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                      "  us_to_ts($12), us_to_ts(nullif($13::bigint, 0)), us_to_ts($12),"
                      "  $14::text[])",
                      err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_case_get", select_case, err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_case_insert_many", insert_many, err) < 0)
        return -1;
    char locked[sizeof select_case + 32];
    snprintf(locked, sizeof locked, "%s FOR UPDATE OF c", select_case);
    if (ow_db_prepare(db, "intake_case_get_locked", locked, err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_case_awaiting",
                      "UPDATE cases SET awaiting_materials_at = us_to_ts($2),"
                      "       updated_at = us_to_ts($3)"
                      " WHERE case_no = $1 AND awaiting_materials_at IS NULL",
                      err) < 0)
        return -1;
    return ow_db_prepare(db, "intake_case_decide",
                         "UPDATE cases SET state = $2, decided_at = us_to_ts($3),"
                         "       updated_at = us_to_ts($4)"
                         " WHERE case_no = $1",
                         err);
}

/* Writes c's materials as a Postgres text[] literal ({"a","b"}) into a new string (caller
 * frees), each code once (a code handed in twice is one material), or NULL when out of memory.
 * Quotes and backslashes are escaped: codes are data. */
static char *s_materials(const intake_new_case_t *c)
{
    size_t size = 3;
    for (size_t i = 0; i < c->material_count; i++)
        size += 2 * strlen(c->materials[i]) + 3;
    char *out = malloc(size);
    if (!out)
        return NULL;
    char *w = out;
    *w++ = '{';
    for (size_t i = 0; i < c->material_count; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(c->materials[j], c->materials[i]) == 0;
        if (seen)
            continue;
        if (w > out + 1)
            *w++ = ',';
        *w++ = '"';
        for (const char *p = c->materials[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                *w++ = '\\';
            *w++ = *p;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

int intake_case_insert(ow_db_t *db, const intake_new_case_t *c, ow_error_t *err)
{
    char *materials = s_materials(c);
    if (!materials) {
        ow_error_set(err, OW_INTERNAL, "out of memory writing case %s", c->case_no);
        return -1;
    }
    char state[16], version[16], received[32], accepted[32];
    snprintf(state, sizeof state, "%d", c->state);
    snprintf(version, sizeof version, "%d", c->item->version);
    snprintf(received, sizeof received, "%" PRId64, c->received_at_us);
    snprintf(accepted, sizeof accepted, "%" PRId64, c->accepted_at_us);
    const char *params[14] = {c->case_no,
                              state,
                              c->item->impl_code,
                              version,
                              c->applicant_name,
                              c->applicant_id_type,
                              c->applicant_id_number,
                              c->applicant_phone,
                              c->applicant_email ? c->applicant_email : "",
                              c->channel,
                              c->centre_id,
                              received,
                              accepted,
                              materials};
    PGresult *res = ow_db_exec(db, "intake_case_insert", 14, params, err);
    free(materials);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

static int64_t s_i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void s_from_row(intake_case_t *self);

intake_case_t *intake_case_insert_returning(ow_db_t *db, const intake_new_case_t *c,
                                            ow_error_t *err)
{
    if (intake_case_insert(db, c, err) < 0)
        return NULL;
    intake_case_t *self = intake_case_written(c);
    if (!self)
        ow_error_set(err, OW_INTERNAL, "out of memory reading case %s", c->case_no);
    return self;
}

/* Appends src and its NUL to *w; returns where it was written. */
static char *s_put(char **w, const char *src)
{
    char *at = *w;
    size_t n = strlen(src) + 1;
    memcpy(at, src, n);
    *w += n;
    return at;
}

intake_case_t *intake_case_written(const intake_new_case_t *c)
{
    const intake_item_t *it = c->item;
    const char *email = c->applicant_email ? c->applicant_email : "";
    const char *unit = it->limit_unit ? it->limit_unit : "";
    const char *dept_code = it->department_code ? it->department_code : "";
    const char *dept_name = it->department_name ? it->department_name : "";
    const char *strings[] = {c->case_no,
                             it->impl_code,
                             it->name,
                             dept_code,
                             dept_name,
                             c->applicant_name,
                             c->applicant_id_type,
                             c->applicant_id_number,
                             c->applicant_phone,
                             email,
                             c->channel,
                             c->centre_id,
                             unit};
    size_t size = 0;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        size += strlen(strings[i]) + 1;
    intake_case_t *self = calloc(1, sizeof *self);
    if (!self || !(self->strings = malloc(size))) {
        free(self);
        return NULL;
    }
    char *w = self->strings;
    Onewindow__V1__Applicant *a = &self->applicant;
    onewindow__v1__applicant__init(a);
    Onewindow__V1__CaseSummary *s = &self->summary;
    onewindow__v1__case_summary__init(s);
    s->case_no = s_put(&w, c->case_no);
    s->state = c->state;
    const char *state_name = intake_case_state_name(s->state);
    s->state_name = (char *)(state_name ? state_name : "");
    s->item_code = s_put(&w, it->impl_code);
    s->item_name = s_put(&w, it->name);
    s->item_version = it->version;
    s->department_code = s_put(&w, dept_code);
    s->department_name = s_put(&w, dept_name);
    a->name = s_put(&w, c->applicant_name);
    a->id_type = s_put(&w, c->applicant_id_type);
    a->id_number = s_put(&w, c->applicant_id_number);
    a->phone = s_put(&w, c->applicant_phone);
    a->email = s_put(&w, email);
    s->applicant = a;
    s->channel = s_put(&w, c->channel);
    s->centre_id = s_put(&w, c->centre_id);
    s->received_at_us = c->received_at_us;
    s->accepted_at_us = c->accepted_at_us;
    s->decided_at_us = 0; /* a new case is not decided (the CHECK on state and decided_at) */
    s->promised_limit = it->promised_limit;
    s->limit_unit = s_put(&w, unit);
    s->legal_limit = it->legal_limit;
    /* coalesce(deciding_centre_id, centre_id): a new case is decided where it was received. */
    s->deciding_centre_id = s->centre_id;
    /* The columns the inserts leave to their defaults. */
    s->outcome = (char *)S_DEFAULT_OUTCOME;
    s->love_lane = false;
    s->love_reasons = (char *)"";
    s->green_lane = false;
    s->green_by = (char *)"";
    s->rongque = false;
    s->supply_due_us = 0;
    s->promised_due_us = 0;
    s->closed_reason = (char *)"";
    s->awaiting_materials = false;
    return self;
}

intake_case_t *intake_case_load(ow_db_t *db, const char *case_no, bool for_update, ow_error_t *err)
{
    intake_case_t *self = calloc(1, sizeof *self);
    if (!self) {
        ow_error_set(err, OW_INTERNAL, "out of memory reading case %s", case_no);
        return NULL;
    }
    const char *params[1] = {case_no};
    self->row =
        ow_db_exec(db, for_update ? "intake_case_get_locked" : "intake_case_get", 1, params, err);
    if (!self->row)
        goto fail;
    if (PQntuples(self->row) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "no case with number '%s'", case_no);
        goto fail;
    }
    s_from_row(self);
    return self;
fail:
    intake_case_destroy(&self);
    return NULL;
}

/* Points the summary's fields into the one row of self->row (select_case's columns). */
static void s_from_row(intake_case_t *self)
{
    const PGresult *r = self->row;
    int i = 0;
    Onewindow__V1__Applicant *a = &self->applicant;
    onewindow__v1__applicant__init(a);
    a->name = PQgetvalue(r, i, 7);
    a->id_type = PQgetvalue(r, i, 8);
    a->id_number = PQgetvalue(r, i, 9);
    a->phone = PQgetvalue(r, i, 10);
    a->email = PQgetvalue(r, i, 11);

    Onewindow__V1__CaseSummary *s = &self->summary;
    onewindow__v1__case_summary__init(s);
    s->case_no = PQgetvalue(r, i, 0);
    s->state = atoi(PQgetvalue(r, i, 1));
    const char *state_name = intake_case_state_name(s->state);
    s->state_name = (char *)(state_name ? state_name : "");
    s->item_code = PQgetvalue(r, i, 2);
    s->item_name = PQgetvalue(r, i, 3);
    s->item_version = atoi(PQgetvalue(r, i, 4));
    s->department_code = PQgetvalue(r, i, 5);
    s->department_name = PQgetvalue(r, i, 6);
    s->applicant = a;
    s->channel = PQgetvalue(r, i, 12);
    s->centre_id = PQgetvalue(r, i, 13);
    s->received_at_us = s_i64(r, i, 14);
    s->accepted_at_us = s_i64(r, i, 15);
    s->decided_at_us = s_i64(r, i, 16);
    s->promised_limit = atoi(PQgetvalue(r, i, 17));
    s->limit_unit = PQgetvalue(r, i, 18);
    s->legal_limit = atoi(PQgetvalue(r, i, 19));
    s->deciding_centre_id = PQgetvalue(r, i, 20);
    s->outcome = PQgetvalue(r, i, 21);
    s->love_lane = PQgetvalue(r, i, 22)[0] == 't';
    s->love_reasons = PQgetvalue(r, i, 23);
    s->green_lane = PQgetvalue(r, i, 24)[0] == 't';
    s->green_by = PQgetvalue(r, i, 25);
    s->rongque = PQgetvalue(r, i, 26)[0] == 't';
    s->supply_due_us = s_i64(r, i, 27);
    s->promised_due_us = s_i64(r, i, 28);
    s->closed_reason = PQgetvalue(r, i, 29);
    s->awaiting_materials = PQgetvalue(r, i, 30)[0] == 't';
}

void intake_case_destroy(intake_case_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    PQclear((*self_p)->row);
    free((*self_p)->strings);
    free(*self_p);
    *self_p = NULL;
}

int intake_case_insert_many(ow_db_t *db, const intake_new_case_t *cases, size_t n, ow_error_t *err)
{
    int rc = -1;
    PGresult *res = NULL;
    ow_pgarray_t *a[14] = {NULL};
    for (int k = 0; k < 14; k++)
        if (!(a[k] = ow_pgarray_new()))
            goto oom;
    for (size_t i = 0; i < n; i++) {
        const intake_new_case_t *c = &cases[i];
        char *materials = s_materials(c);
        int added = materials ? ow_pgarray_add_text(a[13], materials) : -1;
        free(materials);
        if (added < 0 || ow_pgarray_add_text(a[0], c->case_no) < 0 ||
            ow_pgarray_add_int64(a[1], c->state) < 0 ||
            ow_pgarray_add_text(a[2], c->item->impl_code) < 0 ||
            ow_pgarray_add_int64(a[3], c->item->version) < 0 ||
            ow_pgarray_add_text(a[4], c->applicant_name) < 0 ||
            ow_pgarray_add_text(a[5], c->applicant_id_type) < 0 ||
            ow_pgarray_add_text(a[6], c->applicant_id_number) < 0 ||
            ow_pgarray_add_text(a[7], c->applicant_phone) < 0 ||
            ow_pgarray_add_text(a[8], c->applicant_email ? c->applicant_email : "") < 0 ||
            ow_pgarray_add_text(a[9], c->channel) < 0 ||
            ow_pgarray_add_text(a[10], c->centre_id) < 0 ||
            ow_pgarray_add_int64(a[11], c->received_at_us) < 0 ||
            ow_pgarray_add_int64(a[12], c->accepted_at_us) < 0)
            goto oom;
    }
    const char *params[14];
    for (int k = 0; k < 14; k++)
        params[k] = ow_pgarray_text(a[k]);
    /* Deferred: nothing is read back, and a failure (a number taken by another instance)
     * stops the batch at its next statement. One row per element of the arrays, all or none. */
    rc = ow_db_defer(db, "intake_case_insert_many", 14, params, err);
    goto done;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory writing %zu cases", n);
done:
    PQclear(res);
    for (int k = 0; k < 14; k++)
        ow_pgarray_destroy(&a[k]);
    return rc;
}

const Onewindow__V1__CaseSummary *intake_case_summary(const intake_case_t *self)
{
    return &self->summary;
}

int intake_case_set_decided(ow_db_t *db, const char *case_no, int state, int64_t decided_at_us,
                            int64_t now_us, ow_error_t *err)
{
    char st[16], decided[32], now[32];
    snprintf(st, sizeof st, "%d", state);
    snprintf(decided, sizeof decided, "%" PRId64, decided_at_us);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[4] = {case_no, st, decided, now};
    PGresult *res = ow_db_exec(db, "intake_case_decide", 4, params, err);
    if (!res)
        return -1;
    int rc = 0;
    if (strcmp(PQcmdTuples(res), "1") != 0) {
        ow_error_set(err, OW_INTERNAL, "case %s was not updated", case_no);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

int intake_case_set_awaiting(ow_db_t *db, const char *case_no, int64_t since_us, int64_t now_us,
                             ow_error_t *err)
{
    char since[32], now[32];
    snprintf(since, sizeof since, "%" PRId64, since_us);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[3] = {case_no, since, now};
    PGresult *res = ow_db_exec(db, "intake_case_awaiting", 3, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
