#include "catalogue_import.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalogue_rules.h"
#include "catalogue_store.h"
#include "ow_db.h"
#include "ow_envelope.h"
#include "ow_idem.h"
#include "ow_pack.h"
#include "ow_text.h"
#include "receive.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_REQUEST_MAX    (4u << 20)
#define S_SMALL_MAX      4096
#define S_ID_MAX         64
#define S_ROW_MAX        10000000
#define S_ABANDONED_DAYS "7"

int intake_import_prepare(ow_db_t *db, ow_error_t *err)
{
    static const ow_db_statement_t s[] = {
        {"intake_imp_begin", "INSERT INTO catalogue_imports (import_id, label, created_at)"
                             " VALUES ($1, $2, us_to_ts($3::bigint))"},
        /* An import begun and never committed is abandoned after S_ABANDONED_DAYS: its staged
         * rows and problems go (ON DELETE CASCADE) when the next import begins. */
        {"intake_imp_abandon",
         "DELETE FROM catalogue_imports WHERE state = 'open'"
         "   AND created_at < us_to_ts($1::bigint) - make_interval(days => $2::integer)"},
        {"intake_imp_lock",
         "SELECT state, label, partial, written, unchanged, skipped, ts_to_us(created_at),"
         "       coalesce(ts_to_us(committed_at), 0)"
         "  FROM catalogue_imports WHERE import_id = $1 FOR UPDATE"},
        {"intake_imp_read",
         "SELECT state, label, partial, written, unchanged, skipped, ts_to_us(created_at),"
         "       coalesce(ts_to_us(committed_at), 0)"
         "  FROM catalogue_imports WHERE import_id = $1"},
        {"intake_imp_counts",
         "SELECT (SELECT count(*) FROM catalogue_import_rows WHERE import_id = $1),"
         "       (SELECT count(DISTINCT row_no) FROM catalogue_import_errors WHERE import_id = "
         "$1)"},
        {"intake_imp_errors", "SELECT row_no, field, message FROM catalogue_import_errors"
                              " WHERE import_id = $1 ORDER BY row_no, phase DESC, field, message"},
        {"intake_imp_row_taken",
         "SELECT row_no FROM catalogue_import_rows WHERE import_id = $1 AND"
         " (row_no = $2::integer OR impl_code = $3) ORDER BY row_no LIMIT 1"},
        {"intake_imp_add_row",
         "INSERT INTO catalogue_import_rows (import_id, row_no, impl_code, parent_code, level,"
         "  item, ok) VALUES ($1, $2::integer, $3, $4, $5, $6::bytea, $7::boolean)"},
        {"intake_imp_add_error",
         "INSERT INTO catalogue_import_errors (import_id, row_no, field, message, phase)"
         " VALUES ($1, $2::integer, $3, $4, $5)"},
        {"intake_imp_clear_commit_errors",
         "DELETE FROM catalogue_import_errors WHERE import_id = $1 AND phase = 'commit'"},
        {"intake_imp_rows", "SELECT row_no, impl_code, parent_code, level, ok,"
                            "       encode(item, 'hex')"
                            "  FROM catalogue_import_rows WHERE import_id = $1 ORDER BY row_no"},
        {"intake_imp_done",
         "UPDATE catalogue_imports SET state = 'committed', committed_at = us_to_ts($2::bigint),"
         "  partial = $3::boolean, written = $4::integer, unchanged = $5::integer,"
         "  skipped = $6::integer WHERE import_id = $1"},
    };
    return OW_DB_PREPARE_ALL(db, s, err);
}

static bool s_id_ok(const char *id)
{
    return ow_text_code(id, S_ID_MAX);
}

static int s_add_error(ow_db_t *db, const char *id, int row, const char *field, const char *message,
                       const char *phase, ow_error_t *err)
{
    char r[16];
    snprintf(r, sizeof r, "%d", row);
    const char *p[5] = {id, r, field, message, phase};
    return intake_exec(db, "intake_imp_add_error", 5, p, err);
}

