/* templates — see templates.h. One scanner reads a body both when it is checked and when it
 * is rendered, so what was checked is exactly what renders. */
#include "templates.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX 32

/* The facts each notice may use: what case.accepted / case.decided tell notifyd. */
static const char *const s_accepted[] = {
    "applicant_name", "case_no",    "item_name", "accepted_date",
    "promised_limit", "limit_unit", NULL};
static const char *const s_approved[] = {"applicant_name", "case_no", "item_name", "decided_date",
                                         NULL};
/* Refusals carry their reasons (DOMAIN.md §4: refuse with reasons and remedies). */
static const char *const s_refused[] = {"applicant_name", "case_no", "item_name",
                                        "decided_date",   "reason",  NULL};
static const char *const s_invitation[] = {"applicant_name", "case_no", "item_name", NULL};
/* E-mail subjects name the case, never its outcome or reasons (those are in the body). */
static const char *const s_subject[] = {"applicant_name", "case_no", "item_name", NULL};

/* Staff notices name the staff member and the case; the on-behalf wording names the absent
 * colleague (DOMAIN.md §8 "task from an absent colleague"). */
static const char *const s_task[] = {"staff_name", "case_no", "item_name", "stage", NULL};
static const char *const s_task_behalf[] = {"staff_name", "case_no",     "item_name",
                                            "stage",      "absent_name", NULL};
/* {why}: the case's closing in words (staff_task_closed_why). */
static const char *const s_task_closed[] = {"staff_name", "case_no", "item_name",
                                            "stage",      "why",     NULL};
static const char *const s_card[] = {"staff_name", "case_no",   "item_name", "scope",
                                     "due_time",   "remaining", NULL};
static const char *const s_card_supervisor[] = {"staff_name", "case_no",   "item_name",    "scope",
                                                "due_time",   "remaining", "holder_names", NULL};
static const char *const s_bad_review[] = {"staff_name", "case_no", "item_name",
                                           "grade_text", "comment", NULL};
static const char *const s_notice_issued[] = {"applicant_name", "case_no", "item_name", "materials",
                                              NULL};
static const char *const s_rongque[] = {"applicant_name", "case_no",         "item_name",
                                        "materials",      "supply_due_date", NULL};
static const char *const s_suspended[] = {"applicant_name",  "case_no", "item_name", "procedure",
                                          "expected_length", "reason",  NULL};
static const char *const s_extended[] = {"applicant_name", "case_no", "item_name",
                                         "extra_days",     "reason",  NULL};
/* Evaluation (DOMAIN.md §6/§8). None names the rater's identity: the events do not carry it,
 * and a template naming {applicant_id_number} is refused at load. */
static const char *const s_reminder[] = {"applicant_name", "case_no", "item_name",
                                         "rate_until_date", NULL};
static const char *const s_rect_result[] = {"applicant_name", "case_no",      "item_name",
                                            "classification", "rectify_note", NULL};
static const char *const s_overdue[] = {"staff_name", "case_no",  "item_name", "department",
                                        "grade_text", "due_date", NULL};
static const char *const s_notice_subject[] = {"case_no", "item_name", NULL};

static const struct {
    const char *kind;
    const char *const *placeholders;
} s_kinds[] = {
    {TEMPLATE_CASE_ACCEPTED, s_accepted},
    {TEMPLATE_CASE_DECIDED_APPROVED, s_approved},
    {TEMPLATE_CASE_DECIDED_REFUSED, s_refused},
    {TEMPLATE_RATING_INVITATION, s_invitation},
    {TEMPLATE_CASE_ACCEPTED_SUBJECT, s_subject},
    {TEMPLATE_CASE_DECIDED_SUBJECT, s_subject},
    {TEMPLATE_RATING_INVITATION_SUBJECT, s_subject},
    {TEMPLATE_TASK_ASSIGNED, s_task},
    {TEMPLATE_TASK_ASSIGNED_ON_BEHALF, s_task_behalf},
    {TEMPLATE_DEADLINE_YELLOW, s_card},
    {TEMPLATE_DEADLINE_RED, s_card},
    {TEMPLATE_DEADLINE_RED_SUPERVISOR, s_card_supervisor},
    {TEMPLATE_BAD_REVIEW, s_bad_review},
    {TEMPLATE_CASE_NOTICE_ISSUED, s_notice_issued},
    {TEMPLATE_CASE_RONGQUE_ACCEPTED, s_rongque},
    {TEMPLATE_CASE_SUSPENDED, s_suspended},
    {TEMPLATE_CASE_EXTENDED, s_extended},
    {TEMPLATE_RATING_REMINDER, s_reminder},
    {TEMPLATE_RECTIFICATION_RESULT, s_rect_result},
    {TEMPLATE_OVERDUE_RECTIFICATION, s_overdue},
    {TEMPLATE_NOTICE_SUBJECT, s_notice_subject},
    {TEMPLATE_TASK_CLOSED, s_task_closed},
};
#define S_KIND_COUNT (sizeof s_kinds / sizeof s_kinds[0])

