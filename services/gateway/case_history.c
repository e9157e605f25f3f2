#include "case_history.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_time.h"
#include "json_fields.h"
#include "onewindow/v1/deadline.pb-c.h"
#include "onewindow/v1/evaluation.pb-c.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/notify.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_pack.h"

#define S_ENTRIES_MAX 5000 /* routing keeps 1000 at most; the rest are a few per case */

typedef struct {
    int64_t at_us;
    int part;
    size_t order; /* within its part */
    json_t *obj;
} s_entry_t;

struct case_history {
    s_entry_t *entries;
    size_t count, cap;
    bool failed[CASE_HISTORY_PART_COUNT];
    bool oom;
};

static const char *const s_services[CASE_HISTORY_PART_COUNT] = {"routing", "intake", "deadline",
                                                                "evaluation", "notify"};
static const char *const s_methods[CASE_HISTORY_PART_COUNT] = {
    "routing.case_history", "intake.list_documents", "deadline.get_clock", "evaluation.get_rating",
    "notify.case_deliveries"};

const char *case_history_service(case_history_part_t part)
{
    return s_services[part];
}

const char *case_history_method(case_history_part_t part)
{
    return s_methods[part];
}

int case_history_pack_request(case_history_part_t part, const char *case_no, uint8_t **out,
                              size_t *out_len, ow_error_t *err)
{
    char *no = (char *)case_no;
    switch (part) {
    case CASE_HISTORY_ROUTING: {
        Onewindow__V1__CaseHistory m = ONEWINDOW__V1__CASE_HISTORY__INIT;
        m.case_no = no;
        return ow_pack(&m.base, out, out_len, err);
    }
    case CASE_HISTORY_INTAKE: {
        Onewindow__V1__ListDocuments m = ONEWINDOW__V1__LIST_DOCUMENTS__INIT;
        m.case_no = no;
        return ow_pack(&m.base, out, out_len, err);
    }
    case CASE_HISTORY_DEADLINE: {
        Onewindow__V1__GetClock m = ONEWINDOW__V1__GET_CLOCK__INIT;
        m.case_no = no;
        return ow_pack(&m.base, out, out_len, err);
    }
    case CASE_HISTORY_EVALUATION: {
        Onewindow__V1__GetRating m = ONEWINDOW__V1__GET_RATING__INIT;
        m.case_no = no;
        return ow_pack(&m.base, out, out_len, err);
    }
    default: {
        Onewindow__V1__NotifyCaseDeliveries m = ONEWINDOW__V1__NOTIFY_CASE_DELIVERIES__INIT;
        m.case_no = no;
        return ow_pack(&m.base, out, out_len, err);
    }
    }
}

case_history_t *case_history_new(void)
{
    return calloc(1, sizeof(case_history_t));
}

void case_history_destroy(case_history_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    case_history_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        json_decref(self->entries[i].obj);
    free(self->entries);
    free(self);
    *self_p = NULL;
}

static const char *s_str(const char *s)
{
    return s ? s : "";
}

/* Appends one entry (at_us 0 is "not happened": skipped). */
static void s_add(case_history_t *self, int part, int64_t at_us, const char *action,
                  const char *actor, const char *on_behalf_of, const char *task_id,
                  const char *detail, const char *before, const char *after)
{
    if (at_us == 0 || self->count >= S_ENTRIES_MAX)
        return;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 32;
        s_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
        if (!grown) {
            self->oom = true;
            return;
        }
        self->entries = grown;
        self->cap = cap;
    }
    json_t *obj = json_pack(
        "{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "at", api_time_json(at_us), "source",
        s_services[part], "action", json_fields_text(s_str(action)), "actor",
        json_fields_text(s_str(actor)), "on_behalf_of", json_fields_text(s_str(on_behalf_of)),
        "task_id", json_fields_text(s_str(task_id)), "detail", json_fields_text(s_str(detail)),
        "before", json_fields_text(s_str(before)), "after", json_fields_text(s_str(after)));
    if (!obj) {
        self->oom = true;
        return;
    }
    self->entries[self->count] = (s_entry_t){at_us, part, self->count, obj};
    self->count++;
}

static void s_clock(case_history_t *self, const Onewindow__V1__Clock *c)
{
    char what[128], detail[160];
    const char *stage = c->stage && *c->stage ? c->stage : "case";
    snprintf(detail, sizeof detail, "%s: %d %s", stage, c->limit, s_str(c->unit));
    snprintf(what, sizeof what, "clock.started");
    s_add(self, CASE_HISTORY_DEADLINE, c->started_at_us, what, "", "", "", detail, "", "running");
    s_add(self, CASE_HISTORY_DEADLINE, c->suspended_at_us, "clock.suspended", "", "", "", detail,
          "running", "suspended");
    /* yellow_at_us is when the card falls, possibly still ahead: only a card shown counts. */
    bool shown = c->card && (strcmp(c->card, "yellow") == 0 || strcmp(c->card, "red") == 0);
    s_add(self, CASE_HISTORY_DEADLINE, shown ? c->yellow_at_us : 0, "clock.yellow", "", "", "",
          detail, "", "yellow");
    s_add(self, CASE_HISTORY_DEADLINE, c->red_at_us, "clock.red", "", "", "", detail, "", "red");
    s_add(self, CASE_HISTORY_DEADLINE, c->stopped_at_us, "clock.stopped", "", "", "", detail,
          "running", s_str(c->state));
}