/* Packs the ImportStatus of id (read inside the caller's transaction, if any). */
static int s_status(ow_db_t *db, const char *id, bool lock, uint8_t **reply, size_t *reply_len,
                    ow_error_t *err)
{
    const char *p[1] = {id};
    PGresult *imp = NULL, *counts = NULL, *errs = NULL;
    Onewindow__V1__RowError *rows = NULL;
    Onewindow__V1__RowError **ptrs = NULL;
    int rc = -1;
    if (!(imp = ow_db_exec(db, lock ? "intake_imp_lock" : "intake_imp_read", 1, p, err)))
        goto done;
    if (PQntuples(imp) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "no catalogue import '%s'", id);
        goto done;
    }
    if (!(counts = ow_db_exec(db, "intake_imp_counts", 1, p, err)) ||
        !(errs = ow_db_exec(db, "intake_imp_errors", 1, p, err)))
        goto done;
    int ne = PQntuples(errs);
    rows = calloc((size_t)ne + 1, sizeof *rows);
    ptrs = calloc((size_t)ne + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    for (int i = 0; i < ne; i++) {
        onewindow__v1__row_error__init(&rows[i]);
        rows[i].row = atoi(PQgetvalue(errs, i, 0));
        rows[i].field = PQgetvalue(errs, i, 1);
        rows[i].message = PQgetvalue(errs, i, 2);
        ptrs[i] = &rows[i];
    }
    Onewindow__V1__ImportStatus st = ONEWINDOW__V1__IMPORT_STATUS__INIT;
    st.import_id = (char *)id;
    st.state = PQgetvalue(imp, 0, 0);
    st.label = PQgetvalue(imp, 0, 1);
    st.partial = PQgetvalue(imp, 0, 2)[0] == 't';
    st.written = atoi(PQgetvalue(imp, 0, 3));
    st.unchanged = atoi(PQgetvalue(imp, 0, 4));
    st.skipped = atoi(PQgetvalue(imp, 0, 5));
    st.created_at_us = strtoll(PQgetvalue(imp, 0, 6), NULL, 10);
    st.committed_at_us = strtoll(PQgetvalue(imp, 0, 7), NULL, 10);
    st.rows = atoi(PQgetvalue(counts, 0, 0));
    st.bad_rows = atoi(PQgetvalue(counts, 0, 1));
    st.n_errors = (size_t)ne;
    st.errors = ptrs;
    rc = ow_pack(&st.base, reply, reply_len, err);
done:
    free(rows);
    free(ptrs);
    PQclear(imp);
    PQclear(counts);
    PQclear(errs);
    return rc;
}

/* Begins and answers a repeat from the idempotency record: returns 1 (answered), 0 (go on,
 * transaction open), -1 with err (rolled back). */
static int s_open(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                  size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    if (ow_db_begin(db, err) < 0)
        return -1;
    int found = ow_idem_find(db, key, method, request, len, reply, reply_len, err);
    if (found != 0)
        ow_db_rollback(db);
    return found;
}

/* Wraps the reply (intake_catalogue_wrap_reply), saves it under the key and commits. Returns 0, or
 * -1 with err (rolled back, reply freed). */
static int s_finish(ow_db_t *db, const char *method, const char *key, const uint8_t *request,
                    size_t len, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    if (intake_catalogue_wrap_reply(reply, reply_len, err) == 0 &&
        ow_idem_save(db, key, method, request, len, *reply, *reply_len, err) == 0 &&
        ow_db_commit(db, err) == 0)
        return 0;
    ow_db_rollback(db);
    free(*reply);
    *reply = NULL;
    *reply_len = 0;
    return -1;
}

