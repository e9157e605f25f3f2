#include "case_number.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_db.h"
#include "ow_pgarray.h"

/* Index + 1 is the channel digit; a new channel takes the next digit, never a used one,
 * because digits already printed on receipts must keep their meaning. */
static const char *const s_channels[] = {"window", "online", "township", "kiosk", "cross_region"};
#define S_CHANNEL_COUNT (sizeof s_channels / sizeof s_channels[0])

int intake_channel_digit(const char *channel)
{
    if (!channel)
        return -1;
    for (size_t i = 0; i < S_CHANNEL_COUNT; i++)
        if (strcmp(channel, s_channels[i]) == 0)
            return (int)i + 1;
    return -1;
}

const char *intake_channel_names(void)
{
    return "window, online, township, kiosk, cross_region";
}

bool intake_county_code_valid(const char *s)
{
    if (!s || strlen(s) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool s_yyyymmdd_valid(int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = d / 10000, m = d / 100 % 100, day = d % 100;
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || day < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return day <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

int intake_case_number_format(const char *county_code, int yyyymmdd, const char *channel,
                              long serial, char *out, size_t size, ow_error_t *err)
{
    if (out && size)
        out[0] = '\0';
    if (!out || size < INTAKE_CASE_NO_SIZE) {
        ow_error_set(err, OW_INTERNAL, "case number buffer too small (%zu bytes)", size);
        return -1;
    }
    if (!intake_county_code_valid(county_code)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "county code '%s' must be 6 digits",
                     county_code ? county_code : "");
        return -1;
    }
    if (!s_yyyymmdd_valid(yyyymmdd)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "date %d is not a calendar date (yyyymmdd)",
                     yyyymmdd);
        return -1;
    }
    int digit = intake_channel_digit(channel);
    if (digit < 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "channel '%s' is not one of %s",
                     channel ? channel : "", intake_channel_names());
        return -1;
    }
    if (serial < 1 || serial > INTAKE_SERIAL_MAX) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "serial %ld is outside 1..%d", serial,
                     INTAKE_SERIAL_MAX);
        return -1;
    }
    snprintf(out, size, "%s%08d%d%04ld", county_code, yyyymmdd, digit, serial);
    return 0;
}

/* n serials per day in one statement: the counter moves by n (EXCLUDED.last_serial), the row
 * stays locked until commit as with one serial. */
#define S_TAKE                                                                                     \
    "INSERT INTO case_counters (county_code, day, last_serial)"                                    \
    " SELECT $1, to_date(t.day, 'YYYYMMDD'), t.n"                                                  \
    "   FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS t(day, n, ord)"                      \
    "  ORDER BY t.ord"                                                                             \
    " ON CONFLICT (county_code, day)"                                                              \
    " DO UPDATE SET last_serial = case_counters.last_serial + EXCLUDED.last_serial"                \
    " RETURNING to_char(day, 'YYYYMMDD') AS day, last_serial"

int intake_case_number_prepare(ow_db_t *db, ow_error_t *err)
{
    if (ow_db_prepare(db, "intake_counter_take", S_TAKE, err) < 0)
        return -1;
    /* The same with the lasts the caller expects ($4): a day whose counter ends elsewhere
     * (another writer took serials since this daemon's last batch) refuses the transaction
     * (refused(), migration 0012), so nothing numbered on the wrong guess is ever written. */
    if (ow_db_prepare(db, "intake_counter_take_expected",
                      "WITH t AS (" S_TAKE ")"
                      " SELECT refused(format('case serials of %s for county %s end at %s, not "
                      "at the %s expected: another writer took some', t.day, $1, t.last_serial,"
                      " e.last))"
                      "   FROM t JOIN unnest($2::text[], $4::int[]) AS e(day, last)"
                      "     ON e.day = t.day"
                      "  WHERE t.last_serial <> e.last",
                      err) < 0)
        return -1;
    /* ON CONFLICT DO UPDATE re-reads the latest committed row after waiting for its lock, so
     * under READ COMMITTED two racing transactions get n and n+1, never the same n. */
    return ow_db_prepare(db, "intake_counter_next",
                         "INSERT INTO case_counters (county_code, day, last_serial)"
                         " VALUES ($1, to_date($2, 'YYYYMMDD'), 1)"
                         " ON CONFLICT (county_code, day)"
                         " DO UPDATE SET last_serial = case_counters.last_serial + 1"
                         " RETURNING last_serial",
                         err);
}

int intake_case_number_next_serial(ow_db_t *db, const char *county_code, int yyyymmdd, long *serial,
                                   ow_error_t *err)
{
    int rc = -1;
    char day[16];
    snprintf(day, sizeof day, "%08d", yyyymmdd);
    const char *params[2] = {county_code, day};
    PGresult *res = ow_db_exec(db, "intake_counter_next", 2, params, err);
    if (!res)
        goto done;
    if (PQntuples(res) != 1) {
        ow_error_set(err, OW_INTERNAL, "case counter returned %d rows", PQntuples(res));
        goto done;
    }
    long value = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    if (value < 1 || value > INTAKE_SERIAL_MAX) {
        /* The day's numbers are exhausted: refuse rather than print a number that breaks the
         * format. */
        ow_error_set(err, OW_RESOURCE_EXHAUSTED,
                     "case serials of %s for county %s are exhausted (%ld)", day, county_code,
                     value);
        goto done;
    }
    *serial = value;
    rc = 0;
done:
    PQclear(res);
    return rc;
}

