#!/usr/bin/python3
"""Staff and supervisor notices through the running daemons (issue 7, DOMAIN.md §8):
notifyd's staff directory and supervisor registrations (notify.set_staff_contact,
notify.register_supervisor; validated, idempotent), a new task told to its holder, a task moved
to the B holder while the A holder is away told as "on behalf of" A, a red card after the test
clock moves told to the holder and to the centre's supervisor (urgent), and nothing told twice
after notifyd is SIGKILLed and restarted — all over a local HTTP SMS gateway started here."""

import http.server
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_field_bytes, pb_field_varint, wait_until  # noqa: E402

COUNTY_CENTRE = "330122000000"


class SmsGateway:
    """Answers 200 to every POST /sms and records (to, text, Idempotency-Key)."""

    def __init__(self):
        self.sms = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    msg = json.loads(body)
                except ValueError:
                    msg = {}
                with outer.lock:
                    outer.sms.append({"to": msg.get("to", ""), "text": msg.get("text", ""),
                                      "key": self.headers.get("Idempotency-Key", "")})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, phone, needle=""):
        with self.lock:
            return [m for m in self.sms if m["to"] == phone and needle in m["text"]]


def rpc(s, ctx, source, method, payload=b"", key=None, caller="system-test"):
    frames = s.zmq_request(ctx, source, [harness.encode_request(
        method, payload=payload, idempotency_key=key or "", caller=caller)], timeout=10)
    return harness.decode_reply(frames[0]) if frames else None


def contact(staff_id, name, phone, channel="sms", centre=COUNTY_CENTRE, dept=""):
    return (pb_field_bytes(1, staff_id) + pb_field_bytes(2, name) + pb_field_bytes(3, phone) +
            pb_field_bytes(5, channel) + pb_field_bytes(6, centre) + pb_field_bytes(7, dept))


