/* Tests of notifyd's delivery path against a real PostgreSQL (OW_TEST_DATABASE_URL) and a
 * private temporary directory: events queue deliveries once per key, the dispatcher writes
 * them to the file sink as JSON lines and acknowledges them only after, a lost
 * acknowledgement repeats a delivery at most once, and a failing sink acknowledges nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>

#include "case_contacts.h"
#include "case_events.h"
#include "deliveries.h"
#include "dispatcher.h"
#include "onewindow/v1/intake.pb-c.h"
#include "onewindow/v1/routing.pb-c.h"
#include "ow_migrate.h"
#include "ow_test_event.h"
#include "ow_test_pg.h"
#include "template_store.h"

extern const ow_migration_t notify_core_migrations[];
extern const size_t notify_core_migrations_count;

#define S_NOW INT64_C(1795000000000000)

typedef struct {
    ow_test_pg_t *scratch;
    templates_t *templates;
    char dir[256];
    char sink[300];
} s_fixture_t;

static int s_teardown(void **state);

/* On any failure everything made so far is removed again (cmocka skips the teardown of a
 * group whose setup failed). */
static int s_setup(void **state)
{
    ow_error_t err;
    ow_error_clear(&err);
    s_fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/owtest_notify_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        perror("mkdtemp");
        f->dir[0] = '\0';
        goto fail;
    }
    snprintf(f->sink, sizeof f->sink, "%s/notifications.jsonl", f->dir);
    f->scratch = ow_test_pg_new("owtest_notify_", "notify-test", &err);
    if (!f->scratch || ow_migrate(ow_test_pg_db(f->scratch), notify_core_migrations,
                                  notify_core_migrations_count, &err) < 0) {
        fprintf(stderr, "cannot set up the test database: %s\n", err.message);
        goto fail;
    }
    ow_db_t *db = ow_test_pg_db(f->scratch);
    if (case_contacts_prepare(db, &err) != 0 || deliveries_prepare(db, &err) != 0) {
        fprintf(stderr, "prepare: %s\n", err.message);
        goto fail;
    }
    /* The shipped templates (migration 0001) pass the load-time check. */
    f->templates = template_store_load(db, &err);
    if (!f->templates) {
        fprintf(stderr, "templates: %s\n", err.message);
        goto fail;
    }
    return 0;
fail:
    s_teardown(state);
    *state = NULL;
    return -1;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    if (!f)
        return 0;
    templates_destroy(&f->templates);
    ow_test_pg_destroy(&f->scratch);
    if (f->dir[0]) {
        unlink(f->sink);
        rmdir(f->dir);
    }
    free(f);
    return 0;
}

/* Applies one event through its handler in its own transaction, as the inbox does; returns
 * the handler's result. */
static int s_apply(s_fixture_t *f, int (*fn)(ow_db_t *, const ow_event_t *, void *, ow_error_t *),
                   const char *type, const char *event_id, const char *case_no, uint8_t *payload,
                   size_t len, ow_error_t *err)
{
    ow_db_t *db = ow_test_pg_db(f->scratch);
    ow_event_t ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.event_id, sizeof ev.event_id, "%s", event_id);
    snprintf(ev.source, sizeof ev.source, "intake");
    ev.seq = 1;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    ev.time_us = S_NOW;
    snprintf(ev.case_no, sizeof ev.case_no, "%s", case_no);
    ev.payload = payload;
    ev.payload_len = len;
    return ow_test_event_apply(db, fn, f->templates, &ev, err);
}

static void s_accept(s_fixture_t *f, const char *event_id, const char *case_no)
{
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = "王五";
    a.id_type = "resident_id";
    a.id_number = "330122199001011234";
    a.phone = "13900000000";
    Onewindow__V1__CaseSummary c = ONEWINDOW__V1__CASE_SUMMARY__INIT;
    c.case_no = (char *)case_no;
    c.item_code = "330100-01";
    c.item_name = "食品经营许可";
    c.centre_id = "330122000000";
    c.applicant = &a;
    c.accepted_at_us = S_NOW;
    c.promised_limit = 10;
    c.limit_unit = "working_days";
    Onewindow__V1__CaseAccepted msg = ONEWINDOW__V1__CASE_ACCEPTED__INIT;
    msg.case_ = &c;
    uint8_t buf[1024];
    size_t len = onewindow__v1__case_accepted__pack(&msg, buf);
    ow_error_t err;
    assert_int_equal(
        s_apply(f, notify_on_case_accepted, "case.accepted", event_id, case_no, buf, len, &err), 0);
}

