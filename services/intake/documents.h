/* documents — the written records the window gives (DOMAIN.md §3: "gives a dated written
 * record of the decision"): 受理凭证 receipt, 即办结果, 一次性告知书 one-time notice,
 * 容缺受理通知书, 不予受理决定书, 补正回执, 撤回确认, 终止通知. Stored packed in
 * case_documents inside the transaction that made the decision, numbered per case, never
 * changed; intake.list_documents returns them (GET /v1/cases/{no}/documents). */
#ifndef INTAKE_DOCUMENTS_H
#define INTAKE_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct ow_db ow_db_t;

/* Registers the statements. Returns 0, or -1 with err. */
int intake_documents_prepare(ow_db_t *db, ow_error_t *err);

/* The Chinese title of a document kind ("receipt" → "受理凭证"), or "" for an unknown kind. */
const char *intake_document_title(const char *kind);

/* Inside an open transaction: numbers doc (sets doc->seq and doc->title from doc->kind) and
 * stores it for doc->case_no. Returns 0, or -1 with err. */
int intake_document_add(ow_db_t *db, Onewindow__V1__Document *doc, ow_error_t *err);

/* The packed OK Reply with payload DocumentList for case_no (request bytes of ListDocuments).
 * Returns 0 with *reply (caller frees), or -1 with err: INVALID_ARGUMENT for a malformed
 * request, NOT_FOUND for an unknown case. */
int intake_documents_list(ow_db_t *db, const uint8_t *request, size_t len, uint8_t **reply,
                          size_t *reply_len, ow_error_t *err);

/* Packs message into a new OK Reply (caller frees *out). Returns 0, or -1 with err. */
int intake_pack_ok(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len, ow_error_t *err);

/* Inside an open transaction: adds event `type` with payload CaseChanged {case, doc,
 * previous_state} to the outbox. Returns 0, or -1 with err. */
int intake_emit_case_changed(ow_db_t *db, const char *type, const Onewindow__V1__CaseSummary *c,
                             const Onewindow__V1__Document *doc, int previous_state, int64_t now_us,
                             ow_error_t *err);

#endif
