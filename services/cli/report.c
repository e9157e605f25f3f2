#include "report.h"

#include <stdbool.h>
#include <string.h>

/* A member as text: its string, its number, "—" when absent or null. */
static const char *s_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "\xe2\x80\x94"; /* — */
}

static long long s_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

void report_mask_id(const char *id, char *out, size_t size)
{
    size_t n = strlen(id);
    size_t o = 0;
    if (size == 0)
        return;
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        bool shown = n > 8 && (i < 4 || i >= n - 4);
        out[o++] = shown ? id[i] : '*';
    }
    out[o] = '\0';
}

void report_problem(FILE *out, int status, const json_t *answer)
{
    const json_t *title = json_object_get(answer, "title");
    const json_t *detail = json_object_get(answer, "detail");
    fprintf(out, "error: HTTP %d", status);
    if (json_is_string(title))
        fprintf(out, " %s", json_string_value(title));
    if (json_is_string(detail) && json_string_length(detail) > 0)
        fprintf(out, ": %s", json_string_value(detail));
    fputc('\n', out);

    const json_t *params = json_object_get(answer, "invalid_params");
    size_t i;
    const json_t *p;
    json_array_foreach(params, i, p)
    {
        fprintf(out, "  - %s: %s\n", s_str(p, "name"), s_str(p, "reason"));
    }
}

static void s_report_tasks(FILE *out, const json_t *tasks)
{
    size_t n = json_array_size(tasks);
    if (n == 0) {
        fprintf(out, "Tasks       none yet\n");
        return;
    }
    fprintf(out, "Tasks       %zu\n", n);
    size_t i;
    const json_t *t;
    json_array_foreach(tasks, i, t)
    {
        fprintf(out, "  %s  %s  %s  assignee %s  created %s\n", s_str(t, "task_id"),
                s_str(t, "stage"), s_str(t, "state"), s_str(t, "assignee"), s_str(t, "created_at"));
        const json_t *decision = json_object_get(t, "decision");
        if (json_is_string(decision) && json_string_length(decision) > 0) { /* "" while open */
            fprintf(out, "      %s by %s at %s", s_str(t, "decision"), s_str(t, "decided_by"),
                    s_str(t, "decided_at"));
            const char *comment = s_str(t, "comment");
            if (json_is_string(json_object_get(t, "comment")) && *comment)
                fprintf(out, ": %s", comment);
            fputc('\n', out);
        }
    }
}

static void s_report_clock(FILE *out, const json_t *clock)
{
    if (!json_is_object(clock)) {
        fprintf(out, "Clock       none yet\n");
        return;
    }
    fprintf(out, "Clock       %s, limit %lld %s, started %s, due %s", s_str(clock, "state"),
            s_int(clock, "limit"), s_str(clock, "unit"), s_str(clock, "started_at"),
            s_str(clock, "due_at"));
    if (json_is_string(json_object_get(clock, "stopped_at")))
        fprintf(out, ", stopped %s", s_str(clock, "stopped_at"));
    long long left = s_int(clock, "remaining_working_days");
    if (left >= 0)
        fprintf(out, "; %lld working day%s left\n", left, left == 1 ? "" : "s");
    else
        fprintf(out, "; OVERDUE by %lld working day%s\n", -left, left == -1 ? "" : "s");
}

static void s_report_rating(FILE *out, const json_t *rating)
{
    if (!json_is_object(rating)) {
        fprintf(out, "Rating      not rated\n");
        return;
    }
    fprintf(out, "Rating      %lld/5%s via %s at %s", s_int(rating, "grade"),
            json_is_true(json_object_get(rating, "is_bad")) ? " (bad review)" : "",
            s_str(rating, "channel"), s_str(rating, "rated_at"));
    const json_t *comment = json_object_get(rating, "comment");
    if (json_is_string(comment) && json_string_length(comment) > 0)
        fprintf(out, ": %s", json_string_value(comment));
    fputc('\n', out);
}

