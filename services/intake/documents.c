#include "documents.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "case_number.h"
#include "ow_envelope.h"
#include "ow_db.h"
#include "ow_outbox.h"
#include "ow_rpc.h"

#define S_LIST_MAX_BYTES 1024

static const struct {
    const char *kind;
    const char *title;
} s_titles[] = {
    {"receipt", "受理凭证"},
    {"decision_on_spot", "即办件办理结果"},
    {"notice", "一次性告知书"},
    {"rongque_receipt", "容缺受理通知书"},
    {"not_accepted", "不予受理决定书"},
    {"correction_receipt", "补正材料接收凭证"},
    {"withdrawal", "撤回申请确认书"},
    {"termination", "终止办理通知书"},
    {"deemed_accepted", "受理凭证（逾期未告知视为受理）"},
    {"receipt_of_materials", "收件凭证"},
};

const char *intake_document_title(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof s_titles / sizeof s_titles[0]; i++)
        if (strcmp(s_titles[i].kind, kind) == 0)
            return s_titles[i].title;
    return "";
}

int intake_documents_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(db, "intake_doc_next",
                      "SELECT coalesce(max(doc_seq), 0) + 1 FROM case_documents WHERE case_no = $1",
                      err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_doc_insert",
                      "INSERT INTO case_documents (case_no, doc_seq, kind, issued_at, document)"
                      " VALUES ($1, $2::integer, $3, us_to_ts($4::bigint), $5::bytea)",
                      err) < 0)
        return -1;
    if (ow_db_prepare(db, "intake_doc_case", "SELECT 1 FROM cases WHERE case_no = $1", err) < 0)
        return -1;
    return ow_db_prepare(db, "intake_doc_list",
                         "SELECT document FROM case_documents WHERE case_no = $1 ORDER BY doc_seq",
                         err);
}

int intake_pack_ok(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len, ow_error_t *err)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing a reply");
        return -1;
    }
    protobuf_c_message_pack(msg, buf);
    int rc = ow_rpc_pack_reply(NULL, buf, len, out, out_len);
    free(buf);
    if (rc < 0)
        ow_error_set(err, OW_INTERNAL, "could not pack the reply");
    return rc < 0 ? -1 : 0;
}

int intake_document_add(ow_db_t *db, Onewindow__V1__Document *doc, ow_error_t *err)
{
    int rc = -1;
    uint8_t *buf = NULL;
    const char *p[5] = {doc->case_no};
    PGresult *res = ow_db_exec(db, "intake_doc_next", 1, p, err);
    if (!res)
        return -1;
    doc->seq = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    doc->title = (char *)intake_document_title(doc->kind);
    size_t len = onewindow__v1__document__get_packed_size(doc);
    buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing a document");
        return -1;
    }
    onewindow__v1__document__pack(doc, buf);
    char seq[16], at[32];
    snprintf(seq, sizeof seq, "%d", doc->seq);
    snprintf(at, sizeof at, "%lld", (long long)doc->issued_at_us);
    const char *values[5] = {doc->case_no, seq, doc->kind, at, (const char *)buf};
    const int lengths[5] = {0, 0, 0, 0, (int)len};
    const int formats[5] = {0, 0, 0, 0, 1};
    res = ow_db_execb(db, "intake_doc_insert", 5, values, lengths, formats, err);
    if (res) {
        PQclear(res);
        rc = 0;
    }
    free(buf);
    return rc;
}

int intake_emit_case_changed(ow_db_t *db, const char *type, const Onewindow__V1__CaseSummary *c,
                             const Onewindow__V1__Document *doc, int previous_state, int64_t now_us,
                             ow_error_t *err)
{
    Onewindow__V1__CaseChanged ev = ONEWINDOW__V1__CASE_CHANGED__INIT;
    ev.case_ = (Onewindow__V1__CaseSummary *)c;
    ev.document = (Onewindow__V1__Document *)doc;
    ev.previous_state = previous_state;
    size_t len = onewindow__v1__case_changed__get_packed_size(&ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ow_error_set(err, OW_INTERNAL, "out of memory packing %s", type);
        return -1;
    }
    onewindow__v1__case_changed__pack(&ev, buf);
    int rc = ow_outbox_add(db, type, c->case_no, c->centre_id, now_us, buf, len, err);
    free(buf);
    return rc;
}

static bool s_printable(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > OW_CASE_NO_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)s[i]))
            return false;
    return true;
}

int intake_documents_list(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err)
{
    int rc = -1;
    Onewindow__V1__ListDocuments *req = NULL;
    PGresult *res = NULL;
    Onewindow__V1__Document **docs = NULL;
    size_t n = 0;
    if (len > S_LIST_MAX_BYTES ||
        !(req = onewindow__v1__list_documents__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "request payload is not a valid onewindow.v1.ListDocuments");
        goto done;
    }
    if (!s_printable(req->case_no)) {
        ow_error_add_violation(err, "case_no", "must be 1-%d printable ASCII characters",
                               OW_CASE_NO_MAX);
        ow_error_finish_violations(err);
        goto done;
    }
    const char *p[1] = {req->case_no};
    res = ow_db_exec(db, "intake_doc_case", 1, p, err);
    if (!res)
        goto done;
    if (PQntuples(res) == 0) {
        ow_error_set(err, OW_NOT_FOUND, "no case with number '%s'", req->case_no);
        goto done;
    }
    PQclear(res);
    res = ow_db_exec(db, "intake_doc_list", 1, p, err);
    if (!res)
        goto done;
    int rows = PQntuples(res);
    docs = calloc((size_t)rows + 1, sizeof *docs);
    if (!docs) {
        ow_error_set(err, OW_INTERNAL, "out of memory listing documents");
        goto done;
    }
    for (int i = 0; i < rows; i++) {
        size_t blen = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 0), &blen);
        docs[n] = bytes ? onewindow__v1__document__unpack(NULL, blen, bytes) : NULL;
        PQfreemem(bytes);
        if (!docs[n]) {
            ow_error_set(err, OW_INTERNAL, "document %d of case %s is unreadable", i + 1,
                         req->case_no);
            goto done;
        }
        n++;
    }
    Onewindow__V1__DocumentList out = ONEWINDOW__V1__DOCUMENT_LIST__INIT;
    out.documents = docs;
    out.n_documents = n;
    rc = intake_pack_ok(&out.base, reply, reply_len, err);
done:
    for (size_t i = 0; i < n; i++)
        onewindow__v1__document__free_unpacked(docs[i], NULL);
    free(docs);
    PQclear(res);
    if (req)
        onewindow__v1__list_documents__free_unpacked(req, NULL);
    return rc;
}
