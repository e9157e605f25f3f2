/* case_number — the case number every receipt carries (DOMAIN.md §3): unique, immutable,
 * `{6-digit county code}{yyyyMMdd}{channel digit}{serial}`, e.g. 330122 20261122 1 0007.
 *
 *   - the date is the local (UTC+8) date of acceptance in system time, so the test clock
 *     moves it (ow_clock.h);
 *   - the channel digit: 1 window (窗口), 2 online (网上), 3 township (镇街代收),
 *     4 kiosk (自助终端), 5 cross_region (跨域通办);
 *   - the serial counts from 1 each day per county code, at least 4 digits (more past 9999),
 *     and is gapless among committed cases: it is taken inside the case's transaction, so a
 *     rolled-back application gives it back.
 *
 * Formatting is a plain function; taking a serial needs the database. */
#ifndef INTAKE_CASE_NUMBER_H
#define INTAKE_CASE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include "ow_status.h"

typedef struct ow_db ow_db_t;

#define INTAKE_CASE_NO_SIZE    32        /* buffer for a formatted number and its NUL */
#define INTAKE_SERIAL_MAX      999999999 /* keeps the number within INTAKE_CASE_NO_SIZE */
#define INTAKE_DEFAULT_CHANNEL "window"

/* The channel digit of a channel name (1–5), or -1 for an unknown name. */
int intake_channel_digit(const char *channel);

/* The channel names, comma-separated, for error messages ("window, online, …"). */
const char *intake_channel_names(void);

/* Writes the case number into out (size ≥ INTAKE_CASE_NO_SIZE). county_code must be 6
 * digits, yyyymmdd a real date, channel known, serial 1..INTAKE_SERIAL_MAX. Returns 0, or -1
 * with err (INVALID_ARGUMENT naming the bad part) and out empty. */
int intake_case_number_format(const char *county_code, int yyyymmdd, const char *channel,
                              long serial, char *out, size_t size, ow_error_t *err);

/* True when s is 6 digits (a county code) — checked at start-up. */
bool intake_county_code_valid(const char *s);

/* Registers the counter statement on db. Returns 0, or -1 with err. */
int intake_case_number_prepare(ow_db_t *db, ow_error_t *err);

/* Inside the caller's open transaction: takes the next serial of county_code's day
 * yyyymmdd. The counter row stays locked until the transaction ends, so concurrent
 * applications (other connections, other intaked instances) queue on it and get
 * consecutive serials in commit order; a rollback returns the serial. Returns 0 and sets
 * *serial, or -1 with err (the caller rolls back). */
int intake_case_number_next_serial(ow_db_t *db, const char *county_code, int yyyymmdd, long *serial,
                                   ow_error_t *err);

/* The set-based group commit (batch.c): as intake_case_number_next_serial for counts[i]
 * serials of each day days[i] (yyyymmdd), i < n, in ONE statement. days must be distinct and
 * ascending (rows are locked in that order, as every taker does, so two batches never wait on
 * each other in a cycle). On success returns 0 and lasts[i], the last serial of day i taken:
 * the day's serials are lasts[i] - counts[i] + 1 .. lasts[i]. Returns -1 with err
 * (RESOURCE_EXHAUSTED past INTAKE_SERIAL_MAX, or the database error; the caller rolls back). */
int intake_case_number_take(ow_db_t *db, const char *county_code, const int *days,
                            const long *counts, size_t n, long *lasts, ow_error_t *err);

/* intake_case_number_take in two halves, for a batch that sends the statement with others
 * (ow_db_defer_keep): _deferred sends it, the next call on db that waits sets *out (NULL when
 * the statement failed: that call fails); _read checks the answer as intake_case_number_take
 * does and sets lasts. Both return 0, or -1 with err. */
int intake_case_number_take_deferred(ow_db_t *db, const char *county_code, const int *days,
                                     const long *counts, size_t n, PGresult **out, ow_error_t *err);
int intake_case_number_take_read(const PGresult *res, const char *county_code, const int *days,
                                 const long *counts, size_t n, long *lasts, ow_error_t *err);

/* For a batch sent whole (batch.c, the predicted path): takes counts[i] serials of each day
 * days[i] as intake_case_number_take does, deferred (ow_db_defer), expecting the day's last
 * serial to become lasts[i]. When it does not (another writer took serials), the statement
 * fails (serialization_failure) and with it the transaction: the caller's failure comes from
 * its next statement that waits, or COMMIT. Returns 0, or -1 with err (RESOURCE_EXHAUSTED when
 * an expected last is past INTAKE_SERIAL_MAX; the connection). */
int intake_case_number_take_expected(ow_db_t *db, const char *county_code, const int *days,
                                     const long *counts, const long *lasts, size_t n,
                                     ow_error_t *err);

#endif
