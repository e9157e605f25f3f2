#include "organisation.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "decision.h"
#include "extension.h"
#include "ow_text.h"

static bool s_is(const char *s, const char *v)
{
    return s && strcmp(s, v) == 0;
}

static bool s_empty(const char *s)
{
    return !s || !*s;
}

static bool s_area_code(const char *s)
{
    if (!s || strlen(s) != ROUTING_AREA_CODE_LEN)
        return false;
    for (size_t i = 0; i < ROUTING_AREA_CODE_LEN; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool s_name(const char *s)
{
    return !s_empty(s) && ow_text_valid(s, ROUTING_NAME_MAX);
}

/* Adds "<table>[<row>].<field>: <what>". */
static void s_bad(ow_error_t *err, const char *table, size_t row, const char *field,
                  const char *what, int *n)
{
    char name[64];
    snprintf(name, sizeof name, "%s[%zu].%s", table, row, field);
    ow_error_add_violation(err, name, "%s", what);
    (*n)++;
}

static const char S_ID_RULE[] = "must be 1-64 letters, digits, '-', '_' or '.'";

bool routing_role_valid(const char *role)
{
    static const char *const roles[] = {"window_clerk",    "approver",   "chief_representative",
                                        "department_head", "supervisor", "administrator"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (s_is(role, roles[i]))
            return true;
    return false;
}

int routing_centre_check(const routing_centre_t *c, const char *parent_level, size_t row,
                         ow_error_t *err)
{
    int n = 0;
    if (!s_area_code(c->centre_id))
        s_bad(err, "centres", row, "centre_id", "must be the 12-digit area code", &n);
    if (!s_name(c->name))
        s_bad(err, "centres", row, "name", "must be 1-200 bytes of UTF-8", &n);
    bool county = s_is(c->level, "county"), village = s_is(c->level, "village");
    if (!county && !village && !s_is(c->level, "sub_centre") && !s_is(c->level, "township")) {
        s_bad(err, "centres", row, "level", "must be county, sub_centre, township or village", &n);
        return n;
    }
    /* 1+7+N: one county centre at the top; sub-centres and townships under it; villages
     * under a township (or a sub-centre). */
    if (county) {
        if (!s_empty(c->parent_id))
            s_bad(err, "centres", row, "parent_id", "a county centre has no parent", &n);
        return n;
    }
    if (!s_area_code(c->parent_id)) {
        s_bad(err, "centres", row, "parent_id", "must be the parent centre's 12-digit area code",
              &n);
        return n;
    }
    if (s_is(c->parent_id, c->centre_id)) {
        s_bad(err, "centres", row, "parent_id", "a centre cannot be its own parent", &n);
        return n;
    }
    if (parent_level) {
        bool ok = village ? (s_is(parent_level, "township") || s_is(parent_level, "sub_centre"))
                          : s_is(parent_level, "county");
        if (!ok)
            s_bad(err, "centres", row, "parent_id",
                  village ? "a village station belongs to a township centre or sub-centre"
                          : "a sub-centre or township centre belongs to the county centre",
                  &n);
    }
    /* GB/T 2260 + 统计用区划代码: a place's code starts with its parent's — the county's first
     * six digits, a township's first nine. */
    size_t prefix = village ? 9 : 6;
    if (s_area_code(c->centre_id) && strncmp(c->centre_id, c->parent_id, prefix) != 0)
        s_bad(err, "centres", row, "centre_id",
              village ? "a village's area code starts with its township's first 9 digits"
                      : "the area code starts with the county's first 6 digits",
              &n);
    return n;
}

int routing_department_check(const routing_department_t *d, size_t row, ow_error_t *err)
{
    int n = 0;
    if (!routing_id_valid(d->code))
        s_bad(err, "departments", row, "code", S_ID_RULE, &n);
    if (!s_name(d->name))
        s_bad(err, "departments", row, "name", "must be 1-200 bytes of UTF-8", &n);
    if (!s_empty(d->centre_id) && !s_area_code(d->centre_id))
        s_bad(err, "departments", row, "centre_id", "must be empty or a 12-digit area code", &n);
    return n;
}

int routing_staff_check(const routing_staff_t *s, size_t row, ow_error_t *err)
{
    int n = 0;
    if (!routing_id_valid(s->staff_id))
        s_bad(err, "staff", row, "staff_id", S_ID_RULE, &n);
    if (!s_name(s->name))
        s_bad(err, "staff", row, "name", "must be 1-200 bytes of UTF-8", &n);
    if (!routing_id_valid(s->department_code))
        s_bad(err, "staff", row, "department_code", S_ID_RULE, &n);
    if (!routing_role_valid(s->role))
        s_bad(err, "staff", row, "role",
              "must be window_clerk, approver, chief_representative, department_head, "
              "supervisor or administrator",
              &n);
    return n;
}

int routing_post_check(const routing_post_t *p, size_t row, ow_error_t *err)
{
    int n = 0;
    if (!routing_id_valid(p->post_code))
        s_bad(err, "posts", row, "post_code", S_ID_RULE, &n);
    if (!routing_id_valid(p->department_code))
        s_bad(err, "posts", row, "department_code", S_ID_RULE, &n);
    if (!s_name(p->name))
        s_bad(err, "posts", row, "name", "must be 1-200 bytes of UTF-8", &n);
    if (!routing_id_valid(p->a_holder))
        s_bad(err, "posts", row, "a_holder", "must name the A holder (主岗), a staff id", &n);
    if (!s_empty(p->b_holder) && !routing_id_valid(p->b_holder))
        s_bad(err, "posts", row, "b_holder", "must be empty or a staff id", &n);
    /* DOMAIN §4: B stands in for A, so they are two people. */
    if (!s_empty(p->b_holder) && s_is(p->a_holder, p->b_holder))
        s_bad(err, "posts", row, "b_holder", "must be someone other than the A holder", &n);
    return n;
}

int routing_absence_check(const char *staff_id, const char *kind, int64_t start_us, int64_t end_us,
                          const char *reason, ow_error_t *err)
{
    int n = 0;
    if (!routing_id_valid(staff_id)) {
        ow_error_add_violation(err, "staff_id", "%s", S_ID_RULE);
        n++;
    }
    if (!s_is(kind, "leave") && !s_is(kind, "training") && !s_is(kind, "trip")) {
        ow_error_add_violation(err, "kind", "must be leave, training or trip");
        n++;
    }
    if (start_us < 0) {
        ow_error_add_violation(err, "start_at_us", "must be 0 (now) or a time");
        n++;
    }
    if (end_us <= start_us) {
        ow_error_add_violation(err, "end_at_us", "must be after the start");
        n++;
    }
    if (reason && !ow_text_valid(reason, ROUTING_REASON_MAX)) {
        ow_error_add_violation(err, "reason", "must be UTF-8 of at most %d bytes",
                               ROUTING_REASON_MAX);
        n++;
    }
    return n;
}

int routing_may_manage_org(const routing_actor_t *actor, ow_error_t *err)
{
    if (actor->active && s_is(actor->role, "administrator"))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED,
                 "only an active administrator may change the organisation; %s is not",
                 s_empty(actor->staff_id) ? "the caller" : actor->staff_id);
    return -1;
}

int routing_may_record_absence(const routing_actor_t *actor, const char *staff_id,
                               const char *staff_department, bool override, ow_error_t *err)
{
    const char *who = s_empty(actor->staff_id) ? "the caller" : actor->staff_id;
    if (!actor->active) {
        ow_error_set(err, OW_PERMISSION_DENIED, "%s is not active staff", who);
        return -1;
    }
    /* DOMAIN §4: a post left without A and B only "unless a supervisor overrides". */
    if (override && !s_is(actor->role, "supervisor")) {
        ow_error_set(err, OW_PERMISSION_DENIED,
                     "only a supervisor may override the rule that a post keeps A or B; %s is "
                     "not one",
                     who);
        return -1;
    }
    bool own_department = staff_department && s_is(actor->department_code, staff_department);
    if (s_is(actor->staff_id, staff_id) || s_is(actor->role, "supervisor") ||
        s_is(actor->role, "administrator") ||
        (own_department &&
         (s_is(actor->role, "chief_representative") || s_is(actor->role, "department_head"))))
        return 0;
    ow_error_set(err, OW_PERMISSION_DENIED,
                 "%s may not record absences of %s: the person themselves, their department's "
                 "chief representative or head, a supervisor or an administrator may",
                 who, staff_id);
    return -1;
}