/* The CASE object's lines (shared by case show and submit). */
static void s_report_case_summary(FILE *out, const json_t *c)
{
    const json_t *a = json_object_get(c, "applicant");
    char masked[64];
    report_mask_id(json_is_string(json_object_get(a, "id_number"))
                       ? json_string_value(json_object_get(a, "id_number"))
                       : "",
                   masked, sizeof masked);

    fprintf(out, "Case        %s  %s (state %lld)\n", s_str(c, "case_no"), s_str(c, "state_name"),
            s_int(c, "state"));
    fprintf(out, "Item        %s %s (version %lld)\n", s_str(c, "item_code"), s_str(c, "item_name"),
            s_int(c, "item_version"));
    fprintf(out, "Department  %s %s\n", s_str(c, "department_code"), s_str(c, "department_name"));
    fprintf(out, "Applicant   %s, %s %s, phone %s\n", s_str(a, "name"), s_str(a, "id_type"), masked,
            s_str(a, "phone"));
    fprintf(out, "Received    %s via %s at centre %s\n", s_str(c, "received_at"),
            s_str(c, "channel"), s_str(c, "centre_id"));
    fprintf(out, "Accepted    %s\n", s_str(c, "accepted_at"));
    fprintf(out, "Decided     %s\n", s_str(c, "decided_at"));
    fprintf(out, "Time limit  promised %lld, legal %lld (%s)\n", s_int(c, "promised_limit"),
            s_int(c, "legal_limit"), s_str(c, "limit_unit"));
}

void report_case(FILE *out, const json_t *view)
{
    s_report_case_summary(out, json_object_get(view, "case"));
    s_report_clock(out, json_object_get(view, "clock"));
    s_report_tasks(out, json_object_get(view, "tasks"));
    s_report_rating(out, json_object_get(view, "rating"));

    const json_t *degraded = json_object_get(view, "degraded");
    if (json_array_size(degraded) > 0) {
        fprintf(out, "Incomplete  no answer from");
        size_t i;
        const json_t *d;
        json_array_foreach(degraded, i, d)
        {
            fprintf(out, "%s %s", i ? "," : "", json_is_string(d) ? json_string_value(d) : "?");
        }
        fprintf(out, ": the parts they own may be missing above\n");
    }
}

void report_submitted(FILE *out, const json_t *answer)
{
    s_report_case_summary(out, json_object_get(answer, "case"));
}

void report_receipt_decided(FILE *out, const json_t *answer)
{
    s_report_case_summary(out, json_object_get(answer, "case"));
    const json_t *doc = json_object_get(answer, "document");
    fprintf(out, "Outcome     %s\n", s_str(answer, "outcome"));
    fprintf(out, "Document    %s %s, issued %s\n", s_str(doc, "kind"), s_str(doc, "title"),
            s_str(doc, "issued_at"));
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(doc, "listed"), i, m) fprintf(
        out, "  listed    %s %s: %s\n", s_str(m, "code"), s_str(m, "name"), s_str(m, "why"));
    if (*s_str(doc, "reason"))
        fprintf(out, "Reason      %s\n", s_str(doc, "reason"));
}

void report_clock_moved(FILE *out, const json_t *answer)
{
    const json_t *offset = json_object_get(answer, "offset_seconds");
    fprintf(out, "System time is now %s (offset %.0f s)\n", s_str(answer, "now"),
            json_is_number(offset) ? json_number_value(offset) : 0.0);
}

void report_clock_survey(FILE *out, const json_t *answer)
{
    const json_t *offset = json_object_get(answer, "offset_seconds");
    fprintf(out, "gateway view  %s  offset %.0f s  test clock %s\n", s_str(answer, "now"),
            json_is_number(offset) ? json_number_value(offset) : 0.0,
            json_is_true(json_object_get(answer, "test_clock")) ? "on" : "off");
    const char *key;
    const json_t *reading;
    json_object_foreach((json_t *)json_object_get(answer, "services"), key, reading)
    {
        const json_t *o = json_object_get(reading, "offset_seconds");
        fprintf(out, "  %-11s %s  offset %.0f s\n", key, s_str(reading, "now"),
                json_is_number(o) ? json_number_value(o) : 0.0);
    }
    const json_t *degraded = json_object_get(answer, "degraded");
    size_t i;
    const json_t *d;
    json_array_foreach(degraded, i, d)
    {
        fprintf(out, "  %-11s did not answer\n", json_is_string(d) ? json_string_value(d) : "?");
    }
}