int intake_import_begin(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                        int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    static const char method[] = "intake.begin_import";
    Onewindow__V1__BeginImport *req = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > S_SMALL_MAX || !(req = onewindow__v1__begin_import__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid BeginImport");
        return -1;
    }
    int rc = -1;
    if (!ow_text_valid(req->label, 200)) {
        ow_error_add_violation(err, "label", "must be text of at most 200 bytes");
        ow_error_finish_violations(err);
        goto out;
    }
    int opened = s_open(db, method, key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    char id[37], now[24];
    ow_uuid_v4(id);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[3] = {id, req->label, now};
    const char *abandon[2] = {now, S_ABANDONED_DAYS};
    if (intake_exec(db, "intake_imp_abandon", 2, abandon, err) < 0 ||
        intake_exec(db, "intake_imp_begin", 3, p, err) < 0 ||
        s_status(db, id, false, reply, reply_len, err) < 0) {
        ow_db_rollback(db);
        goto out;
    }
    rc = s_finish(db, method, key, request, len, reply, reply_len, err);
out:
    onewindow__v1__begin_import__free_unpacked(req, NULL);
    return rc;
}

/* Locks the import; refuses an unknown or committed one. Returns 0 or -1 with err. */
static int s_lock_open(ow_db_t *db, const char *id, ow_error_t *err)
{
    const char *p[1] = {id};
    PGresult *res = ow_db_exec(db, "intake_imp_lock", 1, p, err);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_NOT_FOUND, "no catalogue import '%s'", id);
        rc = -1;
    } else if (strcmp(PQgetvalue(res, 0, 0), "open") != 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "catalogue import '%s' is already committed", id);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

/* Stages one row with its problems. Returns 1 when it has problems, 0 when good, -1 with err. */
static int s_stage_row(ow_db_t *db, const char *id, int row, Onewindow__V1__CatalogueItem *item,
                       ow_error_t *err)
{
    ow_error_t problems;
    ow_error_clear(&problems);
    intake_catalogue_check(item, "", &problems);
    intake_catalogue_sort_sets(item);
    char r[16];
    snprintf(r, sizeof r, "%d", row);
    /* An item twice in one import (which version would win is the file's accident). */
    const char *tp[3] = {id, r, item->impl_code};
    PGresult *taken = ow_db_exec(db, "intake_imp_row_taken", 3, tp, err);
    if (!taken)
        return -1;
    bool row_taken = false;
    if (PQntuples(taken) == 1) {
        int other = atoi(PQgetvalue(taken, 0, 0));
        if (other == row)
            row_taken = true;
        else
            ow_error_add_violation(&problems, "impl_code", "'%s' is also row %d", item->impl_code,
                                   other);
    }
    PQclear(taken);
    if (row_taken) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "row %d of import %s was already sent", row, id);
        return -1;
    }
    uint8_t *packed = NULL;
    size_t plen = 0;
    if (ow_pack(&item->base, &packed, &plen, err) < 0)
        return -1;
    bool ok = problems.violation_count == 0;
    const char *level = item->level[0] ? item->level : "business";
    const char *p[7] = {id,
                        r,
                        item->impl_code,
                        item->parent_code,
                        level,
                        (const char *)packed,
                        ok ? "true" : "false"};
    int lengths[7] = {0, 0, 0, 0, 0, (int)plen, 0};
    int formats[7] = {0, 0, 0, 0, 0, 1, 0};
    PGresult *res = ow_db_execb(db, "intake_imp_add_row", 7, p, lengths, formats, err);
    free(packed);
    if (!res)
        return -1;
    PQclear(res);
    for (size_t i = 0; i < problems.violation_count; i++)
        if (s_add_error(db, id, row, problems.violations[i].field,
                        problems.violations[i].description, "row", err) < 0)
            return -1;
    return ok ? 0 : 1;
}