void case_history_take(case_history_t *self, case_history_part_t part,
                       const ow_rpc_result_t *result)
{
    const uint8_t *p = result->payload;
    size_t n = result->payload_len;

    if (result->status == OW_NOT_FOUND)
        return;
    if (result->status != OW_OK)
        goto failed;
    switch (part) {
    case CASE_HISTORY_ROUTING: {
        Onewindow__V1__CaseHistoryReply *r = onewindow__v1__case_history_reply__unpack(NULL, n, p);
        if (!r)
            goto failed;
        for (size_t i = 0; i < r->n_entries; i++) {
            const Onewindow__V1__HistoryEntry *e = r->entries[i];
            s_add(self, part, e->at_us, e->action, e->actor, e->on_behalf_of, e->task_id, e->detail,
                  e->before, e->after);
        }
        onewindow__v1__case_history_reply__free_unpacked(r, NULL);
        return;
    }
    case CASE_HISTORY_INTAKE: {
        Onewindow__V1__DocumentList *r = onewindow__v1__document_list__unpack(NULL, n, p);
        if (!r)
            goto failed;
        for (size_t i = 0; i < r->n_documents; i++) {
            const Onewindow__V1__Document *d = r->documents[i];
            char action[96], detail[512];
            snprintf(action, sizeof action, "document.%s", s_str(d->kind));
            snprintf(detail, sizeof detail, "%s%s%s", s_str(d->title),
                     d->reason && *d->reason ? ": " : "", s_str(d->reason));
            s_add(self, part, d->issued_at_us, action, "", "", "", detail, "", "");
        }
        onewindow__v1__document_list__free_unpacked(r, NULL);
        return;
    }
    case CASE_HISTORY_DEADLINE: {
        Onewindow__V1__CaseClockReply *r = onewindow__v1__case_clock_reply__unpack(NULL, n, p);
        if (!r)
            goto failed;
        if (r->clock)
            s_clock(self, r->clock);
        for (size_t i = 0; i < r->n_stages; i++)
            s_clock(self, r->stages[i]);
        onewindow__v1__case_clock_reply__free_unpacked(r, NULL);
        return;
    }
    case CASE_HISTORY_EVALUATION: {
        Onewindow__V1__RatingReply *r = onewindow__v1__rating_reply__unpack(NULL, n, p);
        if (!r)
            goto failed;
        if (r->rating) {
            char detail[64];
            snprintf(detail, sizeof detail, "grade %d%s", r->rating->grade,
                     r->rating->is_bad ? " (差评)" : "");
            s_add(self, part, r->rating->rated_at_us, "rating.recorded", "", "", "", detail, "",
                  "");
        }
        onewindow__v1__rating_reply__free_unpacked(r, NULL);
        return;
    }
    default: {
        Onewindow__V1__NotifyDeliveryList *r =
            onewindow__v1__notify_delivery_list__unpack(NULL, n, p);
        if (!r)
            goto failed;
        for (size_t i = 0; i < r->n_deliveries; i++) {
            const Onewindow__V1__NotifyDelivery *d = r->deliveries[i];
            char action[64], detail[256];
            snprintf(action, sizeof action, "delivery.%s", s_str(d->state));
            snprintf(detail, sizeof detail, "%s by %s to %s", s_str(d->kind), s_str(d->channel),
                     s_str(d->recipient));
            int64_t at = d->sent_at_us   ? d->sent_at_us
                         : d->dead_at_us ? d->dead_at_us
                                         : d->queued_at_us;
            s_add(self, CASE_HISTORY_NOTIFY, at, action, "", "", "", detail, "", s_str(d->state));
        }
        onewindow__v1__notify_delivery_list__free_unpacked(r, NULL);
        return;
    }
    }
failed:
    self->failed[part] = true;
}

static int s_compare(const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

json_t *case_history_render(case_history_t *self, const char *case_no, size_t after, size_t limit)
{
    if (self->oom)
        return NULL;
    qsort(self->entries, self->count, sizeof *self->entries, s_compare);
    json_t *entries = json_array(), *degraded = json_array();
    char next[24] = "";
    size_t i = after;
    for (; entries && i < self->count && json_array_size(entries) < limit; i++)
        json_array_append(entries, self->entries[i].obj);
    if (i < self->count)
        snprintf(next, sizeof next, "%zu", i);
    for (int p = 0; degraded && p < CASE_HISTORY_PART_COUNT; p++)
        if (self->failed[p])
            json_array_append_new(degraded, json_string(s_services[p]));
    return json_pack("{s:o, s:o, s:s, s:o}", "case_no", json_fields_text(case_no), "entries",
                     entries, "next_after", next, "degraded", degraded);
}