static void s_token_line(FILE *out, const json_t *t)
{
    const json_t *revoked = json_object_get(t, "revoked_at");
    fprintf(out, "%-20s %-10s %-12s %-20s expires %s%s%s\n",
            json_string_value(json_object_get(t, "token_id")) ?: "?",
            json_string_value(json_object_get(t, "role")) ?: "?",
            json_string_value(json_object_get(t, "centre_id")) ?: "?",
            json_string_value(json_object_get(t, "subject")) ?: "?",
            json_string_value(json_object_get(t, "expires_at")) ?: "?",
            json_is_string(revoked) ? "  REVOKED " : "", json_string_value(revoked) ?: "");
}

void report_tokens(FILE *out, bool issued, const json_t *answer)
{
    const json_t *token = json_object_get(answer, "token");
    const json_t *list = json_object_get(answer, "tokens");
    if (issued) {
        if (json_is_string(token))
            fprintf(out, "token %s\n(shown once: keep it secret; only its SHA-256 is stored)\n",
                    json_string_value(token));
        else
            fprintf(out, "already issued with this Idempotency-Key (the secret is not kept):\n");
        s_token_line(out, json_object_get(answer, "issued"));
        return;
    }
    if (json_is_object(token)) {
        s_token_line(out, token);
        return;
    }
    size_t i;
    const json_t *t;
    json_array_foreach(list, i, t)
    {
        s_token_line(out, t);
    }
    const char *next = json_string_value(json_object_get(answer, "next_after"));
    if (next && *next)
        fprintf(out, "more: owctl token list --after %s\n", next);
}

static void s_delivery_line(FILE *out, const json_t *d)
{
    fprintf(out, "%s  %-8s %-20s %-8s %-24s attempts %lld  %s\n",
            json_string_value(json_object_get(d, "delivery_id")) ?: "",
            json_string_value(json_object_get(d, "state")) ?: "",
            json_string_value(json_object_get(d, "kind")) ?: "",
            json_string_value(json_object_get(d, "channel")) ?: "",
            json_string_value(json_object_get(d, "recipient")) ?: "",
            (long long)json_integer_value(json_object_get(d, "attempts")),
            json_string_value(json_object_get(d, "last_error")) ?: "");
}

void report_operations(FILE *out, owctl_verb_t verb, const json_t *answer)
{
    if (verb == OWCTL_CALENDAR_LOAD) {
        const char *centre = json_string_value(json_object_get(answer, "centre_id"));
        fprintf(out, "calendar %lld loaded (%s%s)\n",
                (long long)json_integer_value(json_object_get(answer, "year")),
                centre && *centre ? "centre " : "national", centre && *centre ? centre : "");
        return;
    }
    if (verb == OWCTL_NOTIFY_RESEND) {
        fprintf(out, "queued again: ");
        s_delivery_line(out, json_object_get(answer, "delivery"));
        return;
    }
    const json_t *list = json_object_get(answer, "deliveries");
    size_t i;
    const json_t *d;
    json_array_foreach(list, i, d) s_delivery_line(out, d);
    const char *next = json_string_value(json_object_get(answer, "next_after"));
    fprintf(out, "%zu dead letter%s%s%s\n", json_array_size(list),
            json_array_size(list) == 1 ? "" : "s", next && *next ? "; more with --after " : "",
            next && *next ? next : "");
}