int intake_import_rows(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                       int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    static const char method[] = "intake.import_rows";
    (void)now_us;
    Onewindow__V1__ImportRows *req = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > S_REQUEST_MAX || !(req = onewindow__v1__import_rows__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid ImportRows");
        return -1;
    }
    int rc = -1;
    if (!s_id_ok(req->import_id))
        ow_error_add_violation(err, "import_id", "is not an import id");
    if (req->n_items == 0 || req->n_items > INTAKE_CATALOGUE_PUT_MAX)
        ow_error_add_violation(err, "items", "1 to %d items", INTAKE_CATALOGUE_PUT_MAX);
    if (req->n_rows != 0 && req->n_rows != req->n_items)
        ow_error_add_violation(err, "rows", "gives a row number for each item, or none");
    if (req->n_rows == 0 && (req->first_row < 1 || req->first_row > S_ROW_MAX))
        ow_error_add_violation(err, "first_row", "must be 1-%d", S_ROW_MAX);
    for (size_t i = 0; i < req->n_rows; i++)
        if (req->rows[i] < 1 || req->rows[i] > S_ROW_MAX ||
            (i > 0 && req->rows[i] <= req->rows[i - 1])) {
            ow_error_add_violation(err, "rows", "must rise from 1 to at most %d", S_ROW_MAX);
            break;
        }
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int opened = s_open(db, method, key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    if (s_lock_open(db, req->import_id, err) < 0)
        goto rollback;
    Onewindow__V1__ImportRowsReply out = ONEWINDOW__V1__IMPORT_ROWS_REPLY__INIT;
    out.import_id = req->import_id;
    for (size_t i = 0; i < req->n_items; i++) {
        int row = req->n_rows ? req->rows[i] : req->first_row + (int)i;
        int bad = s_stage_row(db, req->import_id, row, req->items[i], err);
        if (bad < 0)
            goto rollback;
        out.staged++;
        out.bad += bad;
    }
    /* The chunk's problems, as staged. */
    const char *p[1] = {req->import_id};
    PGresult *errs = ow_db_exec(db, "intake_imp_errors", 1, p, err);
    if (!errs)
        goto rollback;
    int lo = req->n_rows ? req->rows[0] : req->first_row;
    int hi = req->n_rows ? req->rows[req->n_rows - 1] : req->first_row + (int)req->n_items - 1;
    int ne = PQntuples(errs);
    Onewindow__V1__RowError *rows = calloc((size_t)ne + 1, sizeof *rows);
    Onewindow__V1__RowError **ptrs = calloc((size_t)ne + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        free(rows);
        free(ptrs);
        PQclear(errs);
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto rollback;
    }
    for (int i = 0; i < ne; i++) {
        int r = atoi(PQgetvalue(errs, i, 0));
        if (r < lo || r > hi)
            continue;
        Onewindow__V1__RowError *e = &rows[out.n_errors];
        onewindow__v1__row_error__init(e);
        e->row = r;
        e->field = PQgetvalue(errs, i, 1);
        e->message = PQgetvalue(errs, i, 2);
        ptrs[out.n_errors++] = e;
    }
    out.errors = ptrs;
    int packed = ow_pack(&out.base, reply, reply_len, err);
    free(rows);
    free(ptrs);
    PQclear(errs);
    if (packed < 0)
        goto rollback;
    rc = s_finish(db, method, key, request, len, reply, reply_len, err);
    goto out;
rollback:
    ow_db_rollback(db);
out:
    onewindow__v1__import_rows__free_unpacked(req, NULL);
    return rc;
}

/* One staged row, as commit sees it. */
typedef struct {
    int row;
    const char *impl_code, *parent_code, *level, *hex;
    bool ok;
} s_staged_t;

static int s_find(const s_staged_t *rows, int n, const char *impl_code)
{
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].impl_code, impl_code) == 0)
            return i;
    return -1;
}

static Onewindow__V1__CatalogueItem *s_unpack_hex(const char *hex, ow_error_t *err)
{
    size_t n = strlen(hex) / 2;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(ow_text_hex_digit(hex[2 * i]) << 4 | ow_text_hex_digit(hex[2 * i + 1]));
    Onewindow__V1__CatalogueItem *it = onewindow__v1__catalogue_item__unpack(NULL, n, buf);
    free(buf);
    if (!it)
        ow_error_set(err, OW_INTERNAL, "a staged row does not decode");
    return it;
}

