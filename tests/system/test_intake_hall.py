#!/usr/bin/python3
"""Appointments (预约) and the hall queue (排号叫号), issue 3, DOMAIN.md §3, through the gateway's
HTTP API, intaked, deadlined's no-show timer and the test clock:

- slots put by an administrator (a bad request lists every problem and writes nothing), listed;
- booking, its idempotent repeat, every problem of a bad booking at once, one booking per
  person per day, capacity safe under concurrent bookings;
- cancellation ≥ 2 h before the slot, refused after;
- the no-show at slot start + 30 min fires once and forfeits; the second within 90 days blocks
  booking for 3 months;
- the queue: an arrival's ticket is called before earlier walk-ins, a 爱心通道 ticket before an
  ordinary one, missed → requeued to the back → missed → void, serving and done with their
  durations on the events; the hall statistics; a clerk of another centre is refused."""

import concurrent.futures
import datetime as dt
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, resident_id, wait_until  # noqa: E402

CHINA = dt.timezone(dt.timedelta(hours=8))
CENTRE = "330122000000"
TOWN = "330122101000"


def iso(t):
    return t.isoformat()


def clock_now(s):
    status, body = s.get("/v1/admin/clock")
    return harness.parse_time(body["now"]) if status == 200 else None


def move_clock_to(s, when, what):
    """Sets system time to `when` and waits until intaked and deadlined follow."""
    status, body = s.post("/v1/admin/clock", {"set": iso(when)})
    ok = status == 200
    if ok:
        offset = body["offset_seconds"]

        def followed():
            st, b = s.get("/v1/admin/clock")
            services = (b or {}).get("services", {}) if st == 200 else {}
            return all(services.get(n, {}).get("offset_seconds") == offset for n in ("intake", "deadline"))
        ok = wait_until(followed, timeout=20)
    s.check("clock moved to %s (%s)" % (iso(when), what), ok, (status, body))


def event_count(s, type_, where="", params=()):
    return s.sql_value("SELECT count(*) FROM intake.outbox WHERE type = %s" + where, (type_,) + tuple(params))


def event_payload(s, type_, ticket_id):
    """The fields of the last `type_` event of a ticket (protobuf QueueTicket, decoded by number)."""
    for (payload,) in s.sql("SELECT payload FROM intake.outbox WHERE type = %s ORDER BY id DESC", (type_,)):
        fields = harness.pb_decode(bytes(payload))
        if fields.get(1, [b""])[0].decode() == ticket_id:
            return fields
    return None


def fields_int(fields, num):
    return fields.get(num, [0])[0] if fields else None


