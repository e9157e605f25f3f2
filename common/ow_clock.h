/* ow_clock — the one clock every daemon reads.
 *
 * System time = real time + offset. The offset is 0 unless the deployment enables the test
 * clock (`test_clock = true`, refused when `mode = production`); then an administrator can
 * move time forward through the gateway (POST /v1/admin/clock), which emits a
 * clock.advanced event that every daemon applies (ow_service does this). Offsets only grow:
 * time never runs backwards. Like Zeebe's and Temporal's test clocks, this lets a
 * 20-working-day rule be tested in seconds. */
#ifndef OW_CLOCK_H
#define OW_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Microseconds since the Unix epoch, system time. */
int64_t ow_clock_now_us(void);

/* Real wall-clock microseconds, ignoring any offset (for latency measurement and logs). */
int64_t ow_clock_real_us(void);

/* Monotonic microseconds (timeouts, back-off); unaffected by the test clock. */
int64_t ow_clock_mono_us(void);

void ow_clock_enable_test(bool enabled);
bool ow_clock_test_enabled(void);

/* Applies an offset. Ignored (returns -1) unless the test clock is enabled, or when it
 * would move time backwards; returns 0 when applied. */
int ow_clock_set_offset_us(int64_t offset_us);
int64_t ow_clock_offset_us(void);

/* China has one time zone and no daylight saving: local dates are UTC+8 (DOMAIN: working
 * days are dates in the centre's local calendar). */
#define OW_CLOCK_LOCAL_OFFSET_S (8 * 3600)

/* Local calendar date of a system time as yyyymmdd (e.g. 20261122). */
int ow_clock_local_yyyymmdd(int64_t time_us);

/* Formats time_us as RFC 3339 in local time ("2026-11-22T21:00:00+08:00") into buf
 * (at least 32 bytes). Returns buf. */
char *ow_clock_format_local(int64_t time_us, char *buf, size_t size);

/* Parses RFC 3339 ("2026-11-22T21:00:00+08:00", "…Z", fractional seconds allowed).
 * Returns 0 and sets *out_us, or -1 when the text is not such a time. */
int ow_clock_parse_rfc3339(const char *text, int64_t *out_us);

#endif
