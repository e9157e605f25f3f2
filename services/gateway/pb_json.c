#include "pb_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "api_time.h"
#include "json_fields.h"
#include "ow_clock.h"
#include "ow_pack.h"

/* Everything a decode allocates (messages, arrays, decoded bytes) hangs on one list, freed
 * at once after packing: the strings stay owned by the JSON object they came from. */
typedef struct s_block {
    struct s_block *next;
    max_align_t data[];
} s_block_t;

typedef struct {
    s_block_t *blocks;
    unsigned flags;
    bool oom;
    ow_error_t *err;
} s_decoder_t;

static void *s_alloc(s_decoder_t *d, size_t size)
{
    s_block_t *b = calloc(1, sizeof *b + size);
    if (!b) {
        d->oom = true;
        return NULL;
    }
    b->next = d->blocks;
    d->blocks = b;
    return b->data;
}

static void s_free_all(s_decoder_t *d)
{
    while (d->blocks) {
        s_block_t *next = d->blocks->next;
        free(d->blocks);
        d->blocks = next;
    }
}

/* A time field: int64 named "*_us". Its JSON name drops the suffix. */
static bool s_is_time(const ProtobufCFieldDescriptor *f)
{
    size_t n = strlen(f->name);
    return f->type == PROTOBUF_C_TYPE_INT64 && n > 3 && strcmp(f->name + n - 3, "_us") == 0;
}

static void s_json_name(const ProtobufCFieldDescriptor *f, char *out, size_t size)
{
    size_t n = strlen(f->name);
    if (s_is_time(f))
        n -= 3;
    if (n >= size)
        n = size - 1;
    memcpy(out, f->name, n);
    out[n] = '\0';
}

static const ProtobufCFieldDescriptor *s_field_by_json_name(const ProtobufCMessageDescriptor *desc,
                                                            const char *name)
{
    char jname[JSON_FIELDS_PATH_MAX];
    for (unsigned i = 0; i < desc->n_fields; i++) {
        s_json_name(&desc->fields[i], jname, sizeof jname);
        if (strcmp(jname, name) == 0)
            return &desc->fields[i];
    }
    return NULL;
}

static size_t s_scalar_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

/* An integer from a JSON integer, or from the text of a query value. -1 after a violation. */
static int s_integer(s_decoder_t *d, const json_t *v, const char *path, int64_t min, int64_t max,
                     int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < min || n > max)
            goto range;
        *out = n;
        return 0;
    }
    if ((d->flags & PB_JSON_QUERY) && json_is_string(v)) {
        const char *t = json_string_value(v);
        char *end = NULL;
        errno = 0;
        long long n = strtoll(t, &end, 10);
        if (!*t || *end || errno || t[0] == '+' || t[0] == ' ')
            goto bad;
        if (n < min || n > max)
            goto range;
        *out = n;
        return 0;
    }
bad:
    ow_error_add_violation(d->err, path, "must be an integer");
    return -1;
range:
    ow_error_add_violation(d->err, path, "must be an integer from %" PRId64 " to %" PRId64, min,
                           max);
    return -1;
}

static int s_decode_message(s_decoder_t *d, const ProtobufCMessageDescriptor *desc,
                            const json_t *obj, const char *prefix, int depth,
                            ProtobufCMessage **out);

/* Decodes one value of field f at path into slot (the field's storage or an array
 * element). -1 after a violation (or out of memory). */