def test(s):
    tag = "hall-" + uuid.uuid4().hex[:8]
    now = clock_now(s)
    d1 = (now + dt.timedelta(days=2)).astimezone(CHINA).replace(hour=9, minute=0, second=0, microsecond=0)
    at = lambda days, hours=0, minutes=0: d1 + dt.timedelta(days=days, hours=hours, minutes=minutes)  # noqa: E731

    # ---- slots -------------------------------------------------------------------------
    bad = {"slots": [{"centre_id": "33012", "item_group": "bad group", "window": "A01",
                      "start": iso(at(0)), "end": iso(at(0)), "capacity": 0}]}
    status, body = s.post("/v1/admin/slots", bad)
    names = sorted(p["name"] for p in body.get("invalid_params", [])) if isinstance(body, dict) else []
    s.check("a bad slot → 400 listing every problem",
            status == 400 and names == ["slots[0].capacity", "slots[0].centre_id", "slots[0].end",
                                        "slots[0].item_group"], (status, body))
    s.check("…and nothing written", s.sql_value("SELECT count(*) FROM intake.slots") == 0)

    def slot(start, capacity, window="A01", minutes=30):
        return {"centre_id": CENTRE, "item_group": "social_insurance", "window": window,
                "start": iso(start), "end": iso(start + dt.timedelta(minutes=minutes)), "capacity": capacity}
    status, body = s.post("/v1/admin/slots", {"slots": [
        slot(at(0), 4), slot(at(0, 1), 1), slot(at(0, 2), 2), slot(at(20), 2), slot(at(40), 2)]},
        key=tag + "-slots")
    s.check("five slots put (200)", status == 200 and len(body.get("slots", [])) == 5, (status, body, s.sql("SELECT * FROM intake.slots")))
    if status != 200:
        return
    s1, s2, s3, s20, s40 = (x["slot_id"] for x in body["slots"])
    status, body = s.get("/v1/slots?centre_id=%s&item_group=social_insurance" % CENTRE)
    s.check("GET /v1/slots lists the free slots in start order",
            status == 200 and [x["slot_id"] for x in body.get("slots", [])] == [s1, s2, s3, s20, s40],
            (status, body))

    # ---- booking -------------------------------------------------------------------------
    def book(slot_id, seq, key=None, name="预约人", birth="19800101"):
        person = applicant(seq, name)
        person["id_number"] = resident_id(seq, birth=birth)
        return s.post("/v1/appointments", {"slot_id": slot_id, "applicant": person}, key=key)

    status, p1 = book(s1, 901, key=tag + "-p1")
    s.check("book → 201, booked", status == 201 and p1["appointment"]["state"] == "booked", (status, p1))
    if status != 201:
        return
    p1_id = p1["appointment"]["appointment_id"]
    status, again = book(s1, 901, key=tag + "-p1")
    s.check("the same Idempotency-Key → the first answer",
            status == 201 and again["appointment"]["appointment_id"] == p1_id, (status, again))
    s.check("appointment.booked emitted once", event_count(s, "appointment.booked") == 1)
    status, body = s.post("/v1/appointments", {"slot_id": "x1", "applicant": {"name": "", "id_type": "resident_id",
                                                                                 "id_number": "330122198001010000",
                                                                                 "phone": ""}})
    names = sorted(p["name"] for p in body.get("invalid_params", [])) if isinstance(body, dict) else []
    s.check("a bad booking → 400 listing every problem",
            status == 400 and {"slot_id", "applicant.name", "applicant.id_number", "applicant.phone"} <= set(names),
            (status, body))
    status, body = book(s2, 901)
    s.check("a second booking the same day → 400 (one per person per day)",
            status == 400 and any("per day" in p.get("reason", "") for p in body.get("invalid_params", [])),
            (status, body))

    # Five people at once for the one place of s2.
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda seq: book(s2, seq), range(911, 916)))
    codes = sorted(r[0] for r in results)
    s.check("five concurrent bookings of a 1-place slot: one 201, four 400 (full)",
            codes == [201, 400, 400, 400, 400] and
            all(any("full" in p.get("reason", "") for p in r[1].get("invalid_params", []))
                for r in results if r[0] == 400), results)
    s.check("…the slot holds exactly one booking",
            s.sql_value("SELECT booked FROM intake.slots WHERE slot_id = %s", (s2,)) == 1)
    status, body = s.get("/v1/slots?centre_id=%s" % CENTRE)
    s.check("…and is no longer listed as free", s2 not in [x["slot_id"] for x in body.get("slots", [])], body)

    status, p2 = book(s1, 902, name="预约二")
    status3, p3 = book(s1, 903, name="预约三")
    status4, p4 = book(s3, 904, name="预约四")
    status_n, nos = book(s1, 905, name="爽约人")
    if not all(x == 201 for x in (status, status3, status4, status_n)):
        s.check("four more bookings → 201", False, (p2, p3, p4, nos))
        return
    p2_id, p3_id, p4_id, n_id = (x["appointment"]["appointment_id"] for x in (p2, p3, p4, nos))
    s.check("a no-show timer per booking pending at deadlined",
            wait_until(lambda: s.sql_value("SELECT count(*) FROM deadline.timers WHERE owner = 'intake' AND "
                                           "kind = 'no_show' AND state = 'pending'") == 6, timeout=30),
            s.sql("SELECT timer_key, state FROM deadline.timers WHERE owner = 'intake'"))

    # ---- cancellation ----------------------------------------------------------------------
    status, body = s.post("/v1/appointments/%s/cancel" % p4_id, {"reason": "改期"})
    s.check("cancel well before the slot → 200 cancelled",
            status == 200 and body["appointment"]["state"] == "cancelled", (status, body))
    s.check("…its place given back",
            s.sql_value("SELECT booked FROM intake.slots WHERE slot_id = %s", (s3,)) == 0)
    s.check("…its no-show timer cancelled at deadlined",
            wait_until(lambda: s.sql_value("SELECT state FROM deadline.timers WHERE timer_key = %s",
                                           ("intake:no_show:%s" % p4_id,)) == "cancelled", timeout=30))
    move_clock_to(s, at(0, minutes=-90), "90 minutes before the first slot")
    status, body = s.post("/v1/appointments/%s/cancel" % p3_id, {})
    s.check("cancel 90 min before the slot → 412 (at least 2 h before)", status == 412, (status, body))

    # ---- the queue ---------------------------------------------------------------------
    move_clock_to(s, at(0, minutes=-30), "08:30")
    status, w1 = s.post("/v1/queue/tickets", {"centre_id": CENTRE, "window": "A01"})
    s.check("walk-in ticket → 201, waiting", status == 201 and w1["ticket"]["state"] == "waiting", (status, w1))
    status, w2 = s.post("/v1/queue/tickets", {"centre_id": CENTRE, "window": "A01"})
    status, body = s.post("/v1/queue/tickets", {"centre_id": CENTRE, "window": "A 01", "id_type": "resident_id",
                                                "id_number": "123", "declared_lanes": ["tired"]})
    names = sorted(p["name"] for p in body.get("invalid_params", [])) if isinstance(body, dict) else []
    s.check("a bad ticket → 400 listing every problem",
            status == 400 and names == ["declared_lanes", "id_number", "window"], (status, body))
    move_clock_to(s, at(0, minutes=-20), "08:40")
    status, a2 = s.post("/v1/appointments/%s/arrival" % p2_id, {})
    s.check("arrival → 200 arrived, with a booked ticket",
            status == 200 and a2["appointment"]["state"] == "arrived" and
            a2["ticket"]["appointment_id"] == p2_id, (status, a2))
    status, a1 = s.post("/v1/appointments/%s/arrival" % p1_id, {})
    status, love = s.post("/v1/queue/tickets", {"centre_id": CENTRE, "window": "A01", "id_type": "resident_id",
                                                "id_number": resident_id(921, birth="19500101")})
    s.check("a walk-in of 60 or more → the 爱心通道",
            status == 201 and love["ticket"]["love"] and love["ticket"]["love_reasons"] == ["age_60_plus"],
            (status, love))
    w1_id, w2_id = w1["ticket"]["ticket_id"], w2["ticket"]["ticket_id"]
    a1_t, a2_t, love_t = a1["ticket"]["ticket_id"], a2["ticket"]["ticket_id"], love["ticket"]["ticket_id"]

    clerk, _ = s.issue_token("clerk-" + tag, "clerk", TOWN)
    status, body, _ = s.request("POST", "/v1/queue/windows/A01/call", {"centre_id": CENTRE}, token=clerk)
    s.check("a township clerk calling a county window → 403", status == 403, (status, body))

    move_clock_to(s, at(0, minutes=5), "09:05, within the first slot")

    def call():
        st, b = s.post("/v1/queue/windows/A01/call", {"centre_id": CENTRE})
        return b["ticket"]["ticket_id"] if st == 200 else (st, b)

    first = call()
    s.check("first called: the 爱心通道 ticket (taken last)", first == love_t, first)
    # Real time runs on beneath the test clock: a few seconds of slack on each duration, either
    # way (a clock set to 09:15 after serving began at 09:05 plus a second of real time gives
    # 599 s).
    status, body = s.post("/v1/queue/tickets/%s/serving" % love_t, {})
    waited = body["ticket"]["waiting_seconds"] if status == 200 else None
    s.check("serving → 200, waiting recorded (taken 08:40, called 09:05: 1500 s)",
            status == 200 and 1440 <= waited <= 1560, (status, body))
    second = call()
    s.check("then the booked visitors within their slot, before earlier walk-ins", second == a2_t, second)
    move_clock_to(s, at(0, minutes=15), "09:15")
    status, body = s.post("/v1/queue/tickets/%s/done" % love_t, {})
    served = body["ticket"]["serving_seconds"] if status == 200 else None
    s.check("done → 200 with serving about 600 s", status == 200 and 540 <= served <= 660, (status, body))
    done = event_payload(s, "queue.ticket_done", love_t)
    s.check("queue.ticket_done carries the waiting and serving seconds",
            fields_int(done, 19) == waited and fields_int(done, 20) == served, done)
    serving = event_payload(s, "queue.ticket_serving", love_t)
    s.check("queue.ticket_serving carries the waiting seconds", fields_int(serving, 19) == waited, serving)
    status, body = s.post("/v1/queue/tickets/%s/done" % love_t, {})
    s.check("done twice (another key) → 412", status == 412, (status, body))

    s.check("next: the other booked visitor", call() == a1_t)
    s.check("then the walk-ins in order: the first", call() == w1_id)
    status, body = s.post("/v1/queue/tickets/%s/missed" % w1_id, {})
    s.check("missed → requeued (waiting, 1 miss)",
            status == 200 and body["ticket"]["state"] == "waiting" and body["ticket"]["misses"] == 1, (status, body))
    s.check("the requeued ticket goes to the back: the second walk-in next", call() == w2_id)
    s.check("then the requeued one", call() == w1_id)
    status, body = s.post("/v1/queue/tickets/%s/missed" % w1_id, {})
    s.check("missed again → void", status == 200 and body["ticket"]["state"] == "void", (status, body))
    status, body = s.post("/v1/queue/windows/A01/call", {"centre_id": CENTRE})
    s.check("nobody left → 404", status == 404, (status, body))
    for t in ("queue.ticket_taken", "queue.ticket_called", "queue.ticket_missed", "queue.ticket_requeued",
              "queue.ticket_voided", "queue.ticket_serving", "queue.ticket_done", "appointment.arrived",
              "appointment.cancelled"):
        s.check("event %s emitted" % t, event_count(s, t) >= 1)

    # ---- no-shows --------------------------------------------------------------------------
    move_clock_to(s, at(0, minutes=31), "09:31, past the no-show time of the first slot")
    state = lambda appt: s.sql_value("SELECT state FROM intake.appointments WHERE appointment_id = %s",  # noqa: E731
                                     (appt,))
    s.check("the unarrived booking is forfeited at +30 min",
            wait_until(lambda: state(n_id) == "no_show", timeout=40), state(n_id))
    s.check("…once: one appointment.no_show for it",
            wait_until(lambda: state(p3_id) == "no_show", timeout=40) and event_count(s, "appointment.no_show") == 2,
            event_count(s, "appointment.no_show"))
    s.check("arrived bookings are not forfeited", state(p1_id) == "arrived" and state(p2_id) == "arrived")
    s.check("one no-show does not block: booking the slot 20 days on → 201", book(s20, 905)[0] == 201)
    n2 = s.sql_value("SELECT appointment_id FROM intake.appointments WHERE slot_id = %s", (s20,))
    move_clock_to(s, at(20, minutes=31), "20 days later, past that slot's no-show time")
    s.check("the second no-show", wait_until(lambda: state(str(n2)) == "no_show", timeout=40), state(str(n2)))
    s.check("…records a block of 3 months",
            s.sql("SELECT blocked_until_us > blocked_from_us + 80 * 86400 * 1000000::bigint FROM intake.booking_blocks")
            == [(True,)])
    status, body = book(s40, 905)
    s.check("the second no-show within 90 days blocks booking → 400 blocked until …",
            status == 400 and any("blocked until" in p.get("reason", "") for p in body.get("invalid_params", [])),
            (status, body))
    s.check("…while another person still books", book(s40, 906)[0] == 201)

    # ---- statistics -------------------------------------------------------------------------
    status, body = s.get("/v1/reports/hall?centre_id=%s" % CENTRE)
    rows = body.get("windows", []) if status == 200 else []
    s.check("hall statistics: window A01 on the day, 5 tickets, 1 served, 1 void (200)",
            status == 200 and len(rows) == 1 and rows[0]["tickets"] == 5 and rows[0]["served"] == 1
            and rows[0]["voided"] == 1 and rows[0]["max_waiting_seconds"] == waited, (status, body))

    # ---- owctl ---------------------------------------------------------------------------
    code, out, err = s.owctl("--gateway", s.api_url, "slots", "--centre", CENTRE)
    s.check("owctl slots lists the free slots", code == 0 and "free slot" in out, (code, out, err))
    code, out, err = s.owctl("--gateway", s.api_url, "queue", "take", "--centre", CENTRE, "--window", "B02")
    s.check("owctl queue take → a ticket", code == 0 and "ticket B02-001" in out, (code, out, err))
    code, out, err = s.owctl("--gateway", s.api_url, "queue", "call", "B02", "--centre", CENTRE, "--json")
    ticket = None
    try:
        ticket = __import__("json").loads(out)["ticket"]["ticket_id"]
    except (ValueError, KeyError, TypeError):
        pass
    s.check("owctl queue call → that ticket called", code == 0 and ticket, (code, out, err))
    code, out, err = s.owctl("--gateway", s.api_url, "queue", "serving", str(ticket))
    code2, out2, err2 = s.owctl("--gateway", s.api_url, "queue", "done", str(ticket))
    s.check("owctl queue serving, done", code == 0 and code2 == 0 and " done " in out2, (out, err, out2, err2))
    code, out, err = s.owctl("--gateway", s.api_url, "appointment", "cancel", p1_id)
    s.check("owctl appointment cancel of an arrived booking → refused (exit 1)", code == 1, (code, out, err))


if __name__ == "__main__":
    harness.run(test)
