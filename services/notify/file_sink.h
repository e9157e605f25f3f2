/* file_sink — the notification channel of the skeleton: one JSON object per line appended to
 * a file (config `sink.file`), in the shape docs/contract.md gives:
 *   {"delivery_id","event_id","case_no","kind","channel":"file","recipient","text","sent_at"}
 * A batch is written and fdatasync'ed before file_sink_write returns 0, so a delivery marked
 * sent after it is on disk; a batch that fails is cut off again, so the file never holds half
 * a line. */
#ifndef NOTIFY_FILE_SINK_H
#define NOTIFY_FILE_SINK_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

typedef struct {
    const char *delivery_id;
    const char *event_id;
    const char *case_no;
    const char *kind;
    const char *channel;
    const char *recipient;
    const char *text;
    int64_t sent_at_us; /* written as RFC 3339 China time */
} sink_line_t;

typedef struct file_sink file_sink_t;

/* Checks that path can be opened for appending (creating it, mode 0640) and keeps it.
 * Returns NULL with err naming the path and the system's reason. Caller owns it. */
file_sink_t *file_sink_new(const char *path, ow_error_t *err);

/* Frees the sink. Sets *self_p to NULL; harmless when already NULL. */
void file_sink_destroy(file_sink_t **self_p);

/* Appends one line per entry and makes them durable (fdatasync). The file is opened for each
 * batch, so a rotated file is followed. Returns 0, or -1 with err (UNAVAILABLE for an I/O
 * error, INVALID_ARGUMENT for text that is not UTF-8) with the file cut back to its size
 * before the batch. */
int file_sink_write(file_sink_t *self, const sink_line_t *lines, size_t count, ow_error_t *err);

#endif
