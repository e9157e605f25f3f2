/* notifyd — notices to applicants. Wiring only: texts are in templates.c and notices.c
 * (loaded by template_store.c), the case copy in case_contacts.c, the queue in deliveries.c,
 * the event handlers in case_events.c, sending in dispatcher.c and file_sink.c. README.md. */
#include <stdio.h>

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
} s_notify_t;

static void s_shutdown(void *arg)
{
    s_notify_t *self = arg;
    dispatcher_destroy(&self->dispatcher);
    templates_destroy(&self->templates);
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
    if (ow_service_follow(svc, "intake", err) != 0 || ow_service_follow(svc, "routing", err) != 0)
        return -1;
    ow_inbox_t *inbox = ow_service_inbox(svc);
    ow_inbox_on(inbox, "case.accepted", notify_on_case_accepted, self->templates);
    ow_inbox_on(inbox, "case.decided", notify_on_case_decided, self->templates);
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
