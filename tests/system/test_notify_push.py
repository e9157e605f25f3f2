#!/usr/bin/python3
"""The provincial 好差评 push and evaluation's notices through the running daemons (issues 6
and 7, DOMAIN.md §6/§8): a real-name rating is pushed once to a local HTTP receiver started
here, as signed JSON carrying the DOMAIN §6 fields and the rater's identity; the receiver's
first answer (500) is retried until it accepts (200); a SIGKILL of notifyd and a restart
push nothing again; the identity reaches no file-sink notice, no log line and is not kept
once accepted. Ratings made together travel from evaluationd as rating.pushes_requested, one
event per transaction, and the province still receives one POST per rating, unchanged; a
batch of two pushes and an old single rating.push_requested (as an outbox may hold at an
upgrade), put in evaluation's outbox by hand, are each pushed once per rating. An unrated case
gets the 3-day rating reminder after the test clock moves."""

import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

SECRET = "province-secret-" + uuid.uuid4().hex[:8]


class Province:
    """The provincial interface at /hcp: answers 500 to the first POST of each rating, 200
    after. Anything else is an integrator's webhook: 200, kept apart."""

    def __init__(self):
        self.requests = []
        self.integrator = []
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
                if not self.path.startswith("/hcp"):
                    with outer.lock:
                        outer.integrator.append(msg)
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with outer.lock:
                    seen = any(r["json"].get("rating_id") == msg.get("rating_id")
                               for r in outer.requests)
                    code = 200 if seen else 500
                    outer.requests.append({
                        "body": body, "json": msg, "code": code,
                        "ts": self.headers.get("X-OneWindow-Timestamp", ""),
                        "sig": self.headers.get("X-OneWindow-Signature", ""),
                        "delivery": self.headers.get("X-OneWindow-Delivery", ""),
                        "event": self.headers.get("X-OneWindow-Event", "")})
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, case_no):
        with self.lock:
            return [r for r in self.requests if r["json"].get("case_no") == case_no]


def signed(r):
    mac = hmac.new(SECRET.encode(), r["ts"].encode() + b"." + r["body"], hashlib.sha256).hexdigest()
    return r["sig"] == "v1=" + mac


def submit_and_decide(s, item, seq, tag):
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    body = {"item_code": item["code"], "applicant": applicant(seq, "推送%d" % seq),
            "materials": complete, "channel": "window", "centre_id": ""}
    status, resp = s.post("/v1/applications", body, key="%s-%d" % (tag, seq))
    s.check("application %d accepted (201)" % seq, status == 201, (status, resp))
    if status != 201:
        return ""
    case_no = resp["case"]["case_no"]

    def task():
        st, b = s.get("/v1/cases/" + case_no)
        tasks = (b or {}).get("tasks") if st == 200 and isinstance(b, dict) else None
        return tasks[0] if tasks else None
    t = wait_until(task, timeout=30)
    if not t:
        s.check("case %s has a task" % case_no, False)
        return ""
    status, resp = s.post("/v1/tasks/%s/decision" % t["task_id"],
                          {"decision": "approve", "comment": "准予许可", "actor": t.get("assignee", "")})
    s.check("case %s approved (200)" % case_no, status == 200, (status, resp))
    return case_no if status == 200 else ""


def push_payload(rating_id, case_no, grade):
    """A RatingPush (evaluation.proto) by hand: what notifyd checks and the province reads."""
    return (harness.pb_field_bytes(1, rating_id) + harness.pb_field_bytes(2, case_no) +
            harness.pb_field_bytes(3, "330100-01") + harness.pb_field_bytes(6, "330122000000") +
            harness.pb_field_varint(18, grade) + harness.pb_field_varint(19, 1795000000000000))


def batch_rating_ids(s):
    """Every rating id in evaluation's rating.pushes_requested events, event by event."""
    rows = s.sql("SELECT payload FROM evaluation.outbox WHERE type = 'rating.pushes_requested'"
                 " ORDER BY id")
    return [[harness.pb_decode(p)[1][0].decode() for p in harness.pb_decode(bytes(r[0])).get(1, [])]
            for r in rows]


def check_pushed_once(s, province, case_no, rating_id, what):
    """The rating reached the province once accepted, after one refusal, signed, unchanged."""
    accepted = wait_until(lambda: [r for r in province.of(case_no) if r["code"] == 200], timeout=40)
    reqs = province.of(case_no)
    s.check(what + ": one POST per rating, refused once (500), retried, accepted (200)",
            accepted and [r["code"] for r in reqs] == [500, 200]
            and all(r["json"].get("rating_id") == rating_id for r in reqs),
            [(r["code"], r["json"].get("rating_id")) for r in reqs])
    s.check(what + ": signed, one delivery id, X-OneWindow-Event rating.push_requested",
            reqs and all(signed(r) for r in reqs) and len({r["delivery"] for r in reqs}) == 1
            and all(r["event"] == "rating.push_requested" for r in reqs),
            [(r["delivery"], r["event"]) for r in reqs])


