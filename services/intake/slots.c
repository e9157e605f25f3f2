/* slots — bookable periods (hall.h): intake.put_slots and intake.list_slots. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hall.h"
#include "hall_store.h"
#include "ow_db.h"

#define S_SLOT_COLUMNS                                                                             \
    "slot_id, centre_id, item_group, window_code, start_us, end_us, capacity, booked"
#define S_LIST_DEFAULT 100
#define S_LIST_MAX     500
/* A slot is a period of a working day at one window, not a season. */
#define S_SLOT_LONGEST_US (24LL * 3600 * 1000000)

static const ow_db_statement_t s_statements[] = {
    {"intake_hall_slot_held",
     "SELECT booked FROM slots WHERE centre_id = $1 AND window_code = $2 AND start_us = $3 "
     "FOR UPDATE"},
    {"intake_hall_slot_put",
     "INSERT INTO slots (centre_id, item_group, window_code, start_us, end_us, capacity) "
     "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (centre_id, window_code, start_us) DO UPDATE "
     "SET item_group = EXCLUDED.item_group, end_us = EXCLUDED.end_us, "
     "capacity = EXCLUDED.capacity RETURNING " S_SLOT_COLUMNS},
    {"intake_hall_slot_list",
     "SELECT " S_SLOT_COLUMNS " FROM slots WHERE centre_id = $1 AND start_us > $2 "
     "AND booked < capacity AND ($3 = '' OR item_group = $3) AND ($4 = '' OR window_code = $4) "
     "AND start_us >= $5 AND ($6 = 0 OR start_us < $6) ORDER BY start_us, window_code LIMIT $7"},
};

int hall_slots_prepare(ow_db_t *db, ow_error_t *err)
{
    return OW_DB_PREPARE_ALL(db, s_statements, err);
}

/* Fills the slots of a SlotList from rows of S_SLOT_COLUMNS; strings borrow from res. */
static void s_slot_from_row(const PGresult *res, int row, Onewindow__V1__Slot *s)
{
    onewindow__v1__slot__init(s);
    s->slot_id = PQgetvalue(res, row, 0);
    s->centre_id = PQgetvalue(res, row, 1);
    s->item_group = PQgetvalue(res, row, 2);
    s->window = PQgetvalue(res, row, 3);
    s->start_us = strtoll(PQgetvalue(res, row, 4), NULL, 10);
    s->end_us = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    s->capacity = atoi(PQgetvalue(res, row, 6));
    s->booked = atoi(PQgetvalue(res, row, 7));
}

int intake_put_slots(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                     const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                     uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)policy;
    (void)caller;
    (void)now_us;
    int rc = -1;
    Onewindow__V1__PutSlots *req = NULL;
    PGresult *res[INTAKE_HALL_SLOTS_MAX] = {0};
    Onewindow__V1__Slot out[INTAKE_HALL_SLOTS_MAX], *outp[INTAKE_HALL_SLOTS_MAX];
    size_t n = 0;
    *reply = NULL;
    *reply_len = 0;
    if (len > INTAKE_HALL_REQUEST_MAX ||
        !(req = onewindow__v1__put_slots__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid PutSlots");
        return -1;
    }
    if (req->n_slots == 0 || req->n_slots > INTAKE_HALL_SLOTS_MAX)
        ow_error_add_violation(err, "slots", "1-%d slots", INTAKE_HALL_SLOTS_MAX);
    for (size_t i = 0; i < req->n_slots && i < INTAKE_HALL_SLOTS_MAX; i++) {
        const Onewindow__V1__Slot *s = req->slots[i];
        char f[48];
#define S_FIELD(name) (snprintf(f, sizeof f, "slots[%zu]." name, i), f)
        if (s->slot_id[0] || s->booked)
            ow_error_add_violation(err, S_FIELD("slot_id"),
                                   "slot_id and booked are assigned by intake");
        hall_check_centre(s->centre_id, S_FIELD("centre_id"), err);
        hall_check_code(s->item_group, 64, S_FIELD("item_group"), err);
        hall_check_code(s->window, 16, S_FIELD("window"), err);
        if (s->start_us <= 0)
            ow_error_add_violation(err, S_FIELD("start"), "is required");
        if (s->end_us <= s->start_us || s->end_us - s->start_us > S_SLOT_LONGEST_US)
            ow_error_add_violation(err, S_FIELD("end"), "must be after start, within 24 hours");
        if (s->capacity < 1 || s->capacity > 10000)
            ow_error_add_violation(err, S_FIELD("capacity"), "must be 1-10000");
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->slots[j]->centre_id, s->centre_id) == 0 &&
                strcmp(req->slots[j]->window, s->window) == 0 &&
                req->slots[j]->start_us == s->start_us)
                ow_error_add_violation(err, S_FIELD("start"), "the same slot as slots[%zu]", j);
