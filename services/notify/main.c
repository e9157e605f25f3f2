/* notifyd — notices to applicants, staff and systems. Wiring only: texts are in templates.c
 * and notices.c (loaded by template_store.c), the case copy in case_contacts.c, the queue in
 * deliveries.c, the event handlers in case_events.c and event_rules.c, the file sink in
 * dispatcher.c and file_sink.c, the outside channels in sender.c (outbound.c, transfers.c),
 * the request methods in notify_api.c. README.md. */
#include <stdio.h>

#include "applicant_notices.h"
#include "evaluation_notices.h"
#include "event_rules.h"
#include "provincial_push.h"
#include "staff_notices.h"
#include "notify_api.h"
#include "sender.h"

#include "case_contacts.h"
#include "case_events.h"
#include "deliveries.h"
#include "dispatcher.h"
#include "template_store.h"
#include "templates.h"
#include "ow_service.h"

extern const ow_migration_t notify_core_migrations[];
extern const size_t notify_core_migrations_count;

/* How often queued deliveries are looked for: they are sent within this after the inbox
 * commits them. */
#define S_DISPATCH_INTERVAL_S 0.2

typedef struct {
    templates_t *templates;
    dispatcher_t *dispatcher;
    sender_t *sender;
    event_rules_t rules;
    provincial_push_config_t push;
} s_notify_t;

static void s_shutdown(void *arg)
{
    s_notify_t *self = arg;
    sender_destroy(&self->sender);
    dispatcher_destroy(&self->dispatcher);
    templates_destroy(&self->templates);
}

static void s_kick(void *arg)
{
    s_notify_t *self = arg;
    sender_kick(self->sender);
}

/* notify.* keys (docs/configuration.md, "notifyd"). Strings stay owned by the configuration. */
static int s_sender_config(ow_config_t *cfg, sender_config_t *out, ow_error_t *err)
{
    long in_flight, timeout_ms, connect_ms, attempts, base_ms, max_ms, poll_ms;
    if (ow_config_get_int(cfg, "notify.max_in_flight", 200, &in_flight, err) != 0 ||
        ow_config_get_int(cfg, "notify.timeout_ms", 10000, &timeout_ms, err) != 0 ||
        ow_config_get_int(cfg, "notify.connect_timeout_ms", 3000, &connect_ms, err) != 0 ||
        ow_config_get_int(cfg, "notify.max_attempts", 8, &attempts, err) != 0 ||
        ow_config_get_int(cfg, "notify.retry_base_ms", 2000, &base_ms, err) != 0 ||
        ow_config_get_int(cfg, "notify.retry_max_ms", 3600000, &max_ms, err) != 0 ||
        ow_config_get_int(cfg, "notify.poll_ms", 500, &poll_ms, err) != 0)
        return -1;
    if (in_flight < 1 || in_flight > 10000 || timeout_ms < 100 || connect_ms < 100 ||
        attempts < 1 || attempts > 100 || base_ms < 1 || max_ms < base_ms || poll_ms < 10) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "notify.*: max_in_flight 1–10000, timeouts ≥ 100 ms, max_attempts 1–100, "
                     "retry_base_ms ≥ 1 and ≤ retry_max_ms, poll_ms ≥ 10");
        return -1;
    }
    *out = (sender_config_t){
        .outbound =
            {
                .sms_url = ow_config_get(cfg, "notify.sms_url", ""),
                .sms_token = ow_config_get(cfg, "notify.sms_token", ""),
                .smtp_url = ow_config_get(cfg, "notify.smtp_url", ""),
                .smtp_from = ow_config_get(cfg, "notify.smtp_from", "noreply@onewindow.local"),
                .timeout_ms = timeout_ms,
                .connect_timeout_ms = connect_ms,
            },
        .retry = {.max_attempts = (int)attempts,
                  .base_delay_us = base_ms * 1000LL,
                  .max_delay_us = max_ms * 1000LL},
        .max_in_flight = (int)in_flight,
        .poll_s = (double)poll_ms / 1000.0,
    };
    if (quiet_hours_parse("notify.sms_quiet_start",
                          ow_config_get(cfg, "notify.sms_quiet_start", "22:00"),
                          &out->quiet.start_min, err) != 0 ||
        quiet_hours_parse("notify.sms_quiet_end",
                          ow_config_get(cfg, "notify.sms_quiet_end", "08:00"), &out->quiet.end_min,
                          err) != 0)
        return -1;
    return 0;
}

/* notify.provincial_push_* (docs/configuration.md, "notifyd"): the provincial 好差评 push. */
static int s_push_config(ow_config_t *cfg, provincial_push_config_t *out, ow_error_t *err)
{
    /* Issue 6, "retried until accepted": 1000 attempts last weeks at notify.retry_max_ms. */
    long attempts;
    if (ow_config_get_int(cfg, "notify.provincial_push_max_attempts", 1000, &attempts, err) != 0)
        return -1;
    *out = (provincial_push_config_t){
        .url = ow_config_get(cfg, "notify.provincial_push_url", ""),
        .secret = ow_config_get(cfg, "notify.provincial_push_secret", ""),
        /* out of range either way: refused by the check below */
        .max_attempts = attempts < 1 || attempts > 100000 ? 0 : (int)attempts,
    };
    return provincial_push_config_check(out, err);
}