/* Checks the parents of the good rows (the catalogue or the import, at a level that may hold
 * the row), marking bad every row whose parent is bad, until nothing changes; records the
 * problems (phase 'commit'). Returns the number of bad rows, or -1 with err. */
static int s_check_parents(ow_db_t *db, const char *id, s_staged_t *rows, int n, ow_error_t *err)
{
    /* A row that changes an item's level must still hold its current children (those the
     * import moves elsewhere are checked as themselves). */
    const char **codes = calloc((size_t)n + 1, sizeof *codes);
    if (!codes) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        codes[i] = rows[i].impl_code;
    for (int i = 0; i < n; i++) {
        if (!rows[i].ok)
            continue;
        ow_error_t found;
        ow_error_clear(&found);
        if (intake_catalogue_check_children(db, rows[i].impl_code, rows[i].level, codes, (size_t)n,
                                            "level", &found) < 0) {
            *err = found;
            free(codes);
            return -1;
        }
        if (found.violation_count > 0) {
            if (s_add_error(db, id, rows[i].row, "level", found.violations[0].description, "commit",
                            err) < 0) {
                free(codes);
                return -1;
            }
            rows[i].ok = false;
        }
    }
    free(codes);
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < n; i++) {
            s_staged_t *r = &rows[i];
            if (!r->ok || strcmp(r->level, "main") == 0 || !r->parent_code[0])
                continue;
            char message[256] = "";
            int j = s_find(rows, n, r->parent_code);
            char level[16] = "";
            if (j >= 0 && !rows[j].ok) {
                snprintf(message, sizeof message,
                         "the parent '%s' (row %d) has problems and is not written", r->parent_code,
                         rows[j].row);
            } else if (j >= 0) {
                snprintf(level, sizeof level, "%s", rows[j].level);
            } else {
                int got =
                    intake_catalogue_current_level(db, r->parent_code, level, sizeof level, err);
                if (got < 0)
                    return -1;
                if (got == 0)
                    snprintf(message, sizeof message,
                             "no item '%s' in the catalogue or in this import", r->parent_code);
            }
            if (!message[0] && !intake_item_level_may_parent(level, r->level))
                snprintf(message, sizeof message, "a %s item cannot be under '%s', a %s item",
                         r->level, r->parent_code, level);
            if (message[0]) {
                if (s_add_error(db, id, r->row, "parent_code", message, "commit", err) < 0)
                    return -1;
                r->ok = false;
                again = true;
            }
        }
    }
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += !rows[i].ok;
    return bad;
}

/* INVALID_ARGUMENT with the import's problems (at most OW_ERROR_VIOLATION_MAX of them). */
static int s_refuse(ow_db_t *db, const char *id, int bad, int total, ow_error_t *err)
{
    const char *p[1] = {id};
    PGresult *errs = ow_db_exec(db, "intake_imp_errors", 1, p, err);
    if (!errs)
        return -1;
    for (int i = 0; i < PQntuples(errs); i++) {
        char f[64];
        snprintf(f, sizeof f, "row %s.%s", PQgetvalue(errs, i, 0), PQgetvalue(errs, i, 1));
        ow_error_add_violation(err, f, "%s", PQgetvalue(errs, i, 2));
    }
    ow_error_set(err, OW_INVALID_ARGUMENT,
                 "%d of %d rows have problems (%d in all; the import lists every one): nothing "
                 "written",
                 bad, total, PQntuples(errs));
    PQclear(errs);
    return 0;
}