static int s_decode_value(s_decoder_t *d, const ProtobufCFieldDescriptor *f, const json_t *v,
                          const char *path, int depth, void *slot)
{
    int64_t n = 0;
    bool query = d->flags & PB_JSON_QUERY;

    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v)) {
            ow_error_add_violation(d->err, path, "must be a string");
            return -1;
        }
        const char *s = json_string_value(v);
        if (json_fields_utf8_length(s) > PB_JSON_STRING_MAX) {
            ow_error_add_violation(d->err, path, "must be at most %d characters",
                                   PB_JSON_STRING_MAX);
            return -1;
        }
        *(const char **)slot = s;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v)) {
            ow_error_add_violation(d->err, path, "must be a base64 string");
            return -1;
        }
        const char *s = json_string_value(v);
        size_t len = strlen(s);
        if (len % 4 != 0 || len / 4 * 3 > PB_JSON_BYTES_MAX) {
            ow_error_add_violation(d->err, path, "must be base64 of at most %d bytes",
                                   PB_JSON_BYTES_MAX);
            return -1;
        }
        uint8_t *data = s_alloc(d, len / 4 * 3 + 1);
        if (!data)
            return -1;
        int got = len ? EVP_DecodeBlock(data, (const unsigned char *)s, (int)len) : 0;
        if (got < 0) {
            ow_error_add_violation(d->err, path, "must be base64");
            return -1;
        }
        /* EVP_DecodeBlock counts the padding as data. */
        for (size_t i = len; i > 0 && s[i - 1] == '=' && got > 0; i--)
            got--;
        ProtobufCBinaryData *b = slot;
        b->data = data;
        b->len = (size_t)got;
        return 0;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (json_is_boolean(v)) {
            *(protobuf_c_boolean *)slot = json_is_true(v);
            return 0;
        }
        if (query && json_is_string(v) &&
            (!strcmp(json_string_value(v), "true") || !strcmp(json_string_value(v), "false"))) {
            *(protobuf_c_boolean *)slot = !strcmp(json_string_value(v), "true");
            return 0;
        }
        ow_error_add_violation(d->err, path, "must be true or false");
        return -1;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (s_integer(d, v, path, INT32_MIN, INT32_MAX, &n) != 0)
            return -1;
        *(int32_t *)slot = (int32_t)n;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (s_integer(d, v, path, 0, UINT32_MAX, &n) != 0)
            return -1;
        *(uint32_t *)slot = (uint32_t)n;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
        if (s_is_time(f)) {
            int64_t us = 0;
            if (!json_is_string(v) || ow_clock_parse_rfc3339(json_string_value(v), &us) != 0) {
                ow_error_add_violation(d->err, path,
                                       "must be an RFC 3339 time (2026-11-22T09:00:00+08:00)");
                return -1;
            }
            *(int64_t *)slot = us;
            return 0;
        }
        /* fall through */
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (s_integer(d, v, path, INT64_MIN, INT64_MAX, &n) != 0)
            return -1;
        *(int64_t *)slot = n;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (s_integer(d, v, path, 0, INT64_MAX, &n) != 0)
            return -1;
        *(uint64_t *)slot = (uint64_t)n;
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
        double x = 0;
        if (json_is_number(v)) {
            x = json_number_value(v);
        } else if (query && json_is_string(v)) {
            char *end = NULL;
            x = strtod(json_string_value(v), &end);
            if (!*json_string_value(v) || *end) {
                ow_error_add_violation(d->err, path, "must be a number");
                return -1;
            }
        } else {
            ow_error_add_violation(d->err, path, "must be a number");
            return -1;
        }
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)slot = (float)x;
        else
            *(double *)slot = x;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        if (query || !json_is_object(v)) {
            ow_error_add_violation(d->err, path, "must be an object");
            return -1;
        }
        char prefix[JSON_FIELDS_PATH_MAX];
        /* Cut, never overrun: a path this deep only names the violation. */
        snprintf(prefix, sizeof prefix, "%.*s.", JSON_FIELDS_PATH_MAX - 2, path);
        return s_decode_message(d, f->descriptor, v, prefix, depth + 1, slot);
    case PROTOBUF_C_TYPE_ENUM:
        break;
    }
    ow_error_add_violation(d->err, path, "is not supported over HTTP");
    return -1;
}

static int s_decode_message(s_decoder_t *d, const ProtobufCMessageDescriptor *desc,
                            const json_t *obj, const char *prefix, int depth,
                            ProtobufCMessage **out)
{
    const char *name;
    const json_t *v;
    int rc = 0;

    if (depth > PB_JSON_DEPTH_MAX) {
        ow_error_add_violation(d->err, prefix, "nests deeper than %d", PB_JSON_DEPTH_MAX);
        return -1;
    }
    ProtobufCMessage *msg = s_alloc(d, desc->sizeof_message);
    if (!msg)
        return -1;
    desc->message_init(msg);
    json_object_foreach((json_t *)obj, name, v)
    {
        char path[JSON_FIELDS_PATH_MAX];
        json_fields_path(path, prefix, name);
        const ProtobufCFieldDescriptor *f = s_field_by_json_name(desc, name);
        if (!f || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            ow_error_add_violation(d->err, path, "unknown field");
            rc = -1;
            continue;
        }
        if (json_is_null(v))
            continue; /* absent: the proto3 default */
        char *field = (char *)msg + f->offset;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            if (s_decode_value(d, f, v, path, depth, field) != 0)
                rc = -1;
            continue;
        }
        if ((d->flags & PB_JSON_QUERY) || !json_is_array(v)) {
            ow_error_add_violation(d->err, path, "must be an array");
            rc = -1;
            continue;
        }
        size_t count = json_array_size(v);
        if (count > PB_JSON_ARRAY_MAX) {
            ow_error_add_violation(d->err, path, "must have at most %d entries", PB_JSON_ARRAY_MAX);
            rc = -1;
            continue;
        }
        size_t size = s_scalar_size(f->type);
        char *items = s_alloc(d, size * (count ? count : 1));
        if (!items)
            return -1;
        for (size_t i = 0; i < count; i++) {
            char ipath[JSON_FIELDS_PATH_MAX + 24];
            snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
            if (s_decode_value(d, f, json_array_get(v, i), ipath, depth, items + i * size) != 0)
                rc = -1;
        }
        *(size_t *)((char *)msg + f->quantifier_offset) = count;
        *(void **)field = items;
    }
    *out = msg;
    return d->oom ? -1 : rc;
}