/* The counter statement's array parameters for days[0..n) and counts[0..n). */
static int s_take_params(const int *days, const long *counts, size_t n, ow_pgarray_t *day_list,
                         ow_pgarray_t *count_list, ow_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        char day[16];
        snprintf(day, sizeof day, "%08d", days[i]);
        if (ow_pgarray_add_text(day_list, day) < 0 ||
            ow_pgarray_add_int64(count_list, counts[i]) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* The statement's answer: lasts[i] for each day, checked. */
static int s_take_read(const PGresult *res, const char *county_code, const int *days,
                       const long *counts, size_t n, long *lasts, ow_error_t *err)
{
    for (size_t i = 0; i < n; i++)
        lasts[i] = 0;
    if ((size_t)PQntuples(res) != n) {
        ow_error_set(err, OW_INTERNAL, "case counter returned %d rows for %zu days", PQntuples(res),
                     n);
        return -1;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        int day = atoi(PQgetvalue(res, r, 0));
        long value = strtol(PQgetvalue(res, r, 1), NULL, 10);
        if (value < 1 || value > INTAKE_SERIAL_MAX) {
            ow_error_set(err, OW_RESOURCE_EXHAUSTED,
                         "case serials of %08d for county %s are exhausted (%ld)", day, county_code,
                         value);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (days[i] == day)
                lasts[i] = value;
    }
    for (size_t i = 0; i < n; i++)
        if (lasts[i] < counts[i]) {
            ow_error_set(err, OW_INTERNAL, "case counter gave no serials for %08d", days[i]);
            return -1;
        }
    return 0;
}

/* Sends the counter statement: runs it now, its result in *res (caller PQclear()s), or
 * (deferred) defers it with its result kept in *res by the next call that waits
 * (ow_db_defer_keep; res may be NULL). With lasts, the statement that expects them
 * (intake_case_number_take_expected), whose result is empty. Returns 0, or -1 with err. */
static int s_take_send(ow_db_t *db, const char *county_code, const int *days, const long *counts,
                       const long *lasts, size_t n, bool deferred, PGresult **res, ow_error_t *err)
{
    int rc = -1;
    ow_pgarray_t *day_list = ow_pgarray_new();
    ow_pgarray_t *count_list = ow_pgarray_new();
    ow_pgarray_t *last_list = ow_pgarray_new();
    if (!day_list || !count_list || !last_list) {
        ow_error_set(err, OW_INTERNAL, "out of memory");
        goto done;
    }
    if (s_take_params(days, counts, n, day_list, count_list, err) < 0)
        goto done;
    for (size_t i = 0; lasts && i < n; i++) {
        if (lasts[i] < counts[i] || lasts[i] > INTAKE_SERIAL_MAX) {
            ow_error_set(err, OW_RESOURCE_EXHAUSTED,
                         "case serials of %08d for county %s: %ld expected after taking %ld",
                         days[i], county_code, lasts[i], counts[i]);
            goto done;
        }
        if (ow_pgarray_add_int64(last_list, lasts[i]) < 0) {
            ow_error_set(err, OW_INTERNAL, "out of memory");
            goto done;
        }
    }
    const char *name = lasts ? "intake_counter_take_expected" : "intake_counter_take";
    const char *params[4] = {county_code, ow_pgarray_text(day_list), ow_pgarray_text(count_list),
                             ow_pgarray_text(last_list)};
    int n_params = lasts ? 4 : 3;
    if (deferred)
        rc = ow_db_defer_keep(db, name, n_params, params, res, err);
    else
        rc = (*res = ow_db_exec(db, name, n_params, params, err)) ? 0 : -1;
done:
    ow_pgarray_destroy(&day_list);
    ow_pgarray_destroy(&count_list);
    ow_pgarray_destroy(&last_list);
    return rc;
}

int intake_case_number_take_expected(ow_db_t *db, const char *county_code, const int *days,
                                     const long *counts, const long *lasts, size_t n,
                                     ow_error_t *err)
{
    return s_take_send(db, county_code, days, counts, lasts, n, true, NULL, err);
}

int intake_case_number_take(ow_db_t *db, const char *county_code, const int *days,
                            const long *counts, size_t n, long *lasts, ow_error_t *err)
{
    PGresult *res = NULL;
    if (s_take_send(db, county_code, days, counts, NULL, n, false, &res, err) < 0)
        return -1;
    int rc = s_take_read(res, county_code, days, counts, n, lasts, err);
    PQclear(res);
    return rc;
}

int intake_case_number_take_deferred(ow_db_t *db, const char *county_code, const int *days,
                                     const long *counts, size_t n, PGresult **out, ow_error_t *err)
{
    return s_take_send(db, county_code, days, counts, NULL, n, true, out, err);
}

int intake_case_number_take_read(const PGresult *res, const char *county_code, const int *days,
                                 const long *counts, size_t n, long *lasts, ow_error_t *err)
{
    return s_take_read(res, county_code, days, counts, n, lasts, err);
}
