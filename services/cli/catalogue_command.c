#include "catalogue_command.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "catalogue_csv.h"
#include "ow_envelope.h"
#include "report.h"
#include "requests.h"

#define S_FILE_MAX    (64u << 20)
#define S_CHUNK_ITEMS 200
#define S_CHUNK_BYTES (512u << 10) /* well under the gateway's 1 MiB body */

size_t catalogue_command_chunks(const json_t *items, size_t max_items, size_t max_bytes,
                                size_t *ends)
{
    size_t n = json_array_size(items), chunks = 0, count = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        char *text = json_dumps(json_array_get(items, i), JSON_COMPACT);
        size_t len = text ? strlen(text) + 1 : 0;
        free(text);
        if (count > 0 && (count == max_items || bytes + len > max_bytes)) {
            ends[chunks++] = i;
            count = bytes = 0;
        }
        count++;
        bytes += len;
    }
    if (count > 0)
        ends[chunks++] = n;
    return chunks;
}

/* The whole file (caller frees), or NULL with a message on stderr. */
static char *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "owctl: cannot open %s: %m\n", path);
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > S_FILE_MAX + 1) {
                fprintf(stderr, "owctl: %s is larger than %u MiB\n", path, S_FILE_MAX >> 20);
                goto fail;
            }
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                goto fail;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "owctl: cannot read %s\n", path);
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

static bool s_is_csv(const owctl_command_t *cmd)
{
    if (cmd->format)
        return strcmp(cmd->format, "csv") == 0;
    size_t n = strlen(cmd->file);
    return n >= 4 && strcasecmp(cmd->file + n - 4, ".csv") == 0;
}

/* The items of a JSON file: an array, or an object with "items" (what export writes). */
static int s_read_json(const char *text, size_t len, json_t **items, json_t **rows,
                       json_t **problems)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "owctl: line %d: %s\n", jerr.line, jerr.text);
        return -1;
    }
    json_t *arr = json_is_array(doc) ? doc : json_object_get(doc, "items");
    if (!json_is_array(arr)) {
        fprintf(stderr, "owctl: the file is not a JSON array of items\n");
        json_decref(doc);
        return -1;
    }
    *items = json_array();
    *rows = json_array();
    *problems = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        int row = (int)i + 1;
        if (!json_is_object(it)) {
            json_array_append_new(*problems, json_pack("{s:i,s:s,s:s}", "row", row, "field", "",
                                                       "message", "must be an item object"));
            continue;
        }
        json_t *copy = json_deep_copy(it);
        /* What intake sets itself: an export read back is imported as it stands. */
        static const char *const s_set_by_intake[] = {"version", "valid_from", "retired_at",
                                                      "children"};
        for (size_t k = 0; k < 4; k++)
            json_object_del(copy, s_set_by_intake[k]);
        json_array_append_new(*items, copy);
        json_array_append_new(*rows, json_pack("{s:i}", "row", row));
    }
    json_decref(doc);
    return 0;
}

