#include "completeness.h"

#include <string.h>

static bool s_handed_in(const char *code, const char *const *handed_in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (handed_in[i] && strcmp(handed_in[i], code) == 0)
            return true;
    return false;
}

static bool s_on_list(const intake_item_t *item, const char *code)
{
    for (size_t i = 0; i < item->material_count; i++)
        if (strcmp(item->materials[i].code, code) == 0)
            return true;
    return false;
}

int intake_check_materials(const intake_item_t *item, const char *const *handed_in, size_t count,
                           ow_error_t *err)
{
    int added = 0;
    for (size_t i = 0; i < item->material_count; i++) {
        const intake_material_t *m = &item->materials[i];
        if (!m->required || m->shared_by_data)
            continue;
        if (s_handed_in(m->code, handed_in, count))
            continue;
        ow_error_add_violation(err, "materials",
                               "material '%s' (%s) is missing: required for item %s %s", m->name,
                               m->code, item->impl_code, item->name);
        added++;
    }
    for (size_t i = 0; i < count; i++) {
        const char *code = handed_in[i];
        if (!code || s_on_list(item, code))
            continue;
        /* Report each unknown code once even when it was handed in twice. */
        if (s_handed_in(code, handed_in, i))
            continue;
        ow_error_add_violation(err, "materials",
                               "material code '%s' is not on the list of item %s %s", code,
                               item->impl_code, item->name);
        added++;
    }
    return added;
}