int intake_import_commit(ow_db_t *db, const char *key, const uint8_t *request, size_t len,
                         int64_t now_us, uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    static const char method[] = "intake.commit_import";
    Onewindow__V1__CommitImport *req = NULL;
    PGresult *res = NULL;
    s_staged_t *rows = NULL;
    *reply = NULL;
    *reply_len = 0;
    if (!intake_key_valid(key)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s needs an idempotency key", method);
        return -1;
    }
    if (len > S_SMALL_MAX || !(req = onewindow__v1__commit_import__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid CommitImport");
        return -1;
    }
    int rc = -1;
    if (!s_id_ok(req->import_id)) {
        ow_error_add_violation(err, "import_id", "is not an import id");
        ow_error_finish_violations(err);
        goto out;
    }
    int opened = s_open(db, method, key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    const char *p[1] = {req->import_id};
    if (s_lock_open(db, req->import_id, err) < 0 ||
        intake_exec(db, "intake_imp_clear_commit_errors", 1, p, err) < 0 ||
        !(res = ow_db_exec(db, "intake_imp_rows", 1, p, err)))
        goto rollback;
    int n = PQntuples(res);
    if (n == 0) {
        ow_error_set(err, OW_FAILED_PRECONDITION, "catalogue import '%s' has no rows",
                     req->import_id);
        goto rollback;
    }
    if (!(rows = calloc((size_t)n, sizeof *rows))) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto rollback;
    }
    for (int i = 0; i < n; i++)
        rows[i] = (s_staged_t){atoi(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1),
                               PQgetvalue(res, i, 2),       PQgetvalue(res, i, 3),
                               PQgetvalue(res, i, 5),       PQgetvalue(res, i, 4)[0] == 't'};
    int bad = s_check_parents(db, req->import_id, rows, n, err);
    if (bad < 0)
        goto rollback;
    if (req->check_only) {
        /* The problems found here are kept; nothing else is written, the key not remembered. */
        if (ow_db_commit(db, err) < 0)
            goto rollback;
        rc = s_status(db, req->import_id, false, reply, reply_len, err) == 0 &&
                     intake_catalogue_wrap_reply(reply, reply_len, err) == 0
                 ? 0
                 : -1;
        goto out;
    }
    if (bad > 0 && !req->partial) {
        /* The problems found here are kept for intake.get_import; nothing else is written and
         * the key is not remembered, so the import can still be committed with `partial`. */
        if (ow_db_commit(db, err) < 0)
            goto rollback;
        s_refuse(db, req->import_id, bad, n, err);
        goto out;
    }
    int written = 0, unchanged = 0;
    for (int i = 0; i < n; i++) {
        if (!rows[i].ok)
            continue;
        Onewindow__V1__CatalogueItem *it = s_unpack_hex(rows[i].hex, err);
        if (!it)
            goto rollback;
        int version = 0;
        bool changed = false;
        int w = intake_catalogue_write(db, it, now_us, &version, &changed, err);
        onewindow__v1__catalogue_item__free_unpacked(it, NULL);
        if (w < 0) {
            char msg[OW_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            ow_error_set(err, err->code, "row %d: %s", rows[i].row, msg);
            goto rollback;
        }
        written += changed;
        unchanged += !changed;
    }
    char now[24], w[16], u[16], s[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(w, sizeof w, "%d", written);
    snprintf(u, sizeof u, "%d", unchanged);
    snprintf(s, sizeof s, "%d", bad);
    const char *dp[6] = {req->import_id, now, req->partial ? "true" : "false", w, u, s};
    if (intake_exec(db, "intake_imp_done", 6, dp, err) < 0 ||
        s_status(db, req->import_id, false, reply, reply_len, err) < 0)
        goto rollback;
    rc = s_finish(db, method, key, request, len, reply, reply_len, err);
    goto out;
rollback:
    ow_db_rollback(db);
out:
    free(rows);
    PQclear(res);
    onewindow__v1__commit_import__free_unpacked(req, NULL);
    return rc;
}

int intake_import_get(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                      size_t *reply_len, ow_error_t *err)
{
    Onewindow__V1__GetImport *req = NULL;
    if (len > S_SMALL_MAX || !(req = onewindow__v1__get_import__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid GetImport");
        return -1;
    }
    int rc = -1;
    if (!s_id_ok(req->import_id)) {
        ow_error_add_violation(err, "import_id", "is not an import id");
        ow_error_finish_violations(err);
    } else {
        rc = s_status(db, req->import_id, false, reply, reply_len, err);
    }
    onewindow__v1__get_import__free_unpacked(req, NULL);
    return rc;
}