def test(s, gw):
    import zmq
    ctx = zmq.Context.instance()
    item = harness.pick_item(harness.demo_items(s))
    dept = item["department_code"]
    post = s.sql("SELECT post_code, a_holder, b_holder FROM routing.posts WHERE department_code = %s"
                 " AND b_holder IS NOT NULL AND b_holder <> '' ORDER BY post_code LIMIT 1", (dept,))
    approver = s.sql_value("SELECT staff_id FROM routing.department_approvers WHERE department_code = %s",
                           (dept,))
    s.check("the demo department has an A/B post and an approver", post and approver, (dept, post))
    post_code, a_holder, b_holder = post[0]
    supervisor = "TL1003"
    names = {r[0]: r[1] for r in s.sql("SELECT staff_id, name FROM routing.staff")}
    phones = {sid: "1390000%04d" % i for i, sid in enumerate([approver, a_holder, b_holder, supervisor])}

    # ---- the directory and the registrations: validated (every problem), idempotent --------
    bad = rpc(s, ctx, "notify", "notify.set_staff_contact",
              pb_field_bytes(1, contact("", "x", "13x", channel="fax")) +
              pb_field_bytes(1, contact("TL9", "y", "", channel="sms", centre="12")), key="staff-bad")
    s.check("a bad directory import → INVALID_ARGUMENT listing every problem, nothing written",
            bad and bad["status"] == 3 and len(bad["violations"]) >= 5
            and s.sql_value("SELECT count(*) FROM notify.staff_contacts") == 0, bad)
    bulk = b"".join(pb_field_bytes(1, contact(sid, names.get(sid, sid), phones[sid], dept=dept))
                    for sid in phones)
    r1 = rpc(s, ctx, "notify", "notify.set_staff_contact", bulk, key="staff-1")
    r2 = rpc(s, ctx, "notify", "notify.set_staff_contact", bulk, key="staff-1")
    s.check("the directory is set in bulk", r1 and r1["status"] == 0
            and s.sql_value("SELECT count(*) FROM notify.staff_contacts") == len(phones), r1)
    s.check("the same key answers the same reply", r2 and r1 and r2["payload"] == r1["payload"])
    bad = rpc(s, ctx, "notify", "notify.register_supervisor",
              pb_field_bytes(2, "33") + pb_field_bytes(3, "yellow_card"), key="sup-bad")
    s.check("a bad registration → INVALID_ARGUMENT listing staff, centre and kind",
            bad and bad["status"] == 3 and len(bad["violations"]) == 3, bad)
    reg = rpc(s, ctx, "notify", "notify.register_supervisor",
              pb_field_bytes(1, supervisor) + pb_field_bytes(2, COUNTY_CENTRE) +
              pb_field_bytes(3, "red_card") + pb_field_bytes(3, "bad_review"), key="sup-1")
    s.check("the supervisor is registered for the county centre", reg and reg["status"] == 0, reg)

    # ---- a new task: the department's approver is told -------------------------------------
    materials = [m["code"] for m in item["materials"] if m["required"]]
    status, resp = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(7001),
                                               "materials": materials, "channel": "window",
                                               "centre_id": ""})
    case_no = resp.get("case", {}).get("case_no") if status == 201 else None
    s.check("a case is accepted", case_no, (status, resp))
    got = wait_until(lambda: gw.to(phones[approver], case_no), timeout=20)
    s.check("the approver is told of the new task by SMS",
            got and "新的审批任务" in got[0]["text"], gw.sms)

    # ---- A is away: the task moved to the post goes to B, on A's behalf -----------------------
    end_us = int(time.time() * 1e6) + 400 * 86400 * 1_000_000
    absence = (pb_field_bytes(2, a_holder) + pb_field_bytes(3, "leave") + pb_field_varint(5, end_us) +
               pb_field_bytes(6, "年假"))
    r = rpc(s, ctx, "routing", "routing.record_absence", absence, key="abs-" + a_holder, caller=a_holder)
    s.check("A's leave is recorded by routing", r and r["status"] == 0, r)
    task_id = wait_until(lambda: s.sql_value("SELECT task_id::text FROM routing.tasks WHERE case_no = %s",
                                             (case_no,)), timeout=10)
    act = (pb_field_bytes(1, task_id) + pb_field_bytes(2, "transfer") + pb_field_bytes(3, "由审查岗办理") +
           pb_field_bytes(9, post_code))
    r = rpc(s, ctx, "routing", "routing.act", act, key="xfer-" + case_no, caller=approver)
    s.check("the task is transferred to the A/B post", r and r["status"] == 0, r)
    a_name = names.get(a_holder, a_holder)
    got = wait_until(lambda: gw.to(phones[b_holder], case_no), timeout=20)
    s.check("B is told the task is held on behalf of the absent A",
            got and a_name in got[0]["text"] and "代为办理" in got[0]["text"], gw.sms)
    s.check("A, who is away, is not told", not gw.to(phones[a_holder], case_no), gw.sms)

    # ---- a red card after the clock moves; notifyd killed on the way ------------------------
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 90 * 86400})
    s.check("the test clock moves 90 days", status == 200, (status, resp))
    s.kill("notifyd")
    time.sleep(0.5)
    s.start("notifyd")
    s.wait_ready("notifyd")
    got_b = wait_until(lambda: gw.to(phones[b_holder], "红牌"), timeout=30)
    got_s = wait_until(lambda: gw.to(phones[supervisor], "红牌"), timeout=30)
    s.check("the red card reaches the holder (B)", got_b and case_no in got_b[0]["text"], gw.sms)
    s.check("the red card reaches the centre's supervisor, naming the holder",
            got_s and case_no in got_s[0]["text"] and b_holder in got_s[0]["text"], gw.sms)
    s.check("a red card is urgent (sent in the SMS quiet hours)",
            s.sql("SELECT bool_and(urgent) FROM notify.deliveries WHERE kind = 'deadline_red'"
                  " AND channel = 'sms'")[0][0] is True)
    time.sleep(2.0)  # anything sent twice would land by now

    # ---- nothing twice -----------------------------------------------------------------------
    s.kill("notifyd")
    s.start("notifyd")
    s.wait_ready("notifyd")
    time.sleep(2.0)
    with gw.lock:
        mine = [m for m in gw.sms if case_no in m["text"]]
    keys = [m["key"] for m in mine]
    s.check("every SMS about the case has its own delivery id: none sent twice",
            len(keys) == len(set(keys)), mine)
    reds = s.sql("SELECT event_id, recipient, count(*) FROM notify.deliveries WHERE kind = 'deadline_red'"
                 " AND channel = 'sms' GROUP BY 1, 2")
    s.check("one red-card SMS per event and recipient", reds and all(r[2] == 1 for r in reds), reds)
    per_person = {}
    for m in mine:
        if "红牌" in m["text"]:
            per_person[m["to"]] = per_person.get(m["to"], 0) + 1
    events = s.sql_value("SELECT count(DISTINCT event_id) FROM notify.deliveries WHERE kind = 'deadline_red'"
                         " AND case_no = %s", (case_no,))
    s.check("each person got one red card per red event (case clock and stage clocks)",
            per_person and all(n == events for n in per_person.values()), (per_person, events))
    s.check("the file sink has the staff notices too",
            any(n.get("kind") == "task_assigned" and n.get("recipient") == b_holder
                for n in s.notifications()))
    unsent = s.sql_value("SELECT count(*) FROM notify.deliveries WHERE case_no = %s AND state <> 'sent'",
                         (case_no,))
    s.check("every delivery of the case is sent", unsent == 0, unsent)


if __name__ == "__main__":
    gw = SmsGateway()
    config = {
        "notify.sms_url": "http://127.0.0.1:%d/sms" % gw.port,
        "notify.retry_base_ms": "200",
        "notify.retry_max_ms": "1000",
        # the test may run at any hour: the quiet-hour rule is unit-tested
        "notify.sms_quiet_start": "00:00",
        "notify.sms_quiet_end": "00:00",
    }
    harness.run(lambda s: test(s, gw), extra_config=config)