static double s_real(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

/* One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void s_csv_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void report_ratings(FILE *out, bool csv, const json_t *answer)
{
    const json_t *rows = json_object_get(answer, "rows");
    const char *next = json_string_value(json_object_get(answer, "next_page_token"));
    size_t i;
    const json_t *r;

    if (csv)
        fputs("period_start,key,total,excluded,valid,active,defaults,good,bad,grade_1,grade_2,"
              "grade_3,grade_4,grade_5,active_rate,good_rate,bad_rate,rectified,revisited,"
              "rectification_rate,revisit_rate\n",
              out);
    else
        fprintf(out, "%-10s  %-16s %7s %7s %7s %8s %7s %7s %7s %7s %9s %9s\n", "period", "key",
                "total", "valid", "active", "defaults", "good", "bad", "good%", "bad%", "rectified",
                "revisited");
    json_array_foreach(rows, i, r)
    {
        const char *period = json_string_value(json_object_get(r, "period_start")) ?: "";
        const char *key = json_string_value(json_object_get(r, "key")) ?: "";
        if (!csv) {
            fprintf(
                out,
                "%-10s  %-16s %7lld %7lld %7lld %8lld %7lld %7lld %6.1f%% %6.1f%% %9lld %9lld\n",
                period, key, s_int(r, "total"), s_int(r, "valid"), s_int(r, "active"),
                s_int(r, "defaults"), s_int(r, "good"), s_int(r, "bad"),
                100.0 * s_real(r, "good_rate"), 100.0 * s_real(r, "bad_rate"),
                s_int(r, "rectified"), s_int(r, "revisited"));
            continue;
        }
        const json_t *grades = json_object_get(r, "grade_counts");
        s_csv_text(out, period);
        fputc(',', out);
        s_csv_text(out, key);
        fprintf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld", s_int(r, "total"), s_int(r, "excluded"),
                s_int(r, "valid"), s_int(r, "active"), s_int(r, "defaults"), s_int(r, "good"),
                s_int(r, "bad"));
        for (size_t g = 0; g < 5; g++)
            fprintf(out, ",%lld", (long long)json_integer_value(json_array_get(grades, g)));
        fprintf(out, ",%.4f,%.4f,%.4f,%lld,%lld,%.4f,%.4f\n", s_real(r, "active_rate"),
                s_real(r, "good_rate"), s_real(r, "bad_rate"), s_int(r, "rectified"),
                s_int(r, "revisited"), s_real(r, "rectification_rate"), s_real(r, "revisit_rate"));
    }
    if (next && *next)
        fprintf(csv ? stderr : out, "more: the same command with --after %s\n", next);
    else if (!csv)
        fprintf(out, "%zu row%s\n", json_array_size(rows), json_array_size(rows) == 1 ? "" : "s");
}

void report_assessment_month(FILE *out, const json_t *answer)
{
    const json_t *rows = json_object_get(answer, "rows");
    const char *next = json_string_value(json_object_get(answer, "next_after"));
    size_t i;
    const json_t *r;

    fprintf(out, "assessment %s (at most %lld 好)\n",
            json_string_value(json_object_get(answer, "month")) ?: "", s_int(answer, "good_cap"));
    fprintf(out, "%4s  %-16s %5s  %-24s %8s %5s  %-6s %9s %7s\n", "rank", "staff", "score",
            "groups", "deducted", "bonus", "grade", "bonus(元)", "ratings");
    json_array_foreach(rows, i, r)
    {
        char groups[64] = "";
        size_t used = 0;
        const json_t *scores = json_object_get(r, "group_scores");
        for (size_t g = 0; g < json_array_size(scores) && used < sizeof groups; g++) {
            int n = snprintf(groups + used, sizeof groups - used, "%s%lld", g ? "/" : "",
                             (long long)json_integer_value(json_array_get(scores, g)));
            if (n < 0)
                break;
            used += (size_t)n;
        }
        long long fen = s_int(r, "bonus_fen");
        fprintf(out, "%4lld  %-16s %5lld  %-24s %8lld %5lld  %-6s %6lld.%02lld %7lld\n",
                s_int(r, "rank"), json_string_value(json_object_get(r, "staff_id")) ?: "",
                s_int(r, "score"), groups, s_int(r, "deducted"), s_int(r, "bonus"),
                json_string_value(json_object_get(r, "grade")) ?: "", fen / 100, fen % 100,
                s_int(r, "unsatisfied_ratings"));
    }
    if (next && *next)
        fprintf(out, "more: the same command with --after %s\n", next);
}

static const char *s_text(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

static void s_ticket_line(FILE *out, const json_t *t)
{
    fprintf(out, "ticket %s (%s) %s at window %s%s%s", s_text(t, "number"), s_text(t, "ticket_id"),
            s_text(t, "state"), s_text(t, "window"),
            json_is_true(json_object_get(t, "love")) ? ", 爱心通道" : "",
            *s_text(t, "appointment_id") ? ", booked" : "");
    json_int_t waiting = json_integer_value(json_object_get(t, "waiting_seconds"));
    json_int_t serving = json_integer_value(json_object_get(t, "serving_seconds"));
    if (waiting)
        fprintf(out, ", waited %lld s", (long long)waiting);
    if (serving)
        fprintf(out, ", served %lld s", (long long)serving);
    fputc('\n', out);
}

void report_hall(FILE *out, owctl_verb_t verb, const json_t *answer)
{
    if (verb == OWCTL_SLOTS) {
        const json_t *list = json_object_get(answer, "slots");
        size_t i;
        const json_t *s;
        json_array_foreach(list, i, s)
        {
            fprintf(out, "slot %s  %s  window %s  %s  %lld/%lld booked\n", s_text(s, "slot_id"),
                    s_text(s, "start"), s_text(s, "window"), s_text(s, "item_group"),
                    (long long)json_integer_value(json_object_get(s, "booked")),
                    (long long)json_integer_value(json_object_get(s, "capacity")));
        }
        fprintf(out, "%zu free slot%s\n", json_array_size(list),
                json_array_size(list) == 1 ? "" : "s");
        return;
    }
    const json_t *a = json_object_get(answer, "appointment");
    if (a)
        fprintf(out, "appointment %s %s: slot %s at %s, window %s\n", s_text(a, "appointment_id"),
                s_text(a, "state"), s_text(a, "slot_id"), s_text(a, "slot_start"),
                s_text(a, "window"));
    const json_t *t = json_object_get(answer, "ticket");
    if (json_is_object(t))
        s_ticket_line(out, t);
}

void report_assessment_year(FILE *out, const json_t *answer)
{
    const json_t *rows = json_object_get(answer, "rows");
    const char *next = json_string_value(json_object_get(answer, "next_after"));
    size_t i;
    const json_t *r;

    fprintf(out, "assessment %s (at most %lld 优秀)\n",
            json_string_value(json_object_get(answer, "year")) ?: "",
            s_int(answer, "excellent_cap"));
    fprintf(out, "%4s  %-16s %-10s %-36s %3s %3s %3s %5s %6s\n", "rank", "staff", "grade",
            "months 1-12", "好", "一般", "差", "run差", "score");
    json_array_foreach(rows, i, r)
    {
        /* The twelve month grades, '-' where the staff member was not assessed. */
        char months[96] = "";
        size_t used = 0;
        const json_t *ms = json_object_get(r, "months");
        for (size_t m = 0; m < json_array_size(ms) && used < sizeof months; m++) {
            const char *g = json_string_value(json_array_get(ms, m));
            int n = snprintf(months + used, sizeof months - used, "%s%s", m ? " " : "",
                             g && *g ? g : "-");
            if (n < 0)
                break;
            used += (size_t)n;
        }
        const char *grade = json_string_value(json_object_get(r, "grade"));
        fprintf(out, "%4lld  %-16s %-10s %-36s %3lld %3lld %3lld %5lld %6lld%s\n", s_int(r, "rank"),
                json_string_value(json_object_get(r, "staff_id")) ?: "", grade ?: "", months,
                s_int(r, "good_months"), s_int(r, "fair_months"), s_int(r, "poor_months"),
                s_int(r, "longest_poor_run"), s_int(r, "total_score"),
                json_is_true(json_object_get(r, "full_year")) ? "" : "  (not a full year)");
    }
    if (next && *next)
        fprintf(out, "more: the same command with --after %s\n", next);
}