static void s_progress(bool tty, size_t done, size_t total)
{
    if (!tty) {
        fprintf(stderr, "staged %zu/%zu items\n", done, total);
        return;
    }
    int width = 40, filled = total ? (int)(done * (size_t)width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu items", filled, "########################################",
            width - filled, "", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int s_by_row(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t rx = json_integer_value(json_object_get(x, "row"));
    json_int_t ry = json_integer_value(json_object_get(y, "row"));
    return rx < ry ? -1 : rx > ry;
}

/* Prints every problem by row: those found reading the file, and the service's (mapped to
 * the CSV's rows and columns). Returns the number of rows with problems. */
static size_t s_report(const json_t *local, const json_t *remote, const json_t *rows, bool csv)
{
    size_t n = json_array_size(local) + json_array_size(remote), k = 0;
    json_t **all = calloc(n + 1, sizeof *all);
    if (!all)
        return n;
    size_t i;
    json_t *p;
    json_array_foreach(local, i, p) all[k++] = json_incref(p);
    json_array_foreach(remote, i, p)
    {
        int row = (int)json_integer_value(json_object_get(p, "row"));
        const char *field = json_string_value(json_object_get(p, "field"));
        char column[64];
        snprintf(column, sizeof column, "%s", field ? field : "");
        if (csv) {
            size_t j;
            json_t *info;
            json_array_foreach(rows, j,
                               info) if (json_integer_value(json_object_get(info, "row")) == row)
            {
                catalogue_csv_locate(info, field ? field : "", &row, column, sizeof column);
                break;
            }
        }
        all[k++] = json_pack("{s:i,s:s,s:O}", "row", row, "field", column, "message",
                             json_object_get(p, "message"));
    }
    qsort(all, k, sizeof *all, s_by_row);
    size_t bad_rows = 0;
    json_int_t last = -1;
    for (size_t j = 0; j < k; j++) {
        if (!all[j])
            continue;
        json_int_t row = json_integer_value(json_object_get(all[j], "row"));
        bad_rows += row != last;
        last = row;
        const char *field = json_string_value(json_object_get(all[j], "field"));
        fprintf(stderr, "row %lld, %s: %s\n", (long long)row, field && *field ? field : "(row)",
                json_string_value(json_object_get(all[j], "message")) ?: "");
        json_decref(all[j]);
    }
    free(all);
    return bad_rows;
}

/* One request; 0 with *answer on a 2xx, else the exit status (problem printed). */
static int s_request(gateway_client_t *client, const char *method, const char *path,
                     const json_t *body, json_t **answer, int *status)
{
    ow_error_t err;
    ow_error_clear(&err);
    char key[37];
    ow_uuid_v4(key);
    *answer = NULL;
    if (gateway_client_request(client, method, path, strcmp(method, "POST") == 0 ? key : NULL, body,
                               status, answer, &err) != 0) {
        fprintf(stderr, "owctl: %s\n", err.message);
        return OWCTL_EXIT_UNREACHABLE;
    }
    if (*status >= 400 || !*answer)
        return OWCTL_EXIT_REFUSED;
    return 0;
}

static int s_import(const owctl_command_t *cmd, gateway_client_t *client)
{
    size_t len = 0;
    char *text = s_read_file(cmd->file, &len);
    json_t *items = NULL, *rows = NULL, *local = NULL, *answer = NULL, *final = NULL;
    size_t *ends = NULL;
    int status = 0, rc = OWCTL_EXIT_USAGE;
    bool csv = s_is_csv(cmd);
    char msg[512], id[80], path[REQUESTS_PATH_MAX];
    if (!text)
        return OWCTL_EXIT_USAGE;
    if (csv) {
        if (catalogue_csv_read(text, len, &items, &rows, &local, msg, sizeof msg) != 0) {
            fprintf(stderr, "owctl: %s: %s\n", cmd->file, msg);
            goto done;
        }
    } else if (s_read_json(text, len, &items, &rows, &local) != 0) {
        goto done;
    }
    size_t n = json_array_size(items);
    const char *base = strrchr(cmd->file, '/') ? strrchr(cmd->file, '/') + 1 : cmd->file;
    json_t *begin = json_pack("{s:s}", "label", base);
    rc = s_request(client, "POST", "/v1/admin/catalogue/imports", begin, &answer, &status);
    json_decref(begin);
    if (rc != 0)
        goto refused;
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(answer, "import_id")) ?: "");
    json_decref(answer);
    answer = NULL;
    char seg[160];
    if (requests_path_segment(id, seg, sizeof seg) != 0) {
        fprintf(stderr, "owctl: the gateway answered no import id\n");
        rc = OWCTL_EXIT_REFUSED;
        goto done;
    }
    ends = calloc(n + 1, sizeof *ends);
    if (!ends) {
        rc = OWCTL_EXIT_REFUSED;
        goto done;
    }
    size_t chunks = catalogue_command_chunks(items, S_CHUNK_ITEMS, S_CHUNK_BYTES, ends);
    bool tty = isatty(STDERR_FILENO);
    snprintf(path, sizeof path, "/v1/admin/catalogue/imports/%s/rows", seg);
    for (size_t c = 0, start = 0; c < chunks; start = ends[c++]) {
        json_t *chunk = json_array(), *numbers = json_array();
        for (size_t i = start; i < ends[c]; i++) {
            json_array_append(chunk, json_array_get(items, i));
            json_array_append(numbers, json_object_get(json_array_get(rows, i), "row"));
        }
        json_t *body = json_pack("{s:o,s:o}", "items", chunk, "rows", numbers);
        rc = s_request(client, "POST", path, body, &answer, &status);
        json_decref(body);
        if (rc != 0) {
            if (tty)
                fputc('\n', stderr);
            goto refused;
        }
        json_decref(answer);
        answer = NULL;
        s_progress(tty, ends[c], n);
    }
    /* Rows the file itself made unreadable were never sent: then the import is only checked
     * (every parent too), so the report is whole, and nothing is written — unless --partial. */
    bool check_only = json_array_size(local) > 0 && !cmd->partial;
    if (n > 0) {
        snprintf(path, sizeof path, "/v1/admin/catalogue/imports/%s/commit", seg);
        json_t *body = json_pack("{s:b,s:b}", "partial", cmd->partial, "check_only", check_only);
        rc = s_request(client, "POST", path, body, &answer, &status);
        json_decref(body);
        if (rc == OWCTL_EXIT_UNREACHABLE)
            goto done;
        if (rc == 0 && !check_only) {
            final = answer;
            answer = NULL;
        } else if (rc != 0 && status != 400) {
            goto refused;
        }
        json_decref(answer);
        answer = NULL;
    }
    if (!final) {
        /* Refused (or not committed): the import lists every problem it found. */
        snprintf(path, sizeof path, "/v1/admin/catalogue/imports/%s", seg);
        int got = s_request(client, "GET", path, NULL, &answer, &status);
        if (got != 0) {
            rc = got;
            goto refused;
        }
        size_t bad = s_report(local, json_object_get(answer, "errors"), rows, csv);
        fprintf(stderr, "owctl: %s: %zu row%s with problems: nothing written (import %s)\n",
                cmd->file, bad, bad == 1 ? "" : "s", id);
        rc = OWCTL_EXIT_REFUSED;
        goto done;
    }
    size_t bad = s_report(local, json_object_get(final, "errors"), rows, csv);
    long long written = json_integer_value(json_object_get(final, "written"));
    long long unchanged = json_integer_value(json_object_get(final, "unchanged"));
    if (cmd->json) {
        json_dumpf(final, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        printf("imported %s (import %s): %lld new item version%s, %lld unchanged, %zu row%s "
               "left out\n",
               cmd->file, id, written, written == 1 ? "" : "s", unchanged, bad,
               bad == 1 ? "" : "s");
    }
    rc = OWCTL_EXIT_OK;
    goto done;
refused:
    if (rc == OWCTL_EXIT_REFUSED)
        report_problem(stderr, status, answer);
done:
    free(ends);
    free(text);
    json_decref(items);
    json_decref(rows);
    json_decref(local);
    json_decref(answer);
    json_decref(final);
    return rc;
}

static int s_export(const owctl_command_t *cmd, gateway_client_t *client)
{
    json_t *answer = NULL;
    int status = 0;
    int rc = s_request(client, "GET", "/v1/catalogue/export", NULL, &answer, &status);
    if (rc != 0) {
        if (rc == OWCTL_EXIT_REFUSED)
            report_problem(stderr, status, answer);
        json_decref(answer);
        return rc;
    }
    const json_t *items = json_object_get(answer, "items");
    if (cmd->csv) {
        char *text = catalogue_csv_write(items);
        if (!text) {
            fprintf(stderr, "owctl: out of memory\n");
            rc = OWCTL_EXIT_REFUSED;
        } else {
            fputs(text, stdout);
            free(text);
        }
    } else {
        json_dumpf(cmd->json ? answer : items, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(answer);
    return rc;
}

static const char *s_text(const json_t *v)
{
    return json_string_value(v) ? json_string_value(v) : "";
}

static void s_show(const json_t *it)
{
#define S(k) s_text(json_object_get(it, k))
#define I(k) ((long long)json_integer_value(json_object_get(it, k)))
    printf("%s  %s  (version %lld, %s%s%s)\n", S("impl_code"), S("name"), I("version"), S("level"),
           *S("parent_code") ? " under " : "", S("parent_code"));
    printf("  事项编码 %s, %s, %s %s\n", S("item_code"), S("item_type"), S("department_code"),
           S("department_name"));
    printf("  %s: legal limit %lld, promised %lld %s; fee %lld.%02lld yuan\n", S("handling_kind"),
           I("legal_limit"), I("promised_limit"), S("limit_unit"), I("fee_cents") / 100,
           I("fee_cents") % 100);
    if (*S("legal_basis"))
        printf("  legal basis: %s\n", S("legal_basis"));
    const char *lists[] = {"centres", "lanes", "children"};
    for (size_t k = 0; k < 3; k++) {
        const json_t *a = json_object_get(it, lists[k]);
        if (json_array_size(a) == 0)
            continue;
        printf("  %s:", lists[k]);
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) printf(" %s", json_string_value(v) ?: "");
        printf("\n");
    }
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(it, "materials"), i, m)
    {
        printf("  material %s  %s  (%s x%lld%s%s%s)\n",
               json_string_value(json_object_get(m, "code")) ?: "",
               json_string_value(json_object_get(m, "name")) ?: "",
               json_string_value(json_object_get(m, "form")) ?: "",
               (long long)json_integer_value(json_object_get(m, "copies")),
               json_is_true(json_object_get(m, "required")) ? ", required" : ", optional",
               json_is_true(json_object_get(m, "rongque_allowed")) ? ", 容缺" : "",
               json_is_true(json_object_get(m, "shared_by_data")) ? ", by data sharing" : "");
    }
#undef S
#undef I
}

int catalogue_command_run(const owctl_command_t *cmd, gateway_client_t *client)
{
    if (cmd->verb == OWCTL_CATALOGUE_IMPORT)
        return s_import(cmd, client);
    if (cmd->verb == OWCTL_CATALOGUE_EXPORT)
        return s_export(cmd, client);
    char seg[160], path[REQUESTS_PATH_MAX];
    if (requests_path_segment(cmd->impl_code, seg, sizeof seg) != 0) {
        fprintf(stderr, "owctl: the item code is too long\n");
        return OWCTL_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "/v1/catalogue/items/%s", seg);
    json_t *answer = NULL;
    int status = 0;
    int rc = s_request(client, "GET", path, NULL, &answer, &status);
    if (rc == OWCTL_EXIT_REFUSED)
        report_problem(stderr, status, answer);
    else if (rc == 0 && cmd->json) {
        json_dumpf(answer, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (rc == 0) {
        s_show(answer);
    }
    json_decref(answer);
    return rc;
}