static int s_decide(s_fixture_t *f, const char *event_id, const char *case_no, const char *outcome,
                    ow_error_t *err)
{
    Onewindow__V1__CaseDecided msg = ONEWINDOW__V1__CASE_DECIDED__INIT;
    msg.case_no = (char *)case_no;
    msg.outcome = (char *)outcome;
    msg.comment = "材料不符合法定形式";
    msg.decided_at_us = S_NOW + 86400000000LL;
    uint8_t buf[512];
    size_t len = onewindow__v1__case_decided__pack(&msg, buf);
    return s_apply(f, notify_on_case_decided, "case.decided", event_id, case_no, buf, len, err);
}

static long long s_count(s_fixture_t *f, const char *sql)
{
    return ow_test_pg_long(ow_db_conn(ow_test_pg_db(f->scratch)), sql);
}

/* Reads the sink; returns the lines as a JSON array (caller decrefs); each must parse. */
static json_t *s_read_sink(s_fixture_t *f)
{
    json_t *lines = json_array();
    FILE *fp = fopen(f->sink, "r");
    if (!fp)
        return lines;
    char buf[8192];
    while (fgets(buf, sizeof buf, fp)) {
        assert_true(strlen(buf) > 0 && buf[strlen(buf) - 1] == '\n');
        json_error_t jerr;
        json_t *obj = json_loads(buf, 0, &jerr);
        if (!obj)
            fprintf(stderr, "bad line: %s (%s)\n", buf, jerr.text);
        assert_non_null(obj);
        json_array_append_new(lines, obj);
    }
    fclose(fp);
    return lines;
}

static const char *s_field(json_t *lines, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(lines, i), key));
}

static int s_run(s_fixture_t *f, dispatcher_t *d)
{
    ow_error_t err;
    ow_error_clear(&err);
    int n = dispatcher_run(d, S_NOW + 5000000, &err);
    if (n < 0)
        fprintf(stderr, "dispatcher_run: %s\n", err.message);
    (void)f;
    return n;
}

#define S_EV_ACCEPTED "a1a1a1a1-0000-4000-8000-000000000001"
#define S_EV_DECIDED  "d1d1d1d1-0000-4000-8000-000000000001"

static void test_events_queue_once(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    s_accept(f, S_EV_ACCEPTED, "C1");
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1' AND state ="
                                " 'queued' AND kind = 'case_accepted'"),
                     1);
    s_accept(f, S_EV_ACCEPTED, "C1"); /* replayed */
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1'"), 1);

    assert_int_equal(s_decide(f, S_EV_DECIDED, "C1", "refused", &err), 0);
    assert_int_equal(s_decide(f, S_EV_DECIDED, "C1", "refused", &err), 0);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1'"), 3);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1' AND event_id"
                                " = '" S_EV_DECIDED "' AND kind IN ('case_decided',"
                                " 'rating_invitation') AND recipient = '13900000000'"),
                     2);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1' AND kind ="
                                " 'case_decided' AND template_kind = 'case_decided_refused' AND"
                                " text LIKE '%不予许可%材料不符合法定形式%'"),
                     1);

    /* The delivery key itself refuses a duplicate. */
    delivery_t d = {.event_id = S_EV_DECIDED,
                    .kind = "case_decided",
                    .recipient = "13900000000",
                    .channel = "file",
                    .case_no = "C1",
                    .text = "again",
                    .template_kind = "case_decided_refused",
                    .template_version = 1};
    ow_db_t *db = ow_test_pg_db(f->scratch);
    ow_error_clear(&err);
    assert_int_equal(ow_db_begin(db, &err), 0);
    assert_int_equal(deliveries_queue(db, &d, S_NOW, &err), 0);
    assert_int_equal(ow_db_commit(db, &err), 0);

    /* An outcome that is neither approved nor refused is poison, and writes nothing. */
    assert_int_equal(s_decide(f, "d1d1d1d1-0000-4000-8000-00000000000f", "C1", "maybe", &err), -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    uint8_t junk[] = {0x0a, 0xff, 0xff};
    assert_int_equal(s_apply(f, notify_on_case_accepted, "case.accepted",
                             "a1a1a1a1-0000-4000-8000-00000000000f", "C1", junk, sizeof junk, &err),
                     -1);
    assert_int_equal(err.code, OW_INVALID_ARGUMENT);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C1'"), 3);
}