/* A kind's text for every channel ("" = any), or one channel's own ("kind@sms"). */
static const char *const s_channels[] = {"", "file", "sms", "email"};
#define S_CHANNEL_COUNT (sizeof s_channels / sizeof s_channels[0])
#define S_SLOTS         (S_KIND_COUNT * S_CHANNEL_COUNT)

struct templates {
    char *body[S_SLOTS];
    int version[S_SLOTS];
};

/* Called for each piece of a body: literal text, or a placeholder's name. */
typedef int(s_piece_fn)(void *ctx, const char *text, size_t len, bool placeholder, ow_error_t *err);

/* Index of the base kind of "kind" or "kind@channel"; -1 when unknown. */
static int s_base_index(const char *kind)
{
    if (!kind)
        return -1;
    const char *at = strchr(kind, '@');
    size_t len = at ? (size_t)(at - kind) : strlen(kind);
    for (size_t i = 0; i < S_KIND_COUNT; i++)
        if (strlen(s_kinds[i].kind) == len && memcmp(kind, s_kinds[i].kind, len) == 0)
            return (int)i;
    return -1;
}

/* Slot of "kind" (any channel) or "kind@channel"; -1 when either part is unknown. */
static int s_kind_index(const char *kind)
{
    int base = s_base_index(kind);
    if (base < 0)
        return -1;
    const char *at = strchr(kind, '@');
    const char *channel = at ? at + 1 : "";
    if (at && !*channel)
        return -1;
    for (size_t c = 0; c < S_CHANNEL_COUNT; c++)
        if (strcmp(channel, s_channels[c]) == 0)
            return base * (int)S_CHANNEL_COUNT + (int)c;
    return -1;
}

const char *const *templates_placeholders(const char *kind)
{
    int i = s_kind_index(kind);
    return i < 0 ? NULL : s_kinds[i / (int)S_CHANNEL_COUNT].placeholders;
}

const char *templates_pick(const templates_t *self, const char *kind, const char *channel,
                           char *buf, size_t size)
{
    if (channel && *channel && strcmp(channel, "any") != 0) {
        snprintf(buf, size, "%s@%s", kind, channel);
        int i = s_kind_index(buf);
        if (i >= 0 && self->body[i])
            return buf;
    }
    return kind;
}

static bool s_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

/* Splits body into pieces; returns -1 with err (INVALID_ARGUMENT) on a syntax error, or the
 * first non-zero return of fn. */
static int s_scan(const char *kind, const char *body, s_piece_fn *fn, void *ctx, ow_error_t *err)
{
    const char *p = body, *literal = body;
    while (*p) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            /* the text so far and one brace */
            if (fn(ctx, literal, (size_t)(p + 1 - literal), false, err) != 0)
                return -1;
            p += 2;
            literal = p;
        } else if (*p == '}') {
            ow_error_set(err, OW_INVALID_ARGUMENT,
                         "template %s: '}' at byte %zu closes nothing (write }} for a brace)", kind,
                         (size_t)(p - body));
            return -1;
        } else if (*p == '{') {
            const char *name = p + 1, *q = name;
            while (s_name_char(*q))
                q++;
            if (*q != '}') {
                ow_error_set(err, OW_INVALID_ARGUMENT,
                             "template %s: '{' at byte %zu does not start a placeholder "
                             "{name} with name in [a-z_] (write {{ for a brace)",
                             kind, (size_t)(p - body));
                return -1;
            }
            size_t len = (size_t)(q - name);
            if (len == 0 || len > S_NAME_MAX) {
                ow_error_set(err, OW_INVALID_ARGUMENT,
                             "template %s: placeholder at byte %zu has %s name", kind,
                             (size_t)(p - body), len ? "an over-long" : "an empty");
                return -1;
            }
            if (fn(ctx, literal, (size_t)(p - literal), false, err) != 0 ||
                fn(ctx, name, len, true, err) != 0)
                return -1;
            p = q + 1;
            literal = p;
        } else {
            p++;
        }
    }
    return fn(ctx, literal, (size_t)(p - literal), false, err);
}

typedef struct {
    const char *kind;
    const char *const *allowed;
} s_check_ctx_t;

