/* provincial_push — see provincial_push.h. */
#include "provincial_push.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "deliveries.h"
#include "ow_case_events.h"
#include "ow_clock.h"
#include "ow_log.h"

static bool s_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int provincial_push_config_check(const provincial_push_config_t *cfg, ow_error_t *err)
{
    const char *url = cfg->url ? cfg->url : "";
    const char *secret = cfg->secret ? cfg->secret : "";
    if (*url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "notify.provincial_push_url must be empty (push off) or an http:// or "
                     "https:// URL");
        return -1;
    }
    size_t len = strlen(secret);
    if (*url && (len < 16 || len > 256 || !s_printable(secret))) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "notify.provincial_push_secret must be 16–256 printable bytes when "
                     "notify.provincial_push_url is set (it signs every push)");
        return -1;
    }
    if (cfg->max_attempts < 1 || cfg->max_attempts > 100000) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "notify.provincial_push_max_attempts must be 1–100000");
        return -1;
    }
    return 0;
}

int provincial_push_check(const Onewindow__V1__RatingPush *p, ow_error_t *err)
{
    int added = 0;
    if (!*p->rating_id || strlen(p->rating_id) > 64) {
        ow_error_add_violation(err, "rating_id", "must be 1–64 bytes");
        added++;
    }
    if (!*p->case_no || strlen(p->case_no) > OW_CASE_NO_MAX) {
        ow_error_add_violation(err, "case_no", "must be 1–%d bytes", OW_CASE_NO_MAX);
        added++;
    }
    const struct {
        const char *name, *value;
    } texts[] = {
        {"item_code", p->item_code},
        {"item_name", p->item_name},
        {"area_code", p->area_code},
        {"level", p->level},
        {"department_code", p->department_code},
        {"department_name", p->department_name},
        {"applicant_name", p->applicant_name},
        {"applicant_id_type", p->applicant_id_type},
        {"applicant_id_number", p->applicant_id_number},
        {"applicant_type", p->applicant_type},
        {"case_status", p->case_status},
        {"channel", p->channel},
        {"staff_id", p->staff_id},
        {"window_id", p->window_id},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strlen(texts[i].value) > PROVINCIAL_PUSH_FIELD_MAX) {
            ow_error_add_violation(err, texts[i].name, "at most %d bytes",
                                   PROVINCIAL_PUSH_FIELD_MAX);
            added++;
        }
    if (p->grade < 1 || p->grade > 5) {
        ow_error_add_violation(err, "grade", "must be 1–5");
        added++;
    }
    return added;
}

char *provincial_push_json(const Onewindow__V1__RatingPush *p, ow_error_t *err)
{
    /* json_pack refuses text that is not UTF-8 ("s" members): reported, never half-built. */
    json_error_t jerr;
    json_t *o = json_pack_ex(
        &jerr, 0,
        "{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:i, s:I, s:b, s:b}",
        "rating_id", p->rating_id, "case_no", p->case_no, "item_code", p->item_code, "item_name",
        p->item_name, "item_version", (int)p->item_version, "area_code", p->area_code, "level",
        p->level, "department_code", p->department_code, "department_name", p->department_name,
        "applicant_name", p->applicant_name, "applicant_id_type", p->applicant_id_type,
        "applicant_id_number", p->applicant_id_number, "applicant_type", p->applicant_type,
        "case_status", p->case_status, "channel", p->channel, "staff_id", p->staff_id, "window_id",
        p->window_id, "grade", (int)p->grade, "rated_at_us", (json_int_t)p->rated_at_us,
        "is_default", (int)p->is_default, "anonymous", (int)p->anonymous);
    if (!o) {
        /* jerr.text names the member at most, never its value. */
        ow_error_set(err, OW_INVALID_ARGUMENT, "a RatingPush field is not UTF-8 text");
        return NULL;
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!text)
        ow_error_set(err, OW_INTERNAL, "out of memory building a provincial push");
    return text;
}

bool provincial_push_is_push(const char *event_type, bool has_subscription)
{
    return !has_subscription && event_type && strcmp(event_type, PROVINCIAL_PUSH_EVENT) == 0;
}

