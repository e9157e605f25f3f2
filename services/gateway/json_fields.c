#include "json_fields.h"
#include "ow_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_fields_parse_object(const char *text, size_t len, ow_error_t *err)
{
    json_error_t jerr;
    json_t *root = NULL;

    if (len == 0) {
        ow_error_add_violation(err, "body", "is empty: a JSON object is required");
        goto fail;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        ow_error_add_violation(err, "body", "is not valid JSON: %s (line %d, column %d)", jerr.text,
                               jerr.line, jerr.column);
        goto fail;
    }
    if (!json_is_object(root)) {
        ow_error_add_violation(err, "body", "must be a JSON object");
        goto fail;
    }
    return root;
fail:
    json_decref(root);
    ow_error_finish_violations(err);
    return NULL;
}

void json_fields_path(char *out, const char *prefix, const char *name)
{
    snprintf(out, JSON_FIELDS_PATH_MAX, "%s%s", prefix, name);
}

void json_fields_reject_unknown(const json_t *obj, const char *prefix, const char *const *allowed,
                                ow_error_t *err)
{
    const char *key;
    json_t *value;
    char path[JSON_FIELDS_PATH_MAX];

    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            /* The key is client text: bound what we echo back. */
            char shown[40];
            snprintf(shown, sizeof shown, "%s", key);
            json_fields_path(path, prefix, shown);
            ow_error_add_violation(err, path, "unknown field");
        }
    }
}

size_t json_fields_utf8_length(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

const char *json_fields_string_value(const json_t *value, const char *path, size_t max_chars,
                                     ow_error_t *err)
{
    if (!json_is_string(value)) {
        ow_error_add_violation(err, path, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(value);
    if (s[0] == '\0') {
        ow_error_add_violation(err, path, "must not be empty");
        return NULL;
    }
    if (json_fields_utf8_length(s) > max_chars) {
        ow_error_add_violation(err, path, "must be at most %zu characters", max_chars);
        return NULL;
    }
    return s;
}

const char *json_fields_string(const json_t *obj, const char *prefix, const char *name,
                               size_t max_chars, bool required, ow_error_t *err)
{
    char path[JSON_FIELDS_PATH_MAX];
    json_fields_path(path, prefix, name);

    json_t *value = json_object_get(obj, name);
    if (!value || json_is_null(value)) {
        if (required)
            ow_error_add_violation(err, path, "is required");
        return required ? NULL : "";
    }
    if (!json_is_string(value)) {
        ow_error_add_violation(err, path, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(value);
    if (s[0] == '\0') {
        if (required)
            ow_error_add_violation(err, path, "is required and must not be empty");
        return required ? NULL : "";
    }
    if (json_fields_utf8_length(s) > max_chars) {
        ow_error_add_violation(err, path, "must be at most %zu characters", max_chars);
        return NULL;
    }
    return s;
}

int json_fields_int(const json_t *obj, const char *prefix, const char *name, int64_t min,
                    int64_t max, bool required, int64_t *out, ow_error_t *err)
{
    char path[JSON_FIELDS_PATH_MAX];
    json_fields_path(path, prefix, name);

    json_t *value = json_object_get(obj, name);
    if (!value || json_is_null(value)) {
        if (required) {
            ow_error_add_violation(err, path, "is required");
            return -1;
        }
        return 0;
    }
    /* jansson parses 5.0 as a real and overflowing integers as errors, so json_is_integer
     * is the whole "is an integer" test. */
    if (!json_is_integer(value)) {
        ow_error_add_violation(err, path, "must be an integer");
        return -1;
    }
    json_int_t v = json_integer_value(value);
    if (v < min || v > max) {
        ow_error_add_violation(err, path, "must be between %lld and %lld", (long long)min,
                               (long long)max);
        return -1;
    }
    *out = (int64_t)v;
    return 1;
}

bool json_fields_utf8_valid(const char *s)
{
    return ow_text_utf8_valid(s);
}

json_t *json_fields_text(const char *s)
{
    size_t len = strlen(s);
    /* Worst case every byte becomes the 3-byte replacement character. */
    char *buf = malloc(len * 3 + 1);
    json_t *out = NULL;
    size_t o = 0;

    if (!buf)
        return NULL;
    for (const char *p = s; *p;) {
        size_t n = ow_text_utf8_seq(p, len - (size_t)(p - s));
        if (n == 0) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        } else {
            memcpy(buf + o, p, n);
            o += n;
            p += n;
        }
    }
    out = json_stringn(buf, o);
    free(buf);
    return out;
}