static int s_check_piece(void *arg, const char *text, size_t len, bool placeholder, ow_error_t *err)
{
    s_check_ctx_t *ctx = arg;
    if (!placeholder)
        return 0;
    for (const char *const *a = ctx->allowed; *a; a++)
        if (strlen(*a) == len && memcmp(*a, text, len) == 0)
            return 0;
    ow_error_set(err, OW_INVALID_ARGUMENT,
                 "template %s names an unknown placeholder {%.*s}: it may use only the facts "
                 "its event supplies",
                 ctx->kind, (int)len, text);
    return -1;
}

int templates_check(const char *kind, const char *body, ow_error_t *err)
{
    const char *const *allowed = templates_placeholders(kind);
    if (!allowed) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "'%s' is not a template kind",
                     kind ? kind : "(null)");
        return -1;
    }
    if (!body || !*body) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "template %s is empty", kind);
        return -1;
    }
    if (strlen(body) > TEMPLATE_BODY_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "template %s is longer than %d bytes", kind,
                     TEMPLATE_BODY_MAX);
        return -1;
    }
    s_check_ctx_t ctx = {kind, allowed};
    return s_scan(kind, body, s_check_piece, &ctx, err);
}

templates_t *templates_new(void)
{
    return calloc(1, sizeof(templates_t));
}

void templates_destroy(templates_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < S_SLOTS; i++)
        free((*self_p)->body[i]);
    free(*self_p);
    *self_p = NULL;
}

int templates_add(templates_t *self, const char *kind, int version, const char *body,
                  ow_error_t *err)
{
    if (templates_check(kind, body, err) != 0)
        return -1;
    int i = s_kind_index(kind);
    if (version <= self->version[i])
        return 0;
    char *copy = strdup(body);
    if (!copy) {
        ow_error_set(err, OW_INTERNAL, "out of memory loading template %s", kind);
        return -1;
    }
    free(self->body[i]);
    self->body[i] = copy;
    self->version[i] = version;
    return 0;
}

int templates_check_complete(const templates_t *self, ow_error_t *err)
{
    /* Every kind needs a text for every channel: its own "any" text, or (for e-mail
     * subjects, which only e-mail uses) its e-mail text. */
    for (size_t i = 0; i < S_KIND_COUNT; i++) {
        size_t any = i * S_CHANNEL_COUNT, email = any + 3;
        if (!self->body[any] && !self->body[email]) {
            ow_error_set(err, OW_FAILED_PRECONDITION, "no template of kind %s is loaded",
                         s_kinds[i].kind);
            return -1;
        }
    }
    return 0;
}

int templates_version(const templates_t *self, const char *kind)
{
    int i = s_kind_index(kind);
    return i < 0 ? 0 : self->version[i];
}

/* A growing output buffer. */
typedef struct {
    char *buf;
    size_t len, cap;
    const template_value_t *values;
    size_t count;
    const char *kind;
} s_render_ctx_t;

static int s_append(s_render_ctx_t *ctx, const char *text, size_t len, ow_error_t *err)
{
    if (ctx->len + len + 1 > ctx->cap) {
        size_t cap = (ctx->cap ? ctx->cap : 256);
        while (cap < ctx->len + len + 1)
            cap *= 2;
        char *grown = realloc(ctx->buf, cap);
        if (!grown) {
            ow_error_set(err, OW_INTERNAL, "out of memory rendering template %s", ctx->kind);
            return -1;
        }
        ctx->buf = grown;
        ctx->cap = cap;
    }
    memcpy(ctx->buf + ctx->len, text, len);
    ctx->len += len;
    ctx->buf[ctx->len] = '\0';
    return 0;
}

static int s_render_piece(void *arg, const char *text, size_t len, bool placeholder,
                          ow_error_t *err)
{
    s_render_ctx_t *ctx = arg;
    if (!placeholder)
        return s_append(ctx, text, len, err);
    for (size_t i = 0; i < ctx->count; i++) {
        const char *name = ctx->values[i].name;
        if (strlen(name) == len && memcmp(name, text, len) == 0) {
            const char *value = ctx->values[i].value ? ctx->values[i].value : "";
            return s_append(ctx, value, strlen(value), err);
        }
    }
    ow_error_set(err, OW_INTERNAL, "template %s: no value given for {%.*s}", ctx->kind, (int)len,
                 text);
    return -1;
}

char *templates_render(const templates_t *self, const char *kind, const template_value_t *values,
                       size_t count, ow_error_t *err)
{
    int i = s_kind_index(kind);
    if (i < 0 || !self->body[i]) {
        ow_error_set(err, OW_NOT_FOUND, "no template of kind %s is loaded", kind ? kind : "");
        return NULL;
    }
    s_render_ctx_t ctx = {.values = values, .count = count, .kind = kind};
    if (s_scan(kind, self->body[i], s_render_piece, &ctx, err) != 0 ||
        s_append(&ctx, "", 0, err) != 0) {
        free(ctx.buf);
        return NULL;
    }
    return ctx.buf;
}