def test_batches(s, province, item, tag):
    # Ratings made together: evaluationd writes the pushes of each transaction as ONE
    # rating.pushes_requested (how many transactions is its batching's business), never one
    # rating.push_requested per rating; each rating still reaches the province on its own.
    cases = [submit_and_decide(s, item, 8103 + i, tag) for i in range(4)]
    if not all(cases):
        return

    def rate(case_no):
        def once():
            st, resp = s.post("/v1/ratings", {"case_no": case_no, "grade": 4, "channel": "web"},
                              key=tag + "-rate-" + case_no)
            return (st, resp) if st != 412 else None
        return wait_until(once, timeout=30)
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        got = list(pool.map(rate, cases))
    s.check("the ratings made together are recorded (201)",
            all(g and g[0] == 201 for g in got), got)
    if not all(g and g[0] == 201 for g in got):
        return
    ids = [g[1]["rating"]["rating_id"] for g in got]
    for case_no, rating_id in zip(cases, ids):
        check_pushed_once(s, province, case_no, rating_id, "rating of " + case_no)
    in_batches = [r for b in batch_rating_ids(s) for r in b]
    s.check("each rating's push is in exactly one rating.pushes_requested",
            all(in_batches.count(r) == 1 for r in ids), in_batches)
    s.check("evaluationd writes no rating.push_requested (one outbox row per rating) any more",
            s.sql_value("SELECT count(*) FROM evaluation.outbox WHERE type = 'rating.push_requested'") == 0)

    # A batch of two pushes, and the old event of one push as an outbox may hold it at an
    # upgrade, written into evaluation's outbox by hand: the relay publishes them like any.
    injected = [("INJ-%s-%d" % (tag, i), str(uuid.uuid4())) for i in range(3)]
    batch = b"".join(harness.pb_field_bytes(1, push_payload(r, c, 5)) for c, r in injected[:2])
    s.sql("INSERT INTO evaluation.outbox (type, case_no, centre_id, time_us, payload) VALUES"
          " ('rating.pushes_requested', '', '', 1795000000000000, %s),"
          " ('rating.push_requested', %s, '330122000000', 1795000000000000, %s)",
          (batch, injected[2][0], push_payload(injected[2][1], injected[2][0], 1)))
    for case_no, rating_id in injected:
        check_pushed_once(s, province, case_no, rating_id, "injected " + case_no)
    s.check("one delivery per injected rating, of the push's kind",
            s.sql_value("SELECT count(*) FROM notify.deliveries WHERE kind = 'rating_push' AND"
                        " recipient = ANY(%s)", ([r for _, r in injected],)) == 3)