static int s_setup(ow_service_t *svc, void *arg, ow_error_t *err)
{
    s_notify_t *self = arg;
    ow_db_t *db = ow_service_db(svc);
    ow_loop_t *loop = ow_service_loop(svc);
    ow_loop_on_shutdown(loop, s_shutdown, self);
    if (case_contacts_prepare(db, err) != 0 || deliveries_prepare(db, err) != 0)
        return -1;
    /* A template naming an unknown placeholder stops start-up here. */
    self->templates = template_store_load(db, err);
    if (!self->templates)
        return -1;
    const char *sink = ow_config_get(ow_service_config(svc), "sink.file", "notifications.jsonl");
    self->dispatcher = dispatcher_new(db, sink, err);
    if (!self->dispatcher)
        return -1;
    /* What a crash left queued goes out before anything new (at most one repeat of what was
     * in flight: see dispatcher.h). A failing sink is retried by the timer. */
    ow_error_t sent_err;
    ow_error_clear(&sent_err);
    int sent = dispatcher_run(self->dispatcher, ow_clock_now_us(), &sent_err);
    if (sent < 0) {
        ow_log_kv(OW_LOG_WARN, "queued deliveries not sent at start-up; retrying", "error",
                  sent_err.message, NULL);
    } else if (sent > 0) {
        char count[16];
        snprintf(count, sizeof count, "%d", sent);
        ow_log_kv(OW_LOG_INFO, "deliveries left queued were sent at start-up", "count", count,
                  NULL);
    }
    if (dispatcher_start(self->dispatcher, loop, S_DISPATCH_INTERVAL_S, err) != 0)
        return -1;
    sender_config_t scfg;
    if (s_sender_config(ow_service_config(svc), &scfg, err) != 0 ||
        s_push_config(ow_service_config(svc), &self->push, err) != 0)
        return -1;
    scfg.push_secret = self->push.secret;
    scfg.push_max_attempts = self->push.max_attempts;
    self->sender = sender_new(loop, db, &scfg, err);
    if (!self->sender)
        return -1;
    self->rules = (event_rules_t){
        .templates = self->templates,
        .quiet = scfg.quiet,
        .sms_on = *scfg.outbound.sms_url != '\0',
        .email_on = *scfg.outbound.smtp_url != '\0',
    };
    if (event_rules_prepare(db, err) != 0 ||
        notify_api_register(ow_service_rpc(svc), db, self->sender, err) != 0)
        return -1;
    /* Every source whose events integrators may subscribe to (docs/contract.md, events). */
    static const char *const sources[] = {"intake", "routing", "deadline", "evaluation"};
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (ow_service_follow(svc, sources[i], err) != 0)
            return -1;
    ow_inbox_t *inbox = ow_service_inbox(svc);
    ow_inbox_on(inbox, "", event_rules_on_event, &self->rules);
    ow_inbox_on(inbox, "case.accepted", event_rules_on_case_accepted, &self->rules);
    ow_inbox_on(inbox, "case.decided", event_rules_on_case_decided, &self->rules);
    /* Staff and supervisors, and the applicant's further notices (docs/notify.md). */
    static const char *const task_types[] = {"task.created", "task.updated", "task.decided"};
    for (size_t i = 0; i < 3; i++)
        ow_inbox_on(inbox, task_types[i], staff_notices_on_task, &self->rules);
    ow_inbox_on(inbox, "deadline.yellow", staff_notices_on_card, &self->rules);
    ow_inbox_on(inbox, "deadline.red", staff_notices_on_card, &self->rules);
    ow_inbox_on(inbox, "rating.recorded", staff_notices_on_rating, &self->rules);
    ow_inbox_on(inbox, "case.notice_issued", applicant_notices_on_changed, &self->rules);
    ow_inbox_on(inbox, "case.rongque_accepted", applicant_notices_on_changed, &self->rules);
    ow_inbox_on(inbox, "case.suspended", applicant_notices_on_routing, &self->rules);
    ow_inbox_on(inbox, "case.extended", applicant_notices_on_routing, &self->rules);
    /* Evaluation (evaluation_notices.h); the provincial push, which alone carries the rater's
     * identity, goes only to the province (provincial_push.h): no webhook, no file notice. */
    ow_inbox_on(inbox, "rating.invitation_due", evaluation_notices_on_invitation, &self->rules);
    ow_inbox_on(inbox, "rectification.rater_told", evaluation_notices_on_ticket, &self->rules);
    ow_inbox_on(inbox, "rectification.overdue", evaluation_notices_on_ticket, &self->rules);
    ow_inbox_on(inbox, PROVINCIAL_PUSH_EVENT, provincial_push_on_event, &self->push);
    ow_inbox_on(inbox, PROVINCIAL_PUSH_BATCH_EVENT, provincial_push_on_event, &self->push);
    /* What the inbox queued goes out at once, not at the next poll. */
    ow_inbox_on_commit(inbox, s_kick, self);
    return 0;
}

int main(int argc, char **argv)
{
    const ow_service_spec_t spec = {
        .name = "notifyd",
        .source = "notify",
        .migrations = notify_core_migrations,
        .migration_count = notify_core_migrations_count,
    };
    s_notify_t notify = {0}; /* outlives the service: freed by its shutdown hook */
    return ow_service_main(&spec, argc, argv, s_setup, &notify);
}