#undef S_FIELD
    }
    if (ow_error_finish_violations(err) < 0)
        goto out;
    int opened = hall_begin(db, "intake.put_slots", key, request, len, reply, reply_len, err);
    if (opened != 0) {
        rc = opened > 0 ? 0 : -1;
        goto out;
    }
    /* Capacity never below the bookings a slot holds: every such slot named at once. */
    for (size_t i = 0; i < req->n_slots; i++) {
        const Onewindow__V1__Slot *s = req->slots[i];
        char start[24], f[48];
        snprintf(start, sizeof start, "%" PRId64, s->start_us);
        const char *p[3] = {s->centre_id, s->window, start};
        PGresult *held = ow_db_exec(db, "intake_hall_slot_held", 3, p, err);
        if (!held)
            goto done;
        if (PQntuples(held) == 1 && atoi(PQgetvalue(held, 0, 0)) > s->capacity) {
            snprintf(f, sizeof f, "slots[%zu].capacity", i);
            ow_error_add_violation(err, f, "%d is below the %s bookings the slot holds",
                                   s->capacity, PQgetvalue(held, 0, 0));
        }
        PQclear(held);
    }
    if (ow_error_finish_violations(err) < 0)
        goto done;
    for (; n < req->n_slots; n++) {
        const Onewindow__V1__Slot *s = req->slots[n];
        char start[24], end[24], cap[16];
        snprintf(start, sizeof start, "%" PRId64, s->start_us);
        snprintf(end, sizeof end, "%" PRId64, s->end_us);
        snprintf(cap, sizeof cap, "%d", s->capacity);
        const char *p[6] = {s->centre_id, s->item_group, s->window, start, end, cap};
        if (!(res[n] = ow_db_exec(db, "intake_hall_slot_put", 6, p, err)))
            goto done;
        s_slot_from_row(res[n], 0, &out[n]);
        outp[n] = &out[n];
    }
    Onewindow__V1__SlotList list = ONEWINDOW__V1__SLOT_LIST__INIT;
    list.slots = outp;
    list.n_slots = n;
    if (hall_finish(db, "intake.put_slots", key, request, len, &list.base, reply, reply_len, err) <
        0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        ow_db_rollback(db);
out:
    for (size_t i = 0; i < n && i < INTAKE_HALL_SLOTS_MAX; i++)
        PQclear(res[i]);
    if (req)
        onewindow__v1__put_slots__free_unpacked(req, NULL);
    return rc;
}

int intake_list_slots(ow_db_t *db, const intake_hall_policy_t *policy, const char *key,
                      const char *caller, const uint8_t *request, size_t len, int64_t now_us,
                      uint8_t **reply, size_t *reply_len, ow_error_t *err)
{
    (void)policy;
    (void)key;
    (void)caller;
    int rc = -1;
    Onewindow__V1__ListSlots *req = NULL;
    PGresult *res = NULL;
    Onewindow__V1__Slot *out = NULL, **outp = NULL;
    if (len > 4096 || !(req = onewindow__v1__list_slots__unpack(NULL, len, request))) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "request payload is not a valid ListSlots");
        return -1;
    }
    hall_check_centre(req->centre_id, "centre_id", err);
    if (req->item_group[0])
        hall_check_code(req->item_group, 64, "item_group", err);
    if (req->window[0])
        hall_check_code(req->window, 16, "window", err);
    if (req->from_us < 0 || req->to_us < 0 || (req->to_us && req->to_us <= req->from_us))
        ow_error_add_violation(err, "to", "must be after from");
    if (req->limit < 0 || req->limit > S_LIST_MAX)
        ow_error_add_violation(err, "limit", "must be 1-%d", S_LIST_MAX);
    if (ow_error_finish_violations(err) < 0)
        goto done;
    char now[24], from[24], to[24], limit[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(from, sizeof from, "%" PRId64, req->from_us);
    snprintf(to, sizeof to, "%" PRId64, req->to_us);
    snprintf(limit, sizeof limit, "%d", req->limit ? req->limit : S_LIST_DEFAULT);
    const char *p[7] = {req->centre_id, now, req->item_group, req->window, from, to, limit};
    if (!(res = ow_db_exec(db, "intake_hall_slot_list", 7, p, err)))
        goto done;
    int rows = PQntuples(res);
    out = calloc((size_t)rows + 1, sizeof *out);
    outp = calloc((size_t)rows + 1, sizeof *outp);
    if (!out || !outp) {
        ow_error_set(err, OW_INTERNAL, "out of memory listing slots");
        goto done;
    }
    for (int i = 0; i < rows; i++) {
        s_slot_from_row(res, i, &out[i]);
        outp[i] = &out[i];
    }
    Onewindow__V1__SlotList list = ONEWINDOW__V1__SLOT_LIST__INIT;
    list.slots = outp;
    list.n_slots = (size_t)rows;
    if (hall_pack_reply(&list.base, reply, reply_len, err) < 0)
        goto done;
    rc = 0;
done:
    free(out);
    free(outp);
    PQclear(res);
    if (req)
        onewindow__v1__list_slots__free_unpacked(req, NULL);
    return rc;
}
