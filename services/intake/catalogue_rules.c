#include "catalogue_rules.h"
#include "ow_text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "applicant.h"

static const char *const s_types[] = {"licensing",   "confirmation",  "payment",
                                      "reward",      "adjudication",  "filing",
                                      "other_power", "public_service"};
static const char *const s_levels[] = {"main", "sub", "business"};
static const char *const s_kinds[] = {"immediate", "promised"};
static const char *const s_units[] = {"working_days", "natural_days", "working_hours",
                                      "natural_hours"};
static const char *const s_forms[] = {"original", "copy", "electronic"};
static const char *const s_lanes[] = {"love", "green"};

#define S_IN(v, arr) s_in((v), (arr), sizeof(arr) / sizeof((arr)[0]))

static bool s_in(const char *v, const char *const *arr, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcmp(v, arr[i]) == 0)
            return true;
    return false;
}

bool intake_code_valid(const char *s)
{
    return ow_text_code(s, 64);
}

static bool s_empty(const char *s)
{
    return !s || !s[0];
}

static bool s_digits12(const char *s)
{
    if (!s || strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Adds "prefix.field" (or "field") with the formatted description. */
static int s_bad(ow_error_t *err, const char *prefix, const char *field, const char *what)
{
    char name[64];
    if (prefix && prefix[0])
        snprintf(name, sizeof name, "%s.%s", prefix, field);
    else
        snprintf(name, sizeof name, "%s", field);
    ow_error_add_violation(err, name, "%s", what);
    return 1;
}

bool intake_item_level_may_parent(const char *parent_level, const char *child_level)
{
    if (!parent_level || !child_level)
        return false;
    if (strcmp(child_level, "sub") == 0)
        return strcmp(parent_level, "main") == 0;
    if (strcmp(child_level, "business") == 0)
        return strcmp(parent_level, "sub") == 0 || strcmp(parent_level, "main") == 0;
    return false;
}

int intake_item_validate(const intake_item_t *it, const char *prefix, ow_error_t *err)
{
    int n = 0;
    char buf[200];
    if (!intake_code_valid(it->impl_code))
        n += s_bad(err, prefix, "impl_code",
                   "实施编码 must be 1-64 letters, digits, '-', '_' or '.'");
    if (!intake_code_valid(it->item_code))
        n += s_bad(err, prefix, "item_code",
                   "事项编码 must be 1-64 letters, digits, '-', '_' or '.'");
    if (s_empty(it->name) || !intake_text_valid(it->name, 200))
        n += s_bad(err, prefix, "name", "must be 1-200 bytes of text");
    if (!S_IN(it->item_type, s_types))
        n += s_bad(err, prefix, "item_type",
                   "must be one of licensing, confirmation, payment, reward, adjudication, "
                   "filing, other_power, public_service");
    const char *level = it->level ? it->level : "business";
    if (!S_IN(level, s_levels)) {
        n +=
            s_bad(err, prefix, "level", "must be main (主项), sub (子项) or business (业务办理项)");
    } else if (strcmp(level, "main") == 0 && !s_empty(it->parent_code)) {
        n += s_bad(err, prefix, "parent_code", "a main item (主项) has no parent");
    } else if (strcmp(level, "sub") == 0 && !intake_code_valid(it->parent_code)) {
        n += s_bad(err, prefix, "parent_code", "a sub-item (子项) names its main item's 实施编码");
    } else if (strcmp(level, "business") == 0 && !s_empty(it->parent_code) &&
               !intake_code_valid(it->parent_code)) {
        /* A business item without a parent stands alone: an item of the national catalogue
         * with no sub-items (and every item loaded before the hierarchy existed). */
        n += s_bad(err, prefix, "parent_code", "must be the 实施编码 of a main or sub-item");
    } else if (strcmp(level, "main") != 0 && !s_empty(it->parent_code) &&
               strcmp(it->parent_code, it->impl_code) == 0) {
        n += s_bad(err, prefix, "parent_code", "an item cannot be its own parent");
    }
    /* DOMAIN §2: every item has a responsible department. */
    if (s_empty(it->department_code) || !intake_code_valid(it->department_code))
        n += s_bad(err, prefix, "department_code", "the responsible department is required");
    if (s_empty(it->department_name) || !intake_text_valid(it->department_name, 200))
        n += s_bad(err, prefix, "department_name", "the department's name is required");
    bool kind_ok = S_IN(it->handling_kind, s_kinds);
    if (!kind_ok)
        n += s_bad(err, prefix, "handling_kind", "must be immediate (即办件) or promised (承诺件)");
    if (!S_IN(it->limit_unit, s_units))
        n += s_bad(err, prefix, "limit_unit",
                   "must be working_days, natural_days, working_hours or natural_hours");
    if (it->legal_limit < 0)
        n += s_bad(err, prefix, "legal_limit", "法定时限 may not be negative");
    if (kind_ok && strcmp(it->handling_kind, "immediate") == 0 && it->promised_limit != 0)
        n += s_bad(err, prefix, "promised_limit",
                   "a 即办件 is decided on the spot: it has no promised limit (0)");
    if (kind_ok && strcmp(it->handling_kind, "promised") == 0 && it->promised_limit < 1)
        n += s_bad(err, prefix, "promised_limit", "a 承诺件 promises at least 1 unit");
    if (it->promised_limit > it->legal_limit && it->legal_limit >= 0) {
        /* DOMAIN §2: the promised limit may never exceed the legal limit. */
        snprintf(buf, sizeof buf, "承诺时限 %d exceeds 法定时限 %d", it->promised_limit,
                 it->legal_limit);
        n += s_bad(err, prefix, "promised_limit", buf);
    }
    if (it->fee_cents < 0)
        n += s_bad(err, prefix, "fee_cents", "a fee may not be negative");
    for (size_t i = 0; i < it->centre_count; i++) {
        if (!s_digits12(it->centres[i])) {
            snprintf(buf, sizeof buf, "centres[%zu]", i);
            n += s_bad(err, prefix, buf, "must be a 12-digit area code (区划代码)");
        }
    }
    for (size_t i = 0; i < it->lane_count; i++) {
        char f[32];
        snprintf(f, sizeof f, "lanes[%zu]", i);
        if (!S_IN(it->lanes[i], s_lanes))
            n += s_bad(err, prefix, f, "must be love (爱心通道) or green (绿色通道)");
        for (size_t j = 0; j < i; j++)
            if (it->lanes[i] && it->lanes[j] && strcmp(it->lanes[i], it->lanes[j]) == 0) {
                n += s_bad(err, prefix, f, "is listed twice");
                break;
            }
    }
    for (size_t i = 0; i < it->material_count; i++) {
        const intake_material_t *m = &it->materials[i];
        char f[48];
        if (!intake_code_valid(m->code)) {
            snprintf(f, sizeof f, "materials[%zu].code", i);
            n += s_bad(err, prefix, f, "must be 1-64 letters, digits, '-', '_' or '.'");
        } else {
            for (size_t j = 0; j < i; j++) {
                if (it->materials[j].code && strcmp(it->materials[j].code, m->code) == 0) {
                    snprintf(f, sizeof f, "materials[%zu].code", i);
                    snprintf(buf, sizeof buf, "material '%s' is listed twice", m->code);
                    n += s_bad(err, prefix, f, buf);
                    break;
                }
            }
        }
        if (s_empty(m->name) || !intake_text_valid(m->name, 200)) {
            snprintf(f, sizeof f, "materials[%zu].name", i);
            n += s_bad(err, prefix, f, "must be 1-200 bytes of text");
        }
        if (!S_IN(m->form, s_forms)) {
            snprintf(f, sizeof f, "materials[%zu].form", i);
            n += s_bad(err, prefix, f, "must be original, copy or electronic");
        }
        if (m->copies < 0 || m->copies > 99) {
            snprintf(f, sizeof f, "materials[%zu].copies", i);
            n += s_bad(err, prefix, f, "must be 0-99");
        }
    }
    return n;
}