/* Queues the deliveries of pushes with one statement. A push that fails its checks is logged
 * and skipped; when none passes, the event is poison, with the first one's error. */
static int s_queue(ow_db_t *db, const ow_event_t *ev, const provincial_push_config_t *cfg,
                   Onewindow__V1__RatingPush *const *pushes, size_t n, ow_error_t *err)
{
    int rc = -1;
    size_t queued = 0, skipped = 0;
    ow_error_t first;
    ow_error_clear(&first);
    delivery_t *ds = calloc(n ? n : 1, sizeof *ds);
    char **bodies = calloc(n ? n : 1, sizeof *bodies);
    if (!ds || !bodies) {
        ow_error_set(err, OW_INTERNAL, "out of memory for %zu pushes", n);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const Onewindow__V1__RatingPush *p = pushes[i];
        ow_error_t why;
        ow_error_clear(&why);
        char *body = NULL;
        provincial_push_check(p, &why);
        if (ow_case_event_finish(&why, ev) == 0 && !(body = provincial_push_json(p, &why)) &&
            why.code != OW_INVALID_ARGUMENT) {
            *err = why; /* out of memory: the inbox retries */
            goto cleanup;
        }
        if (!body) {
            /* Names the fields, never their values: the push carries an identity. */
            if (skipped++ == 0)
                first = why;
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            ow_log_kv(OW_LOG_WARN, "provincial push skipped: it breaks a bound", "event",
                      ev->event_id, "type", ev->type, "index", index, "error", why.message, NULL);
            continue;
        }
        bodies[queued] = body;
        ds[queued++] = (delivery_t){
            .event_id = ev->event_id,
            .kind = PROVINCIAL_PUSH_KIND,
            .recipient = p->rating_id, /* the key: one push per rating (migration 0004) */
            .channel = DELIVERY_CHANNEL_WEBHOOK,
            .case_no = p->case_no,
            .text = body,
            .template_kind = "rating_push_json",
            .template_version = 1,
            .target = cfg->url,
            /* Whichever event carried it: the province sees the event it always saw. */
            .event_type = PROVINCIAL_PUSH_EVENT,
        };
    }
    if (queued == 0) {
        /* Nothing to deliver at all: poison, parked for an operator. */
        if (skipped > 0)
            *err = first;
        else
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s (seq %llu): holds no push", ev->type,
                         ev->event_id, (unsigned long long)ev->seq);
        goto cleanup;
    }
    rc = deliveries_queue_many(db, ds, queued, ow_clock_now_us(), err) < 0 ? -1 : 0;
cleanup:
    for (size_t i = 0; bodies && i < n; i++)
        free(bodies[i]);
    free(bodies);
    free(ds);
    return rc;
}

int provincial_push_on_event(ow_db_t *db, const ow_event_t *ev, void *arg, ow_error_t *err)
{
    const provincial_push_config_t *cfg = arg;
    /* Deliberately no event_rules_on_event: integrators' subscriptions never see the
     * identity, whatever pattern they chose. Push off: record nothing. */
    if (!cfg->url || !*cfg->url)
        return 0;
    /* The batch of a transaction, or (from an outbox older than the batch) one push. */
    if (strcmp(ev->type, PROVINCIAL_PUSH_BATCH_EVENT) == 0) {
        Onewindow__V1__RatingPushBatch *b =
            onewindow__v1__rating_push_batch__unpack(NULL, ev->payload_len, ev->payload);
        if (!b) {
            ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a RatingPushBatch",
                         ev->type, ev->event_id);
            return -1;
        }
        int rc = s_queue(db, ev, cfg, b->pushes, b->n_pushes, err);
        onewindow__v1__rating_push_batch__free_unpacked(b, NULL);
        return rc;
    }
    Onewindow__V1__RatingPush *p =
        onewindow__v1__rating_push__unpack(NULL, ev->payload_len, ev->payload);
    if (!p) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "%s %s: payload is not a RatingPush", ev->type,
                     ev->event_id);
        return -1;
    }
    int rc = s_queue(db, ev, cfg, &p, 1, err);
    onewindow__v1__rating_push__free_unpacked(p, NULL);
    return rc;
}