def test(s, province):
    item = harness.pick_item(harness.demo_items(s))
    tag = "push-" + uuid.uuid4().hex[:8]
    rated, quiet = submit_and_decide(s, item, 8101, tag), submit_and_decide(s, item, 8102, tag)
    if not (rated and quiet):
        return
    id_number = applicant(8101)["id_number"]

    # An integrator subscribed to every event: it must never be sent the push event.
    import zmq
    sub = (harness.pb_field_bytes(1, "all-events") +
           harness.pb_field_bytes(2, "http://127.0.0.1:%d/integrator" % province.port) +
           harness.pb_field_bytes(3, "*") + harness.pb_field_bytes(4, "integrator-secret-0123"))
    frames = s.zmq_request(zmq.Context.instance(), "notify", [harness.encode_request(
        "notify.subscribe", payload=sub, idempotency_key=tag + "-sub")], timeout=10)
    reply = harness.decode_reply(frames[0]) if frames else None
    s.check("an integrator subscribes to every event (*)", reply and reply["status"] == 0, reply)

    # The rateable case must be known to evaluationd before it can be rated.
    def rate():
        st, resp = s.post("/v1/ratings", {"case_no": rated, "grade": 2, "comment": "等候太久",
                                          "channel": "web"}, key=tag + "-rate")
        return (st, resp) if st != 412 else None
    got = wait_until(rate, timeout=30)
    s.check("a real-name bad rating is recorded (201)", got and got[0] == 201, got)
    if not got or got[0] != 201:
        return
    rating_id = got[1]["rating"]["rating_id"]

    accepted = wait_until(lambda: [r for r in province.of(rated) if r["code"] == 200], timeout=40)
    reqs = province.of(rated)
    s.check("the push reaches the province: refused once (500), retried, accepted (200)",
            accepted and [r["code"] for r in reqs] == [500, 200], [(r["code"], r["delivery"]) for r in reqs])
    if not accepted:
        return
    body = accepted[0]["json"]
    s.check("it carries the DOMAIN §6 fields and the rater's identity",
            body.get("rating_id") == rating_id and body.get("case_no") == rated
            and body.get("item_code") == item["code"] and body.get("grade") == 2
            and body.get("applicant_id_number") == id_number
            and body.get("applicant_id_type") == "resident_id"
            and body.get("applicant_type") == "natural_person"
            and body.get("case_status") == "approved" and body.get("channel") == "web"
            and len(body.get("area_code", "")) == 12 and body.get("anonymous") is False, body)
    s.check("every attempt is signed with the configured secret (HMAC-SHA256)",
            all(signed(r) for r in reqs), [(r["ts"], r["sig"]) for r in reqs])
    s.check("both attempts carry the same delivery id and the event type",
            len({r["delivery"] for r in reqs}) == 1 and all(r["event"] == "rating.push_requested" for r in reqs))
    row = wait_until(lambda: s.sql("SELECT state, attempts, recipient, text FROM notify.deliveries"
                                   " WHERE kind = 'rating_push' AND case_no = %s AND state = 'sent'",
                                   (rated,)), timeout=10)
    s.check("one push delivery, keyed by the rating id, sent after two attempts",
            row and len(row) == 1 and row[0][1] == 2 and row[0][2] == rating_id, row)
    s.check("the identity is not kept once the province accepted it", row and row[0][3] == "", row)

    # SIGKILL and restart: nothing accepted is pushed again.
    s.kill("notifyd")
    s.start("notifyd")
    s.wait_ready("notifyd")
    time.sleep(3.0)
    reqs = province.of(rated)
    s.check("after a SIGKILL and a restart nothing is pushed again",
            [r["code"] for r in reqs] == [500, 200], [(r["code"], r["delivery"]) for r in reqs])
    s.check("one push per rating in notifyd",
            s.sql_value("SELECT count(*) FROM notify.deliveries WHERE kind = 'rating_push'"
                        " AND recipient = %s", (rating_id,)) == 1)

    # The identity goes nowhere else: no integrator webhook, no file-sink line, no log line.
    s.check("the integrator gets the rating's other events (rating.recorded)",
            wait_until(lambda: any(m.get("type") == "rating.recorded" and m.get("case_no") == rated
                                   for m in list(province.integrator)), timeout=20),
            [m.get("type") for m in province.integrator])
    test_batches(s, province, item, tag)
    s.check("…but never a push event (rating.push_requested, rating.pushes_requested)",
            not any(m.get("type") in ("rating.push_requested", "rating.pushes_requested")
                    for m in list(province.integrator)),
            [m.get("type") for m in province.integrator])
    s.check("no other delivery of a push event",
            s.sql_value("SELECT count(*) FROM notify.deliveries WHERE event_type IN"
                        " ('rating.push_requested', 'rating.pushes_requested')"
                        " AND kind <> 'rating_push'") == 0)
    s.check("nor in the gateway's event log",
            s.sql_value("SELECT count(*) FROM gateway.events WHERE type IN"
                        " ('rating.push_requested', 'rating.pushes_requested')") == 0)
    with open(s.sink_path, "rb") as f:
        sink = f.read().decode(errors="replace")
    s.check("the file sink never shows the identity", id_number not in sink)
    with open(s.daemons["notifyd"].log_path, "rb") as f:
        logged = f.read().decode(errors="replace")
    s.check("notifyd's log never shows the identity", id_number not in logged)
    s.check("no stored delivery holds the identity",
            s.sql_value("SELECT count(*) FROM notify.deliveries WHERE strpos(text, %s) > 0",
                        (id_number,)) == 0)

    # DOMAIN §6: the reminder after 3 days without a rating — only for the unrated case.
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 3 * 86400 + 120})
    s.check("the test clock moves 3 days", status == 200, (status, resp))
    reminders = wait_until(lambda: [n for n in s.notifications() if n.get("kind") == "rating_reminder"
                                    and n.get("case_no") == quiet], timeout=40)
    s.check("the unrated case's applicant gets the 3-day rating reminder",
            reminders and len(reminders) == 1 and "尚未评价" in reminders[0].get("text", ""), reminders)
    s.check("the rated case gets none",
            not [n for n in s.notifications() if n.get("kind") == "rating_reminder" and n.get("case_no") == rated])
    s.check("the unrated case was pushed nothing (no rating yet)", province.of(quiet) == [])


if __name__ == "__main__":
    province = Province()
    config = {
        "notify.provincial_push_url": "http://127.0.0.1:%d/hcp/push" % province.port,
        "notify.provincial_push_secret": SECRET,
        "notify.retry_base_ms": "300",
        "notify.retry_max_ms": "1000",
    }
    harness.run(lambda s: test(s, province), extra_config=config)