int pb_json_pack(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                 const pb_json_fixed_t *fixed, unsigned flags, uint8_t **out, size_t *out_len,
                 ow_error_t *err)
{
    s_decoder_t d = {NULL, flags, false, err};
    ProtobufCMessage *msg = NULL;
    int rc = -1;

    if (!json_is_object(obj)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "the body must be a JSON object");
        goto done;
    }
    s_decode_message(&d, desc, obj, "", 0, &msg);
    for (size_t i = 0; fixed && fixed[i].field; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(desc, fixed[i].field);
        if (json_object_get(obj, fixed[i].field))
            ow_error_add_violation(err, fixed[i].field, "unknown field (the path gives it)");
        /* A field that is not a string is a programmer's mistake in a table row: ignored. */
        if (msg && f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED)
            *(const char **)((char *)msg + f->offset) = fixed[i].value;
    }
    if (d.oom) {
        ow_error_set(err, OW_INTERNAL, "out of memory decoding the request");
        goto done;
    }
    if (ow_error_finish_violations(err) != 0 || err->code != OW_OK)
        goto done;
    rc = ow_pack(msg, out, out_len, err);
done:
    s_free_all(&d);
    return rc;
}

/* ---- rendering ---- */

static json_t *s_base64(const ProtobufCBinaryData *b)
{
    if (b->len > (size_t)INT32_MAX / 2)
        return NULL;
    char *text = malloc(4 * ((b->len + 2) / 3) + 1);
    if (!text)
        return NULL;
    EVP_EncodeBlock((unsigned char *)text, b->data, (int)b->len);
    json_t *out = json_string(text);
    free(text);
    return out;
}

static json_t *s_render_value(const ProtobufCFieldDescriptor *f, const void *slot)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)slot;
        return json_fields_text(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return s_base64(slot);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)slot);
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return json_integer(*(const int32_t *)slot);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT64:
        if (s_is_time(f))
            return api_time_json(*(const int64_t *)slot);
        /* fall through */
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)slot);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)slot;
        return json_integer(u > INT64_MAX ? INT64_MAX : (json_int_t)u);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)slot);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)slot);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(const ProtobufCMessage *const *)slot;
        return m ? pb_json_render(m) : json_null();
    }
    }
    return json_null();
}

json_t *pb_json_render(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    json_t *obj = json_object();

    for (unsigned i = 0; obj && i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        const char *field = (const char *)msg + f->offset;
        char name[JSON_FIELDS_PATH_MAX];
        json_t *v = NULL;
        s_json_name(f, name, sizeof name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *)((const char *)msg + f->quantifier_offset);
            const char *items = *(const char *const *)field;
            size_t size = s_scalar_size(f->type);
            v = json_array();
            for (size_t j = 0; v && j < count; j++)
                if (json_array_append_new(v, s_render_value(f, items + j * size)) != 0) {
                    json_decref(v);
                    v = NULL;
                }
        } else {
            v = s_render_value(f, field);
        }
        if (!v || json_object_set_new(obj, name, v) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

json_t *pb_json_render_packed(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                              size_t len, const char *service, ow_error_t *err)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, data);
    if (!msg) {
        ow_error_set(err, OW_INTERNAL, "%s sent a reply that is not a %s", service, desc->name);
        return NULL;
    }
    json_t *out = pb_json_render(msg);
    if (!out)
        ow_error_set(err, OW_INTERNAL, "out of memory rendering %s's reply", service);
    protobuf_c_message_free_unpacked(msg, NULL);
    return out;
}