static void test_dispatch_and_lost_ack(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_error_clear(&err);
    dispatcher_t *d = dispatcher_new(ow_test_pg_db(f->scratch), f->sink, &err);
    assert_non_null(d);
    assert_int_equal(s_run(f, d), 3);
    assert_int_equal(s_run(f, d), 0);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE state = 'sent' AND"
                                " sent_at_us IS NOT NULL"),
                     3);

    json_t *lines = s_read_sink(f);
    assert_int_equal(json_array_size(lines), 3);
    /* Queue order: the acceptance first. */
    assert_string_equal(s_field(lines, 0, "kind"), "case_accepted");
    assert_string_equal(s_field(lines, 0, "event_id"), S_EV_ACCEPTED);
    assert_string_equal(s_field(lines, 0, "case_no"), "C1");
    assert_string_equal(s_field(lines, 0, "channel"), "file");
    assert_string_equal(s_field(lines, 0, "recipient"), "13900000000");
    assert_non_null(strstr(s_field(lines, 0, "text"), "王五您好"));
    assert_non_null(strstr(s_field(lines, 0, "text"), "10个工作日"));
    assert_non_null(strstr(s_field(lines, 0, "sent_at"), "+08:00"));
    assert_int_equal(strlen(s_field(lines, 0, "delivery_id")), 36);
    assert_string_equal(s_field(lines, 1, "kind"), "case_decided");
    assert_string_equal(s_field(lines, 2, "kind"), "rating_invitation");
    assert_string_equal(s_field(lines, 2, "event_id"), S_EV_DECIDED);
    char lost[37];
    snprintf(lost, sizeof lost, "%s", s_field(lines, 1, "delivery_id"));
    json_decref(lines);

    /* A crash after the write and before the commit: the acknowledgement is lost. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE deliveries SET state = 'queued', sent_at_us = NULL WHERE delivery_id = '%s'",
             lost);
    PQclear(PQexec(ow_db_conn(ow_test_pg_db(f->scratch)), sql));
    dispatcher_destroy(&d);
    d = dispatcher_new(ow_test_pg_db(f->scratch), f->sink, &err); /* "restart" */
    assert_non_null(d);
    assert_int_equal(s_run(f, d), 1);
    assert_int_equal(s_run(f, d), 0);
    lines = s_read_sink(f);
    assert_int_equal(json_array_size(lines), 4);
    int seen = 0;
    for (size_t i = 0; i < 4; i++)
        seen += strcmp(s_field(lines, i, "delivery_id"), lost) == 0;
    assert_int_equal(seen, 2); /* the one in flight, once more; nothing acknowledged again */
    json_decref(lines);
    dispatcher_destroy(&d);
    assert_null(d);
}

/* routing's case.decided before intake's case.accepted: the decision's notices wait for the
 * contact, then carry the decision's event id. */
static void test_decision_before_acceptance(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    assert_int_equal(s_decide(f, "d2d2d2d2-0000-4000-8000-000000000002", "C2", "approved", &err),
                     0);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C2'"), 0);
    s_accept(f, "a2a2a2a2-0000-4000-8000-000000000002", "C2");
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C2'"), 3);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE case_no = 'C2' AND event_id"
                                " = 'd2d2d2d2-0000-4000-8000-000000000002' AND template_kind IN"
                                " ('case_decided_approved', 'rating_invitation')"),
                     2);
}

/* A sink that cannot take the batch: nothing is acknowledged; the reason is kept. */
static void test_failing_sink_acknowledges_nothing(void **state)
{
    s_fixture_t *f = *state;
    ow_error_t err;
    ow_error_clear(&err);
    long long queued = s_count(f, "SELECT count(*) FROM deliveries WHERE state = 'queued'");
    assert_true(queued > 0);
    dispatcher_t *d = dispatcher_new(ow_test_pg_db(f->scratch), "/dev/full", &err);
    assert_non_null(d);
    assert_int_equal(dispatcher_run(d, S_NOW, &err), -1);
    assert_int_equal(err.code, OW_UNAVAILABLE);
    dispatcher_destroy(&d);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE state = 'queued'"), queued);
    assert_int_equal(s_count(f, "SELECT count(*) FROM deliveries WHERE state = 'queued' AND"
                                " attempts = 1 AND last_error LIKE '%/dev/full%'"),
                     queued);

    ow_error_clear(&err);
    assert_null(dispatcher_new(ow_test_pg_db(f->scratch), "/nonexistent-dir/x.jsonl", &err));
    assert_int_equal(err.code, OW_UNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_queue_once),
        cmocka_unit_test(test_dispatch_and_lost_ack),
        cmocka_unit_test(test_decision_before_acceptance),
        cmocka_unit_test(test_failing_sink_acknowledges_nothing),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
