/* calendar — see calendar.h. */
#include "calendar.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A day's entry in a year record, indexed month * 32 + day. */
enum { S_DEFAULT = 0, S_OFF = 1, S_WORK = 2 };
#define S_DAY_SLOTS (13 * 32)

typedef struct {
    char centre[CALENDAR_CENTRE_MAX + 1]; /* "" = national */
    int year;
    uint8_t day[S_DAY_SLOTS];
} s_year_t;

typedef struct {
    char centre[CALENDAR_CENTRE_MAX + 1];
    size_t count;
    calendar_hours_t hours[CALENDAR_HOURS_MAX];
} s_hours_t;

struct deadline_calendar {
    s_year_t *years;
    size_t year_count;
    s_hours_t *hours;
    size_t hours_count;
};

/* DOMAIN.md §5 / issue 5: "e.g. 9:00–12:00 and 13:30–17:30". */
static const calendar_hours_t s_default_hours[] = {{9 * 60, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};

deadline_calendar_t *deadline_calendar_new(void)
{
    return calloc(1, sizeof(deadline_calendar_t));
}

void deadline_calendar_destroy(deadline_calendar_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->years);
    free((*self_p)->hours);
    free(*self_p);
    *self_p = NULL;
}

deadline_calendar_t *deadline_calendar_dup(const deadline_calendar_t *self)
{
    deadline_calendar_t *copy = deadline_calendar_new();
    if (!copy)
        return NULL;
    if (self->year_count) {
        copy->years = malloc(self->year_count * sizeof *copy->years);
        if (!copy->years)
            goto fail;
        memcpy(copy->years, self->years, self->year_count * sizeof *copy->years);
        copy->year_count = self->year_count;
    }
    if (self->hours_count) {
        copy->hours = malloc(self->hours_count * sizeof *copy->hours);
        if (!copy->hours)
            goto fail;
        memcpy(copy->hours, self->hours, self->hours_count * sizeof *copy->hours);
        copy->hours_count = self->hours_count;
    }
    return copy;
fail:
    deadline_calendar_destroy(&copy);
    return NULL;
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : days[m - 1];
}

static bool s_valid(int32_t yyyymmdd)
{
    int y = yyyymmdd / 10000, m = (yyyymmdd / 100) % 100, d = yyyymmdd % 100;
    return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= s_month_days(y, m);
}

/* 0 = Sunday (Sakamoto's method). */
static int s_weekday(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y--;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static const s_year_t *s_find_year(const deadline_calendar_t *self, const char *centre, int year)
{
    for (size_t i = 0; i < self->year_count; i++)
        if (self->years[i].year == year && strcmp(self->years[i].centre, centre) == 0)
            return &self->years[i];
    return NULL;
}

bool deadline_calendar_has_year(const deadline_calendar_t *self, int year)
{
    return s_find_year(self, "", year) != NULL;
}

bool deadline_calendar_is_working_day(const deadline_calendar_t *self, const char *centre_id,
                                      int32_t yyyymmdd, bool *missing)
{
    if (!s_valid(yyyymmdd))
        return false;
    int y = yyyymmdd / 10000, m = (yyyymmdd / 100) % 100, d = yyyymmdd % 100;
    if (centre_id && *centre_id) {
        const s_year_t *own = s_find_year(self, centre_id, y);
        if (own && own->day[m * 32 + d] != S_DEFAULT)
            return own->day[m * 32 + d] == S_WORK;
    }
    const s_year_t *national = s_find_year(self, "", y);
    if (national && national->day[m * 32 + d] != S_DEFAULT)
        return national->day[m * 32 + d] == S_WORK;
    /* No calendar for the year: weekdays, flagged (DOMAIN.md §5 "never silently wrong"). */
    if (!national && missing)
        *missing = true;
    int wd = s_weekday(y, m, d);
    return wd >= 1 && wd <= 5;
}

size_t deadline_calendar_hours(const deadline_calendar_t *self, const char *centre_id,
                               const calendar_hours_t **out)
{
    if (centre_id && *centre_id)
        for (size_t i = 0; i < self->hours_count; i++)
            if (strcmp(self->hours[i].centre, centre_id) == 0) {
                *out = self->hours[i].hours;
                return self->hours[i].count;
            }
    *out = s_default_hours;
    return sizeof s_default_hours / sizeof s_default_hours[0];
}

/* "YYYY-MM-DD" → yyyymmdd, or -1. */
static int32_t s_parse_date(const char *text)
{
    int y, m, d;
    char tail;
    if (!text || strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return -1;
    int32_t v = y * 10000 + m * 100 + d;
    return s_valid(v) ? v : -1;
}

/* "HH:MM" → minutes after midnight (0..1440), or -1. */
static int s_parse_time(const char *text)
{
    int h, mi;
    char tail;
    if (!text || strlen(text) != 5 || sscanf(text, "%2d:%2d%c", &h, &mi, &tail) != 2)
        return -1;
    if (h < 0 || h > 24 || mi < 0 || mi > 59 || (h == 24 && mi != 0))
        return -1;
    return h * 60 + mi;
}

/* Marks the dates of one list in rec as `kind`, adding a violation per bad entry. */
static void s_mark(s_year_t *rec, json_t *list, const char *field, uint8_t kind, ow_error_t *err)
{
    if (!list)
        return;
    if (!json_is_array(list) || json_array_size(list) > 366) {
        ow_error_add_violation(err, field, "is not a list of at most 366 dates");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        int32_t date = s_parse_date(json_string_value(v));
        if (date < 0) {
            ow_error_add_violation(err, field, "entry %zu is not a date YYYY-MM-DD", i);
            continue;
        }
        if (date / 10000 != rec->year) {
            ow_error_add_violation(err, field, "entry %zu (%d) is not in %d", i, (int)date,
                                   rec->year);
            continue;
        }
        uint8_t *slot = &rec->day[((date / 100) % 100) * 32 + date % 100];
        if (*slot != S_DEFAULT) {
            ow_error_add_violation(err, field, "entry %zu (%d) is listed twice", i, (int)date);
            continue;
        }
        *slot = kind;
    }
}

static void s_parse_hours(json_t *list, s_hours_t *out, ow_error_t *err)
{
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > CALENDAR_HOURS_MAX) {
        ow_error_add_violation(err, "working_hours", "is not a list of 1 to %d [from, to] pairs",
                               CALENDAR_HOURS_MAX);
        return;
    }
    int last_end = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        int from = s_parse_time(json_string_value(json_array_get(v, 0)));
        int to = s_parse_time(json_string_value(json_array_get(v, 1)));
        if (!json_is_array(v) || json_array_size(v) != 2 || from < 0 || to < 0) {
            ow_error_add_violation(err, "working_hours", "entry %zu is not [\"HH:MM\", \"HH:MM\"]",
                                   i);
            return;
        }
        if (from >= to || from < last_end) {
            ow_error_add_violation(err, "working_hours",
                                   "entry %zu is empty, or overlaps or precedes the one before", i);
            return;
        }
        out->hours[i].from_min = from;
        out->hours[i].to_min = to;
        last_end = to;
    }
    out->count = json_array_size(list);
}

