/* file_sink — see file_sink.h. */
#include "file_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ow_clock.h"

struct file_sink {
    char *path;
};

/* fsyncs the directory holding path, so a file it just created survives a crash. */
static int s_sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

file_sink_t *file_sink_new(const char *path, ow_error_t *err)
{
    file_sink_t *self = NULL;
    if (!path || !*path) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "sink.file is empty: name the file to append to");
        return NULL;
    }
    int created = 1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 && errno == EEXIST) {
        created = 0;
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0 || (created && s_sync_dir(path) != 0)) {
        ow_error_set(err, OW_UNAVAILABLE, "sink.file %s cannot be opened for appending: %s", path,
                     strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    self = calloc(1, sizeof *self);
    if (!self || !(self->path = strdup(path))) {
        free(self);
        ow_error_set(err, OW_INTERNAL, "out of memory");
        return NULL;
    }
    return self;
}

void file_sink_destroy(file_sink_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->path);
    free(*self_p);
    *self_p = NULL;
}

/* One line, '\n'-terminated, in a new string (caller frees). NULL when a string is not
 * UTF-8 (jansson refuses it) or out of memory. */
static char *s_line(const sink_line_t *l)
{
    char sent_at[40];
    ow_clock_format_local(l->sent_at_us, sent_at, sizeof sent_at);
    json_t *obj = json_object();
    char *text = NULL;
    /* json_string returns NULL for text that is not UTF-8; json_object_set_new then fails. */
    if (!obj || json_object_set_new(obj, "delivery_id", json_string(l->delivery_id)) ||
        json_object_set_new(obj, "event_id", json_string(l->event_id)) ||
        json_object_set_new(obj, "case_no", json_string(l->case_no)) ||
        json_object_set_new(obj, "kind", json_string(l->kind)) ||
        json_object_set_new(obj, "channel", json_string(l->channel)) ||
        json_object_set_new(obj, "recipient", json_string(l->recipient)) ||
        json_object_set_new(obj, "text", json_string(l->text)) ||
        json_object_set_new(obj, "sent_at", json_string(sent_at)))
        goto cleanup;
    char *body = json_dumps(obj, JSON_COMPACT);
    if (!body)
        goto cleanup;
    size_t len = strlen(body);
    text = malloc(len + 2);
    if (text) {
        memcpy(text, body, len);
        text[len] = '\n';
        text[len + 1] = '\0';
    }
    free(body);
cleanup:
    json_decref(obj);
    return text;
}

static int s_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int file_sink_write(file_sink_t *self, const sink_line_t *lines, size_t count, ow_error_t *err)
{
    int rc = -1;
    char *batch = NULL;
    size_t len = 0, cap = 0;
    int fd = -1;
    off_t before = 0;

    /* Build the whole batch first: a line that cannot be encoded stops it before any byte is
     * written. */
    for (size_t i = 0; i < count; i++) {
        char *line = s_line(&lines[i]);
        if (!line) {
            ow_error_set(err, OW_INVALID_ARGUMENT,
                         "delivery %s cannot be written as JSON (text not UTF-8?)",
                         lines[i].delivery_id);
            goto cleanup;
        }
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            size_t grown_cap = (len + n + 1) * 2;
            char *grown = realloc(batch, grown_cap);
            if (!grown) {
                free(line);
                ow_error_set(err, OW_INTERNAL, "out of memory");
                goto cleanup;
            }
            batch = grown;
            cap = grown_cap;
        }
        memcpy(batch + len, line, n);
        len += n;
        free(line);
    }
    if (len == 0) {
        rc = 0;
        goto cleanup;
    }

    /* A file this batch creates needs its directory entry made durable too. */
    int created = 1;
    fd = open(self->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 && errno == EEXIST) {
        created = 0;
        fd = open(self->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ow_error_set(err, OW_UNAVAILABLE, "sink.file %s: %s", self->path, strerror(errno));
        goto cleanup;
    }
    before = st.st_size;
    if (s_write_all(fd, batch, len) != 0 || fdatasync(fd) != 0 ||
        (created && s_sync_dir(self->path) != 0)) {
        int e = errno;
        /* Nothing half-written: cut the file back to where this batch began. */
        if (ftruncate(fd, before) == 0)
            fdatasync(fd);
        ow_error_set(err, OW_UNAVAILABLE, "sink.file %s: writing %zu lines failed: %s", self->path,
                     count, strerror(e));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    free(batch);
    return rc;
}
