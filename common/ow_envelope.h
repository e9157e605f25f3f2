/* ow_envelope — events as they travel on the bus, packed and unpacked with checked sizes.
 * Network bytes are never trusted: every unpack bounds the frame size and every string,
 * and a malformed frame is an error, never a crash. */
#ifndef OW_ENVELOPE_H
#define OW_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include "ow_status.h"

#define OW_FRAME_MAX      (4u << 20) /* largest frame any daemon accepts */
#define OW_EVENT_TYPE_MAX 63
#define OW_SOURCE_MAX     31
#define OW_CASE_NO_MAX    47
#define OW_CENTRE_ID_MAX  15
#define OW_HEARTBEAT_TYPE "_heartbeat"

typedef struct {
    char event_id[37]; /* UUID text */
    char source[OW_SOURCE_MAX + 1];
    uint64_t seq;
    char type[OW_EVENT_TYPE_MAX + 1];
    int64_t time_us;
    char case_no[OW_CASE_NO_MAX + 1];
    char centre_id[OW_CENTRE_ID_MAX + 1];
    uint8_t *payload; /* owned by the event: ow_event_clear frees it */
    size_t payload_len;
} ow_event_t;

/* Packs ev into a new buffer (caller frees *out). Returns -1 with err when a field is out of
 * bounds (empty type or source, type with characters other than [a-z0-9._], over-long
 * strings, frame over OW_FRAME_MAX). */
int ow_envelope_pack(const ow_event_t *ev, uint8_t **out, size_t *len, ow_error_t *err);

/* Unpacks and validates a frame into *ev (zeroed first). On error returns -1 with err
 * (INVALID_ARGUMENT, naming what is wrong) and *ev holds nothing to free. On success the
 * caller calls ow_event_clear(ev). */
int ow_envelope_unpack(const uint8_t *data, size_t len, ow_event_t *ev, ow_error_t *err);

/* Frees the payload and zeroes the event. */
void ow_event_clear(ow_event_t *ev);

/* Writes a random (v4) UUID as text into out (37 bytes). */
void ow_uuid_v4(char out[37]);

/* Writes a time-ordered (v7, RFC 9562) UUID as text into out: the Unix time in ms, then its
 * sub-millisecond fraction in 12 bits (method 3), then 62 random bits. For the keys of rows
 * inserted at a high rate (ratings, events): ids made later sort later, so their B-tree
 * index takes each new key at its right edge instead of on a random page (a random v4 key
 * dirties a different leaf page per insert, and after a checkpoint writes it whole to the
 * WAL). Clock steps back only cost that locality; uniqueness rests on the random bits. */
void ow_uuid_v7(char out[37]);

#endif