int deadline_calendar_load_json(deadline_calendar_t *self, const char *json, size_t len,
                                int *year_out, char *centre_out, ow_error_t *err)
{
    int rc = -1;
    s_year_t rec;
    s_hours_t hours;
    memset(&rec, 0, sizeof rec);
    memset(&hours, 0, sizeof hours);
    json_error_t jerr;
    json_t *root = len <= CALENDAR_JSON_MAX ? json_loadb(json, len, 0, &jerr) : NULL;
    if (!root || !json_is_object(root)) {
        ow_error_add_violation(err, "calendar", "is not a JSON object of at most %d bytes",
                               CALENDAR_JSON_MAX);
        goto cleanup;
    }
    json_t *year = json_object_get(root, "year");
    if (!json_is_integer(year) || json_integer_value(year) < 1900 ||
        json_integer_value(year) > 9999) {
        ow_error_add_violation(err, "year", "is not a year 1900..9999");
        goto cleanup;
    }
    rec.year = (int)json_integer_value(year);
    json_t *centre = json_object_get(root, "centre_id");
    if (centre &&
        (!json_is_string(centre) || strlen(json_string_value(centre)) > CALENDAR_CENTRE_MAX))
        ow_error_add_violation(err, "centre_id", "is not a text of at most %d characters",
                               CALENDAR_CENTRE_MAX);
    else if (centre)
        snprintf(rec.centre, sizeof rec.centre, "%s", json_string_value(centre));
    s_mark(&rec, json_object_get(root, "days_off"), "days_off", S_OFF, err);
    s_mark(&rec, json_object_get(root, "working_days"), "working_days", S_WORK, err);
    json_t *wh = json_object_get(root, "working_hours");
    if (wh && !rec.centre[0])
        ow_error_add_violation(err, "working_hours",
                               "belongs to a centre's record (set centre_id); the national "
                               "default is 09:00-12:00, 13:30-17:30");
    else if (wh)
        s_parse_hours(wh, &hours, err);
    if (ow_error_finish_violations(err) != 0)
        goto cleanup;

    /* Replace the scope's year (an operator corrects a record by loading it again). */
    s_year_t *slot = (s_year_t *)s_find_year(self, rec.centre, rec.year);
    if (!slot) {
        s_year_t *grown = realloc(self->years, (self->year_count + 1) * sizeof *grown);
        if (!grown) {
            ow_error_set(err, OW_INTERNAL, "out of memory loading the calendar of %d", rec.year);
            goto cleanup;
        }
        self->years = grown;
        slot = &self->years[self->year_count++];
    }
    *slot = rec;
    if (hours.count) {
        snprintf(hours.centre, sizeof hours.centre, "%s", rec.centre);
        size_t i = 0;
        while (i < self->hours_count && strcmp(self->hours[i].centre, rec.centre) != 0)
            i++;
        if (i == self->hours_count) {
            s_hours_t *grown = realloc(self->hours, (self->hours_count + 1) * sizeof *grown);
            if (!grown) {
                ow_error_set(err, OW_INTERNAL, "out of memory loading working hours");
                goto cleanup;
            }
            self->hours = grown;
            self->hours_count++;
        }
        self->hours[i] = hours;
    }
    if (year_out)
        *year_out = rec.year;
    if (centre_out)
        snprintf(centre_out, CALENDAR_CENTRE_MAX + 1, "%s", rec.centre);
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}
